/* api-signal: hype-api's end of the api-signal link (signal.sock): connects to hype-signal and
 * keeps reconnecting, serves what hype-signal asks, asks hype-signal, and carries events. */
#include "api-signal.h"

#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "api-router.h"
#include "api-server.h"
#include "hype-ipc-error.h"
#include "hype-ipc-event.h"
#include "hype-log.h"
#include "hype-macro.h"
#include "hype-time.h"

#define RETRY_MIN_MS 100
#define RETRY_MAX_MS 2000
#define BODIES_MAX 64 /* body cases of the link's oneof are field numbers below this */

struct ApiSignal {
    Api *api;
    char *path;
    IpcPeer *peer;
    uint64_t generation; /* bumped per connection: replies to a gone peer are dropped */
    struct event *retry;
    uint32_t retry_ms;
    bool warned; /* "hype-signal unreachable" is said once per outage */
    ApiSignalStats stats;
    api_signal_handler handlers[BODIES_MAX]; /* by request body: every module's */
    IpcAsker *asker;                         /* our requests */
};

static void schedule_retry(ApiSignal *link);

/* ---- serving hype-signal ---- */

struct ApiSignalCall {
    ApiSignal *link;
    uint64_t generation;
    uint64_t request_id;
    Arena *arena;
};

Arena *api_signal_call_arena(ApiSignalCall *call) {
    return call->arena;
}

Api *api_signal_call_api(const ApiSignalCall *call) {
    return call->link->api;
}

static void call_free(ApiSignalCall *call) {
    arena_free(call->arena);
    free(call);
}

/* The peer the call came from, if it is still there. */
static IpcPeer *call_peer(const ApiSignalCall *call) {
    const ApiSignal *link = call->link;
    return link->peer && link->generation == call->generation ? link->peer : NULL;
}

void api_signal_reply(ApiSignalCall *call, Hype__ApiSignal__Envelope *reply) {
    IpcPeer *peer = call_peer(call);
    if (peer)
        ipc_peer_reply(peer, call->request_id, &reply->base);
    call_free(call);
}

void api_signal_reply_error(ApiSignalCall *call, Hype__Error__Code code, const char *message) {
    IpcPeer *peer = call_peer(call);
    if (peer)
        ipc_peer_reply_error(peer, call->request_id, code, message);
    call_free(call);
}

static void reply_busy(ApiSignalCall *call, int error, const char *context, const char *message) {
    Hype__Error__Code code = ipc_error_from_errno(error);
    if (error == -EIO) {
        log_error("%s: PostgreSQL error: %s", context, message ? message : "?");
        code = HYPE__ERROR__CODE__CODE_INTERNAL;
    } else if (error == -EAGAIN || error == -ETIMEDOUT || error == -ECONNRESET) {
        log_warning_errno(error, "%s: service saturated or database unreachable: %m", context);
        code = HYPE__ERROR__CODE__CODE_UNAVAILABLE;
    } else
        log_error_errno(error, "%s: %m", context);
    api_signal_reply_error(call, code,
                           code == HYPE__ERROR__CODE__CODE_UNAVAILABLE
                               ? "Service temporarily unavailable, retry shortly"
                               : "Internal server error");
}

bool api_signal_reply_db_failed(ApiSignalCall *call, const DbResult *res, const char *context) {
    if (res->error == 0)
        return false;
    reply_busy(call, res->error, context, res->message);
    return true;
}

void api_signal_db_query(ApiSignalCall *call, const DbStatement *stmt, const char *const *params,
                         db_callback cb, void *userdata, const char *what) {
    int e = db_query(call->link->api->db, stmt, params, cb, userdata);
    if (e < 0)
        reply_busy(call, e, what, NULL);
}

/* A client action hype-signal relays: served as the HTTP request it describes. */
typedef struct Relay {
    ApiSignal *link;
    uint64_t generation;
    uint64_t request_id;
} Relay;

static void on_relay_reply(int status, const char *content_type, const char *body, size_t len,
                           void *userdata) {
    Relay *relay = userdata;
    ApiSignal *link = relay->link;
    if (link->peer && link->generation == relay->generation) {
        Hype__ApiSignal__ApiCallResult result = HYPE__API_SIGNAL__API_CALL_RESULT__INIT;
        result.status = status;
        char *text = strndup(body ? body : "", len);
        result.body = text ? text : (char *)"";
        Hype__ApiSignal__Envelope reply = HYPE__API_SIGNAL__ENVELOPE__INIT;
        reply.body_case = HYPE__API_SIGNAL__ENVELOPE__BODY_API_CALL_RESULT;
        reply.api_call_result = &result;
        ipc_peer_reply(link->peer, relay->request_id, &reply.base);
        free(text);
    }
    free(relay);
}

