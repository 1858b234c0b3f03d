/* signal-events: events from hype-api (signal.sock) to exactly the sessions that may see them, and
 * the tables of what features do about them (event kind -> handlers; permission changes). */
#include "signal-events.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hype-id.h"
#include "hype-json.h"
#include "hype-log.h"

#define KEYS_ON_STACK 16 /* most events have one target; a user's presence has one per server */
#define EVENT_JSON_DEPTH 16

typedef struct Handler {
    struct Handler *next;
    EventPhase phase;
    event_handler fn;
    void *userdata;
} Handler;

typedef struct PermissionsHandler {
    struct PermissionsHandler *next;
    permissions_handler fn;
    void *userdata;
} PermissionsHandler;

struct Events {
    SessionRegistry *sessions;
    Bus *bus;
    Handler *by_kind[IPC_EVENT_KIND_END]; /* each kind's first Handler */
    PermissionsHandler *on_permissions;
};

/* ---- the tables ---- */

int events_on(Events *e, Hype__ApiSignal__EventKind kind, EventPhase phase, event_handler fn,
              void *userdata) {
    if (!ipc_event_kind_name(kind))
        return -EINVAL;
    Handler *h = calloc(1, sizeof(*h)), **tail = &e->by_kind[kind];
    if (!h)
        return -ENOMEM;
    *h = (Handler){NULL, phase, fn, userdata};
    while (*tail)
        tail = &(*tail)->next;
    *tail = h;
    return 0;
}

int events_on_permissions_changed(Events *e, permissions_handler fn, void *userdata) {
    PermissionsHandler *h = calloc(1, sizeof(*h)), **tail = &e->on_permissions;
    if (!h)
        return -ENOMEM;
    *h = (PermissionsHandler){NULL, fn, userdata};
    while (*tail)
        tail = &(*tail)->next;
    *tail = h;
    return 0;
}

/* Runs the handlers of one phase; whether there was one. */
static bool run(const Handler *h, EventPhase phase, const Hype__ApiSignal__Event *ev,
                json_object *data) {
    bool ran = false;
    for (; h; h = h->next)
        if (h->phase == phase) {
            h->fn(h->userdata, ev, data);
            ran = true;
        }
    return ran;
}

/* ---- delivery ---- */

static char kind_prefix(Hype__ApiSignal__Event__TargetKind kind) {
    switch (kind) {
    case HYPE__API_SIGNAL__EVENT__TARGET_KIND__TARGET_SERVER: return 's';
    case HYPE__API_SIGNAL__EVENT__TARGET_KIND__TARGET_CHANNEL: return 'c';
    case HYPE__API_SIGNAL__EVENT__TARGET_KIND__TARGET_USER: return 'u';
    default: return 0;
    }
}

static void broadcast(Events *e, OutEvent *out) {
    for (Session *s = sessions_list(e->sessions); s; s = s->next)
        session_send(s, out);
}

/* Every target of ev at once, so a session in several of them gets the event once, however many
 * targets there are (a user's presence goes to each of the servers it is in). */
static void publish_to_targets(Events *e, const Hype__ApiSignal__Event *ev, OutEvent *out) {
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
        sessions_publish(e->sessions, keys, n, out, NULL);
    } else
        log_error("event \"%s\" to %zu targets dropped: out of memory", out->type, n);
    if (bufs != stack_bufs)
        free(bufs);
    if (keys != stack_keys)
        free(keys);
}

void events_dispatch(Events *e, const Hype__ApiSignal__Event *ev) {
    const char *name = ipc_event_kind_name(ev->kind);
    if (!name) {
        log_warning("event of unknown kind %d dropped (a newer hype-api?)", (int)ev->kind);
        return;
    }
    const Handler *own = e->by_kind[ev->kind];
    json_object *data = NULL;
    if (own)
        json_parse_strict(ev->json, strlen(ev->json), EVENT_JSON_DEPTH, &data, NULL);
    if (run(own, EVENT_INSTEAD, ev, data)) {
        json_object_put(data);
        return;
    }
    OutEvent *out = out_event_new(name, ev->json);
    if (!out) {
        json_object_put(data);
        return;
    }
    run(own, EVENT_BEFORE, ev, data);
    if (ev->target_kind == HYPE__API_SIGNAL__EVENT__TARGET_KIND__TARGET_BROADCAST) {
        broadcast(e, out);
    } else if (kind_prefix(ev->target_kind)) {
        publish_to_targets(e, ev, out);
    } else
        log_warning("event \"%s\" with an unknown target kind %d dropped", name, ev->target_kind);
    run(own, EVENT_AFTER, ev, data);
    if (ev->permissions_changed) {
        uint64_t server_id = ev->server_id;
        if (!server_id && ev->target_kind == HYPE__API_SIGNAL__EVENT__TARGET_KIND__TARGET_SERVER)
            server_id = ev->target_id;
        for (const PermissionsHandler *h = e->on_permissions; h && server_id; h = h->next)
            h->fn(h->userdata, server_id);
    }
    json_object_put(data);
    out_event_unref(out);
}

