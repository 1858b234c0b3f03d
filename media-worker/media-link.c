/* media-link: hype-media's link to hype-signal (media.sock) on the GLib loop: connects and
 * reconnects, registers the worker, serves what hype-signal asks (a table modules fill), reports
 * the worker's load, and tells the modules when hype-signal is gone. */
#include "media-link.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hype-ipc-glib.h"
#include "hype-log.h"

#define RETRY_MIN_MS 100
#define RETRY_MAX_MS 2000
#define LOAD_INTERVAL_MS 2000
#define HOOKS_MAX 8
#define BODY(x) HYPE__SIGNAL_MEDIA__ENVELOPE__BODY_##x

typedef struct DropHook {
    media_link_drop_cb fn;
    void *userdata;
} DropHook;

typedef struct LoadHook {
    media_link_load_cb fn;
    void *userdata;
} LoadHook;

struct MediaLink {
    GMainContext *ctx;
    const MediaConfig *cfg;
    char instance[32];
    media_link_state_cb on_state;
    void *userdata;
    MediaLinkState state;
    char detail[200];    /* what on_state last heard */
    IpcPeer *peer;       /* connected (registering or registered), else NULL */
    IpcServe *serve;     /* what hype-signal may ask */
    GSource *retry;      /* the next attempt, while waiting */
    GSource *load_timer; /* while registered */
    guint delay_ms;      /* before the next attempt */
    int quiet;           /* the kind of failure being retried, logged already (Failure) */
    DropHook drop[HOOKS_MAX];
    size_t n_drop;
    LoadHook load[HOOKS_MAX];
    size_t n_load;
};

/* Kinds of failure to link, each logged once while it repeats. */
typedef enum Failure {
    FAILURE_NONE,
    FAILURE_CONNECT, /* hype-signal absent */
    FAILURE_REFUSED, /* registration refused or unanswered */
    FAILURE_CLOSED,  /* the link closed before registering */
} Failure;

static void connect_now(MediaLink *link);

/* Tells on_state of a change (not of the same failure again at each retry). */
static void set_state(MediaLink *link, MediaLinkState state, const char *detail) {
    if (link->state == state && strcmp(link->detail, detail) == 0)
        return;
    link->state = state;
    snprintf(link->detail, sizeof(link->detail), "%s", detail);
    if (link->on_state)
        link->on_state(link->userdata, state, detail);
}

static void drop_source(GSource **source) {
    if (*source) {
        g_source_destroy(*source);
        g_source_unref(*source);
        *source = NULL;
    }
}

static GSource *add_timeout(MediaLink *link, guint ms, GSourceFunc fn) {
    GSource *s = g_timeout_source_new(ms);
    g_source_set_callback(s, fn, link, NULL);
    g_source_attach(s, link->ctx);
    return s;
}

/* ---- waiting and retrying ---- */

static gboolean on_retry(gpointer userdata) {
    MediaLink *link = userdata;
    g_source_unref(link->retry); /* destroyed by returning G_SOURCE_REMOVE */
    link->retry = NULL;
    connect_now(link);
    return G_SOURCE_REMOVE;
}

/* No link now: try again later, each time twice as late up to RETRY_MAX_MS. */
static void retry_later(MediaLink *link, const char *detail) {
    if (link->state == MEDIA_LINK_STOPPED)
        return;
    set_state(link, MEDIA_LINK_WAITING, detail);
    drop_source(&link->retry);
    link->retry = add_timeout(link, link->delay_ms, on_retry);
    link->delay_ms = link->delay_ms * 2 < RETRY_MAX_MS ? link->delay_ms * 2 : RETRY_MAX_MS;
}

/* A failure to link: said once at level, then at debug level while the same kind repeats. */
#define log_retry(link, kind, level, ...)                                                          \
    do {                                                                                           \
        log_full_errno((link)->quiet == (kind) ? LOG_DEBUG : (level), 0, __VA_ARGS__);             \
        (link)->quiet = (kind);                                                                    \
    } while (0)

/* ---- what the worker tells ---- */

static void send_load(MediaLink *link) {
    Hype__SignalMedia__WorkerLoad load = HYPE__SIGNAL_MEDIA__WORKER_LOAD__INIT;
    for (size_t i = 0; i < link->n_load; i++)
        link->load[i].fn(link->load[i].userdata, &load);
    Hype__SignalMedia__Envelope env = HYPE__SIGNAL_MEDIA__ENVELOPE__INIT;
    env.body_case = BODY(WORKER_LOAD);
    env.worker_load = &load;
    media_link_send(link, &env);
}

