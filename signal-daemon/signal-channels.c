/* signal-channels: live channels for sessions: subscriptions (user_joined, user_left: hype-api's
 * ChannelAccess decides), typing, the message and voice_state relays to the REST API, and keeping
 * subscriptions right as channels, memberships and permissions change. */
#include "signal-channels.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hype-id.h"
#include "hype-json.h"
#include "hype-log.h"
#include "hype-macro.h"
#include "hype-time.h"

#define TYPING_MIN_INTERVAL_MS 1000 /* a client repeating "typing" faster is ignored */
#define ANSWER_JSON_DEPTH 16

struct Channels {
    const SignalConfig *cfg;
    Bus *bus;
    SessionRegistry *sessions;
    Gateway *gw;
    unsigned slot; /* each session's ChannelsState */
};

/* What a session keeps here (in its slot, from its first "typing"). */
typedef struct ChannelsState {
    uint64_t last_typing_ms;
} ChannelsState;

/* A call to hype-api on a session's behalf (an op waiting for it, or a re-check), and what its
 * answer needs. */
typedef struct Waiting {
    Channels *ch;
    OpReply reply;       /* ops: where the outcome goes */
    const char *what;    /* ops: the fallback error message */
    uint64_t channel_id; /* user_joined, re-checks */
    char *nonce;         /* message: the client's, echoed in message_ack and errors */
} Waiting;

static Waiting *wait_begin(Channels *ch, Session *s, OpReply reply, const char *what) {
    if (!gateway_op_begin(ch->gw, s, reply))
        return NULL;
    Waiting *w = calloc(1, sizeof(*w));
    if (!w) {
        gateway_op_end(
            s, reply,
            &(OpOutcome){.code = ipc_error_from_errno(-ENOMEM), .message = "Out of memory"});
        return NULL;
    }
    *w = (Waiting){.ch = ch, .reply = reply, .what = what};
    return w;
}

static void wait_free(Waiting *w) {
    free(w->nonce);
    free(w);
}

/* Ends a relayed op with the REST API's answer. */
static void wait_end_api(Session *s, Waiting *w, Hype__Error__Code code, json_object *root,
                         json_object *extra) {
    gateway_op_end_api(s, w->reply, code, root, w->what, extra);
    wait_free(w);
}

static bool channel_id_of(json_object *data, uint64_t *ret) {
    const char *c = json_object_get_string(json_get(data, "channelId"));
    return c && id_parse(c, ret) == 0;
}

static json_object *channel_json(uint64_t channel_id) {
    json_object *d = json_object_new_object();
    char cid[ID_STRING_MAX];
    json_object_object_add(d, "channelId", json_object_new_string(id_to_string(channel_id, cid)));
    return d;
}

static OutEvent *user_channel_event(Session *s, const char *type, uint64_t channel_id,
                                    json_object *extra) {
    json_object *d = extra ? extra : json_object_new_object();
    char uid[ID_STRING_MAX], cid[ID_STRING_MAX];
    json_object_object_add(d, "userId", json_object_new_string(id_to_string(s->who.user_id, uid)));
    json_object_object_add(d, "username", json_object_new_string(s->who.username));
    json_object_object_add(d, "channelId", json_object_new_string(id_to_string(channel_id, cid)));
    OutEvent *ev = out_event_new(type, json_serialize(d, NULL));
    json_object_put(d);
    return ev;
}

/* The channel a topic key names ("c:<id>"), or false for another kind of topic. */
static bool channel_of_key(const char *key, uint64_t *ret) {
    return key[0] == 'c' && id_parse(key + 2, ret) == 0;
}

/* ---- subscriptions ---- */

/*
 * user_joined / user_left to the channel's subscribers, the session itself included (its
 * confirmation). In a large channel only the session hears it: telling everyone would make N
 * joins cost N^2 deliveries, as Discord stops sending member presence in large guilds.
 */