/* ---- membership: who receives a server's events ---- */

/* The sessions of the member an event is about (its data's userId): fn for each. */
static void for_member_sessions(Events *e, json_object *data,
                                void (*fn)(Events *, Session *, uint64_t), uint64_t server_id) {
    uint64_t uid;
    const char *user = json_object_get_string(json_get(data, "userId"));
    if (!user || id_parse(user, &uid) < 0)
        return;
    size_t n;
    Sub *const *subs = sessions_of_user(e->sessions, uid, &n);
    for (size_t i = 0; i < n; i++)
        fn(e, subs[i]->owner, server_id);
}

static void join_server(Events *e, Session *s, uint64_t server_id) {
    char key[BUS_KEY_MAX];
    bus_subscribe(e->bus, bus_key(key, sizeof(key), 's', server_id), s, &s->subs);
}

static void leave_server(Events *e, Session *s, uint64_t server_id) {
    char key[BUS_KEY_MAX];
    Sub *sub = bus_find(s->subs, bus_key(key, sizeof(key), 's', server_id));
    if (sub)
        bus_unsubscribe(e->bus, sub, &s->subs);
}

/* A new member's sessions start receiving the server now, this event included. */
static void on_member_joined(void *userdata, const Hype__ApiSignal__Event *ev, json_object *data) {
    for_member_sessions(userdata, data, join_server, ev->target_id);
}

/* A member who left or was removed stops receiving the server at once (and its channels: see
 * signal-channels). */
static void on_member_left(void *userdata, const Hype__ApiSignal__Event *ev, json_object *data) {
    for_member_sessions(userdata, data, leave_server, ev->target_id);
}

/* A login session ended (logout, blocked or deleted account, refresh token reuse): its live
 * connections end too, with 4001 as for a bad token, and so do those still being checked. */
static void on_session_revoked(void *userdata, const Hype__ApiSignal__Event *ev,
                               json_object *data) {
    Events *e = userdata;
    uint64_t sid = 0;
    id_parse(json_object_get_string(json_get(data, "sessionId")), &sid);
    /* Closing unsubscribes the victim: look again after each, however many there are. */
    for (;;) {
        size_t n;
        Sub *const *subs = sessions_of_user(e->sessions, ev->target_id, &n);
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

/* ---- lifecycle ---- */

Events *events_free(Events *e) {
    if (!e)
        return NULL;
    for (size_t k = 0; k < IPC_EVENT_KIND_END; k++)
        for (Handler *h = e->by_kind[k], *next; h; h = next) {
            next = h->next;
            free(h);
        }
    for (PermissionsHandler *h = e->on_permissions, *next; h; h = next) {
        next = h->next;
        free(h);
    }
    free(e);
    return NULL;
}

int events_new(SessionRegistry *sessions, Bus *bus, Events **ret) {
    Events *e = calloc(1, sizeof(*e));
    if (!e)
        return -ENOMEM;
    e->sessions = sessions;
    e->bus = bus;
    int r = events_on(e, HYPE__API_SIGNAL__EVENT_KIND__EVENT_MEMBER_JOINED, EVENT_BEFORE,
                      on_member_joined, e);
    if (r == 0)
        r = events_on(e, HYPE__API_SIGNAL__EVENT_KIND__EVENT_MEMBER_LEFT, EVENT_AFTER,
                      on_member_left, e);
    if (r == 0)
        r = events_on(e, HYPE__API_SIGNAL__EVENT_KIND__EVENT_SESSION_REVOKED, EVENT_INSTEAD,
                      on_session_revoked, e);
    if (r < 0) {
        events_free(e);
        return r;
    }
    *ret = e;
    return 0;
}
