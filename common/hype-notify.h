/* hype-notify: systemd readiness, status, stopping and watchdog notifications, from the loop. */
#pragma once

#include <stdint.h>

#include "hype-macro.h"

struct event_base;

/* Each is a no-op (returning 0) when NOTIFY_SOCKET is unset. Negative errno on failure. */
int notify_ready(const char *status_fmt, ...) _printf_(1, 2); /* READY=1 + STATUS= */
int notify_status(const char *status_fmt, ...) _printf_(1, 2);
int notify_stopping(const char *status_fmt, ...) _printf_(1, 2);

/*
 * If the service manager asked for a watchdog (WATCHDOG_USEC, and WATCHDOG_PID unset or ours),
 * arms a persistent libevent timer on base that sends WATCHDOG=1 every usec/2, so the pings prove
 * the loop itself is alive. Returns 1 when armed, 0 when no watchdog was asked for, or a
 * negative errno. notify_watchdog_stop() frees the timer.
 */
int notify_watchdog_start(struct event_base *base);
void notify_watchdog_stop(void);
/* For other loops' watchdog timers (hype-notify-glib.h): 1 and how often to ping when a
 * watchdog was asked for, 0 when not (ret_usec untouched), or a negative errno; and one ping. */
int notify_watchdog_interval(uint64_t *ret_usec);
void notify_watchdog(void);

/*
 * Socket activation: returns the fd passed by the service manager under name (FileDescriptorName=),
 * matched by name, or -ENOENT when there is none (LISTEN_FDS unset: bind it yourself).
 * The environment is left in place so later calls can look up other names.
 */
int notify_listen_fd(const char *name);

/*
 * Raises the soft RLIMIT_NOFILE to the hard one: every connection is a descriptor, and systemd
 * (LimitNOFILE=) leaves the soft limit low (1024) for the sake of select(), which epoll-based
 * services do not use, expecting them to raise it themselves.
 */
void notify_raise_fd_limit(void);
