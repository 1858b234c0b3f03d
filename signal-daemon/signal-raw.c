/* signal-raw: the raw protocol's transport at / and /ws: seed 000's {"type","data","timestamp"}
 * frames (plus "seq" on numbered events) on a WebSocket, one session per connection. */
#include "signal-raw.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "hype-http-parser.h"
#include "hype-json.h"
#include "hype-macro.h"
#include "hype-ws.h"

#define FRAME_JSON_DEPTH 16

/*
 * The session transport is embedded, so that a session's transport leads back to the module
 * (container_of) from callbacks that only have the session: a WsConn's userdata is its session.
 */
struct RawTransport {
    SessionTransport transport;
    SignalHttp *http;
    SessionRegistry *sessions;
    Gateway *gw;
};

static RawTransport *raw_of(const Session *s) {
    return container_of(s->transport, RawTransport, transport);
}

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
    ws_conn_set_output_limit(s->conn, raw_of(s)->http->cfg->output_limit);
}

static void on_raw_message(WsConn *ws, bool text, const char *data, size_t len, void *userdata) {
    /* Held for the call: any frame sent while handling the message may close the connection
     * (over its output limit), which ends the session under our feet. */
    Session *s = session_ref(userdata);
    json_object *root = NULL;
    if (!text || json_parse_strict(data, len, FRAME_JSON_DEPTH, &root, NULL) < 0 ||
        !json_object_is_type(root, json_type_object) ||
        !json_object_is_type(json_get(root, "type"), json_type_string)) {
        json_object_put(root);
        gateway_fail(s, (OpReply){0}, HYPE__ERROR__CODE__CODE_BAD_REQUEST,
                     "Expected a JSON text frame {\"type\":...,\"data\":...}", NULL);
    } else {
        gateway_handle(raw_of(s)->gw, s, json_object_get_string(json_get(root, "type")),
                       json_get(root, "data"), (OpReply){0});
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

void raw_serve(RawTransport *raw, HttpRequest *req) {
    static const WsConnCallbacks cbs = {on_raw_message, on_raw_close};
    if (!http_request_header(req, "Upgrade")) {
        http_response_header(req, "Upgrade", "websocket");
        signal_http_error(req, 426, "Upgrade Required: connect with a WebSocket client");
        return;
    }
    char token[2048], resume[64], seq[32];
    const char *query = http_request_query(req);
    bool has_token = query && http_query_get(query, "token", token, sizeof(token)) > 0;
    bool has_resume = query && http_query_get(query, "sessionId", resume, sizeof(resume)) > 0;
    bool has_seq = query && http_query_get(query, "seq", seq, sizeof(seq)) > 0;
    char peer[48];
    snprintf(peer, sizeof(peer), "%s", http_request_peer_address(req));
    WsConn *ws = signal_http_accept_websocket(raw->http, req, &cbs, NULL);
    if (!ws)
        return;
    Session *s = session_new(raw->sessions, &raw->transport, ws, peer);
    if (!s) {
        ws_conn_close(ws, WS_CLOSE_INTERNAL_ERROR, "Out of memory");
        return;
    }
    ws_conn_set_userdata(ws, s);
    ws_conn_set_output_limit(ws, raw->http->cfg->auth_output_limit);
    const char *error;
    if (has_token)
        session_authenticate(s, token, has_resume ? resume : NULL,
                             has_seq ? strtoull(seq, NULL, 10) : 0, &error);
}

int raw_new(SignalHttp *http, SessionRegistry *sessions, Gateway *gw, RawTransport **ret) {
    RawTransport *raw = calloc(1, sizeof(*raw));
    if (!raw)
        return -ENOMEM;
    *raw = (RawTransport){
        .transport = {raw_send_event, raw_close, raw_rebind, raw_authenticated},
        .http = http,
        .sessions = sessions,
        .gw = gw,
    };
    *ret = raw;
    return 0;
}

RawTransport *raw_free(RawTransport *raw) {
    free(raw);
    return NULL;
}
