/* signal-events: events from hype-api (signal.sock) to exactly the sessions that may see them. */
#include "signal-events.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hype-id.h"
#include "hype-json.h"
#include "hype-log.h"
#include "signal-gateway.h"
#include "signal-session.h"

#define KEYS_ON_STACK 16 /* most events have one target; a user's presence has one per server */

static char kind_prefix(Hype__Event__TargetKind kind) {
    switch (kind) {
    case HYPE__EVENT__TARGET_KIND__TARGET_SERVER: return 's';
    case HYPE__EVENT__TARGET_KIND__TARGET_CHANNEL: return 'c';
    case HYPE__EVENT__TARGET_KIND__TARGET_USER: return 'u';
    default: return 0;
    }
}

/* The sessions of user (a decimal string), for membership changes. */
static void for_user_sessions(Signal *sig, const char *user, void (*fn)(Session *, uint64_t),
                              uint64_t server_id) {
    uint64_t uid;
    char key[BUS_KEY_MAX];
    if (!user || id_parse(user, &uid) < 0)
        return;
    size_t n;
    Sub *const *subs = bus_subscribers(sig->bus, bus_key(key, sizeof(key), 'u', uid), &n);
    for (size_t i = 0; i < n; i++)
        fn(subs[i]->owner, server_id);
}

static void join_server(Session *s, uint64_t server_id) {
    char key[BUS_KEY_MAX];
    bus_subscribe(s->sig->bus, bus_key(key, sizeof(key), 's', server_id), s, &s->subs);
}

/* A member who left or was removed stops receiving the server and its channels at once. */
static void leave_server(Session *s, uint64_t server_id) {
    char key[BUS_KEY_MAX];
    bus_key(key, sizeof(key), 's', server_id);
    for (Sub *sub = s->subs, *next; sub; sub = next) {
        next = sub->sub_next;
        const char *k = bus_topic_key(sub->topic);
        if (strcmp(k, key) == 0 || (k[0] == 'c' && sub->server_id == server_id))
            bus_unsubscribe(s->sig->bus, sub, &s->subs);
    }
}

static void drop_channel(Signal *sig, uint64_t channel_id) {
    char key[BUS_KEY_MAX];
    bus_key(key, sizeof(key), 'c', channel_id);
    size_t n;
    while (bus_subscribers(sig->bus, key, &n), n > 0) {
        Sub *sub = bus_subscribers(sig->bus, key, &n)[0];
        Session *s = sub->owner;
        bus_unsubscribe(sig->bus, sub, &s->subs);
    }
}

