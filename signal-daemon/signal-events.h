/* signal-events: events from hype-api (signal.sock) to exactly the sessions that may see them. */
#pragma once

#include "hype.pb-c.h"
#include "signal-server.h"

void events_dispatch(const Hype__Event *ev, void *userdata /* Signal */);