static gboolean on_load_timer(gpointer userdata) {
    send_load(userdata);
    return G_SOURCE_CONTINUE;
}

int media_link_send(MediaLink *link, Hype__SignalMedia__Envelope *notice) {
    if (link->state != MEDIA_LINK_REGISTERED || !link->peer)
        return -ENOTCONN;
    return ipc_peer_send(link->peer, &notice->base);
}

/* ---- the link going ---- */

static void run_drop_hooks(MediaLink *link) {
    for (size_t i = 0; i < link->n_drop; i++)
        link->drop[i].fn(link->drop[i].userdata);
}

/* Forgets the peer (freed by the caller or already), after its replies were made harmless. */
static bool forget_peer(MediaLink *link) {
    bool was_registered = link->state == MEDIA_LINK_REGISTERED;
    drop_source(&link->load_timer);
    ipc_serve_peer_gone(link->serve, link->peer);
    link->peer = NULL;
    if (was_registered)
        run_drop_hooks(link);
    return was_registered;
}

static void on_close(IpcPeer *peer, int error, void *userdata) {
    MediaLink *link = userdata;
    bool was_registered = forget_peer(link);
    ipc_peer_free(peer);
    char detail[160];
    if (was_registered) {
        snprintf(detail, sizeof(detail), "hype-signal went away (%s); reconnecting",
                 error ? strerror(-error) : "closed the link");
        log_warning("%s", detail);
        link->quiet = FAILURE_CONNECT; /* that says it: reconnecting is quiet */
        link->delay_ms = RETRY_MIN_MS;
    } else {
        snprintf(detail, sizeof(detail), "the link to hype-signal closed (%s); retrying",
                 error ? strerror(-error) : "closed");
        log_retry(link, FAILURE_CLOSED, LOG_WARNING, "%s", detail);
    }
    retry_later(link, detail);
}

/* ---- registering ---- */

static void on_registered(IpcPeer *peer, const ProtobufCMessage *reply, int error, void *userdata) {
    MediaLink *link = userdata;
    const MediaConfig *cfg = link->cfg;
    char detail[200];
    if (error == 0) {
        snprintf(detail, sizeof(detail),
                 "registered with hype-signal as worker %lld (UDP ports %u-%u on %s, up to %lld "
                 "transports)",
                 cfg->worker_id, cfg->slice_min, cfg->slice_max, cfg->announced_ip,
                 cfg->max_transports);
        log_info("%s", detail);
        link->quiet = FAILURE_NONE;
        link->delay_ms = RETRY_MIN_MS;
        set_state(link, MEDIA_LINK_REGISTERED, detail);
        send_load(link);
        link->load_timer = add_timeout(link, LOAD_INTERVAL_MS, on_load_timer);
        return;
    }
    if (error == -ECONNRESET)
        return; /* the link went: on_close follows */
    if (error == -EREMOTEIO) {
        const Hype__Error *e = ipc_envelope_error(&ipc_link_signal_media, reply);
        snprintf(detail, sizeof(detail), "hype-signal refused worker %lld: %s; retrying",
                 cfg->worker_id, e->message);
    } else
        snprintf(detail, sizeof(detail), "registering with hype-signal failed (%s); retrying",
                 strerror(-error));
    log_retry(link, FAILURE_REFUSED, LOG_WARNING, "%s", detail);
    forget_peer(link);
    ipc_peer_free(peer);
    retry_later(link, detail);
}

static void on_hello(IpcPeer *peer, const Hype__Hello *hello, void *userdata) {
    MediaLink *link = userdata;
    const MediaConfig *cfg = link->cfg;
    Hype__SignalMedia__WorkerRegister q = HYPE__SIGNAL_MEDIA__WORKER_REGISTER__INIT;
    q.worker_id = (uint32_t)cfg->worker_id;
    q.min_port = cfg->slice_min;
    q.max_port = cfg->slice_max;
    q.max_transports = (uint32_t)cfg->max_transports;
    q.announced_ip = cfg->announced_ip;
    Hype__SignalMedia__Envelope env = HYPE__SIGNAL_MEDIA__ENVELOPE__INIT;
    env.body_case = BODY(WORKER_REGISTER);
    env.worker_register = &q;
    log_debug("linked to hype-signal (pid %u); registering", hello->pid);
    int r = ipc_peer_request(peer, &env.base, 0, on_registered, link);
    if (r < 0) /* the peer closes itself on a failed send; else the timeout ends it */
        log_debug_errno(r, "cannot send WorkerRegister: %m");
}

