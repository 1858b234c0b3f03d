/* signal-gateway: what clients ask of a session (auth, channel subscriptions, typing, messages,
 * voice states, the mesh relay), and the raw protocol's transport at / and /ws. */
#include "signal-gateway.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hype-http-parser.h"
#include "hype-id.h"
#include "hype-json.h"
#include "hype-log.h"
#include "hype-ws.h"
#include "signal-rooms.h"
#include "hype-time.h"

#define TYPING_MIN_INTERVAL_MS 1000 /* a client repeating "typing" faster is ignored */
#define OP_JSON_DEPTH 16

/* ---- outcomes ---- */

json_object *gateway_error_json(const OpOutcome *o) {
    json_object *d = json_object_new_object();
    if (o->extra) {
        json_object_object_foreach(o->extra, k, v) json_object_object_add(d, k, json_object_get(v));
    }
    json_object_object_add(d, "code", json_object_new_int(o->code));
    json_object_object_add(d, "message", json_object_new_string(o->message));
    return d;
}

/* Every op ends here, exactly once: the caller's done (a Socket.IO ack) hears the outcome, or,
 * without one, a failure becomes an "error" frame. */
static void finish(Session *s, op_done_cb done, void *userdata, const OpOutcome *o) {
    if (done) {
        done(s, o, userdata);
    } else if (o->code) {
        json_object *d = gateway_error_json(o);
        session_send_now(s, "error", json_serialize(d, NULL));
        json_object_put(d);
    }
}

static void fail(Session *s, op_done_cb done, void *userdata, int code, const char *message,
                 json_object *extra) {
    finish(s, done, userdata, &(OpOutcome){.code = code, .message = message, .extra = extra});
}

static void succeed(Session *s, op_done_cb done, void *userdata, json_object *data) {
    finish(s, done, userdata, &(OpOutcome){.data = data});
}

/* An op waiting for hype-api. Each session may have WS_PENDING_OPS of them: a client that
 * floods requests is refused (429) instead of queuing without bound on signal.sock. */
typedef struct Op {
    op_done_cb done;
    void *userdata;
    uint64_t channel_id;
    char *nonce;      /* message: the client's, echoed in message_ack and errors */
    const char *what; /* the fallback error message */
} Op;

static Op *op_start(Session *s, op_done_cb done, void *userdata) {
    if (s->pending_ops >= (unsigned)s->sig->cfg->pending_ops) {
        fail(s, done, userdata, 429, "Too many requests waiting for an answer: wait for them",
             NULL);
        return NULL;
    }
    Op *op = calloc(1, sizeof(*op));
    if (!op) {
        fail(s, done, userdata, 503, "Out of memory", NULL);
        return NULL;
    }
    op->done = done;
    op->userdata = userdata;
    s->pending_ops++;
    return op;
}

static void op_end(Session *s, Op *op, const OpOutcome *o) {
    s->pending_ops--;
    finish(s, op->done, op->userdata, o);
    free(op->nonce);
    free(op);
}

