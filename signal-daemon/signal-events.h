/* signal-events: events from hype-api (signal.sock) to exactly the sessions that may see them, and
 * the tables of what features do about them (event kind -> handlers; permission changes). */
#pragma once

#include <json-c/json.h>
#include <stdint.h>

#include "hype-ipc-api-signal.h"
#include "signal-bus.h"
#include "signal-session.h"

typedef struct Events Events;

/* When a handler runs, relative to the event reaching its targets' sessions. */
typedef enum EventPhase {
    EVENT_BEFORE,  /* first (a new member's sessions join the server, and hear of it) */
    EVENT_INSTEAD, /* the event is for hype-signal alone: handled, never delivered */
    EVENT_AFTER,   /* once delivered (who lost a channel hears of it before leaving it) */
} EventPhase;

/* ev and data (ev->json parsed, NULL when it is not JSON) are borrowed for the call. */
typedef void (*event_handler)(void *userdata, const Hype__ApiSignal__Event *ev, json_object *data);
/* Permissions changed in server_id (roles, overwrites, membership). */
typedef void (*permissions_handler)(void *userdata, uint64_t server_id);

/* sessions and bus are borrowed. Registers its own handlers: the server subscriptions of members
 * who join or leave, and session_revoked. */
int events_new(SessionRegistry *sessions, Bus *bus, Events **ret);
Events *events_free(Events *e);
/* Registers fn for events of kind; within a phase, handlers run in the order they registered
 * (at start). -EINVAL for a kind the shared table does not name (hype-ipc-api-signal.h). */
int events_on(Events *e, Hype__ApiSignal__EventKind kind, EventPhase phase, event_handler fn,
              void *userdata);
/* Registers fn for every event that says permissions changed in a server: it runs once the event
 * was delivered and its kind's handlers ran. */
int events_on_permissions_changed(Events *e, permissions_handler fn, void *userdata);
/* One event from hype-api: its handlers, and unless one takes it instead, delivery to the sessions
 * subscribed to its targets (or to every session) under its kind's name. A kind this build does
 * not know (a newer hype-api's) is dropped. */
void events_dispatch(Events *e, const Hype__ApiSignal__Event *ev);
