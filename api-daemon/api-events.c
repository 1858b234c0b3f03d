/* api-events: the change events hype-api publishes to hype-signal once committed, by kind, to
 * exactly who may see them. */
#include "api-events.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-access.h"
#include "api-server.h"
#include "api-signal.h"
#include "hype-json.h"
#include "hype-log.h"

/* Channel events waiting for their audience; more are counted as undelivered. */
#define CHANNEL_QUEUE_MAX 10000

_Static_assert(API_AUDIENCE_CHUNK * 10 <= IPC_FRAME_MAX / 2,
               "a chunk of user ids (varints of 10 bytes at most) leaves room for the event");

typedef struct ChannelEvent ChannelEvent;

struct ApiEvents {
    Api *api;
    ApiEventStats stats;
    /* Channel events in publication order, waiting for (or reading) their audience: the first
     * of each server reads it, the others of that server wait their turn. */
    ChannelEvent *queue, **queue_tail;
    size_t queued;
    bool queue_warned; /* "too many waiting" is said once until the queue empties */
};

static void channel_queue_free(ApiEvents *events);

int api_events_new(Api *api, ApiEvents **ret) {
    ApiEvents *events = calloc(1, sizeof(*events));
    if (!events)
        return -ENOMEM;
    events->api = api;
    events->queue_tail = &events->queue;
    *ret = events;
    return 0;
}

ApiEvents *api_events_free(ApiEvents *events) {
    if (!events)
        return NULL;
    channel_queue_free(events);
    free(events);
    return NULL;
}

ApiEventStats api_events_stats(const ApiEvents *events) {
    return events->stats;
}

static bool linked(const ApiEvents *events) {
    return api_signal_linked(events->api->signal);
}

/* ---- publishing ---- */

/* One frame: json already serialized; server_id names the server whose subscriptions
 * permissions_changed re-checks when the targets are users. */
static void publish_json(ApiEvents *events, Hype__ApiSignal__EventKind kind,
                         Hype__ApiSignal__Event__TargetKind target, const uint64_t *ids, size_t n,
                         const char *json, bool permissions_changed, uint64_t server_id) {
    if (!events || n == 0)
        return;
    Hype__ApiSignal__Event ev = HYPE__API_SIGNAL__EVENT__INIT;
    ev.kind = kind;
    ev.target_kind = target;
    ev.target_id = ids[0];
    ev.n_more_target_ids = n - 1;
    ev.more_target_ids = (uint64_t *)ids + 1;
    ev.permissions_changed = permissions_changed;
    ev.server_id = server_id;
    ev.json = (char *)json;
    /* Without hype-signal, or with one that stalled (its full output drops the link), what
     * could not go is counted. */
    if (api_signal_send_event(events->api->signal, &ev) < 0)
        events->stats.undelivered++;
    else
        events->stats.published++;
}

void api_publish(Api *api, Hype__ApiSignal__EventKind kind,
                 Hype__ApiSignal__Event__TargetKind target, const uint64_t *ids, size_t n,
                 json_object *data, bool permissions_changed) {
    if (api->events && n > 0)
        publish_json(api->events, kind, target, ids, n, json_serialize(data, NULL),
                     permissions_changed, 0);
}

void api_publish_by_field(Api *api, Hype__ApiSignal__EventKind kind,
                          Hype__ApiSignal__Event__TargetKind target, const char *field,
                          json_object *data, bool permissions_changed) {
    json_object *v = json_get(data, field);
    const char *s = v ? json_object_get_string(v) : NULL;
    uint64_t id = s ? strtoull(s, NULL, 10) : 0;
    if (id)
        api_publish(api, kind, target, &id, 1, data, permissions_changed);
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
    .name = "events",
    .statements = statements,
    .n_statements = sizeof(statements) / sizeof(statements[0]),
};

struct ChannelEvent {
    ChannelEvent *next;
    ApiEvents *events;
    uint64_t server_id, channel_id;
    Hype__ApiSignal__EventKind kind;
    char *json;
    bool permissions_changed;
    ApiChannelBefore before;
    char *deleted_overwrites; /* before.overwrites' copy */
    /* Read by S_CHANNEL: */
    uint64_t owner_id, everyone_role_id, everyone_permissions;
    PermOverwrite *now, *then; /* overwrites now, and before an overwrite change */
    size_t n_now, n_then;
};

/* For logs. */
static const char *name(const ChannelEvent *ce) {
    return ipc_event_kind_name(ce->kind);
}

static void channel_event_free(ChannelEvent *ce) {
    free(ce->json);
    free(ce->deleted_overwrites);
    free(ce->now);
    free(ce->then);
    free(ce);
}

/* Called by events_free once the pool is gone (api_free): no query of theirs is running. */
static void channel_queue_free(ApiEvents *events) {
    while (events->queue) {
        ChannelEvent *next = events->queue->next;
        channel_event_free(events->queue);
        events->queue = next;
    }
}

