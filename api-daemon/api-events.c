/* api-events: hype-api's link to hype-signal over signal.sock: publishes change events once
 * committed, and serves the API calls hype-signal relays for its clients. */
#include "api-events.h"

#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api-server.h"
#include "hype-ipc-event.h"
#include "hype-json.h"
#include "hype-log.h"

#define RETRY_MIN_MS 100
#define RETRY_MAX_MS 2000

struct EventLink {
    Api *api;
    char *path;
    IpcPeer *peer;
    uint64_t generation; /* bumped per connection: replies to a gone peer are dropped */
    struct event *retry;
    uint32_t retry_ms;
    bool warned; /* "hype-signal unreachable" is said once per outage */
    EventStats stats;
};

static void schedule_retry(EventLink *link);

/* ---- serving hype-signal's API calls ---- */

typedef struct Call {
    EventLink *link;
    uint64_t generation;
    uint64_t request_id;
} Call;

static void on_call_reply(int status, const char *content_type, const char *body, size_t len,
                          void *userdata) {
    Call *call = userdata;
    EventLink *link = call->link;
    if (link->peer && link->generation == call->generation) {
        Hype__ApiResult result = HYPE__API_RESULT__INIT;
        result.status = status;
        char *text = strndup(body ? body : "", len);
        result.body = text ? text : (char *)"";
        Hype__Envelope reply = HYPE__ENVELOPE__INIT, request = HYPE__ENVELOPE__INIT;
        reply.body_case = HYPE__ENVELOPE__BODY_API_RESULT;
        reply.api_result = &result;
        request.id = call->request_id;
        ipc_peer_reply(link->peer, &request, &reply);
        free(text);
    }
    free(call);
}

static HttpMethod method_from_name(const char *name) {
    for (HttpMethod m = HTTP_GET; m <= HTTP_OPTIONS; m++)
        if (strcmp(http_method_name(m), name) == 0)
            return m;
    return HTTP_METHOD_UNKNOWN;
}

static void serve_call(EventLink *link, IpcPeer *peer, const Hype__Envelope *env) {
    const Hype__ApiCall *c = env->api_call;
    HttpMethod method = method_from_name(c->method);
    if (method == HTTP_METHOD_UNKNOWN || c->target[0] != '/') {
        ipc_peer_reply_error(peer, env, HYPE__ERROR__CODE__CODE_BAD_REQUEST,
                             "ApiCall needs a method and a target starting with /");
        return;
    }
    Call *call = calloc(1, sizeof(*call));
    if (!call) {
        ipc_peer_reply_error(peer, env, HYPE__ERROR__CODE__CODE_INTERNAL, "out of memory");
        return;
    }
    *call = (Call){link, link->generation, env->id};
    link->stats.calls++;
    const char *headers[] = {"Authorization", c->authorization, "Content-Type", "application/json",
                             NULL};
    if (!c->authorization[0])
        headers[0] = "X-No-Authorization"; /* anonymous: a harmless header in its place */
    size_t body_len = strlen(c->body);
    int r = http_request_dispatch_local(link->api->http, method, c->target, headers, c->body,
                                        body_len, c->client_address, on_call_reply, call);
    if (r < 0) {
        free(call);
        ipc_peer_reply_error(peer, env, HYPE__ERROR__CODE__CODE_BAD_REQUEST,
                             r == -EMSGSIZE ? "request too large" : "malformed request");
    }
}

static int on_message(IpcPeer *peer, const Hype__Envelope *env, void *userdata) {
    EventLink *link = userdata;
    if (env->body_case == HYPE__ENVELOPE__BODY_API_CALL && env->id) {
        serve_call(link, peer, env);
        return 0;
    }
    return -EOPNOTSUPP;
}

/* ---- connection ---- */

static void on_hello(IpcPeer *peer, const Hype__Hello *hello, void *userdata) {
    EventLink *link = userdata;
    link->retry_ms = RETRY_MIN_MS;
    link->warned = false;
    link->stats.connected = 1;
    log_info("connected to hype-signal (pid %u) at %s", hello->pid, link->path);
}

