/* signal-echo: the test-only echo endpoint (/echo, WS_ECHO=1) the conformance harness drives. */
#pragma once

#include "signal-server.h"

/* Upgrades req and echoes every message back as it came (text as text, binary as binary). */
void echo_accept(Signal *sig, HttpRequest *req);

/* The Engine.IO suite's reference server at /engine.io/ (SIGNAL_CONFORMANCE=1): every message
 * packet is sent back as it came. */
int echo_eio_new(Signal *sig, EioServer **ret);
