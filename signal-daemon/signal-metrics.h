/* signal-metrics: hype-signal's /metrics page (Prometheus text format). */
#pragma once

#include "signal-server.h"

void metrics_reply(Signal *sig, HttpRequest *req);
