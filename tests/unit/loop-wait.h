/* loop-wait: tests that drive an event loop run it until a counter reaches a target (5 s at most:
 * a failure, not a measure): a libevent base alone, or (loop-wait-glib.h) GLib's main loop with a
 * libevent base pumped every millisecond. */
#pragma once

#include <event2/event.h>
#include <stdbool.h>

/* Runs base for 10 ms. */
static inline void loop_spin(struct event_base *base) {
    struct timeval tv = {0, 10000};
    event_base_loopexit(base, &tv);
    event_base_dispatch(base);
}

/* Runs base until *counter reaches target; whether it did. */
static inline bool loop_wait(struct event_base *base, int *counter, int target) {
    for (int i = 0; i < 500 && *counter < target; i++)
        loop_spin(base);
    return *counter >= target;
}
