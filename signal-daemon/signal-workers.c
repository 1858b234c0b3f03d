/* signal-workers: hype-signal's registry of media workers (media.sock): accepts hype-media
 * processes, serves their WorkerRegister, keeps each one's port slice, capacity and last load,
 * notices those that go, places work on the least loaded, and asks a given worker. */
#include "signal-workers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hype-ipc-event.h"
#include "hype-ipc-server.h"
#include "hype-log.h"
#include "hype-macro.h"

/* Workers linked at once, registered or not: far more than CPUs. */
#define PEERS_MAX 1024
#define GONE_MAX 8
#define NOTICES_MAX 64 /* body cases of the link's oneof are field numbers below this */
#define BODY(x) HYPE__SIGNAL_MEDIA__ENVELOPE__BODY_##x

typedef struct Worker {
    WorkerInfo info; /* first: what callers see is the worker */
    struct Worker *next;
    IpcPeer *peer;
} Worker;

typedef struct GoneHook {
    workers_gone_cb fn;
    void *userdata;
} GoneHook;

typedef struct NoticeHook {
    workers_notice_cb fn;
    void *userdata;
} NoticeHook;

struct Workers {
    IpcServer *server;
    Worker *list; /* registered and linked, by id */
    size_t count;
    GoneHook gone[GONE_MAX];
    size_t n_gone;
    NoticeHook notices[NOTICES_MAX]; /* by body */
    IpcAsker *asker;
    WorkersStats stats;
    uint32_t refused_pid; /* the last refused: its retries are logged at debug level */
};

static Worker *by_peer(const Workers *workers, const IpcPeer *peer) {
    for (Worker *w = workers->list; w; w = w->next)
        if (w->peer == peer)
            return w;
    return NULL;
}

const WorkerInfo *workers_find(const Workers *workers, uint32_t id) {
    for (Worker *w = workers->list; w; w = w->next)
        if (w->info.id == id)
            return &w->info;
    return NULL;
}

/* ---- registering ---- */

