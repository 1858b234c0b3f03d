/* signal-presence: a user's status as sessions come and go: online at the user's first ready
 * session, offline when its last one ends (through hype-api, which tells the user's servers). */
#pragma once

#include "signal-session.h"

typedef struct Presence Presence;

/* Registers its session hooks; sessions is borrowed. */
int presence_new(SessionRegistry *sessions, Presence **ret);
Presence *presence_free(Presence *p);
