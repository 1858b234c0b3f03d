/* signal-http: what hype-signal's HTTP endpoints share: the JSON error reply, and the WebSocket
 * upgrade (handshake, origin and shutdown checks) onto the connection hub. */
#pragma once

#include <stdbool.h>

#include "hype-http-server.h"
#include "signal-config.h"
#include "signal-ws.h"

struct event_base;

/*
 * Made by the manager, which alone writes its fields; the endpoints that upgrade requests (the
 * raw protocol, Engine.IO, the echo) read them. Outlives every connection it accepted.
 */
typedef struct SignalHttp {
    struct event_base *base;
    const SignalConfig *cfg;
    WsHub *hub;            /* where accepted WebSockets go (borrowed) */
    WsConnOptions ws_opts; /* what every accepted WebSocket starts with */
    bool stopping;         /* the daemon is stopping: upgrades are refused with 503 */
} SignalHttp;

/* ws_opts come from cfg; hub and cfg are borrowed. */
int signal_http_new(struct event_base *base, const SignalConfig *cfg, WsHub *hub, SignalHttp **ret);
SignalHttp *signal_http_free(SignalHttp *h);

/* The JSON error every HTTP refusal uses: {"success":false,"error":message}. */
void signal_http_error(HttpRequest *req, int status, const char *message);
/*
 * Completes a WebSocket upgrade of req (handshake and origin checks; on failure the request is
 * answered with a JSON error and NULL is returned) and starts a WsConn with cbs/userdata.
 */
WsConn *signal_http_accept_websocket(SignalHttp *h, HttpRequest *req, const WsConnCallbacks *cbs,
                                     void *userdata);
