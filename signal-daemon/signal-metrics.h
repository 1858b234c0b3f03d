/* signal-metrics: hype-signal's /metrics page (Prometheus text format). */
#pragma once

#include "hype-http-server.h"
#include "signal-bus.h"
#include "signal-calls.h"
#include "signal-ipc.h"
#include "signal-session.h"
#include "signal-workers.h"
#include "signal-ws.h"

/* Answers req with the counters and gauges of the daemon's parts (read, not changed). */
void metrics_reply(HttpRequest *req, const WsHub *hub, const SessionRegistry *sessions,
                   const SignalIpc *ipc, const Bus *bus, const Calls *calls,
                   const Workers *workers);
