/* signal-calls: seed 004's 1:1 calls while they live: ringing the callee's sessions, answering,
 * relaying offers, answers and candidates between the two participants only, the ring timeout,
 * and ending a call whose participant went away. hype-api records every change (CallUpdate). */
#pragma once

#include <stdint.h>

#include "signal-config.h"
#include "signal-events.h"
#include "signal-gateway.h"
#include "signal-ipc.h"
#include "signal-session.h"

struct event_base;
typedef struct Calls Calls;

/*
 * Registers its ops, session hooks, the call_ended event and hype-api's CallRing; everything it is
 * given is borrowed. The ops (data {callId, ...}; a call the session's user is not in is
 * CODE_NOT_FOUND "Call not found"):
 * call:accept, call:reject: the callee, while the call rings (else CODE_FORBIDDEN / CODE_CONFLICT).
 * Accepting tells the caller "call:accept" and the callee's other sessions
 * "call:accepted_elsewhere"; rejecting tells the caller "call:reject".
 * call:end: either participant, ringing or active.
 * webrtc:offer {sdp}, webrtc:answer {sdp}, webrtc:ice-candidate {candidate}: relayed as they are,
 * with "from" (the sender's user id), to the other participant: to the session holding the call
 * on that side once there is one (the callee's that accepted; the caller's that first relayed),
 * else to all of that user's sessions. A session of a side held by another is CODE_CONFLICT.
 * A call that rings CALL_RING_TIMEOUT is missed; one whose participant's holding session or last
 * session ends is over ("disconnected"). Every end reaches both users as hype-api's call:ended.
 */
int calls_new(struct event_base *base, const SignalConfig *cfg, SessionRegistry *sessions,
              Gateway *gw, Events *events, SignalIpc *ipc, Calls **ret);
Calls *calls_free(Calls *c);

size_t calls_live(const Calls *c); /* ringing or active, for /metrics */

/* hype-api linked (at start, or again after a gap): it ends the live calls we do not route (we
 * restarted, or never rang them) and tells their users; we forget ours that ended meanwhile,
 * telling their users. Again a second later while hype-api cannot answer. */
void calls_sync(Calls *c);
