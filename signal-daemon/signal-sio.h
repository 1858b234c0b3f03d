/* signal-sio: Socket.IO v5 on Engine.IO: namespaces, CONNECT with auth, events and acks, binary
 * attachments; each namespace connection is a session speaking the same events as the raw
 * protocol. */
#pragma once

#include "signal-gateway.h"
#include "signal-http.h"
#include "signal-session.h"

typedef struct SioServer SioServer;

/*
 * conformance: behave as the official protocol test suites' reference server (namespaces "/"
 * and "/custom", no authentication, "auth" echoed on connect, "message" echoed as
 * "message-back", "message-with-ack" acknowledged with its arguments). Otherwise namespaces "/"
 * and "/socket" (seed 001), CONNECT needs {token}, and events are ops for the gateway.
 * Everything it is given is borrowed.
 */
int sio_server_new(SignalHttp *http, SessionRegistry *sessions, Gateway *gw, bool conformance,
                   SioServer **ret);
SioServer *sio_server_free(SioServer *srv);
/* Serves a request under /socket.io/. */
void sio_server_handle(SioServer *srv, HttpRequest *req);
size_t sio_server_sockets(const SioServer *srv);
