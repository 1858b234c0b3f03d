/* signal-ipc: hype-signal's end of signal.sock: accepts hype-api, receives its events, and
 * relays API calls for clients to it. */
#include "signal-ipc.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "hype-ipc-event.h"
#include "hype-log.h"

#define PEERS_MAX 8
/* Relayed calls are refused (503, try again) while this much waits unsent for hype-api: a burst
 * of large client requests must not fill the link to its limit, which would drop it (and every
 * call in flight) for everyone. Half the peer's default limit. */
#define API_OUTPUT_BUSY (8u << 20)

struct SignalIpc {
    struct event_base *base;
    char *path;
    struct evconnlistener *listener;
    IpcPeer *peers[PEERS_MAX];
    IpcPeer *api; /* the hype-api peer calls go to (the latest to say Hello) */
    ipc_event_cb on_event;
    void (*on_api_ready)(void *userdata);
    void *userdata;
    struct event *deferred; /* failures answered from the loop, not from the caller's stack */
    struct PendingFailure *failures;
    SignalIpcStats stats;
};

typedef struct PendingFailure {
    struct PendingFailure *next;
    api_result_cb cb;
    void *userdata;
} PendingFailure;

typedef struct CallCtx {
    SignalIpc *ipc;
    api_result_cb cb;
    void *userdata;
} CallCtx;

static const char unavailable[] = "{\"success\":false,\"error\":\"API temporarily unavailable\"}";

static int on_message(IpcPeer *peer, const Hype__Envelope *env, void *userdata) {
    SignalIpc *ipc = userdata;
    if (env->body_case != HYPE__ENVELOPE__BODY_EVENT)
        return -EOPNOTSUPP;
    ipc->stats.events++;
    ipc->on_event(env->event, ipc->userdata);
    return 0;
}

static void on_hello(IpcPeer *peer, const Hype__Hello *hello, void *userdata) {
    SignalIpc *ipc = userdata;
    if (hello->role == HYPE__ROLE__ROLE_API) {
        ipc->api = peer;
        log_info("hype-api (pid %u) connected on %s", hello->pid, ipc->path);
        if (ipc->on_api_ready)
            ipc->on_api_ready(ipc->userdata);
    }
}

static void on_close(IpcPeer *peer, int error, void *userdata) {
    SignalIpc *ipc = userdata;
    if (ipc->api == peer) {
        ipc->api = NULL;
        log_warning("hype-api disconnected from %s", ipc->path);
    }
    for (size_t i = 0; i < PEERS_MAX; i++)
        if (ipc->peers[i] == peer)
            ipc->peers[i] = NULL;
    ipc_peer_free(peer);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len,
                      void *userdata) {
    SignalIpc *ipc = userdata;
    size_t slot = 0;
    while (slot < PEERS_MAX && ipc->peers[slot])
        slot++;
    if (slot == PEERS_MAX) {
        log_warning("refusing an IPC connection on %s: %d peers already", ipc->path, PEERS_MAX);
        close(fd);
        return;
    }
    static const IpcPeerCallbacks cbs = {on_message, on_hello, on_close};
    IpcPeerOptions opts = {.role = HYPE__ROLE__ROLE_SIGNAL, .instance = "signal"};
    if (ipc_peer_new(ipc->base, fd, &opts, &cbs, ipc, &ipc->peers[slot]) < 0)
        log_warning("cannot set up an IPC connection on %s", ipc->path);
}

static void on_deferred(evutil_socket_t fd, short what, void *userdata) {
    SignalIpc *ipc = userdata;
    PendingFailure *list = ipc->failures;
    ipc->failures = NULL;
    while (list) {
        PendingFailure *f = list;
        list = f->next;
        f->cb(503, unavailable, f->userdata);
        free(f);
    }
}

int signal_ipc_new(struct event_base *base, const char *path, ipc_event_cb on_event,
                   void (*on_api_ready)(void *userdata), void *userdata, SignalIpc **ret) {
    SignalIpc *ipc = calloc(1, sizeof(*ipc));
    if (!ipc)
        return -ENOMEM;
    ipc->base = base;
    ipc->path = strdup(path);
    ipc->on_event = on_event;
    ipc->on_api_ready = on_api_ready;
    ipc->userdata = userdata;
    ipc->deferred = event_new(base, -1, 0, on_deferred, ipc);
    if (!ipc->path || !ipc->deferred) {
        signal_ipc_free(ipc);
        return -ENOMEM;
    }
    *ret = ipc;
    return 0;
}

