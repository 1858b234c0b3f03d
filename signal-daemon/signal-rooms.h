/* signal-rooms: seed 001's mesh relay: join-room, leave-room, and signal between the sockets of
 * one room. */
#pragma once

#include <json-c/json.h>

#include "signal-session.h"

#define ROOM_ID_MAX 128

/* The ops answer 0, or an HTTP-style status with *error set to a static message. */

/* join-room: data is the room id (a string) or {roomId}. Answers "created" to s and
 * "user-connected" to the others. A session is in one room at a time. */
int rooms_join(Session *s, json_object *data, const char **error);
/* leave-room (data may name the room; the session's room either way). Also the session end hook:
 * the others hear "user-disconnected". */
void rooms_leave(Session *s);
/* signal {to, type, sdp?, candidate?}: relayed as {from, type, sdp, candidate} to the session
 * "to" in the same room only. */
int rooms_signal(Session *s, json_object *data, const char **error);