static int compare_ids(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* A channel_deleted to users (those who may no longer view the channel: it is gone, or their view
 * of it was taken): their sessions leave it, the others' stay. */
static void drop_channel_for_users(Signal *sig, const Hype__Event *ev, uint64_t channel_id) {
    size_t n = 1 + ev->n_more_target_ids;
    uint64_t *users = malloc(n * sizeof(*users));
    if (!users) {
        log_error("channel %" PRIu64 " left by %zu users' sessions: out of memory", channel_id, n);
        return;
    }
    users[0] = ev->target_id;
    if (ev->n_more_target_ids) /* more_target_ids is NULL without */
        memcpy(users + 1, ev->more_target_ids, ev->n_more_target_ids * sizeof(*users));
    qsort(users, n, sizeof(*users), compare_ids);
    char key[BUS_KEY_MAX];
    bus_key(key, sizeof(key), 'c', channel_id);
    size_t count;
    Sub *const *subs = bus_subscribers(sig->bus, key, &count);
    /* Unsubscribing moves the last subscriber to its place: look at position i again. */
    for (size_t i = 0; i < count;) {
        Session *s = subs[i]->owner;
        if (bsearch(&s->who.user_id, users, n, sizeof(*users), compare_ids)) {
            bus_unsubscribe(sig->bus, subs[i], &s->subs);
            subs = bus_subscribers(sig->bus, key, &count);
        } else
            i++;
    }
    free(users);
}

static void broadcast(Signal *sig, OutEvent *out) {
    for (Session *s = sig->sessions; s; s = s->next)
        session_send(s, out);
}

/* A login session ended (logout, blocked or deleted account, refresh token reuse): its live
 * connections end too, with 4001 as for a bad token, and so do those still being checked. */
static void close_revoked(Signal *sig, uint64_t user_id, const char *json) {
    json_object *data = NULL;
    uint64_t sid = 0;
    if (json_parse_strict(json, strlen(json), 4, &data, NULL) == 0)
        id_parse(json_object_get_string(json_get(data, "sessionId")), &sid);
    json_object_put(data);
    char key[BUS_KEY_MAX];
    bus_key(key, sizeof(key), 'u', user_id);
    /* Closing unsubscribes the victim: look again after each, however many there are. */
    for (;;) {
        size_t n;
        Sub *const *subs = bus_subscribers(sig->bus, key, &n);
        Session *victim = NULL;
        for (size_t i = 0; i < n && !victim; i++) {
            Session *s = subs[i]->owner;
            if (s->who.session_id == sid && !s->no_resume)
                victim = s;
        }
        if (!victim)
            return;
        session_revoke(victim);
    }
}

/* Every target of ev at once, so a session in several of them gets the event once, however many
 * targets there are (a user's presence goes to each of the servers it is in). */
static void publish_to_targets(Signal *sig, const Hype__Event *ev, OutEvent *out) {
    size_t n = 1 + ev->n_more_target_ids;
    char stack_bufs[KEYS_ON_STACK][BUS_KEY_MAX];
    const char *stack_keys[KEYS_ON_STACK];
    char(*bufs)[BUS_KEY_MAX] = n <= KEYS_ON_STACK ? stack_bufs : malloc(n * BUS_KEY_MAX);
    const char **keys = n <= KEYS_ON_STACK ? stack_keys : malloc(n * sizeof(*keys));
    if (bufs && keys) {
        char kind = kind_prefix(ev->target_kind);
        for (size_t i = 0; i < n; i++)
            keys[i] = bus_key(bufs[i], BUS_KEY_MAX, kind,
                              i == 0 ? ev->target_id : ev->more_target_ids[i - 1]);
        sessions_publish(sig, keys, n, out, NULL);
    } else
        log_error("event \"%s\" to %zu targets dropped: out of memory", ev->type, n);
    if (bufs != stack_bufs)
        free(bufs);
    if (keys != stack_keys)
        free(keys);
}

void events_dispatch(const Hype__Event *ev, void *userdata) {
    Signal *sig = userdata;
    if (strcmp(ev->type, "session_revoked") == 0) {
        close_revoked(sig, ev->target_id, ev->json);
        return;
    }
    OutEvent *out = out_event_new(ev->type, ev->json);
    if (!out)
        return;
    json_object *data = NULL;
    bool membership =
        strcmp(ev->type, "member_joined") == 0 || strcmp(ev->type, "member_left") == 0;
    if (membership || strcmp(ev->type, "channel_deleted") == 0)
        json_parse_strict(ev->json, strlen(ev->json), 16, &data, NULL);
    const char *user = json_object_get_string(json_get(data, "userId"));
    /* A new member's sessions start receiving the server now, this event included. */
    if (strcmp(ev->type, "member_joined") == 0)
        for_user_sessions(sig, user, join_server, ev->target_id);
    if (ev->target_kind == HYPE__EVENT__TARGET_KIND__TARGET_BROADCAST) {
        broadcast(sig, out);
    } else if (kind_prefix(ev->target_kind)) {
        publish_to_targets(sig, ev, out);
    } else
        log_warning("event \"%s\" with an unknown target kind %d dropped", ev->type,
                    ev->target_kind);
    if (strcmp(ev->type, "member_left") == 0)
        for_user_sessions(sig, user, leave_server, ev->target_id);
    if (strcmp(ev->type, "channel_deleted") == 0) {
        uint64_t cid;
        const char *c = json_object_get_string(json_get(data, "id"));
        if (c && id_parse(c, &cid) == 0 && ev->target_kind == HYPE__EVENT__TARGET_KIND__TARGET_USER)
            drop_channel_for_users(sig, ev, cid);
        else if (c && id_parse(c, &cid) == 0) /* a public channel is gone for everyone */
            drop_channel(sig, cid);
    }
    if (ev->permissions_changed) {
        uint64_t server_id = ev->server_id;
        if (!server_id && ev->target_kind == HYPE__EVENT__TARGET_KIND__TARGET_SERVER)
            server_id = ev->target_id;
        if (server_id)
            gateway_recheck_server(sig, server_id);
    }
    json_object_put(data);
    out_event_unref(out);
}
