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

#define TYPING_MIN_INTERVAL_MS 1000 /* a client repeating "typing" faster is ignored */
#define OP_JSON_DEPTH 16

static uint64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void send_error(Session *s, int code, const char *message, json_object *extra) {
    json_object *d = extra ? extra : json_object_new_object();
    json_object_object_add(d, "code", json_object_new_int(code));
    json_object_object_add(d, "message", json_object_new_string(message));
    session_send_now(s, "error", json_serialize(d, NULL));
    json_object_put(d);
}

/* The API's error message from a JSON error body, or a fallback. */
static const char *api_error(json_object *root, const char *fallback) {
    const char *e = json_object_get_string(json_get(root, "error"));
    return e ? e : fallback;
}

static bool channel_id_of(json_object *data, uint64_t *ret, const char **ret_str) {
    const char *c = json_object_get_string(json_get(data, "channelId"));
    if (!c || id_parse(c, ret) < 0)
        return false;
    *ret_str = c;
    return true;
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

typedef struct JoinCtx {
    uint64_t channel_id;
} JoinCtx;

static void on_channel_checked(Session *s, int status, const char *body, void *userdata) {
    JoinCtx *ctx = userdata;
    uint64_t channel_id = ctx->channel_id;
    free(ctx);
    json_object *root = NULL;
    json_parse_strict(body, strlen(body), OP_JSON_DEPTH, &root, NULL);
    if (status != 200) {
        json_object *extra = json_object_new_object();
        char cid[ID_STRING_MAX];
        json_object_object_add(extra, "channelId",
                               json_object_new_string(id_to_string(channel_id, cid)));
        send_error(s, status, api_error(root, "Cannot join the channel"), extra);
        json_object_put(root);
        return;
    }
    const char *server = json_object_get_string(json_get(json_get(root, "data"), "serverId"));
    char key[BUS_KEY_MAX];
    Sub *sub = bus_subscribe(s->sig->bus, bus_key(key, sizeof(key), 'c', channel_id), s, &s->subs);
    if (sub && server)
        id_parse(server, &sub->server_id);
    json_object_put(root);
    announce(s, "user_joined", channel_id, key);
}

static void op_join_channel(Session *s, json_object *data) {
    uint64_t channel_id;
    const char *cid;
    if (!channel_id_of(data, &channel_id, &cid)) {
        send_error(s, 400, "user_joined needs a channelId", NULL);
        return;
    }
    JoinCtx *ctx = malloc(sizeof(*ctx));
    if (!ctx)
        return;
    ctx->channel_id = channel_id;
    char target[64];
    snprintf(target, sizeof(target), "/api/channels/%" PRIu64 "/access", channel_id);
    session_api_call(s, "GET", target, NULL, on_channel_checked, ctx);
}

static void op_leave_channel(Session *s, json_object *data) {
    uint64_t channel_id;
    const char *cid;
    char key[BUS_KEY_MAX];
    if (!channel_id_of(data, &channel_id, &cid)) {
        send_error(s, 400, "user_left needs a channelId", NULL);
        return;
    }
    Sub *sub = bus_find(s->subs, bus_key(key, sizeof(key), 'c', channel_id));
    if (!sub)
        return;
    announce(s, "user_left", channel_id, key);
    bus_unsubscribe(s->sig->bus, sub, &s->subs);
}

/* ---- re-checks after permission changes ---- */

static void on_rechecked(Session *s, int status, const char *body, void *userdata) {
    JoinCtx *ctx = userdata;
    uint64_t channel_id = ctx->channel_id;
    free(ctx);
    if (status == 200 || status >= 500)
        return; /* still allowed, or cannot tell now: keep what the session had */
    char key[BUS_KEY_MAX], cid[ID_STRING_MAX];
    Sub *sub = bus_find(s->subs, bus_key(key, sizeof(key), 'c', channel_id));
    if (!sub)
        return;
    bus_unsubscribe(s->sig->bus, sub, &s->subs);
    json_object *d = json_object_new_object();
    json_object_object_add(d, "channelId", json_object_new_string(id_to_string(channel_id, cid)));
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
            JoinCtx *ctx = malloc(sizeof(*ctx));
            if (!ctx)
                continue;
            ctx->channel_id = strtoull(key + 2, NULL, 10);
            char target[64];
            snprintf(target, sizeof(target), "/api/channels/%" PRIu64 "/access", ctx->channel_id);
            session_api_call(s, "GET", target, NULL, on_rechecked, ctx);
        }
    }
}

/* ---- typing ---- */

static void op_typing(Session *s, json_object *data) {
    uint64_t channel_id;
    const char *cid;
    char key[BUS_KEY_MAX];
    if (!channel_id_of(data, &channel_id, &cid) ||
        !bus_find(s->subs, bus_key(key, sizeof(key), 'c', channel_id))) {
        send_error(s, 403, "Join the channel (user_joined) before typing in it", NULL);
        return;
    }
    uint64_t now = mono_ms();
    if (now - s->last_typing_ms < TYPING_MIN_INTERVAL_MS)
        return; /* rate-limited: the indicator is still showing anyway */
    s->last_typing_ms = now;
    json_object *extra = json_object_new_object();
    json_object_object_add(extra, "timeout",
                           json_object_new_int64((int64_t)s->sig->cfg->typing_timeout_ms));
    OutEvent *ev = user_channel_event(s, "typing", channel_id, extra);
    if (ev)
        sessions_publish_one(s->sig, key, ev, s);
    out_event_unref(ev);
}

