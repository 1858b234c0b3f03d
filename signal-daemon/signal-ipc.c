/* signal-ipc: hype-signal's end of the api-signal link (signal.sock): accepts hype-api, receives
 * its events, asks it (typed requests, and client actions relayed as REST calls), and answers
 * what it asks (a table features fill). */
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

#include "hype-ipc-error.h"
#include "hype-ipc-event.h"
#include "hype-log.h"

#define PEERS_MAX 8
#define BODIES_MAX 64 /* body cases of the link's oneof are field numbers below this */
/* Requests are refused (CODE_UNAVAILABLE, try again) while this much waits unsent for hype-api.
 * Half the peer's default limit. */
#define API_OUTPUT_BUSY (8u << 20)

static const char unavailable_message[] = "API temporarily unavailable";
static const char unavailable_body[] =
    "{\"success\":false,\"error\":\"API temporarily unavailable\"}";

typedef struct Handler {
    signal_ipc_handler fn;
    void *userdata;
} Handler;

struct SignalIpc {
    struct event_base *base;
    char *path;
    struct evconnlistener *listener;
    IpcPeer *peers[PEERS_MAX];
    uint64_t serials[PEERS_MAX]; /* of the peer in each slot: a reply finds its own peer */
    uint64_t next_serial;
    IpcPeer *api; /* the hype-api peer requests go to (the latest to say Hello) */
    ipc_event_cb on_event;
    void (*on_api_ready)(void *userdata);
    void *userdata;
    Handler handlers[BODIES_MAX]; /* by request body */
    IpcAsker *asker;              /* our requests */
    SignalIpcStats stats;
};

/* ---- answering hype-api ---- */

struct SignalIpcCall {
    SignalIpc *ipc;
    size_t slot;
    uint64_t serial;
    uint64_t request_id;
};

int signal_ipc_serve(SignalIpc *ipc, Hype__ApiSignal__Envelope__BodyCase body,
                     signal_ipc_handler fn, void *userdata) {
    unsigned b = (unsigned)body;
    if (b >= BODIES_MAX || !ipc_link_result_of(&ipc_link_api_signal, b))
        return -EINVAL;
    if (ipc->handlers[b].fn)
        return -EEXIST;
    ipc->handlers[b] = (Handler){fn, userdata};
    return 0;
}

static IpcPeer *call_peer(const SignalIpcCall *call) {
    const SignalIpc *ipc = call->ipc;
    return ipc->serials[call->slot] == call->serial ? ipc->peers[call->slot] : NULL;
}

void signal_ipc_reply(SignalIpcCall *call, Hype__ApiSignal__Envelope *reply) {
    IpcPeer *peer = call_peer(call);
    if (peer)
        ipc_peer_reply(peer, call->request_id, &reply->base);
    free(call);
}

void signal_ipc_reply_error(SignalIpcCall *call, Hype__Error__Code code, const char *message) {
    IpcPeer *peer = call_peer(call);
    if (peer)
        ipc_peer_reply_error(peer, call->request_id, code, message);
    free(call);
}

static size_t slot_of(const SignalIpc *ipc, const IpcPeer *peer) {
    size_t slot = 0;
    while (slot < PEERS_MAX && ipc->peers[slot] != peer)
        slot++;
    return slot;
}

static int serve(SignalIpc *ipc, IpcPeer *peer, const Hype__ApiSignal__Envelope *env) {
    unsigned b = (unsigned)env->body_case;
    const Handler *h = b < BODIES_MAX ? &ipc->handlers[b] : NULL;
    size_t slot = slot_of(ipc, peer);
    if (!h || !h->fn || slot == PEERS_MAX)
        return -EOPNOTSUPP;
    SignalIpcCall *call = malloc(sizeof(*call));
    if (!call) {
        ipc_peer_reply_error(peer, env->id, HYPE__ERROR__CODE__CODE_UNAVAILABLE, "out of memory");
        return 0;
    }
    *call = (SignalIpcCall){ipc, slot, ipc->serials[slot], env->id};
    ipc->stats.served++;
    h->fn(h->userdata, call, env);
    return 0;
}

static int on_message(IpcPeer *peer, const ProtobufCMessage *msg, void *userdata) {
    SignalIpc *ipc = userdata;
    const Hype__ApiSignal__Envelope *env = ipc_api_signal(msg);
    if (env->id)
        return serve(ipc, peer, env);
    if (env->body_case != HYPE__API_SIGNAL__ENVELOPE__BODY_EVENT)
        return -EOPNOTSUPP;
    ipc->stats.events++;
    ipc->on_event(env->event, ipc->userdata);
    return 0;
}

/* ---- connections ---- */

static void on_hello(IpcPeer *peer, const Hype__Hello *hello, void *userdata) {
    SignalIpc *ipc = userdata;
    ipc->api = peer;
    log_info("hype-api (pid %u) connected on %s", hello->pid, ipc->path);
    if (ipc->on_api_ready)
        ipc->on_api_ready(ipc->userdata);
}

