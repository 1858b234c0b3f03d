/* api-events: hype-api's link to hype-signal over signal.sock: publishes change events once
 * committed, and serves the API calls hype-signal relays for its clients. */
#include "api-events.h"

#include <errno.h>
#include <event2/event.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api-access.h"
#include "api-server.h"
#include "hype-ipc-event.h"
#include "hype-json.h"
#include "hype-log.h"
#include "hype-time.h"

#define RETRY_MIN_MS 100
#define RETRY_MAX_MS 2000
/* Channel events waiting for their audience; more are counted as undelivered. */
#define CHANNEL_QUEUE_MAX 10000

_Static_assert(API_AUDIENCE_CHUNK * 10 <= IPC_FRAME_MAX / 2,
               "a chunk of user ids (varints of 10 bytes at most) leaves room for the event");

typedef struct ChannelEvent ChannelEvent;

struct EventLink {
    Api *api;
    char *path;
    IpcPeer *peer;
    uint64_t generation; /* bumped per connection: replies to a gone peer are dropped */
    struct event *retry;
    uint32_t retry_ms;
    bool warned; /* "hype-signal unreachable" is said once per outage */
    EventStats stats;
    /* Channel events in publication order, waiting for (or reading) their audience: the first
     * of each server reads it, the others of that server wait their turn. */
    ChannelEvent *queue, **queue_tail;
    size_t queued;
    bool queue_warned; /* "too many waiting" is said once until the queue empties */
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
    timer_arm_ms(link->retry, link->retry_ms);
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
    link->queue_tail = &link->queue;
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

static void channel_queue_free(EventLink *link);

EventLink *events_free(EventLink *link) {
    if (!link)
        return NULL;
    channel_queue_free(link);
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

/* One frame: json already serialized; server_id names the server whose subscriptions
 * permissions_changed re-checks when the targets are users. */
static void publish_json(EventLink *link, const char *type, Hype__Event__TargetKind kind,
                         const uint64_t *ids, size_t n, const char *json, bool permissions_changed,
                         uint64_t server_id) {
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
    ev.server_id = server_id;
    ev.json = (char *)json;
    Hype__Envelope env = HYPE__ENVELOPE__INIT;
    env.body_case = HYPE__ENVELOPE__BODY_EVENT;
    env.event = &ev;
    /* A full output (hype-signal stalled) drops the link; what could not go is counted. */
    if (ipc_peer_send(link->peer, &env) < 0)
        link->stats.undelivered++;
    else
        link->stats.published++;
}

void api_publish(Api *api, const char *type, Hype__Event__TargetKind kind, const uint64_t *ids,
                 size_t n, json_object *data, bool permissions_changed) {
    if (api->events && n > 0)
        publish_json(api->events, type, kind, ids, n, json_serialize(data, NULL),
                     permissions_changed, 0);
}

void api_publish_by_field(Api *api, const char *type, Hype__Event__TargetKind kind,
                          const char *field, json_object *data, bool permissions_changed) {
    json_object *v = json_get(data, field);
    const char *s = v ? json_object_get_string(v) : NULL;
    uint64_t id = s ? strtoull(s, NULL, 10) : 0;
    if (id)
        api_publish(api, type, kind, &id, 1, data, permissions_changed);
}

/* ---- channel events: to the members who may view the channel ---- */

enum {
    S_CHANNEL,
    S_MEMBERS,
    S__COUNT,
};

static const DbStatement statements[] = {
    /* The server's owner and @everyone, whether channel $2 is still one of its channels, and its
     * overwrites. */
    [S_CHANNEL] =
        {"events_channel",
         "SELECT s.owner_id, e.id, e.permissions, c.id IS NOT NULL, " API_ACCESS_OVERWRITES_SQL
         " FROM servers s"
         " JOIN roles e ON e.server_id = s.id AND e.is_everyone"
         " LEFT JOIN channels c ON c.id = $2::int8 AND c.server_id = s.id"
         " WHERE s.id = $1::int8",
         2},
    /* Every member and its roles, "id:permissions:position,..." (NULL for none). */
    [S_MEMBERS] = {"events_members",
                   "SELECT m.user_id,"
                   "  string_agg(r.id || ':' || r.permissions || ':' || r.position, ',')"
                   " FROM server_members m"
                   " LEFT JOIN member_roles mr ON mr.server_id = m.server_id"
                   "   AND mr.user_id = m.user_id"
                   " LEFT JOIN roles r ON r.id = mr.role_id"
                   " WHERE m.server_id = $1 GROUP BY m.user_id",
                   1},
};
_Static_assert(sizeof(statements) / sizeof(statements[0]) == S__COUNT, "one statement per S_");

const ApiModule api_module_events = {
    "events", NULL, 0, statements, sizeof(statements) / sizeof(statements[0]),
};

struct ChannelEvent {
    ChannelEvent *next;
    EventLink *link;
    uint64_t server_id, channel_id;
    char *type, *json;
    bool permissions_changed;
    ApiChannelBefore before;
    char *deleted_overwrites; /* before.overwrites' copy */
    /* Read by S_CHANNEL: */
    uint64_t owner_id, everyone_role_id, everyone_permissions;
    PermOverwrite *now, *then; /* overwrites now, and before an overwrite change */
    size_t n_now, n_then;
};

static void channel_event_free(ChannelEvent *ce) {
    free(ce->type);
    free(ce->json);
    free(ce->deleted_overwrites);
    free(ce->now);
    free(ce->then);
    free(ce);
}

/* Called by events_free once the pool is gone (api_free): no query of theirs is running. */
static void channel_queue_free(EventLink *link) {
    while (link->queue) {
        ChannelEvent *next = link->queue->next;
        channel_event_free(link->queue);
        link->queue = next;
    }
}

/* Takes ce off the queue and frees it; returns the next event of its server, if any. */
static ChannelEvent *channel_event_remove(ChannelEvent *ce) {
    EventLink *link = ce->link;
    ChannelEvent **pp = &link->queue;
    while (*pp != ce)
        pp = &(*pp)->next;
    *pp = ce->next;
    if (link->queue_tail == &ce->next)
        link->queue_tail = pp;
    if (--link->queued == 0)
        link->queue_warned = false;
    ChannelEvent *next = *pp;
    while (next && next->server_id != ce->server_id)
        next = next->next;
    channel_event_free(ce);
    return next;
}

static void channel_event_start(ChannelEvent *ce);

/* Done with ce (published, dropped or failed): the next event of its server reads its
 * audience. */
static void channel_event_done(ChannelEvent *ce) {
    ChannelEvent *next = channel_event_remove(ce);
    if (next)
        channel_event_start(next);
}

/* An event that will not go out: error a negative errno, message the database's if any. */
static void channel_event_drop(ChannelEvent *ce, int error, const char *what, const char *message) {
    ce->link->stats.undelivered++;
    if (error == -ECANCELED) /* the pool is going: hype-api stops */
        log_debug("event \"%s\" of channel %" PRIu64 " dropped: hype-api is stopping", ce->type,
                  ce->channel_id);
    else
        log_error("event \"%s\" of channel %" PRIu64 " not published: %s: %s", ce->type,
                  ce->channel_id, what, message ? message : strerror(-error));
}

static void channel_event_fail(ChannelEvent *ce, int error, const char *what, const char *message) {
    channel_event_drop(ce, error, what, message);
    channel_event_done(ce);
}

/* Overwrites in api-permissions' text form, into a new array (NULL with none). */
static int parse_overwrites(const char *text, PermOverwrite **ret, size_t *ret_n) {
    size_t max = perm_count_entries(text);
    *ret = NULL;
    *ret_n = 0;
    if (max == 0)
        return 0;
    PermOverwrite *ow = malloc(max * sizeof(*ow));
    if (!ow)
        return -ENOMEM;
    int n = perm_parse_overwrites(text, ow, max);
    if (n < 0) {
        free(ow);
        return n;
    }
    *ret = ow;
    *ret_n = (size_t)n;
    return 0;
}

/* The overwrites before an overwrite change: those of now, with what the change wrote or
 * removed put back as it was. */
static int overwrites_then(ChannelEvent *ce) {
    const ApiChannelBefore *b = &ce->before;
    ce->then = malloc((ce->n_now + b->n_previous + 1) * sizeof(*ce->then));
    if (!ce->then)
        return -ENOMEM;
    for (size_t i = 0; i < ce->n_now; i++)
        if (ce->now[i].target_id != b->target_id || !(b->types & (1u << ce->now[i].target)))
            ce->then[ce->n_then++] = ce->now[i];
    for (size_t i = 0; i < b->n_previous; i++)
        ce->then[ce->n_then++] = b->previous[i];
    return 0;
}

static bool everyone_may_view(const ChannelEvent *ce, const PermOverwrite *ow, size_t n) {
    return perm_everyone_holds(ce->everyone_role_id, ce->everyone_permissions, ow, n,
                               PERM_VIEW_CHANNEL);
}

/* To users, in frames of at most API_AUDIENCE_CHUNK; *recheck goes with the first frame sent. */
static void publish_to_users(ChannelEvent *ce, const char *type, const char *json,
                             const uint64_t *ids, size_t n, bool *recheck) {
    for (size_t i = 0; i < n; i += API_AUDIENCE_CHUNK) {
        size_t k = n - i < API_AUDIENCE_CHUNK ? n - i : API_AUDIENCE_CHUNK;
        publish_json(ce->link, type, HYPE__EVENT__TARGET_KIND__TARGET_USER, ids + i, k, json,
                     *recheck, ce->server_id);
        *recheck = false;
    }
}

/* A member's roles as S_MEMBERS renders them, into arrays grown as needed. */
typedef struct Roles {
    uint64_t *ids, *perms;
    size_t n, cap;
} Roles;

static int parse_member_roles(const char *text, Roles *roles) {
    size_t max = perm_count_entries(text);
    roles->n = 0;
    if (max > roles->cap) {
        uint64_t *ids = realloc(roles->ids, max * sizeof(*ids));
        if (ids)
            roles->ids = ids;
        uint64_t *perms = realloc(roles->perms, max * sizeof(*perms));
        if (perms)
            roles->perms = perms;
        if (!ids || !perms)
            return -ENOMEM;
        roles->cap = max;
    }
    int top, r = perm_parse_roles(text, roles->ids, roles->perms, max, &top);
    if (r < 0)
        return r;
    roles->n = (size_t)r;
    return 0;
}

/* Every member's permissions in the channel, now and before the change: the event to who may
 * view it now, channel_deleted to who could before and cannot now. */
static void on_members(const DbResult *res, void *userdata) {
    ChannelEvent *ce = userdata;
    if (res->error) {
        channel_event_fail(ce, res->error, "reading the members who may view it", res->message);
        return;
    }
    size_t rows = (size_t)db_ntuples(res), n_now = 0, n_lost = 0;
    uint64_t *now = malloc((rows + 1) * sizeof(*now)), *lost = malloc((rows + 1) * sizeof(*lost));
    Roles roles = {0};
    bool owner_seen = false, ok = now && lost, changed = ce->before.types != 0;
    for (size_t i = 0; ok && i < rows; i++) {
        PermContext ctx = {
            .user_id = strtoull(db_value(res, (int)i, 0), NULL, 10),
            .is_member = true,
            .everyone_role_id = ce->everyone_role_id,
            .everyone_permissions = ce->everyone_permissions,
        };
        ctx.is_owner = ctx.user_id == ce->owner_id;
        owner_seen |= ctx.is_owner;
        if (parse_member_roles(db_value(res, (int)i, 1), &roles) < 0) {
            ok = false;
            break;
        }
        ctx.role_ids = roles.ids;
        ctx.role_permissions = roles.perms;
        ctx.n_roles = roles.n;
        if (perm_compute(&ctx, ce->now, ce->n_now) & PERM_VIEW_CHANNEL)
            now[n_now++] = ctx.user_id;
        else if (changed && (perm_compute(&ctx, ce->then, ce->n_then) & PERM_VIEW_CHANNEL))
            lost[n_lost++] = ctx.user_id;
    }
    free(roles.ids);
    free(roles.perms);
    if (!ok) {
        free(now);
        free(lost);
        channel_event_fail(ce, now && lost ? -EINVAL : -ENOMEM, "reading members' roles", NULL);
        return;
    }
    if (!owner_seen) /* the owner sees every channel, member or not */
        now[n_now++] = ce->owner_id;
    bool recheck = ce->permissions_changed;
    if (everyone_may_view(ce, ce->now, ce->n_now)) {
        publish_json(ce->link, ce->type, HYPE__EVENT__TARGET_KIND__TARGET_SERVER, &ce->server_id, 1,
                     ce->json, recheck, ce->server_id);
        recheck = false;
    } else
        publish_to_users(ce, ce->type, ce->json, now, n_now, &recheck);
    if (n_lost) {
        char gone[96];
        snprintf(gone, sizeof(gone), "{\"id\":\"%" PRIu64 "\",\"serverId\":\"%" PRIu64 "\"}",
                 ce->channel_id, ce->server_id);
        publish_to_users(ce, "channel_deleted", gone, lost, n_lost, &recheck);
    }
    free(now);
    free(lost);
    channel_event_done(ce);
}

/* The channel's overwrites (now and before the change): to the server when every member may
 * view it, before and after; otherwise each member's permissions decide. */
static void on_channel(const DbResult *res, void *userdata) {
    ChannelEvent *ce = userdata;
    if (res->error) {
        channel_event_fail(ce, res->error, "reading who may view it", res->message);
        return;
    }
    if (db_ntuples(res) != 1 || (!ce->before.deleted && db_value(res, 0, 3)[0] != 't')) {
        /* Deleted meanwhile: nobody may view it any more, and channel_deleted follows. */
        log_debug("event \"%s\" of channel %" PRIu64 " dropped: the channel is gone", ce->type,
                  ce->channel_id);
        channel_event_done(ce);
        return;
    }
    ce->owner_id = strtoull(db_value(res, 0, 0), NULL, 10);
    ce->everyone_role_id = strtoull(db_value(res, 0, 1), NULL, 10);
    ce->everyone_permissions = strtoull(db_value(res, 0, 2), NULL, 10);
    const char *text = ce->before.deleted ? ce->deleted_overwrites : db_value(res, 0, 4);
    /* Unreadable overwrites must not widen the audience: nobody gets it. */
    int r = parse_overwrites(text, &ce->now, &ce->n_now);
    if (r == 0 && ce->before.types)
        r = overwrites_then(ce);
    if (r < 0) {
        channel_event_fail(ce, r, "reading the channel's overwrites", NULL);
        return;
    }
    bool was_public = !ce->before.types || everyone_may_view(ce, ce->then, ce->n_then);
    if (was_public && everyone_may_view(ce, ce->now, ce->n_now)) {
        publish_json(ce->link, ce->type, HYPE__EVENT__TARGET_KIND__TARGET_SERVER, &ce->server_id, 1,
                     ce->json, ce->permissions_changed, ce->server_id);
        channel_event_done(ce);
        return;
    }
    char server[24];
    snprintf(server, sizeof(server), "%" PRIu64, ce->server_id);
    const char *params[1] = {server};
    r = db_query(ce->link->api->db, &statements[S_MEMBERS], params, on_members, ce);
    if (r < 0)
        channel_event_fail(ce, r, "reading the members who may view it", NULL);
}

static void channel_event_start(ChannelEvent *ce) {
    /* When the query cannot even be queued, the next event of that server starts instead. */
    while (ce) {
        char server[24], channel[24];
        snprintf(server, sizeof(server), "%" PRIu64, ce->server_id);
        snprintf(channel, sizeof(channel), "%" PRIu64, ce->channel_id);
        const char *params[2] = {server, channel};
        int r = db_query(ce->link->api->db, &statements[S_CHANNEL], params, on_channel, ce);
        if (r == 0)
            return;
        channel_event_drop(ce, r, "reading who may view it", NULL);
        ce = channel_event_remove(ce);
    }
}

void api_publish_channel(Api *api, const char *type, uint64_t server_id, uint64_t channel_id,
                         json_object *data, bool permissions_changed,
                         const ApiChannelBefore *before) {
    EventLink *link = api->events;
    if (!link)
        return;
    /* Nobody to tell: no need to find out who may. */
    if (!link->peer || !ipc_peer_is_ready(link->peer)) {
        link->stats.undelivered++;
        return;
    }
    if (link->queued >= CHANNEL_QUEUE_MAX) {
        if (!link->queue_warned)
            log_warning("%d channel events wait for their audience; more are dropped",
                        CHANNEL_QUEUE_MAX);
        link->queue_warned = true;
        link->stats.undelivered++;
        return;
    }
    ChannelEvent *ce = malloc(sizeof(*ce));
    bool copy = before && before->deleted && before->overwrites;
    if (ce) {
        *ce = (ChannelEvent){.link = link,
                             .server_id = server_id,
                             .channel_id = channel_id,
                             .type = strdup(type),
                             .json = strdup(json_serialize(data, NULL)),
                             .permissions_changed = permissions_changed,
                             .before = before ? *before : (ApiChannelBefore){0},
                             .deleted_overwrites = copy ? strdup(before->overwrites) : NULL};
        ce->before.overwrites = NULL; /* the request's: deleted_overwrites stands for it */
    }
    if (!ce || !ce->type || !ce->json || (copy && !ce->deleted_overwrites)) {
        log_error("event \"%s\" of channel %" PRIu64 " not published: out of memory", type,
                  channel_id);
        link->stats.undelivered++;
        if (ce)
            channel_event_free(ce);
        return;
    }
    bool waits = false; /* behind another of its server */
    for (ChannelEvent *q = link->queue; q && !waits; q = q->next)
        waits = q->server_id == server_id;
    *link->queue_tail = ce;
    link->queue_tail = &ce->next;
    link->queued++;
    if (!waits)
        channel_event_start(ce);
}
