/* signal-http: what hype-signal's HTTP endpoints share: the JSON error reply, and the WebSocket
 * upgrade (handshake, origin and shutdown checks) onto the connection hub. */
#include "signal-http.h"

#include <errno.h>
#include <event2/bufferevent.h>
#include <stdlib.h>

#include "hype-json.h"
#include "hype-ws.h"

int signal_http_new(struct event_base *base, const SignalConfig *cfg, WsHub *hub,
                    SignalHttp **ret) {
    SignalHttp *h = calloc(1, sizeof(*h));
    if (!h)
        return -ENOMEM;
    *h = (SignalHttp){
        .base = base,
        .cfg = cfg,
        .hub = hub,
        .ws_opts =
            {
                .max_message = cfg->max_message,
                .output_limit = cfg->output_limit,
                .ping_interval_ms = (uint32_t)cfg->ping_interval_ms,
                .ping_timeout_ms = (uint32_t)cfg->ping_timeout_ms,
            },
    };
    *ret = h;
    return 0;
}

SignalHttp *signal_http_free(SignalHttp *h) {
    free(h);
    return NULL;
}

void signal_http_error(HttpRequest *req, int status, const char *message) {
    json_object *body = json_envelope_error(message, NULL);
    size_t len;
    const char *text = json_serialize(body, &len);
    http_reply(req, status, "application/json", text, len);
    json_object_put(body);
}

WsConn *signal_http_accept_websocket(SignalHttp *h, HttpRequest *req, const WsConnCallbacks *cbs,
                                     void *userdata) {
    char accept[WS_ACCEPT_LEN + 1];
    const char *reason = NULL;
    int status = ws_handshake_check(http_request_head(req), accept, &reason);
    if (status == 0 && h->stopping) {
        status = 503;
        reason = "Server is shutting down";
    }
    if (status == 0 && !signal_config_origin_allowed(h->cfg, http_request_header(req, "Origin"))) {
        status = 403;
        reason = "Origin not allowed";
    }
    if (status != 0) {
        if (status == 426)
            http_response_header(req, "Sec-WebSocket-Version", "13");
        signal_http_error(req, status, reason);
        return NULL;
    }
    http_response_header(req, "Sec-WebSocket-Accept", accept);
    struct bufferevent *bev = http_reply_upgrade(req, "websocket");
    if (!bev)
        return NULL;
    WsConn *ws = NULL;
    if (ws_conn_new(h->hub, bev, &h->ws_opts, cbs, userdata, &ws) < 0) {
        bufferevent_free(bev);
        return NULL;
    }
    return ws;
}