static void announce(Channels *ch, Session *s, const char *type, uint64_t channel_id,
                     const char *key) {
    OutEvent *ev = user_channel_event(s, type, channel_id, NULL);
    if (!ev)
        return;
    size_t n;
    bus_subscribers(ch->bus, key, &n);
    if ((long long)n > ch->cfg->channel_broadcast_max)
        session_send(s, ev);
    else
        sessions_publish_one(ch->sessions, key, ev, NULL);
    out_event_unref(ev);
}

/* Asks hype-api whether s may see channel_id live (a member who may view it). */
static void ask_access(Session *s, uint64_t channel_id, session_request_cb cb, Waiting *w) {
    Hype__ApiSignal__ChannelAccess q = HYPE__API_SIGNAL__CHANNEL_ACCESS__INIT;
    q.user_id = s->who.user_id;
    q.session_id = s->who.session_id;
    q.channel_id = channel_id;
    Hype__ApiSignal__Envelope env = HYPE__API_SIGNAL__ENVELOPE__INIT;
    env.body_case = HYPE__API_SIGNAL__ENVELOPE__BODY_CHANNEL_ACCESS;
    env.channel_access = &q;
    session_request(s, &env, cb, w);
}

/* The op's data, as the REST route GET /api/channels/:id/access shows the same access. */
static json_object *access_json(uint64_t channel_id,
                                const Hype__ApiSignal__ChannelAccessResult *a) {
    json_object *d = channel_json(channel_id);
    char sid[ID_STRING_MAX], perms[ID_STRING_MAX];
    json_object_object_add(d, "serverId", json_object_new_string(id_to_string(a->server_id, sid)));
    json_object_object_add(d, "type", json_object_new_string(a->channel_type));
    json_object_object_add(d, "permissions",
                           json_object_new_string(id_to_string(a->permissions, perms)));
    return d;
}

static void on_channel_checked(Session *s, const Hype__ApiSignal__Envelope *result,
                               const Hype__Error *error, void *userdata) {
    Waiting *w = userdata;
    Channels *ch = w->ch;
    OpOutcome o = {.code = HYPE__ERROR__CODE__CODE_UNAVAILABLE, .message = w->what};
    json_object *data = NULL, *extra = channel_json(w->channel_id);
    if (error)
        o = (OpOutcome){.code = error->code, .message = error->message, .extra = extra};
    else if (s->state != SESSION_CLOSED) {
        const Hype__ApiSignal__ChannelAccessResult *a = result->channel_access_result;
        char key[BUS_KEY_MAX];
        bus_key(key, sizeof(key), 'c', w->channel_id);
        Sub *sub = bus_subscribe(ch->bus, key, s, &s->subs);
        if (sub)
            sub->server_id = a->server_id;
        announce(ch, s, "user_joined", w->channel_id, key);
        data = access_json(w->channel_id, a);
        o = (OpOutcome){.data = data};
    }
    gateway_op_end(s, w->reply, &o);
    wait_free(w);
    json_object_put(data);
    json_object_put(extra);
}

static void op_join_channel(void *feature, Session *s, json_object *data, OpReply reply) {
    uint64_t channel_id;
    if (!channel_id_of(data, &channel_id)) {
        gateway_fail(s, reply, HYPE__ERROR__CODE__CODE_BAD_REQUEST, "user_joined needs a channelId",
                     NULL);
        return;
    }
    Waiting *w = wait_begin(feature, s, reply, "Cannot join the channel");
    if (!w)
        return;
    w->channel_id = channel_id;
    ask_access(s, channel_id, on_channel_checked, w);
}

static void op_leave_channel(void *feature, Session *s, json_object *data, OpReply reply) {
    Channels *ch = feature;
    uint64_t channel_id;
    char key[BUS_KEY_MAX];
    if (!channel_id_of(data, &channel_id)) {
        gateway_fail(s, reply, HYPE__ERROR__CODE__CODE_BAD_REQUEST, "user_left needs a channelId",
                     NULL);
        return;
    }
    Sub *sub = bus_find(s->subs, bus_key(key, sizeof(key), 'c', channel_id));
    if (sub) {
        announce(ch, s, "user_left", channel_id, key);
        bus_unsubscribe(ch->bus, sub, &s->subs);
    }
    json_object *d = channel_json(channel_id);
    gateway_succeed(s, reply, d);
    json_object_put(d);
}

