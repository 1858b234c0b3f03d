/* signal-eio: Engine.IO v4 sockets: the HTTP long-polling transport, WebSocket, the upgrade
 * between them, and the server-driven heartbeat. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "signal-http.h"

typedef struct EioServer EioServer;
typedef struct EioSocket EioSocket;

typedef struct EioCallbacks {
    /* A new socket sent its open packet. */
    void (*on_open)(EioSocket *e, void *userdata);
    /* A message packet (text, or binary). data is borrowed for the call. */
    void (*on_message)(EioSocket *e, bool binary, const char *data, size_t len, void *userdata);
    /* The socket is gone (client close, ping timeout, error, eio_close); e is freed after. */
    void (*on_close)(EioSocket *e, const char *reason, void *userdata);
} EioCallbacks;

/* Its WebSockets are accepted through http (borrowed), whose WebSocket options are also the
 * Engine.IO socket's: the heartbeat (pingInterval, pingTimeout) and maxPayload. */
int eio_server_new(SignalHttp *http, const EioCallbacks *cbs, void *userdata, EioServer **ret);
EioServer *eio_server_free(EioServer *srv);
/* Serves one request to the Engine.IO path (handshake, polls, posts, WebSocket upgrades). */
void eio_server_handle(EioServer *srv, HttpRequest *req);
size_t eio_server_sockets(const EioServer *srv);

/* Queues a message packet; -EPIPE once closing. */
int eio_send(EioSocket *e, bool binary, const char *data, size_t len);
/* Closes the socket from the server side (on_close runs). */
void eio_close(EioSocket *e, const char *reason);
/* Unsent bytes allowed from now on, polling queue or WebSocket (default WS_OUTPUT_LIMIT); a
 * client over it is closed. */
void eio_set_output_limit(EioSocket *e, size_t limit);
void eio_set_userdata(EioSocket *e, void *userdata);
void *eio_userdata(const EioSocket *e);
const char *eio_sid(const EioSocket *e);
const char *eio_peer(const EioSocket *e);
bool eio_is_websocket(const EioSocket *e);