static void on_close(IpcPeer *peer, int error, void *userdata) {
    EventLink *link = userdata;
    if (link->stats.connected)
        log_warning("lost the link to hype-signal; events are counted as undelivered until it "
                    "is back");
    link->stats.connected = 0;
    link->peer = ipc_peer_free(peer);
    schedule_retry(link);
}

static void connect_now(EventLink *link) {
    static const IpcPeerCallbacks cbs = {on_message, on_hello, on_close};
    IpcPeerOptions opts = {.role = HYPE__ROLE__ROLE_API, .instance = "api"};
    link->generation++;
    int r = ipc_peer_connect_unix(link->api->base, link->path, &opts, &cbs, link, &link->peer);
    if (r < 0) {
        if (!link->warned)
            log_notice_errno(r, "hype-signal is not reachable at %s (%m); retrying", link->path);
        link->warned = true;
        link->peer = NULL;
        schedule_retry(link);
    }
}

static void on_retry(evutil_socket_t fd, short what, void *userdata) {
    connect_now(userdata);
}

static void schedule_retry(EventLink *link) {
    struct timeval tv = {link->retry_ms / 1000, (link->retry_ms % 1000) * 1000};
    evtimer_add(link->retry, &tv);
    link->retry_ms = link->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : link->retry_ms * 2;
}

int events_new(Api *api, const char *socket_path, EventLink **ret) {
    EventLink *link = calloc(1, sizeof(*link));
    if (!link)
        return -ENOMEM;
    link->api = api;
    link->path = strdup(socket_path);
    link->retry = evtimer_new(api->base, on_retry, link);
    link->retry_ms = RETRY_MIN_MS;
    if (!link->path || !link->retry) {
        events_free(link);
        return -ENOMEM;
    }
    *ret = link;
    return 0;
}

void events_start(EventLink *link) {
    if (strcmp(link->path, "off") != 0)
        connect_now(link);
}

EventLink *events_free(EventLink *link) {
    if (!link)
        return NULL;
    ipc_peer_free(link->peer);
    if (link->retry)
        event_free(link->retry);
    free(link->path);
    free(link);
    return NULL;
}

EventStats events_stats(const EventLink *link) {
    return link->stats;
}

/* ---- publishing ---- */

void api_publish(Api *api, const char *type, Hype__Event__TargetKind kind, const uint64_t *ids,
                 size_t n, json_object *data, bool permissions_changed) {
    EventLink *link = api->events;
    if (!link || n == 0)
        return;
    if (!link->peer || !ipc_peer_is_ready(link->peer)) {
        link->stats.undelivered++;
        return;
    }
    Hype__Event ev = HYPE__EVENT__INIT;
    ev.type = (char *)type;
    ev.target_kind = kind;
    ev.target_id = ids[0];
    ev.n_more_target_ids = n - 1;
    ev.more_target_ids = (uint64_t *)ids + 1;
    ev.permissions_changed = permissions_changed;
    ev.json = (char *)json_serialize(data, NULL);
    Hype__Envelope env = HYPE__ENVELOPE__INIT;
    env.body_case = HYPE__ENVELOPE__BODY_EVENT;
    env.event = &ev;
    /* A full output (hype-signal stalled) drops the link; what could not go is counted. */
    if (ipc_peer_send(link->peer, &env) < 0)
        link->stats.undelivered++;
    else
        link->stats.published++;
}

void api_publish_by_field(Api *api, const char *type, Hype__Event__TargetKind kind,
                          const char *field, json_object *data, bool permissions_changed) {
    json_object *v = json_get(data, field);
    const char *s = v ? json_object_get_string(v) : NULL;
    uint64_t id = s ? strtoull(s, NULL, 10) : 0;
    if (id)
        api_publish(api, type, kind, &id, 1, data, permissions_changed);
}
