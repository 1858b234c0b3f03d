/* signal-rooms: seed 001's mesh relay: join-room, leave-room, and signal between the sockets of
 * one room. */
#pragma once

#include <json-c/json.h>

#include "signal-session.h"

#define ROOM_ID_MAX 128

/* join-room: data is the room id (a string) or {roomId}. Answers "created" to s and
 * "user-connected" to the others. A session is in one room at a time. */
void rooms_join(Signal *sig, Session *s, json_object *data);
/* leave-room (data may name the room; the session's room either way). */
void rooms_leave(Signal *sig, Session *s);
/* signal {to, type, sdp?, candidate?}: relayed as {from, type, sdp, candidate} to the session
 * "to" in the same room only. */
void rooms_signal(Signal *sig, Session *s, json_object *data);
