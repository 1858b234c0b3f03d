/* hype-ipc-api-signal: the api-signal link (signal.sock), for both of its ends: its Envelope,
 * which result answers each request, and the name clients see for each kind of event. */
#pragma once

#include "hype-api-signal.pb-c.h"
#include "hype-ipc.h"

/*
 * hype-api connects, hype-signal listens; either asks the other (hype-api-signal.proto). Peers of
 * this link (IpcPeerOptions.link = &ipc_link_api_signal) hand their owner Envelopes of type
 * Hype__ApiSignal__Envelope, and ipc_peer_request accepts only the link's requests: each X
 * answered by an XResult (or an Error).
 */
extern const IpcLink ipc_link_api_signal;

/* env, handed over by a peer of this link, as its type. */
static inline const Hype__ApiSignal__Envelope *ipc_api_signal(const ProtobufCMessage *env) {
    return (const Hype__ApiSignal__Envelope *)env;
}

/* One past the largest EventKind this build knows (a unit test holds it to the proto). */
#define IPC_EVENT_KIND_END (HYPE__API_SIGNAL__EVENT_KIND__EVENT_CALL_ENDED + 1)

/*
 * The one table of event kinds: the frame type clients receive for kind ("message" for
 * EVENT_MESSAGE), which hype-api publishes by kind and hype-signal delivers under this name.
 * NULL for EVENT_UNSPECIFIED and for a kind this build does not know (a newer peer's).
 */
const char *ipc_event_kind_name(Hype__ApiSignal__EventKind kind);
