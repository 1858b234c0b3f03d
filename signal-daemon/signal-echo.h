/* signal-echo: the test-only echo endpoint (/echo, WS_ECHO=1) the conformance harness drives. */
#pragma once

#include "signal-server.h"

/* Upgrades req and echoes every message back as it came (text as text, binary as binary). */
void echo_accept(Signal *sig, HttpRequest *req);
