/* signal-echo: the test-only echo endpoints: /echo (WS_ECHO=1) the conformance harness drives, and
 * the Engine.IO suite's reference server at /engine.io/ (SIGNAL_CONFORMANCE=1). */
#pragma once

#include "signal-eio.h"
#include "signal-http.h"

/* Upgrades req and echoes every message back as it came (text as text, binary as binary). */
void echo_accept(SignalHttp *http, HttpRequest *req);

/* The Engine.IO reference server: every message packet is sent back as it came. */
int echo_eio_new(SignalHttp *http, EioServer **ret);
