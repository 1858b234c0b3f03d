/* signal-raw: the raw protocol's transport at / and /ws: seed 000's {"type","data","timestamp"}
 * frames (plus "seq" on numbered events) on a WebSocket, one session per connection. */
#pragma once

#include "signal-gateway.h"
#include "signal-http.h"

typedef struct RawTransport RawTransport;

/* Everything it is given is borrowed, and must outlive it. */
int raw_new(SignalHttp *http, SessionRegistry *sessions, Gateway *gw, RawTransport **ret);
RawTransport *raw_free(RawTransport *raw);
/* Serves / and /ws: upgrades req (else 426). ?token= authenticates at once (&sessionId=&seq=
 * resume); else an "auth" frame must come first. */
void raw_serve(RawTransport *raw, HttpRequest *req);
