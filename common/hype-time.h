/* hype-time: the clocks every module reads, and arming a libevent timer in milliseconds. */
#pragma once

#include <event2/event.h>
#include <stdint.h>
#include <time.h>

/* For durations and deadlines: never jumps. */
static inline uint64_t time_mono_usec(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static inline uint64_t time_mono_ms(void) {
    return time_mono_usec() / 1000;
}

/* For what clients and the database see (timestamps, token expiry, ids): Unix milliseconds. */
static inline int64_t time_wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* (Re)arms a timer event to fire once, ms from now. */
static inline void timer_arm_ms(struct event *ev, uint64_t ms) {
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};
    evtimer_add(ev, &tv);
}