static HttpMethod method_from_name(const char *name) {
    for (HttpMethod m = HTTP_GET; m <= HTTP_OPTIONS; m++)
        if (strcmp(http_method_name(m), name) == 0)
            return m;
    return HTTP_METHOD_UNKNOWN;
}

static void serve_relay(ApiSignal *link, IpcPeer *peer, const Hype__ApiSignal__Envelope *env) {
    const Hype__ApiSignal__ApiCall *c = env->api_call;
    HttpMethod method = method_from_name(c->method);
    if (method == HTTP_METHOD_UNKNOWN || c->target[0] != '/') {
        ipc_peer_reply_error(peer, env->id, HYPE__ERROR__CODE__CODE_BAD_REQUEST,
                             "ApiCall needs a method and a target starting with /");
        return;
    }
    Relay *relay = calloc(1, sizeof(*relay));
    if (!relay) {
        ipc_peer_reply_error(peer, env->id, HYPE__ERROR__CODE__CODE_UNAVAILABLE, "out of memory");
        return;
    }
    *relay = (Relay){link, link->generation, env->id};
    link->stats.calls++;
    const char *headers[] = {"Authorization", c->authorization, "Content-Type", "application/json",
                             NULL};
    if (!c->authorization[0])
        headers[0] = "X-No-Authorization"; /* anonymous: a harmless header in its place */
    size_t body_len = strlen(c->body);
    int r = http_request_dispatch_local(link->api->http, method, c->target, headers, c->body,
                                        body_len, c->client_address, on_relay_reply, relay);
    if (r < 0) {
        free(relay);
        ipc_peer_reply_error(peer, env->id, HYPE__ERROR__CODE__CODE_BAD_REQUEST,
                             r == -EMSGSIZE ? "request too large" : "malformed request");
    }
}

static void serve(ApiSignal *link, IpcPeer *peer, const Hype__ApiSignal__Envelope *env,
                  api_signal_handler handler) {
    ApiSignalCall *call = calloc(1, sizeof(*call));
    Arena *arena = call ? arena_new() : NULL;
    if (!arena) {
        free(call);
        ipc_peer_reply_error(peer, env->id, HYPE__ERROR__CODE__CODE_UNAVAILABLE, "out of memory");
        return;
    }
    *call = (ApiSignalCall){link, link->generation, env->id, arena};
    link->stats.served++;
    handler(link->api, call, env);
}

static int on_message(IpcPeer *peer, const ProtobufCMessage *msg, void *userdata) {
    ApiSignal *link = userdata;
    const Hype__ApiSignal__Envelope *env = ipc_api_signal(msg);
    if (!env->id)
        return -EOPNOTSUPP; /* hype-signal sends us no one-way frames */
    if (env->body_case == HYPE__API_SIGNAL__ENVELOPE__BODY_API_CALL) {
        serve_relay(link, peer, env);
        return 0;
    }
    unsigned body = (unsigned)env->body_case;
    if (body >= BODIES_MAX || !link->handlers[body])
        return -EOPNOTSUPP;
    serve(link, peer, env, link->handlers[body]);
    return 0;
}

/* ---- asking hype-signal ---- */

/* The typed callback the caller gave, called with the outcome. */
static void relay_answer(const ProtobufCMessage *result, const Hype__Error *error,
                         ipc_typed_fn typed, void *userdata) {
    ((api_signal_reply_cb)typed)(result ? ipc_api_signal(result) : NULL, error, userdata);
}

void api_signal_request(Api *api, Hype__ApiSignal__Envelope *request, uint32_t timeout_ms,
                        api_signal_reply_cb cb, void *userdata) {
    ApiSignal *link = api->signal;
    ipc_ask_typed(link->asker, api_signal_linked(link) ? link->peer : NULL, &request->base,
                  timeout_ms, relay_answer, (ipc_typed_fn)cb, userdata);
}

/* ---- events ---- */

