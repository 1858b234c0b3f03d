/* signal-ipc: hype-signal's end of the api-signal link (signal.sock): accepts hype-api, receives
 * its events, asks it (typed requests, and client actions relayed as REST calls), and answers
 * what it asks (a table features fill). */
#include "signal-ipc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hype-ipc-error.h"
#include "hype-ipc-event.h"
#include "hype-ipc-server.h"
#include "hype-log.h"

#define PEERS_MAX 8
#define BODIES_MAX 64 /* body cases of the link's oneof are field numbers below this */
/* Requests are refused (CODE_UNAVAILABLE, try again) while this much waits unsent for hype-api.
 * Half the peer's default limit. */
#define API_OUTPUT_BUSY (8u << 20)

static const char unavailable_message[] = "API temporarily unavailable";
static const char unavailable_body[] =
    "{\"success\":false,\"error\":\"API temporarily unavailable\"}";

/* A handler of the typed API, which the server's table reaches through serve_typed. */
typedef struct Handler {
    signal_ipc_handler fn;
    void *userdata;
} Handler;

struct SignalIpc {
    IpcServer *server; /* signal.sock: accepts hype-api, serves what it asks */
    IpcPeer *api;      /* the hype-api peer requests go to (the latest to say Hello) */
    ipc_event_cb on_event;
    void (*on_api_ready)(void *userdata);
    void *userdata;
    Handler handlers[BODIES_MAX]; /* by request body */
    IpcAsker *asker;              /* our requests */
    uint64_t events;
};

/* ---- answering hype-api ---- */

static void serve_typed(void *userdata, IpcCall *call, const ProtobufCMessage *request) {
    const Handler *h = userdata;
    h->fn(h->userdata, call, ipc_api_signal(request));
}

int signal_ipc_serve(SignalIpc *ipc, Hype__ApiSignal__Envelope__BodyCase body,
                     signal_ipc_handler fn, void *userdata) {
    unsigned b = (unsigned)body;
    if (b >= BODIES_MAX)
        return -EINVAL;
    int r = ipc_server_serve(ipc->server, b, serve_typed, &ipc->handlers[b]);
    if (r == 0)
        ipc->handlers[b] = (Handler){fn, userdata};
    return r;
}

void signal_ipc_reply(SignalIpcCall *call, Hype__ApiSignal__Envelope *reply) {
    ipc_serve_reply(call, &reply->base);
}

void signal_ipc_reply_error(SignalIpcCall *call, Hype__Error__Code code, const char *message) {
    ipc_serve_reply_error(call, code, message);
}

/* One-way frames: hype-api's events. */
static void on_frame(IpcPeer *peer, const ProtobufCMessage *msg, void *userdata) {
    SignalIpc *ipc = userdata;
    const Hype__ApiSignal__Envelope *env = ipc_api_signal(msg);
    if (env->body_case != HYPE__API_SIGNAL__ENVELOPE__BODY_EVENT)
        return;
    ipc->events++;
    ipc->on_event(env->event, ipc->userdata);
}

/* ---- connections ---- */

static void on_hello(IpcPeer *peer, const Hype__Hello *hello, void *userdata) {
    SignalIpc *ipc = userdata;
    ipc->api = peer;
    log_info("hype-api (pid %u) connected on %s", hello->pid, ipc_server_path(ipc->server));
    if (ipc->on_api_ready)
        ipc->on_api_ready(ipc->userdata);
}

static void on_close(IpcPeer *peer, int error, void *userdata) {
    SignalIpc *ipc = userdata;
    if (ipc->api == peer) {
        ipc->api = NULL;
        log_warning("hype-api disconnected from %s", ipc_server_path(ipc->server));
    }
}

/* ---- asking hype-api ---- */

/* The typed callback the caller gave, called with the outcome. */
static void relay_answer(const ProtobufCMessage *result, const Hype__Error *error,
                         ipc_typed_fn typed, void *userdata) {
    ((signal_ipc_reply_cb)typed)(result ? ipc_api_signal(result) : NULL, error, userdata);
}

void signal_ipc_request(SignalIpc *ipc, Hype__ApiSignal__Envelope *request, signal_ipc_reply_cb cb,
                        void *userdata) {
    /* A hype-api that has this much unsent is refused at once: a burst of large client requests
     * must not fill the link to its limit, which would drop it for everyone. */
    bool busy =
        signal_ipc_api_connected(ipc) && ipc_peer_output_pending(ipc->api) > API_OUTPUT_BUSY;
    ipc_ask_typed(ipc->asker, busy ? NULL : ipc->api, &request->base, 0, relay_answer,
                  (ipc_typed_fn)cb, userdata);
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
    ipc->on_event = on_event;
    ipc->on_api_ready = on_api_ready;
    ipc->userdata = userdata;
    static const IpcServerCallbacks cbs = {on_hello, on_frame, on_close};
    IpcServerOptions opts = {
        .link = &ipc_link_api_signal,
        .role = HYPE__ROLE__ROLE_SIGNAL,
        .instance = "signal",
        .roles = IPC_ROLE_BIT(HYPE__ROLE__ROLE_API),
        .max_peers = PEERS_MAX,
    };
    int r = ipc_server_new(base, path, &opts, &cbs, ipc, &ipc->server);
    if (r == 0)
        r = ipc_asker_new(base, unavailable_message, &ipc->asker);
    if (r < 0) {
        signal_ipc_free(ipc);
        return r;
    }
    *ret = ipc;
    return 0;
}

int signal_ipc_listen(SignalIpc *ipc) {
    return ipc_server_listen(ipc->server);
}

SignalIpc *signal_ipc_free(SignalIpc *ipc) {
    if (!ipc)
        return NULL;
    ipc->server = ipc_server_free(ipc->server);
    ipc_asker_free(ipc->asker); /* what the peers were asked, without callbacks */
    free(ipc);
    return NULL;
}

bool signal_ipc_api_connected(const SignalIpc *ipc) {
    return ipc->api && ipc_peer_is_ready(ipc->api);
}

SignalIpcStats signal_ipc_stats(const SignalIpc *ipc) {
    SignalIpcStats st = {.events = ipc->events, .served = ipc_server_served(ipc->server)};
    IpcAskerStats asked = ipc_asker_stats(ipc->asker);
    st.calls = asked.asked;
    st.calls_failed = asked.unanswered;
    return st;
}