/* ---- what hype-signal asks ---- */

static int on_message(IpcPeer *peer, const ProtobufCMessage *env, void *userdata) {
    MediaLink *link = userdata;
    uint64_t id = ipc_envelope_id(&ipc_link_signal_media, env);
    if (!id)
        return 0; /* hype-signal sends no one-way frames */
    if (link->state == MEDIA_LINK_STOPPED) {
        ipc_peer_reply_error(peer, id, HYPE__ERROR__CODE__CODE_UNAVAILABLE, "worker stopping");
        return 0;
    }
    return ipc_serve_dispatch(link->serve, peer, env);
}

int media_link_serve(MediaLink *link, Hype__SignalMedia__Envelope__BodyCase body, ipc_handler fn,
                     void *userdata) {
    return ipc_serve_add(link->serve, (uint32_t)body, fn, userdata);
}

/* ---- connecting ---- */

static void connect_now(MediaLink *link) {
    static const IpcPeerCallbacks cbs = {on_message, on_hello, on_close};
    IpcPeerOptions opts = {
        .link = &ipc_link_signal_media,
        .role = HYPE__ROLE__ROLE_MEDIA,
        .instance = link->instance,
    };
    int r =
        ipc_gpeer_connect_unix(link->ctx, link->cfg->media_socket, &opts, &cbs, link, &link->peer);
    if (r == 0) {
        r = ipc_peer_expect_roles(link->peer, IPC_ROLE_BIT(HYPE__ROLE__ROLE_SIGNAL));
        if (r == 0)
            return; /* on_hello registers */
        link->peer = ipc_peer_free(link->peer);
    }
    char detail[200];
    snprintf(detail, sizeof(detail), "waiting for hype-signal on %s (%s)", link->cfg->media_socket,
             strerror(-r));
    log_retry(link, FAILURE_CONNECT, LOG_INFO, "%s", detail);
    retry_later(link, detail);
}

void media_link_start(MediaLink *link) {
    if (link->state == MEDIA_LINK_WAITING && !link->peer && !link->retry)
        connect_now(link);
}

void media_link_stop(MediaLink *link) {
    if (link->state == MEDIA_LINK_STOPPED)
        return;
    drop_source(&link->retry);
    drop_source(&link->load_timer);
    /* Still registered while the hooks run: what closing tells hype-signal can be sent. */
    if (link->state == MEDIA_LINK_REGISTERED)
        run_drop_hooks(link);
    set_state(link, MEDIA_LINK_STOPPED, "stopping");
}

/* ---- lifecycle ---- */

int media_link_new(GMainContext *ctx, const MediaConfig *cfg, media_link_state_cb on_state,
                   void *userdata, MediaLink **ret) {
    MediaLink *link = calloc(1, sizeof(*link));
    if (!link)
        return -ENOMEM;
    link->ctx = ctx;
    link->cfg = cfg;
    link->on_state = on_state;
    link->userdata = userdata;
    link->state = MEDIA_LINK_WAITING;
    link->delay_ms = RETRY_MIN_MS;
    snprintf(link->instance, sizeof(link->instance), "media-%lld", cfg->worker_id);
    int r = ipc_serve_new(&ipc_link_signal_media, &link->serve);
    if (r < 0) {
        free(link);
        return r;
    }
    *ret = link;
    return 0;
}

MediaLink *media_link_free(MediaLink *link) {
    if (!link)
        return NULL;
    drop_source(&link->retry);
    drop_source(&link->load_timer);
    ipc_peer_free(link->peer);
    ipc_serve_free(link->serve);
    free(link);
    return NULL;
}

MediaLinkState media_link_state(const MediaLink *link) {
    return link->state;
}

size_t media_link_output_pending(const MediaLink *link) {
    return link->peer ? ipc_peer_output_pending(link->peer) : 0;
}

int media_link_on_drop(MediaLink *link, media_link_drop_cb fn, void *userdata) {
    if (link->n_drop == HOOKS_MAX)
        return -ENOSPC;
    link->drop[link->n_drop++] = (DropHook){fn, userdata};
    return 0;
}

int media_link_on_load(MediaLink *link, media_link_load_cb fn, void *userdata) {
    if (link->n_load == HOOKS_MAX)
        return -ENOSPC;
    link->load[link->n_load++] = (LoadHook){fn, userdata};
    return 0;
}