/* ---- typing ---- */

static void op_typing(void *feature, Session *s, json_object *data, OpReply reply) {
    Channels *ch = feature;
    uint64_t channel_id;
    char key[BUS_KEY_MAX];
    if (!channel_id_of(data, &channel_id) ||
        !bus_find(s->subs, bus_key(key, sizeof(key), 'c', channel_id))) {
        gateway_fail(s, reply, HYPE__ERROR__CODE__CODE_FORBIDDEN,
                     "Join the channel (user_joined) before typing in it", NULL);
        return;
    }
    ChannelsState *st = s->slots[ch->slot];
    if (!st && !(st = s->slots[ch->slot] = calloc(1, sizeof(*st)))) {
        gateway_fail_errno(s, reply, -ENOMEM, "Out of memory");
        return;
    }
    uint64_t now = time_mono_ms();
    /* Faster repeats are not sent: the indicator is still showing anyway. */
    if (now - st->last_typing_ms >= TYPING_MIN_INTERVAL_MS) {
        st->last_typing_ms = now;
        json_object *extra = json_object_new_object();
        json_object_object_add(extra, "timeout",
                               json_object_new_int64((int64_t)ch->cfg->typing_timeout_ms));
        OutEvent *ev = user_channel_event(s, "typing", channel_id, extra);
        if (ev)
            sessions_publish_one(ch->sessions, key, ev, s);
        out_event_unref(ev);
    }
    gateway_succeed(s, reply, NULL);
}

/* ---- messages and voice states: the REST API's, relayed; hype-api publishes them ---- */

static void on_relayed(Session *s, Hype__Error__Code code, const char *body, void *userdata) {
    Waiting *w = userdata;
    json_object *root = NULL, *extra = json_object_new_object();
    json_parse_strict(body, strlen(body), ANSWER_JSON_DEPTH, &root, NULL);
    if (w->nonce)
        json_object_object_add(extra, "nonce", json_object_new_string(w->nonce));
    if (!code && w->nonce) {
        /* The event itself comes through the channel; this tells the sender which it was. */
        json_object *ack = json_object_new_object();
        json_object_object_add(ack, "nonce", json_object_new_string(w->nonce));
        json_object_object_add(ack, "message", json_object_get(json_get(root, "data")));
        session_send_now(s, "message_ack", json_serialize(ack, NULL));
        json_object_put(ack);
    }
    wait_end_api(s, w, code, root, extra);
    json_object_put(extra);
    json_object_put(root);
}

/* A client action that is the REST API itself, with its validation, permissions and rate
 * limits: relayed as the HTTP request it is (ApiCall), not retyped here. */
static void relay(Channels *ch, Session *s, const char *method, const char *target,
                  json_object *body, const char *what, OpReply reply) {
    Waiting *w = wait_begin(ch, s, reply, what);
    if (!w)
        return;
    const char *nonce = json_object_get_string(json_get(body, "nonce"));
    w->nonce = nonce ? strndup(nonce, 64) : NULL;
    json_object_object_del(body, "nonce");
    session_api_call(s, method, target, json_serialize(body, NULL), on_relayed, w);
}

static void op_message(void *feature, Session *s, json_object *data, OpReply reply) {
    if (!json_object_is_type(data, json_type_object)) {
        gateway_fail(s, reply, HYPE__ERROR__CODE__CODE_BAD_REQUEST,
                     "message needs {channelId, content}", NULL);
        return;
    }
    relay(feature, s, "POST", "/api/messages", data, "Message not sent", reply);
}

static void op_voice_state(void *feature, Session *s, json_object *data, OpReply reply) {
    if (!json_object_is_type(data, json_type_object)) {
        gateway_fail(s, reply, HYPE__ERROR__CODE__CODE_BAD_REQUEST,
                     "voice_state needs {channelId|null, isMuted, isDeafened}", NULL);
        return;
    }
    if (!json_object_object_get_ex(data, "channelId", NULL))
        json_object_object_add(data, "channelId", NULL);
    relay(feature, s, "PUT", "/api/voice/state", data, "Voice state not changed", reply);
}