/* An IPv4 or IPv6 literal (it goes into clients' candidates and /metrics labels as it is). */
static bool ip_literal(const char *s) {
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static int check_register(const Workers *workers, IpcPeer *peer,
                          const Hype__SignalMedia__WorkerRegister *q, char *why, size_t size) {
    if (q->worker_id == 0 || q->min_port == 0 || q->min_port > q->max_port || q->max_port > 65535 ||
        strlen(q->announced_ip) >= sizeof(((WorkerInfo *)0)->announced_ip) ||
        !ip_literal(q->announced_ip)) {
        snprintf(why, size, "invalid registration (worker %u, ports %u-%u, address \"%.64s\")",
                 q->worker_id, q->min_port, q->max_port, q->announced_ip);
        return HYPE__ERROR__CODE__CODE_BAD_REQUEST;
    }
    const Worker *self = by_peer(workers, peer);
    if (self) {
        snprintf(why, size, "this link is registered already, as worker %u", self->info.id);
        return HYPE__ERROR__CODE__CODE_CONFLICT;
    }
    for (const Worker *w = workers->list; w; w = w->next) {
        if (w->info.id == q->worker_id) {
            snprintf(why, size, "worker %u is linked already (pid %u)", w->info.id, w->info.pid);
            return HYPE__ERROR__CODE__CODE_CONFLICT;
        }
        if (q->min_port <= w->info.max_port && w->info.min_port <= q->max_port) {
            snprintf(why, size, "ports %u-%u overlap those of worker %u (%u-%u)", q->min_port,
                     q->max_port, w->info.id, w->info.min_port, w->info.max_port);
            return HYPE__ERROR__CODE__CODE_CONFLICT;
        }
    }
    return 0;
}

static void serve_register(void *userdata, IpcCall *call, const ProtobufCMessage *msg) {
    Workers *workers = userdata;
    const Hype__SignalMedia__WorkerRegister *q = ipc_signal_media(msg)->worker_register;
    IpcPeer *peer = ipc_serve_call_peer(call);
    const Hype__Hello *hello = ipc_peer_hello(peer);
    char why[200];
    int code = check_register(workers, peer, q, why, sizeof(why));
    Worker *w = code ? NULL : calloc(1, sizeof(*w));
    if (!code && !w) {
        code = HYPE__ERROR__CODE__CODE_UNAVAILABLE;
        snprintf(why, sizeof(why), "out of memory");
    }
    if (code) {
        workers->stats.refused++;
        /* A refused worker retries every few seconds: say it once, not every time. */
        log_full_errno(hello->pid == workers->refused_pid ? LOG_DEBUG : LOG_WARNING, 0,
                       "refused media worker %u (pid %u): %s", q->worker_id, hello->pid, why);
        workers->refused_pid = hello->pid;
        ipc_serve_reply_error(call, code, why);
        return;
    }
    w->peer = peer;
    w->info = (WorkerInfo){
        .id = q->worker_id,
        .pid = hello->pid,
        .min_port = q->min_port,
        .max_port = q->max_port,
        .max_transports = q->max_transports,
    };
    snprintf(w->info.announced_ip, sizeof(w->info.announced_ip), "%s", q->announced_ip);
    hype__signal_media__worker_load__init(&w->info.load);
    Worker **at = &workers->list;
    while (*at && (*at)->info.id < w->info.id)
        at = &(*at)->next;
    w->next = *at;
    *at = w;
    workers->count++;
    workers->stats.registered++;
    log_info("media worker %u (pid %u) registered: UDP ports %u-%u on %s, up to %u transports",
             w->info.id, w->info.pid, w->info.min_port, w->info.max_port, w->info.announced_ip,
             w->info.max_transports);
    Hype__SignalMedia__WorkerRegisterResult res = HYPE__SIGNAL_MEDIA__WORKER_REGISTER_RESULT__INIT;
    Hype__SignalMedia__Envelope env = HYPE__SIGNAL_MEDIA__ENVELOPE__INIT;
    env.body_case = BODY(WORKER_REGISTER_RESULT);
    env.worker_register_result = &res;
    ipc_serve_reply(call, &env.base);
}

/* ---- what workers tell ---- */

static void on_frame(IpcPeer *peer, const ProtobufCMessage *msg, void *userdata) {
    Workers *workers = userdata;
    const Hype__SignalMedia__Envelope *env = ipc_signal_media(msg);
    Worker *w = by_peer(workers, peer);
    if (!w) /* not registered (yet): it has nothing to tell */
        return;
    if (env->body_case == BODY(WORKER_LOAD)) {
        w->info.load = *env->worker_load;
        w->info.load.base.n_unknown_fields = 0;
        w->info.load.base.unknown_fields = NULL;
        w->info.loads++;
        return;
    }
    unsigned b = (unsigned)env->body_case;
    const NoticeHook *h = b < NOTICES_MAX ? &workers->notices[b] : NULL;
    if (h && h->fn)
        h->fn(h->userdata, &w->info, env);
}

int workers_on_notice(Workers *workers, Hype__SignalMedia__Envelope__BodyCase body,
                      workers_notice_cb fn, void *userdata) {
    unsigned b = (unsigned)body;
    if (b >= NOTICES_MAX || b <= IPC_BODY_ERROR || body == BODY(WORKER_LOAD) ||
        ipc_link_result_of(&ipc_link_signal_media, b))
        return -EINVAL;
    for (size_t i = 0; i < ipc_link_signal_media.n_pairs; i++)
        if (ipc_link_signal_media.pairs[i].result == b)
            return -EINVAL;
    if (workers->notices[b].fn)
        return -EEXIST;
    workers->notices[b] = (NoticeHook){fn, userdata};
    return 0;
}

/* ---- workers that go ---- */

int workers_on_gone(Workers *workers, workers_gone_cb fn, void *userdata) {
    if (workers->n_gone == GONE_MAX)
        return -ENOSPC;
    workers->gone[workers->n_gone++] = (GoneHook){fn, userdata};
    return 0;
}

static void on_close(IpcPeer *peer, int error, void *userdata) {
    Workers *workers = userdata;
    Worker **at = &workers->list;
    while (*at && (*at)->peer != peer)
        at = &(*at)->next;
    Worker *w = *at;
    if (!w) {
        log_debug("a media worker's link closed before it registered");
        return;
    }
    *at = w->next; /* no longer pickable, before anyone hears of it */
    workers->count--;
    workers->stats.gone++;
    if (error)
        log_warning_errno(error, "media worker %u (pid %u) went away: %m", w->info.id, w->info.pid);
    else
        log_warning("media worker %u (pid %u) went away (closed its link)", w->info.id,
                    w->info.pid);
    for (size_t i = 0; i < workers->n_gone; i++)
        workers->gone[i].fn(workers->gone[i].userdata, &w->info);
    free(w);
}

static void on_hello(IpcPeer *peer, const Hype__Hello *hello, void *userdata) {
    log_debug("%s (pid %u) linked on media.sock", hello->instance, hello->pid);
}

/* ---- placing ---- */

bool workers_less_loaded(const WorkerInfo *a, const WorkerInfo *b) {
    /* a.transports / a.max < b.transports / b.max, without division (and no room at all: the
     * most loaded there is). */
    uint64_t la = (uint64_t)a->load.transports * (b->max_transports ? b->max_transports : 1);
    uint64_t lb = (uint64_t)b->load.transports * (a->max_transports ? a->max_transports : 1);
    if (!a->max_transports != !b->max_transports)
        return a->max_transports != 0;
    if (la != lb)
        return la < lb;
    return a->id < b->id;
}

const WorkerInfo *workers_pick(const Workers *workers) {
    const WorkerInfo *best = NULL;
    for (const Worker *w = workers->list; w; w = w->next) {
        if (w->info.load.transports >= w->info.max_transports)
            continue; /* full */
        if (!best || workers_less_loaded(&w->info, best))
            best = &w->info;
    }
    return best;
}

/* ---- asking a worker ---- */

/* The typed callback the caller gave, called with the outcome. */
static void relay_answer(const ProtobufCMessage *result, const Hype__Error *error,
                         ipc_typed_fn typed, void *userdata) {
    ((workers_reply_cb)typed)(result ? ipc_signal_media(result) : NULL, error, userdata);
}

void workers_request(Workers *workers, uint32_t worker_id, Hype__SignalMedia__Envelope *request,
                     workers_reply_cb cb, void *userdata) {
    const WorkerInfo *info = workers_find(workers, worker_id);
    ipc_ask_typed(workers->asker, info ? ((const Worker *)info)->peer : NULL, &request->base, 0,
                  relay_answer, (ipc_typed_fn)cb, userdata);
}

/* ---- lifecycle ---- */

int workers_new(struct event_base *base, const char *path, Workers **ret) {
    Workers *workers = calloc(1, sizeof(*workers));
    if (!workers)
        return -ENOMEM;
    static const IpcServerCallbacks cbs = {on_hello, on_frame, on_close};
    IpcServerOptions opts = {
        .link = &ipc_link_signal_media,
        .role = HYPE__ROLE__ROLE_SIGNAL,
        .instance = "signal",
        .roles = IPC_ROLE_BIT(HYPE__ROLE__ROLE_MEDIA),
        .max_peers = PEERS_MAX,
    };
    int r = ipc_server_new(base, path, &opts, &cbs, workers, &workers->server);
    if (r == 0)
        r = ipc_server_serve(workers->server, BODY(WORKER_REGISTER), serve_register, workers);
    if (r == 0)
        r = ipc_asker_new(base, "media worker unavailable", &workers->asker);
    if (r < 0) {
        workers_free(workers);
        return r;
    }
    *ret = workers;
    return 0;
}

int workers_listen(Workers *workers) {
    return ipc_server_listen(workers->server);
}

Workers *workers_free(Workers *workers) {
    if (!workers)
        return NULL;
    workers->server = ipc_server_free(workers->server); /* every peer, without on_close */
    while (workers->list) {
        Worker *w = workers->list;
        workers->list = w->next;
        free(w);
    }
    ipc_asker_free(workers->asker);
    free(workers);
    return NULL;
}

size_t workers_count(const Workers *workers) {
    return workers->count;
}

const WorkerInfo *workers_first(const Workers *workers) {
    return workers->list ? &workers->list->info : NULL;
}

const WorkerInfo *workers_next(const Workers *workers, const WorkerInfo *worker) {
    const Worker *w = (const Worker *)worker; /* info is its first member */
    return w->next ? &w->next->info : NULL;
}

WorkersStats workers_stats(const Workers *workers) {
    WorkersStats st = workers->stats;
    IpcAskerStats asked = ipc_asker_stats(workers->asker);
    st.requests = asked.asked;
    st.requests_failed = asked.unanswered;
    return st;
}