/* The outcome of a relayed API call: its "data" on 2xx, else its error, details and status. */
static void op_end_api(Session *s, Op *op, int status, json_object *root, json_object *extra) {
    OpOutcome o = {.data = json_get(root, "data")};
    if (status < 200 || status > 299) {
        const char *e = json_object_get_string(json_get(root, "error"));
        o = (OpOutcome){.code = status, .message = e ? e : op->what, .extra = extra};
        if (json_get(root, "details"))
            json_object_object_add(extra, "details", json_object_get(json_get(root, "details")));
    }
    op_end(s, op, &o);
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

/* ---- channel subscriptions ---- */

/*
 * user_joined / user_left to the channel's subscribers, the session itself included (its
 * confirmation). In a large channel only the session hears it: telling everyone would make N
 * joins cost N^2 deliveries, as Discord stops sending member presence in large guilds.
 */
static void announce(Session *s, const char *type, uint64_t channel_id, const char *key) {
    OutEvent *ev = user_channel_event(s, type, channel_id, NULL);
    if (!ev)
        return;
    size_t n;
    bus_subscribers(s->sig->bus, key, &n);
    if ((long long)n > s->sig->cfg->channel_broadcast_max)
        session_send(s, ev);
    else
        sessions_publish_one(s->sig, key, ev, NULL);
    out_event_unref(ev);
}

static void on_channel_checked(Session *s, int status, const char *body, void *userdata) {
    Op *op = userdata;
    json_object *root = NULL, *extra = channel_json(op->channel_id);
    json_parse_strict(body, strlen(body), OP_JSON_DEPTH, &root, NULL);
    if (status == 200 && s->state != SESSION_CLOSED) {
        const char *server = json_object_get_string(json_get(json_get(root, "data"), "serverId"));
        char key[BUS_KEY_MAX];
        bus_key(key, sizeof(key), 'c', op->channel_id);
        Sub *sub = bus_subscribe(s->sig->bus, key, s, &s->subs);
        if (sub && server)
            id_parse(server, &sub->server_id);
        announce(s, "user_joined", op->channel_id, key);
    }
    op_end_api(s, op, status, root, extra);
    json_object_put(extra);
    json_object_put(root);
}

static void op_join_channel(Session *s, json_object *data, op_done_cb done, void *userdata) {
    uint64_t channel_id;
    if (!channel_id_of(data, &channel_id)) {
        fail(s, done, userdata, 400, "user_joined needs a channelId", NULL);
        return;
    }
    Op *op = op_start(s, done, userdata);
    if (!op)
        return;
    op->channel_id = channel_id;
    op->what = "Cannot join the channel";
    char target[64];
    snprintf(target, sizeof(target), "/api/channels/%" PRIu64 "/access", channel_id);
    session_api_call(s, "GET", target, NULL, on_channel_checked, op);
}

static void op_leave_channel(Session *s, json_object *data, op_done_cb done, void *userdata) {
    uint64_t channel_id;
    char key[BUS_KEY_MAX];
    if (!channel_id_of(data, &channel_id)) {
        fail(s, done, userdata, 400, "user_left needs a channelId", NULL);
        return;
    }
    Sub *sub = bus_find(s->subs, bus_key(key, sizeof(key), 'c', channel_id));
    if (sub) {
        announce(s, "user_left", channel_id, key);
        bus_unsubscribe(s->sig->bus, sub, &s->subs);
    }
    json_object *d = channel_json(channel_id);
    succeed(s, done, userdata, d);
    json_object_put(d);
}

/* A session that ends leaves its channels as user_left would (the end hook). */
static void on_session_end(Session *s) {
    for (Sub *sub = s->subs; sub; sub = sub->sub_next) {
        const char *key = bus_topic_key(sub->topic);
        uint64_t channel_id;
        if (key[0] == 'c' && id_parse(key + 2, &channel_id) == 0)
            announce(s, "user_left", channel_id, key);
    }
}

/* ---- re-checks after permission changes ---- */

static void on_rechecked(Session *s, int status, const char *body, void *userdata) {
    uint64_t channel_id = *(uint64_t *)userdata;
    free(userdata);
    if (s->state == SESSION_CLOSED || status == 200 || status >= 500)
        return; /* gone, still allowed, or cannot tell now: keep what the session had */
    char key[BUS_KEY_MAX];
    Sub *sub = bus_find(s->subs, bus_key(key, sizeof(key), 'c', channel_id));
    if (!sub)
        return;
    bus_unsubscribe(s->sig->bus, sub, &s->subs);
    json_object *d = channel_json(channel_id);
    session_send_now(s, "channel_access_revoked", json_serialize(d, NULL));
    json_object_put(d);
}

void gateway_recheck_server(Signal *sig, uint64_t server_id) {
    for (Session *s = sig->sessions; s; s = s->next) {
        if (s->state != SESSION_READY && s->state != SESSION_DETACHED)
            continue;
        for (Sub *sub = s->subs; sub; sub = sub->sub_next) {
            const char *key = bus_topic_key(sub->topic);
            if (key[0] != 'c' || sub->server_id != server_id)
                continue;
            uint64_t *channel_id = malloc(sizeof(*channel_id));
            if (!channel_id)
                continue;
            *channel_id = strtoull(key + 2, NULL, 10);
            char target[64];
            snprintf(target, sizeof(target), "/api/channels/%" PRIu64 "/access", *channel_id);
            session_api_call(s, "GET", target, NULL, on_rechecked, channel_id);
        }
    }
}

/* ---- typing ---- */

static void op_typing(Session *s, json_object *data, op_done_cb done, void *userdata) {
    uint64_t channel_id;
    char key[BUS_KEY_MAX];
    if (!channel_id_of(data, &channel_id) ||
        !bus_find(s->subs, bus_key(key, sizeof(key), 'c', channel_id))) {
        fail(s, done, userdata, 403, "Join the channel (user_joined) before typing in it", NULL);
        return;
    }
    uint64_t now = time_mono_ms();
    /* Faster repeats are not sent: the indicator is still showing anyway. */
    if (now - s->last_typing_ms >= TYPING_MIN_INTERVAL_MS) {
        s->last_typing_ms = now;
        json_object *extra = json_object_new_object();
        json_object_object_add(extra, "timeout",
                               json_object_new_int64((int64_t)s->sig->cfg->typing_timeout_ms));
        OutEvent *ev = user_channel_event(s, "typing", channel_id, extra);
        if (ev)
            sessions_publish_one(s->sig, key, ev, s);
        out_event_unref(ev);
    }
    succeed(s, done, userdata, NULL);
}

/* ---- messages and voice states: persisted by hype-api, which publishes them ---- */

static void on_relayed(Session *s, int status, const char *body, void *userdata) {
    Op *op = userdata;
    json_object *root = NULL, *extra = json_object_new_object();
    json_parse_strict(body, strlen(body), OP_JSON_DEPTH, &root, NULL);
    if (op->nonce)
        json_object_object_add(extra, "nonce", json_object_new_string(op->nonce));
    if (status >= 200 && status <= 299 && op->nonce) {
        /* The event itself comes through the channel; this tells the sender which it was. */
        json_object *ack = json_object_new_object();
        json_object_object_add(ack, "nonce", json_object_new_string(op->nonce));
        json_object_object_add(ack, "message", json_object_get(json_get(root, "data")));
        session_send_now(s, "message_ack", json_serialize(ack, NULL));
        json_object_put(ack);
    }
    op_end_api(s, op, status, root, extra);
    json_object_put(extra);
    json_object_put(root);
}

static void relay(Session *s, const char *method, const char *target, json_object *body,
                  const char *what, op_done_cb done, void *userdata) {
    Op *op = op_start(s, done, userdata);
    if (!op)
        return;
    const char *nonce = json_object_get_string(json_get(body, "nonce"));
    op->nonce = nonce ? strndup(nonce, 64) : NULL;
    op->what = what;
    json_object_object_del(body, "nonce");
    session_api_call(s, method, target, json_serialize(body, NULL), on_relayed, op);
}

static void op_message(Session *s, json_object *data, op_done_cb done, void *userdata) {
    if (!json_object_is_type(data, json_type_object)) {
        fail(s, done, userdata, 400, "message needs {channelId, content}", NULL);
        return;
    }
    relay(s, "POST", "/api/messages", data, "Message not sent", done, userdata);
}

static void op_voice_state(Session *s, json_object *data, op_done_cb done, void *userdata) {
    if (!json_object_is_type(data, json_type_object)) {
        fail(s, done, userdata, 400, "voice_state needs {channelId|null, isMuted, isDeafened}",
             NULL);
        return;
    }
    if (!json_object_object_get_ex(data, "channelId", NULL))
        json_object_object_add(data, "channelId", NULL);
    relay(s, "PUT", "/api/voice/state", data, "Voice state not changed", done, userdata);
}

/* ---- the mesh relay (signal-rooms) ---- */

static void op_join_room(Session *s, json_object *data, op_done_cb done, void *userdata) {
    const char *error = NULL;
    int code = rooms_join(s, data, &error);
    if (code) {
        fail(s, done, userdata, code, error, NULL);
        return;
    }
    json_object *d = json_object_new_object();
    json_object_object_add(d, "roomId", json_object_new_string(s->room));
    succeed(s, done, userdata, d);
    json_object_put(d);
}

static void op_leave_room(Session *s, json_object *data, op_done_cb done, void *userdata) {
    rooms_leave(s);
    succeed(s, done, userdata, NULL);
}

static void op_signal(Session *s, json_object *data, op_done_cb done, void *userdata) {
    const char *error = NULL;
    int code = rooms_signal(s, data, &error);
    if (code)
        fail(s, done, userdata, code, error, NULL);
    else
        succeed(s, done, userdata, NULL);
}

/* ---- dispatch ---- */

static void op_auth(Session *s, json_object *data, op_done_cb done, void *userdata) {
    const char *token = json_object_get_string(json_get(data, "token"));
    const char *resume = json_object_get_string(json_get(data, "sessionId"));
    json_object *seq = json_get(data, "seq");
    const char *error = NULL;
    int code = session_authenticate(s, token, resume,
                                    seq ? (uint64_t)json_object_get_int64(seq) : 0, &error);
    if (code)
        fail(s, done, userdata, code, error, NULL);
    else
        succeed(s, done, userdata, NULL); /* what follows is "ready", or a 4001 close */
}

typedef void (*op_handler)(Session *s, json_object *data, op_done_cb done, void *userdata);

static const struct {
    const char *type;
    op_handler handler;
} ops[] = {
    {"user_joined", op_join_channel},
    {"join_channel", op_join_channel},
    {"user_left", op_leave_channel},
    {"leave_channel", op_leave_channel},
    {"typing", op_typing},
    {"message", op_message},
    {"voice_state", op_voice_state},
    {"join-room", op_join_room},
    {"leave-room", op_leave_room},
    {"signal", op_signal},
};

void gateway_handle(Session *s, const char *type, json_object *data, op_done_cb done,
                    void *userdata) {
    if (strcmp(type, "auth") == 0) {
        op_auth(s, data, done, userdata);
        return;
    }
    if (s->state != SESSION_READY) {
        fail(s, done, userdata, 401, "Not authenticated yet: send auth first", NULL);
        return;
    }
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        if (strcmp(type, ops[i].type) == 0) {
            ops[i].handler(s, data, done, userdata);
            return;
        }
    json_object *extra = json_object_new_object();
    json_object_object_add(extra, "type", json_object_new_string(type));
    fail(s, done, userdata, 400, "Unknown event type", extra);
    json_object_put(extra);
}

int gateway_init(Signal *sig) {
    int r = sessions_on_end(sig, on_session_end);
    return r < 0 ? r : sessions_on_end(sig, rooms_leave);
}

/* ---- the raw protocol: {"type","data","timestamp"} text frames ---- */

static bool raw_send_event(Session *s, const OutEvent *ev, uint64_t seq) {
    WsConn *ws = s->conn;
    char head[48];
    int n = seq ? snprintf(head, sizeof(head), "{\"seq\":%" PRIu64 ",", seq)
                : snprintf(head, sizeof(head), "{");
    /* One frame from two pieces: the shared tail is not copied per recipient into a string. */
    return ws_conn_send2(ws, true, head, (size_t)n, ev->tail, ev->tail_len) == 0;
}

static void raw_close(Session *s, uint16_t code, const char *reason) {
    if (s->conn)
        ws_conn_close(s->conn, code, reason);
}

static void raw_rebind(Session *s) {
    ws_conn_set_userdata(s->conn, s);
}

static void raw_authenticated(Session *s) {
    ws_conn_set_output_limit(s->conn, s->sig->cfg->output_limit);
}

static const SessionTransport raw_transport = {raw_send_event, raw_close, raw_rebind,
                                               raw_authenticated};

static void on_raw_message(WsConn *ws, bool text, const char *data, size_t len, void *userdata) {
    /* Held for the call: any frame sent while handling the message may close the connection
     * (over its output limit), which ends the session under our feet. */
    Session *s = session_ref(userdata);
    json_object *root = NULL;
    if (!text || json_parse_strict(data, len, OP_JSON_DEPTH, &root, NULL) < 0 ||
        !json_object_is_type(root, json_type_object) ||
        !json_object_is_type(json_get(root, "type"), json_type_string)) {
        json_object_put(root);
        fail(s, NULL, NULL, 400, "Expected a JSON text frame {\"type\":...,\"data\":...}", NULL);
    } else {
        gateway_handle(s, json_object_get_string(json_get(root, "type")), json_get(root, "data"),
                       NULL, NULL);
        json_object_put(root);
    }
    session_unref(s);
}

static void on_raw_close(WsConn *ws, uint16_t code, void *userdata) {
    Session *s = userdata;
    /* A client that says goodbye (1000, 1001, or a close frame without a code) is leaving; a
     * dropped connection, one we closed, or another code may come back and resume. */
    bool goodbye =
        code == WS_CLOSE_NORMAL || code == WS_CLOSE_GOING_AWAY || code == WS_CLOSE_NO_STATUS;
    session_connection_lost(s, goodbye && ws_conn_closed_by_peer(ws));
}

void gateway_accept_raw(Signal *sig, HttpRequest *req) {
    static const WsConnCallbacks cbs = {on_raw_message, on_raw_close};
    char token[2048], resume[64], seq[32];
    const char *query = http_request_query(req);
    bool has_token = query && http_query_get(query, "token", token, sizeof(token)) > 0;
    bool has_resume = query && http_query_get(query, "sessionId", resume, sizeof(resume)) > 0;
    bool has_seq = query && http_query_get(query, "seq", seq, sizeof(seq)) > 0;
    char peer[48];
    snprintf(peer, sizeof(peer), "%s", http_request_peer_address(req));
    WsConn *ws = signal_accept_websocket(sig, req, &cbs, NULL);
    if (!ws)
        return;
    Session *s = session_new(sig, &raw_transport, ws, peer);
    if (!s) {
        ws_conn_close(ws, WS_CLOSE_INTERNAL_ERROR, "Out of memory");
        return;
    }
    ws_conn_set_userdata(ws, s);
    ws_conn_set_output_limit(ws, sig->cfg->auth_output_limit);
    const char *error;
    if (has_token)
        session_authenticate(s, token, has_resume ? resume : NULL,
                             has_seq ? strtoull(seq, NULL, 10) : 0, &error);
}
