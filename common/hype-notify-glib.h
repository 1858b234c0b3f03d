/* hype-notify-glib: the systemd watchdog pinged from a GLib main context, for the daemons whose
 * loop is GLib's (hype-notify.h has the rest: readiness, status, stopping). */
#pragma once

#include <glib.h>

/*
 * The GLib twin of notify_watchdog_start (hype-notify.h): if the service manager asked for a
 * watchdog, attaches a timer to ctx (NULL: the global default context) that sends WATCHDOG=1
 * every usec/2, so the pings prove that loop is alive, and sends one now. Returns 1 when armed,
 * 0 when no watchdog was asked for, or a negative errno. Not part of libhype-common.a (see
 * hype-ipc-glib.h). notify_gwatchdog_stop() removes the timer; single-threaded.
 */
int notify_gwatchdog_start(GMainContext *ctx);
void notify_gwatchdog_stop(void);
