/* signal-server: the hype-signal manager: makes the daemon's parts (HTTP listener, WebSocket hub,
 * bus, link to hype-api, session registry, event and op tables, features, transports), routes
 * HTTP paths to them, and runs and stops them. */
#pragma once

#include "signal-config.h"

typedef struct Signal Signal;

/* Builds every part (cfg is borrowed); nothing listens yet. */
int signal_new(const SignalConfig *cfg, Signal **ret);
/* Listens (socket activation fd "ws" or WS_PORT), sends READY=1, runs the loop until SIGTERM or
 * SIGINT has closed every session with 1001. Returns the exit code. */
int signal_run(Signal *sig);
Signal *signal_free(Signal *sig);
