/* loop-wait-glib: loop-wait.h for tests on GLib's main loop: runs it until a counter reaches a
 * target (5 s at most: a failure, not a measure), with a libevent base (the other end of a link,
 * or NULL) pumped every millisecond. */
#pragma once

#include <event2/event.h>
#include <glib.h>
#include <stdbool.h>

typedef struct LoopWaitGlib {
    GMainLoop *loop;
    struct event_base *base;
    int *counter, target;
} LoopWaitGlib;

static inline gboolean loop_wait_glib_pump(gpointer data) {
    LoopWaitGlib *w = data;
    if (w->base)
        event_base_loop(w->base, EVLOOP_NONBLOCK);
    if (*w->counter >= w->target)
        g_main_loop_quit(w->loop);
    return G_SOURCE_CONTINUE;
}

static inline gboolean loop_wait_glib_give_up(gpointer data) {
    g_main_loop_quit(((LoopWaitGlib *)data)->loop);
    return G_SOURCE_CONTINUE;
}

/* Runs loop (on ctx) until *counter reaches target; whether it did. */
static inline bool loop_wait_glib(GMainContext *ctx, GMainLoop *loop, struct event_base *base,
                                  int *counter, int target) {
    LoopWaitGlib w = {loop, base, counter, target};
    GSource *pump = g_timeout_source_new(1), *limit = g_timeout_source_new(5000);
    g_source_set_callback(pump, loop_wait_glib_pump, &w, NULL);
    g_source_set_callback(limit, loop_wait_glib_give_up, &w, NULL);
    g_source_attach(pump, ctx);
    g_source_attach(limit, ctx);
    if (*counter < target)
        g_main_loop_run(loop);
    g_source_destroy(pump);
    g_source_unref(pump);
    g_source_destroy(limit);
    g_source_unref(limit);
    return *counter >= target;
}
