/* hype-notify: systemd readiness, status, stopping and watchdog notifications, from the loop. */
#include "hype-notify.h"

#include <errno.h>
#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <systemd/sd-daemon.h>

static struct event *watchdog_event;

static int send_with_status(const char *prefix, const char *fmt, va_list ap) {
    char status[512], msg[600];
    vsnprintf(status, sizeof(status), fmt, ap);
    snprintf(msg, sizeof(msg), "%sSTATUS=%s", prefix, status);
    int r = sd_notify(0, msg);
    return r < 0 ? r : 0;
}

int notify_ready(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int r = send_with_status("READY=1\n", fmt, ap);
    va_end(ap);
    return r;
}

int notify_status(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int r = send_with_status("", fmt, ap);
    va_end(ap);
    return r;
}

int notify_stopping(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int r = send_with_status("STOPPING=1\n", fmt, ap);
    va_end(ap);
    return r;
}

int notify_watchdog_interval(uint64_t *ret_usec) {
    uint64_t usec = 0;
    int r = sd_watchdog_enabled(0, &usec);
    if (r <= 0 || usec == 0)
        return r < 0 ? r : 0;
    /* Half the deadline, as sd_watchdog_enabled(3) recommends. */
    *ret_usec = usec / 2 ? usec / 2 : 1;
    return 1;
}

void notify_watchdog(void) {
    sd_notify(0, "WATCHDOG=1");
}

static void on_watchdog(evutil_socket_t fd, short what, void *arg) {
    notify_watchdog();
}

int notify_watchdog_start(struct event_base *base) {
    uint64_t usec;
    int r = notify_watchdog_interval(&usec);
    if (r <= 0)
        return r;
    notify_watchdog_stop();
    watchdog_event = event_new(base, -1, EV_PERSIST, on_watchdog, NULL);
    if (!watchdog_event)
        return -ENOMEM;
    struct timeval tv = {(time_t)(usec / 1000000), (suseconds_t)(usec % 1000000)};
    if (event_add(watchdog_event, &tv) < 0)
        return -EIO;
    notify_watchdog();
    return 1;
}

void notify_watchdog_stop(void) {
    if (watchdog_event) {
        event_free(watchdog_event);
        watchdog_event = NULL;
    }
}

int notify_listen_fd(const char *name) {
    char **names = NULL;
    int n = sd_listen_fds_with_names(0, &names);
    int fd = -ENOENT;
    for (int i = 0; i < n; i++) {
        if (fd < 0 && names && names[i] && strcmp(names[i], name) == 0)
            fd = SD_LISTEN_FDS_START + i;
        free(names ? names[i] : NULL);
    }
    free(names);
    return fd;
}

void notify_raise_fd_limit(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}
