/* signal-channels: live channels for sessions: subscriptions (user_joined, user_left), typing, the
 * message and voice_state relays to hype-api, and keeping subscriptions right as channels,
 * memberships and permissions change. */
#pragma once

#include "signal-bus.h"
#include "signal-config.h"
#include "signal-events.h"
#include "signal-gateway.h"
#include "signal-session.h"

typedef struct Channels Channels;

/* Registers its ops, session hooks and event handlers; everything it is given is borrowed. */
int channels_new(const SignalConfig *cfg, Bus *bus, SessionRegistry *sessions, Gateway *gw,
                 Events *events, Channels **ret);
Channels *channels_free(Channels *ch);