static void on_close(IpcPeer *peer, int error, void *userdata) {
    SignalIpc *ipc = userdata;
    if (ipc->api == peer) {
        ipc->api = NULL;
        log_warning("hype-api disconnected from %s", ipc->path);
    }
    size_t slot = slot_of(ipc, peer);
    if (slot < PEERS_MAX) {
        ipc->peers[slot] = NULL;
        ipc->serials[slot] = 0;
    }
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
    IpcPeerOptions opts = {
        .link = &ipc_link_api_signal,
        .role = HYPE__ROLE__ROLE_SIGNAL,
        .instance = "signal",
    };
    int r = ipc_peer_new(ipc->base, fd, &opts, &cbs, ipc, &ipc->peers[slot]);
    if (r == 0)
        r = ipc_peer_expect_roles(ipc->peers[slot], IPC_ROLE_BIT(HYPE__ROLE__ROLE_API));
    if (r < 0) {
        log_warning("cannot set up an IPC connection on %s", ipc->path);
        ipc->peers[slot] = ipc_peer_free(ipc->peers[slot]);
        return;
    }
    ipc->serials[slot] = ++ipc->next_serial;
}

/* ---- asking hype-api ---- */

typedef struct Asking {
    signal_ipc_reply_cb cb;
    void *userdata;
} Asking;

static void on_answer(const ProtobufCMessage *result, const Hype__Error *error, void *userdata) {
    Asking *a = userdata;
    if (a->cb && (result || error)) /* else dropped: hype-signal is stopping */
        a->cb(result ? ipc_api_signal(result) : NULL, error, a->userdata);
    free(a);
}

void signal_ipc_request(SignalIpc *ipc, Hype__ApiSignal__Envelope *request, signal_ipc_reply_cb cb,
                        void *userdata) {
    Asking *a = malloc(sizeof(*a));
    if (!a) {
        Hype__Error oom = HYPE__ERROR__INIT;
        oom.code = HYPE__ERROR__CODE__CODE_UNAVAILABLE;
        oom.message = "Out of memory";
        if (cb)
            cb(NULL, &oom, userdata); /* cannot defer: the caller copes with a direct call */
        return;
    }
    *a = (Asking){cb, userdata};
    /* A hype-api that has this much unsent is refused at once: a burst of large client requests
     * must not fill the link to its limit, which would drop it for everyone. */
    bool busy =
        signal_ipc_api_connected(ipc) && ipc_peer_output_pending(ipc->api) > API_OUTPUT_BUSY;
    ipc_ask(ipc->asker, busy ? NULL : ipc->api, &request->base, 0, on_answer, a);
}

/* ---- client actions relayed to the REST API ---- */

typedef struct Relay {
    api_result_cb cb;
    void *userdata;
} Relay;

/* The boundary where an HTTP status becomes a code. */
static void on_relayed(const Hype__ApiSignal__Envelope *result, const Hype__Error *error,
                       void *userdata) {
    Relay *relay = userdata;
    if (result)
        relay->cb(ipc_error_from_http_status(result->api_call_result->status),
                  result->api_call_result->body, relay->userdata);
    else /* whatever hype-api could not do, the client hears "try again" as before */
        relay->cb(error->code == HYPE__ERROR__CODE__CODE_TIMEOUT
                      ? HYPE__ERROR__CODE__CODE_TIMEOUT
                      : HYPE__ERROR__CODE__CODE_UNAVAILABLE,
                  unavailable_body, relay->userdata);
    free(relay);
}

void signal_ipc_api_call(SignalIpc *ipc, const char *method, const char *target,
                         const char *authorization, const char *body, const char *client_address,
                         api_result_cb cb, void *userdata) {
    Relay *relay = malloc(sizeof(*relay));
    if (!relay) {
        cb(HYPE__ERROR__CODE__CODE_UNAVAILABLE, unavailable_body, userdata);
        return;
    }
    *relay = (Relay){cb, userdata};
    Hype__ApiSignal__ApiCall call = HYPE__API_SIGNAL__API_CALL__INIT;
    call.method = (char *)method;
    call.target = (char *)target;
    call.authorization = (char *)(authorization ? authorization : "");
    call.body = (char *)(body ? body : "");
    call.client_address = (char *)(client_address ? client_address : "");
    Hype__ApiSignal__Envelope env = HYPE__API_SIGNAL__ENVELOPE__INIT;
    env.body_case = HYPE__API_SIGNAL__ENVELOPE__BODY_API_CALL;
    env.api_call = &call;
    signal_ipc_request(ipc, &env, on_relayed, relay);
}

/* ---- lifecycle ---- */

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
    int r = ipc->path ? ipc_asker_new(base, unavailable_message, &ipc->asker) : -ENOMEM;
    if (r < 0) {
        signal_ipc_free(ipc);
        return r;
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
    ipc_asker_free(ipc->asker); /* what the peers were asked, without callbacks */
    free(ipc->path);
    free(ipc);
    return NULL;
}

bool signal_ipc_api_connected(const SignalIpc *ipc) {
    return ipc->api && ipc_peer_is_ready(ipc->api);
}

SignalIpcStats signal_ipc_stats(const SignalIpc *ipc) {
    SignalIpcStats st = ipc->stats;
    IpcAskerStats asked = ipc_asker_stats(ipc->asker);
    st.calls = asked.asked;
    st.calls_failed = asked.unanswered;
    return st;
}