static const GatewayOp ops[] = {
    {"user_joined", op_join_channel, OP_REQUIRES_READY},
    {"join_channel", op_join_channel, OP_REQUIRES_READY},
    {"user_left", op_leave_channel, OP_REQUIRES_READY},
    {"leave_channel", op_leave_channel, OP_REQUIRES_READY},
    {"typing", op_typing, OP_REQUIRES_READY},
    {"message", op_message, OP_REQUIRES_READY},
    {"voice_state", op_voice_state, OP_REQUIRES_READY},
};

/* ---- the end of a session ---- */

/* A session that ends leaves its channels as user_left would; the user's last one leaves its
 * voice channel too. */
static void on_session_end(Session *s, void *userdata) {
    Channels *ch = userdata;
    for (Sub *sub = s->subs; sub; sub = sub->sub_next) {
        const char *key = bus_topic_key(sub->topic);
        uint64_t channel_id;
        if (channel_of_key(key, &channel_id))
            announce(ch, s, "user_left", channel_id, key);
    }
    if (sessions_user_count(ch->sessions, s->who.user_id) == 0) {
        Hype__ApiSignal__ClearVoice q = HYPE__API_SIGNAL__CLEAR_VOICE__INIT;
        q.user_id = s->who.user_id;
        Hype__ApiSignal__Envelope env = HYPE__API_SIGNAL__ENVELOPE__INIT;
        env.body_case = HYPE__API_SIGNAL__ENVELOPE__BODY_CLEAR_VOICE;
        env.clear_voice = &q;
        session_request(s, &env, NULL, NULL); /* hype-api tells who may view the channel */
    }
}

static const SessionHooks hooks = {.end = on_session_end, .free_state = free};

/* ---- channels, memberships and permissions that change ---- */

/* A member who left or was removed stops receiving the server's channels at once. */
static void on_member_left(void *userdata, const Hype__ApiSignal__Event *ev, json_object *data) {
    Channels *ch = userdata;
    uint64_t user_id;
    if (id_parse(json_object_get_string(json_get(data, "userId")), &user_id) < 0)
        return;
    size_t n;
    Sub *const *users = sessions_of_user(ch->sessions, user_id, &n);
    for (size_t i = 0; i < n; i++) {
        Session *s = users[i]->owner;
        for (Sub *sub = s->subs, *next; sub; sub = next) {
            next = sub->sub_next;
            uint64_t channel_id;
            if (channel_of_key(bus_topic_key(sub->topic), &channel_id) &&
                sub->server_id == ev->target_id)
                bus_unsubscribe(ch->bus, sub, &s->subs);
        }
    }
}

static void drop_channel(Channels *ch, uint64_t channel_id) {
    char key[BUS_KEY_MAX];
    bus_key(key, sizeof(key), 'c', channel_id);
    size_t n;
    while (bus_subscribers(ch->bus, key, &n), n > 0) {
        Sub *sub = bus_subscribers(ch->bus, key, &n)[0];
        Session *s = sub->owner;
        bus_unsubscribe(ch->bus, sub, &s->subs);
    }
}