int api_signal_send_event(ApiSignal *link, Hype__ApiSignal__Event *ev) {
    if (!api_signal_linked(link))
        return -ENOTCONN;
    Hype__ApiSignal__Envelope env = HYPE__API_SIGNAL__ENVELOPE__INIT;
    env.body_case = HYPE__API_SIGNAL__ENVELOPE__BODY_EVENT;
    env.event = ev;
    return ipc_peer_send(link->peer, &env.base);
}

/* ---- connection ---- */

static void on_hello(IpcPeer *peer, const Hype__Hello *hello, void *userdata) {
    ApiSignal *link = userdata;
    link->retry_ms = RETRY_MIN_MS;
    link->warned = false;
    link->stats.connected = 1;
    log_info("connected to hype-signal (pid %u) at %s", hello->pid, link->path);
}

static void on_close(IpcPeer *peer, int error, void *userdata) {
    ApiSignal *link = userdata;
    if (link->stats.connected)
        log_warning("lost the link to hype-signal; events are counted as undelivered until it "
                    "is back");
    link->stats.connected = 0;
    link->peer = ipc_peer_free(peer);
    schedule_retry(link);
}

static void connect_now(ApiSignal *link) {
    static const IpcPeerCallbacks cbs = {on_message, on_hello, on_close};
    IpcPeerOptions opts = {
        .link = &ipc_link_api_signal,
        .role = HYPE__ROLE__ROLE_API,
        .instance = "api",
    };
    link->generation++;
    int r = ipc_peer_connect_unix(link->api->base, link->path, &opts, &cbs, link, &link->peer);
    if (r == 0)
        r = ipc_peer_expect_roles(link->peer, IPC_ROLE_BIT(HYPE__ROLE__ROLE_SIGNAL));
    if (r < 0) {
        if (!link->warned)
            log_notice_errno(r, "hype-signal is not reachable at %s (%m); retrying", link->path);
        link->warned = true;
        link->peer = ipc_peer_free(link->peer);
        schedule_retry(link);
    }
}

static void on_retry(evutil_socket_t fd, short what, void *userdata) {
    connect_now(userdata);
}

static void schedule_retry(ApiSignal *link) {
    timer_arm_ms(link->retry, link->retry_ms);
    link->retry_ms = link->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : link->retry_ms * 2;
}

/* Every module's handlers, by the body they serve. */
static int gather_handlers(ApiSignal *link) {
    for (size_t i = 0; i < api_modules_count; i++)
        for (size_t j = 0; j < api_modules[i]->n_signal_handlers; j++) {
            const ApiSignalHandler *h = &api_modules[i]->signal_handlers[j];
            unsigned body = (unsigned)h->body;
            if (body >= BODIES_MAX || !ipc_link_result_of(&ipc_link_api_signal, body))
                return -EINVAL;
            if (link->handlers[body] || body == HYPE__API_SIGNAL__ENVELOPE__BODY_API_CALL)
                return -EEXIST;
            link->handlers[body] = h->handler;
        }
    return 0;
}

int api_signal_new(Api *api, const char *socket_path, ApiSignal **ret) {
    ApiSignal *link = calloc(1, sizeof(*link));
    if (!link)
        return -ENOMEM;
    link->api = api;
    link->path = strdup(socket_path);
    link->retry = evtimer_new(api->base, on_retry, link);
    link->retry_ms = RETRY_MIN_MS;
    int r = link->path && link->retry ? 0 : -ENOMEM;
    if (r == 0)
        r = ipc_asker_new(api->base, "hype-signal is not linked", &link->asker);
    if (r == 0)
        r = gather_handlers(link);
    if (r < 0) {
        api_signal_free(link);
        return r;
    }
    *ret = link;
    return 0;
}

void api_signal_start(ApiSignal *link) {
    if (strcmp(link->path, "off") != 0)
        connect_now(link);
}

ApiSignal *api_signal_free(ApiSignal *link) {
    if (!link)
        return NULL;
    ipc_peer_free(link->peer); /* then what it was asked, without callbacks */
    ipc_asker_free(link->asker);
    if (link->retry)
        event_free(link->retry);
    free(link->path);
    free(link);
    return NULL;
}

bool api_signal_linked(const ApiSignal *link) {
    return link && link->peer && ipc_peer_is_ready(link->peer);
}

ApiSignalStats api_signal_stats(const ApiSignal *link) {
    return link->stats;
}
