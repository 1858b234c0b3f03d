/* signal-mesh: seed 001's mesh relay: join-room, leave-room, and signal between the sessions of one
 * mesh room (peers that connect to each other; "room" alone is for seed 003's rooms). */
#pragma once

#include "signal-bus.h"
#include "signal-gateway.h"
#include "signal-session.h"

#define MESH_ROOM_ID_MAX 128

typedef struct Mesh Mesh;

/*
 * Registers its ops and session hooks; everything it is given is borrowed. The ops:
 * join-room: data is the room id (a string) or {roomId}. Answers "created" to the session and
 * "user-connected" to the others. A session is in one mesh room at a time.
 * leave-room (data may name the room; the session's room either way), also when a session ends:
 * the others hear "user-disconnected".
 * signal {to, type, sdp?, candidate?}: relayed as {from, type, sdp, candidate} to the session
 * "to" in the same room only.
 */
int mesh_new(Bus *bus, SessionRegistry *sessions, Gateway *gw, Mesh **ret);
Mesh *mesh_free(Mesh *m);