static int compare_ids(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* A channel_deleted to users (those who may no longer view the channel: it is gone, or their view
 * of it was taken): their sessions leave it, the others' stay. */
static void drop_channel_for_users(Channels *ch, const Hype__ApiSignal__Event *ev,
                                   uint64_t channel_id) {
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
    Sub *const *subs = bus_subscribers(ch->bus, key, &count);
    /* Unsubscribing moves the last subscriber to its place: look at position i again. */
    for (size_t i = 0; i < count;) {
        Session *s = subs[i]->owner;
        if (bsearch(&s->who.user_id, users, n, sizeof(*users), compare_ids)) {
            bus_unsubscribe(ch->bus, subs[i], &s->subs);
            subs = bus_subscribers(ch->bus, key, &count);
        } else
            i++;
    }
    free(users);
}

static void on_channel_deleted(void *userdata, const Hype__ApiSignal__Event *ev,
                               json_object *data) {
    uint64_t channel_id;
    if (id_parse(json_object_get_string(json_get(data, "id")), &channel_id) < 0)
        return;
    if (ev->target_kind == HYPE__API_SIGNAL__EVENT__TARGET_KIND__TARGET_USER)
        drop_channel_for_users(userdata, ev, channel_id);
    else /* a public channel is gone for everyone */
        drop_channel(userdata, channel_id);
}

/* Whether a refusal of ChannelAccess says the session may not see the channel (rather than that
 * hype-api cannot tell now). */
static bool refused(const Hype__Error *error) {
    return error->code == HYPE__ERROR__CODE__CODE_NOT_FOUND ||
           error->code == HYPE__ERROR__CODE__CODE_FORBIDDEN ||
           error->code == HYPE__ERROR__CODE__CODE_UNAUTHENTICATED;
}

static void on_rechecked(Session *s, const Hype__ApiSignal__Envelope *result,
                         const Hype__Error *error, void *userdata) {
    Waiting *w = userdata;
    Channels *ch = w->ch;
    uint64_t channel_id = w->channel_id;
    free(w);
    if (s->state == SESSION_CLOSED || !error || !refused(error))
        return; /* gone, still allowed, or cannot tell now: keep what the session had */
    char key[BUS_KEY_MAX];
    Sub *sub = bus_find(s->subs, bus_key(key, sizeof(key), 'c', channel_id));
    if (!sub)
        return;
    bus_unsubscribe(ch->bus, sub, &s->subs);
    json_object *d = channel_json(channel_id);
    session_send_now(s, "channel_access_revoked", json_serialize(d, NULL));
    json_object_put(d);
}

/* Permissions changed in a server: every live subscription to its channels is checked again;
 * sessions that lost a channel are unsubscribed and told ("channel_access_revoked"). */
static void on_permissions_changed(void *userdata, uint64_t server_id) {
    Channels *ch = userdata;
    for (Session *s = sessions_list(ch->sessions); s; s = s->next) {
        if (s->state != SESSION_READY && s->state != SESSION_DETACHED)
            continue;
        for (Sub *sub = s->subs; sub; sub = sub->sub_next) {
            uint64_t channel_id;
            if (!channel_of_key(bus_topic_key(sub->topic), &channel_id) ||
                sub->server_id != server_id)
                continue;
            Waiting *w = calloc(1, sizeof(*w));
            if (!w)
                continue;
            *w = (Waiting){.ch = ch, .channel_id = channel_id};
            ask_access(s, channel_id, on_rechecked, w);
        }
    }
}

/* ---- lifecycle ---- */

int channels_new(const SignalConfig *cfg, Bus *bus, SessionRegistry *sessions, Gateway *gw,
                 Events *events, Channels **ret) {
    Channels *ch = calloc(1, sizeof(*ch));
    if (!ch)
        return -ENOMEM;
    *ch = (Channels){.cfg = cfg, .bus = bus, .sessions = sessions, .gw = gw};
    int r = sessions_register(sessions, &hooks, ch, &ch->slot);
    if (r == 0)
        r = gateway_register(gw, ops, ELEMENTSOF(ops), ch);
    if (r == 0)
        r = events_on(events, HYPE__API_SIGNAL__EVENT_KIND__EVENT_MEMBER_LEFT, EVENT_AFTER,
                      on_member_left, ch);
    if (r == 0)
        r = events_on(events, HYPE__API_SIGNAL__EVENT_KIND__EVENT_CHANNEL_DELETED, EVENT_AFTER,
                      on_channel_deleted, ch);
    if (r == 0)
        r = events_on_permissions_changed(events, on_permissions_changed, ch);
    if (r < 0) {
        channels_free(ch);
        return r;
    }
    *ret = ch;
    return 0;
}

Channels *channels_free(Channels *ch) {
    free(ch);
    return NULL;
}
