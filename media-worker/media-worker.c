/* media-worker: the hype-media manager: makes the worker's parts (its link to hype-signal, and
 * what hangs on it), runs the GLib main loop, tells systemd, and stops on SIGTERM or SIGINT. */
#include "media-worker.h"

#include <errno.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "hype-log.h"
#include "hype-notify-glib.h"
#include "hype-notify.h"
#include "media-dtls.h"
#include "media-link.h"
#include "media-router.h"

#define SHUTDOWN_GRACE_MS 2000 /* for the link to send what stopping queued */
#define DRAIN_POLL_MS 20

struct MediaWorker {
    const MediaConfig *cfg;
    GMainContext *ctx;
    GMainLoop *loop;
    MediaLink *link;
    /* What hype-signal places here: the certificate every transport presents (made once, at
     * start), what the transports share, and the routers. */
    MediaDtlsCert *cert;
    MediaCounters counters;
    MediaTransportEnv env;
    MediaRouters *routers;
    GSource *sig_term, *sig_int, *drain;
    bool stopping;
    gint64 stop_deadline_us;
};

/* ---- status ---- */

static void on_link_state(void *userdata, MediaLinkState state, const char *detail) {
    MediaWorker *worker = userdata;
    if (!worker->stopping)
        notify_status("worker %lld: %s", worker->cfg->worker_id, detail);
}

static void on_router_notice(void *userdata, Hype__SignalMedia__Envelope *env) {
    MediaWorker *worker = userdata;
    media_link_send(worker->link, env); /* not linked: hype-signal learns from the drop */
}

/* ---- stopping ---- */

static gboolean on_drain(gpointer userdata) {
    MediaWorker *worker = userdata;
    size_t left = media_link_output_pending(worker->link);
    if (left && g_get_monotonic_time() < worker->stop_deadline_us)
        return G_SOURCE_CONTINUE;
    if (left)
        log_warning("%zu bytes for hype-signal were not sent in time", left);
    g_main_loop_quit(worker->loop);
    return G_SOURCE_CONTINUE; /* removed with the worker */
}

static void on_signal(MediaWorker *worker, int signo) {
    if (worker->stopping) { /* a second signal: stop now */
        g_main_loop_quit(worker->loop);
        return;
    }
    worker->stopping = true;
    log_info("received %s, stopping", strsignal(signo));
    notify_stopping("worker %lld: stopping", worker->cfg->worker_id);
    media_link_stop(worker->link); /* closes what the worker holds, queues what that tells */
    worker->stop_deadline_us = g_get_monotonic_time() + SHUTDOWN_GRACE_MS * 1000;
    worker->drain = g_timeout_source_new(DRAIN_POLL_MS);
    g_source_set_callback(worker->drain, on_drain, worker, NULL);
    g_source_attach(worker->drain, worker->ctx);
}

static gboolean on_sigterm(gpointer userdata) {
    on_signal(userdata, SIGTERM);
    return G_SOURCE_CONTINUE;
}

static gboolean on_sigint(gpointer userdata) {
    on_signal(userdata, SIGINT);
    return G_SOURCE_CONTINUE;
}

static GSource *add_signal(MediaWorker *worker, int signo, GSourceFunc fn) {
    GSource *s = g_unix_signal_source_new(signo);
    g_source_set_callback(s, fn, worker, NULL);
    g_source_attach(s, worker->ctx);
    return s;
}

static void drop_source(GSource **source) {
    if (*source) {
        g_source_destroy(*source);
        g_source_unref(*source);
        *source = NULL;
    }
}

/* ---- start and run ---- */

static int make_routers(MediaWorker *worker) {
    const MediaConfig *cfg = worker->cfg;
    worker->env = (MediaTransportEnv){
        .ctx = worker->ctx,
        .bind_address = cfg->bind_address,
        .announced_ip = cfg->announced_ip,
        .min_port = cfg->slice_min,
        .max_port = cfg->slice_max,
        .cert = worker->cert,
        .connect_timeout_ms = (unsigned)cfg->connect_timeout_ms,
        .max_transports = (unsigned)cfg->max_transports,
        .counters = &worker->counters,
    };
    int r = media_routers_new(&worker->env, on_router_notice, worker, &worker->routers);
    if (r < 0)
        return r;
    media_routers_set_speaking(worker->routers, (uint8_t)cfg->speaking_threshold,
                               (unsigned)cfg->speaking_hold_ms);
    return media_routers_serve(worker->routers, worker->link);
}

int media_worker_new(const MediaConfig *cfg, MediaWorker **ret) {
    MediaWorker *worker = calloc(1, sizeof(*worker));
    if (!worker)
        return -ENOMEM;
    worker->cfg = cfg;
    worker->ctx = g_main_context_new();
    worker->loop = g_main_loop_new(worker->ctx, FALSE);
    /* The parts, in the order they are built: the link first, then what serves on it. */
    int r = media_link_new(worker->ctx, cfg, on_link_state, worker, &worker->link);
    if (r >= 0)
        r = media_dtls_cert_new(&worker->cert);
    if (r >= 0)
        r = make_routers(worker);
    if (r < 0) {
        media_worker_free(worker);
        return r;
    }
    *ret = worker;
    return 0;
}

int media_worker_run(MediaWorker *worker) {
    const MediaConfig *cfg = worker->cfg;
    signal(SIGPIPE, SIG_IGN);
    g_main_context_push_thread_default(worker->ctx);
    worker->sig_term = add_signal(worker, SIGTERM, on_sigterm);
    worker->sig_int = add_signal(worker, SIGINT, on_sigint);
    int r = notify_gwatchdog_start(worker->ctx);
    if (r < 0)
        log_warning_errno(r, "cannot arm the watchdog: %m");
    log_info("hype-media %s worker %lld of %lld: UDP ports %u-%u on %s, announced as %s, up to "
             "%lld transports",
             HYPE_VERSION, cfg->worker_id, cfg->workers, cfg->slice_min, cfg->slice_max,
             cfg->bind_address, cfg->announced_ip, cfg->max_transports);
    media_link_start(worker->link);
    notify_ready("worker %lld: %s", cfg->worker_id,
                 media_link_state(worker->link) == MEDIA_LINK_REGISTERED
                     ? "registered with hype-signal"
                     : "waiting for hype-signal");
    g_main_loop_run(worker->loop);
    g_main_context_pop_thread_default(worker->ctx);
    return EXIT_SUCCESS;
}

MediaWorker *media_worker_free(MediaWorker *worker) {
    if (!worker)
        return NULL;
    notify_gwatchdog_stop();
    drop_source(&worker->sig_term);
    drop_source(&worker->sig_int);
    drop_source(&worker->drain);
    worker->routers = media_routers_free(worker->routers);
    worker->link = media_link_free(worker->link);
    worker->cert = media_dtls_cert_free(worker->cert);
    g_main_loop_unref(worker->loop);
    g_main_context_unref(worker->ctx);
    free(worker);
    return NULL;
}