/* ---- messages and voice states: persisted by hype-api, which publishes them ---- */

typedef struct Relay {
    char *nonce;
    const char *what;
} Relay;

static void on_relayed(Session *s, int status, const char *body, void *userdata) {
    Relay *r = userdata;
    if (status < 200 || status > 299) {
        json_object *root = NULL, *extra = json_object_new_object();
        json_parse_strict(body, strlen(body), OP_JSON_DEPTH, &root, NULL);
        if (r->nonce)
            json_object_object_add(extra, "nonce", json_object_new_string(r->nonce));
        json_object *details = json_get(root, "details");
        if (details)
            json_object_object_add(extra, "details", json_object_get(details));
        send_error(s, status, api_error(root, r->what), extra);
        json_object_put(root);
    } else if (r->nonce) {
        /* The event itself comes through the channel; this tells the sender which it was. */
        json_object *root = NULL, *ack = json_object_new_object();
        json_parse_strict(body, strlen(body), OP_JSON_DEPTH, &root, NULL);
        json_object_object_add(ack, "nonce", json_object_new_string(r->nonce));
        json_object_object_add(ack, "message", json_object_get(json_get(root, "data")));
        session_send_now(s, "message_ack", json_serialize(ack, NULL));
        json_object_put(ack);
        json_object_put(root);
    }
    free(r->nonce);
    free(r);
}

static void relay(Session *s, const char *method, const char *target, json_object *body,
                  const char *what) {
    Relay *r = calloc(1, sizeof(*r));
    if (!r)
        return;
    const char *nonce = json_object_get_string(json_get(body, "nonce"));
    r->nonce = nonce ? strndup(nonce, 64) : NULL;
    r->what = what;
    json_object_object_del(body, "nonce");
    session_api_call(s, method, target, json_serialize(body, NULL), on_relayed, r);
}

static void op_message(Session *s, json_object *data) {
    if (!json_object_is_type(data, json_type_object)) {
        send_error(s, 400, "message needs {channelId, content}", NULL);
        return;
    }
    relay(s, "POST", "/api/messages", data, "Message not sent");
}

static void op_voice_state(Session *s, json_object *data) {
    if (!json_object_is_type(data, json_type_object)) {
        send_error(s, 400, "voice_state needs {channelId|null, isMuted, isDeafened}", NULL);
        return;
    }
    if (!json_object_object_get_ex(data, "channelId", NULL))
        json_object_object_add(data, "channelId", NULL);
    relay(s, "PUT", "/api/voice/state", data, "Voice state not changed");
}

/* ---- dispatch ---- */

static void op_auth(Session **sp, json_object *data) {
    const char *token = json_object_get_string(json_get(data, "token"));
    const char *resume = json_object_get_string(json_get(data, "sessionId"));
    json_object *seq = json_get(data, "seq");
    *sp = session_authenticate(*sp, token, resume, seq ? (uint64_t)json_object_get_int64(seq) : 0);
}

void gateway_handle(Session **sp, const char *type, json_object *data) {
    Session *s = *sp;
    if (strcmp(type, "auth") == 0) {
        op_auth(sp, data);
        return;
    }
    if (s->state != SESSION_READY) {
        send_error(s, 401, "Not authenticated yet: send auth first", NULL);
        return;
    }
    if (strcmp(type, "user_joined") == 0 || strcmp(type, "join_channel") == 0)
        op_join_channel(s, data);
    else if (strcmp(type, "user_left") == 0 || strcmp(type, "leave_channel") == 0)
        op_leave_channel(s, data);
    else if (strcmp(type, "typing") == 0)
        op_typing(s, data);
    else if (strcmp(type, "message") == 0)
        op_message(s, data);
    else if (strcmp(type, "voice_state") == 0)
        op_voice_state(s, data);
    else if (strcmp(type, "join-room") == 0)
        rooms_join(s->sig, s, data);
    else if (strcmp(type, "leave-room") == 0)
        rooms_leave(s->sig, s);
    else if (strcmp(type, "signal") == 0)
        rooms_signal(s->sig, s, data);
    else {
        json_object *extra = json_object_new_object();
        json_object_object_add(extra, "type", json_object_new_string(type));
        send_error(s, 400, "Unknown event type", extra);
    }
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

static const SessionTransport raw_transport = {raw_send_event, raw_close, raw_rebind};

static void on_raw_message(WsConn *ws, bool text, const char *data, size_t len, void *userdata) {
    Session *s = userdata;
    json_object *root = NULL;
    if (!text || json_parse_strict(data, len, OP_JSON_DEPTH, &root, NULL) < 0 ||
        !json_object_is_type(root, json_type_object) ||
        !json_object_is_type(json_get(root, "type"), json_type_string)) {
        json_object_put(root);
        send_error(s, 400, "Expected a JSON text frame {\"type\":...,\"data\":...}", NULL);
        return;
    }
    gateway_handle(&s, json_object_get_string(json_get(root, "type")), json_get(root, "data"));
    json_object_put(root);
}

static void on_raw_close(WsConn *ws, uint16_t code, void *userdata) {
    Session *s = userdata;
    /* A client that closes on purpose is leaving; anything else may come back and resume. */
    session_connection_lost(s, code == WS_CLOSE_NORMAL || code == WS_CLOSE_GOING_AWAY);
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
    if (has_token)
        session_authenticate(s, token, has_resume ? resume : NULL,
                             has_seq ? strtoull(seq, NULL, 10) : 0);
}