int signal_ipc_listen(SignalIpc *ipc) {
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    if (strlen(ipc->path) >= sizeof(sun.sun_path))
        return -ENAMETOOLONG;
    strcpy(sun.sun_path, ipc->path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    /* A socket file left by a previous run (crash, SIGKILL) would make bind fail. */
    unlink(ipc->path);
    mode_t old = umask(0117);
    int r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
    umask(old);
    if (r < 0 || listen(fd, 16) < 0) {
        r = -errno;
        close(fd);
        return r;
    }
    ipc->listener = evconnlistener_new(ipc->base, on_accept, ipc,
                                       LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
    if (!ipc->listener) {
        close(fd);
        return -ENOMEM;
    }
    return 0;
}

SignalIpc *signal_ipc_free(SignalIpc *ipc) {
    if (!ipc)
        return NULL;
    if (ipc->listener) {
        evconnlistener_free(ipc->listener);
        unlink(ipc->path);
    }
    for (size_t i = 0; i < PEERS_MAX; i++)
        ipc_peer_free(ipc->peers[i]);
    while (ipc->failures) {
        PendingFailure *f = ipc->failures;
        ipc->failures = f->next;
        free(f);
    }
    if (ipc->deferred)
        event_free(ipc->deferred);
    free(ipc->path);
    free(ipc);
    return NULL;
}

bool signal_ipc_api_connected(const SignalIpc *ipc) {
    return ipc->api && ipc_peer_is_ready(ipc->api);
}

static void on_reply(IpcPeer *peer, const Hype__Envelope *reply, int error, void *userdata) {
    CallCtx *ctx = userdata;
    if (reply && reply->body_case == HYPE__ENVELOPE__BODY_API_RESULT)
        ctx->cb(reply->api_result->status, reply->api_result->body, ctx->userdata);
    else {
        ctx->ipc->stats.calls_failed++;
        ctx->cb(503, unavailable, ctx->userdata);
    }
    free(ctx);
}

static void fail_later(SignalIpc *ipc, api_result_cb cb, void *userdata) {
    PendingFailure *f = malloc(sizeof(*f));
    if (!f) {
        cb(503, unavailable, userdata); /* cannot defer: the caller copes with a direct call */
        return;
    }
    ipc->stats.calls_failed++;
    *f = (PendingFailure){ipc->failures, cb, userdata};
    ipc->failures = f;
    event_active(ipc->deferred, EV_TIMEOUT, 0);
}

void signal_ipc_api_call(SignalIpc *ipc, const char *method, const char *target,
                         const char *authorization, const char *body, const char *client_address,
                         api_result_cb cb, void *userdata) {
    ipc->stats.calls++;
    CallCtx *ctx = malloc(sizeof(*ctx));
    if (!signal_ipc_api_connected(ipc) || !ctx ||
        ipc_peer_output_pending(ipc->api) > API_OUTPUT_BUSY) {
        free(ctx);
        fail_later(ipc, cb, userdata);
        return;
    }
    *ctx = (CallCtx){ipc, cb, userdata};
    Hype__ApiCall call = HYPE__API_CALL__INIT;
    call.method = (char *)method;
    call.target = (char *)target;
    call.authorization = (char *)(authorization ? authorization : "");
    call.body = (char *)(body ? body : "");
    call.client_address = (char *)(client_address ? client_address : "");
    Hype__Envelope env = HYPE__ENVELOPE__INIT;
    env.body_case = HYPE__ENVELOPE__BODY_API_CALL;
    env.api_call = &call;
    if (ipc_peer_request(ipc->api, &env, on_reply, ctx) < 0) {
        free(ctx);
        fail_later(ipc, cb, userdata);
    }
}

SignalIpcStats signal_ipc_stats(const SignalIpc *ipc) {
    return ipc->stats;
}