/* Takes ce off the queue and frees it; returns the next event of its server, if any. */
static ChannelEvent *channel_event_remove(ChannelEvent *ce) {
    ApiEvents *events = ce->events;
    ChannelEvent **pp = &events->queue;
    while (*pp != ce)
        pp = &(*pp)->next;
    *pp = ce->next;
    if (events->queue_tail == &ce->next)
        events->queue_tail = pp;
    if (--events->queued == 0)
        events->queue_warned = false;
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
    ce->events->stats.undelivered++;
    if (error == -ECANCELED) /* the pool is going: hype-api stops */
        log_debug("event \"%s\" of channel %" PRIu64 " dropped: hype-api is stopping", name(ce),
                  ce->channel_id);
    else
        log_error("event \"%s\" of channel %" PRIu64 " not published: %s: %s", name(ce),
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
static void publish_to_users(ChannelEvent *ce, Hype__ApiSignal__EventKind kind, const char *json,
                             const uint64_t *ids, size_t n, bool *recheck) {
    for (size_t i = 0; i < n; i += API_AUDIENCE_CHUNK) {
        size_t k = n - i < API_AUDIENCE_CHUNK ? n - i : API_AUDIENCE_CHUNK;
        publish_json(ce->events, kind, HYPE__API_SIGNAL__EVENT__TARGET_KIND__TARGET_USER, ids + i,
                     k, json, *recheck, ce->server_id);
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
        publish_json(ce->events, ce->kind, HYPE__API_SIGNAL__EVENT__TARGET_KIND__TARGET_SERVER,
                     &ce->server_id, 1, ce->json, recheck, ce->server_id);
        recheck = false;
    } else
        publish_to_users(ce, ce->kind, ce->json, now, n_now, &recheck);
    if (n_lost) {
        char gone[96];
        snprintf(gone, sizeof(gone), "{\"id\":\"%" PRIu64 "\",\"serverId\":\"%" PRIu64 "\"}",
                 ce->channel_id, ce->server_id);
        publish_to_users(ce, HYPE__API_SIGNAL__EVENT_KIND__EVENT_CHANNEL_DELETED, gone, lost,
                         n_lost, &recheck);
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
        log_debug("event \"%s\" of channel %" PRIu64 " dropped: the channel is gone", name(ce),
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
        publish_json(ce->events, ce->kind, HYPE__API_SIGNAL__EVENT__TARGET_KIND__TARGET_SERVER,
                     &ce->server_id, 1, ce->json, ce->permissions_changed, ce->server_id);
        channel_event_done(ce);
        return;
    }
    char server[24];
    snprintf(server, sizeof(server), "%" PRIu64, ce->server_id);
    const char *params[1] = {server};
    r = db_query(ce->events->api->db, &statements[S_MEMBERS], params, on_members, ce);
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
        int r = db_query(ce->events->api->db, &statements[S_CHANNEL], params, on_channel, ce);
        if (r == 0)
            return;
        channel_event_drop(ce, r, "reading who may view it", NULL);
        ce = channel_event_remove(ce);
    }
}

void api_publish_channel(Api *api, Hype__ApiSignal__EventKind kind, uint64_t server_id,
                         uint64_t channel_id, json_object *data, bool permissions_changed,
                         const ApiChannelBefore *before) {
    ApiEvents *events = api->events;
    if (!events)
        return;
    /* Nobody to tell: no need to find out who may. */
    if (!linked(events)) {
        events->stats.undelivered++;
        return;
    }
    if (events->queued >= CHANNEL_QUEUE_MAX) {
        if (!events->queue_warned)
            log_warning("%d channel events wait for their audience; more are dropped",
                        CHANNEL_QUEUE_MAX);
        events->queue_warned = true;
        events->stats.undelivered++;
        return;
    }
    ChannelEvent *ce = malloc(sizeof(*ce));
    bool copy = before && before->deleted && before->overwrites;
    if (ce) {
        *ce = (ChannelEvent){.events = events,
                             .server_id = server_id,
                             .channel_id = channel_id,
                             .kind = kind,
                             .json = strdup(json_serialize(data, NULL)),
                             .permissions_changed = permissions_changed,
                             .before = before ? *before : (ApiChannelBefore){0},
                             .deleted_overwrites = copy ? strdup(before->overwrites) : NULL};
        ce->before.overwrites = NULL; /* the request's: deleted_overwrites stands for it */
    }
    if (!ce || !ce->json || (copy && !ce->deleted_overwrites)) {
        log_error("event \"%s\" of channel %" PRIu64 " not published: out of memory",
                  ipc_event_kind_name(kind), channel_id);
        events->stats.undelivered++;
        if (ce)
            channel_event_free(ce);
        return;
    }
    bool waits = false; /* behind another of its server */
    for (ChannelEvent *q = events->queue; q && !waits; q = q->next)
        waits = q->server_id == server_id;
    *events->queue_tail = ce;
    events->queue_tail = &ce->next;
    events->queued++;
    if (!waits)
        channel_event_start(ce);
}
