/* hype-notify-glib: the systemd watchdog pinged from a GLib main context, for the daemons whose
 * loop is GLib's (hype-notify.h has the rest: readiness, status, stopping). */
#include "hype-notify-glib.h"

#include "hype-notify.h"

static GSource *watchdog_source;

static gboolean on_watchdog(gpointer data) {
    notify_watchdog();
    return G_SOURCE_CONTINUE;
}

int notify_gwatchdog_start(GMainContext *ctx) {
    uint64_t usec;
    int r = notify_watchdog_interval(&usec);
    if (r <= 0)
        return r;
    notify_gwatchdog_stop();
    guint ms = usec / 1000 > 0 ? (guint)(usec / 1000) : 1;
    watchdog_source = g_timeout_source_new(ms);
    g_source_set_name(watchdog_source, "hype-watchdog");
    g_source_set_callback(watchdog_source, on_watchdog, NULL, NULL);
    g_source_attach(watchdog_source, ctx);
    notify_watchdog();
    return 1;
}

void notify_gwatchdog_stop(void) {
    if (watchdog_source) {
        g_source_destroy(watchdog_source);
        g_source_unref(watchdog_source);
        watchdog_source = NULL;
    }
}
