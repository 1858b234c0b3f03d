/* hype-ipc-signal-media: the signal-media link (media.sock), for both of its ends: hype-signal
 * and its hype-media workers: its Envelope and which result answers each request. */
#pragma once

#include "hype-ipc.h"
#include "hype-signal-media.pb-c.h"

/* Peers of this link (IpcPeerOptions.link = &ipc_link_signal_media) hand their owner Envelopes
 * of type Hype__SignalMedia__Envelope. */
extern const IpcLink ipc_link_signal_media;

/* env, handed over by a peer of this link, as its type. */
static inline const Hype__SignalMedia__Envelope *ipc_signal_media(const ProtobufCMessage *env) {
    return (const Hype__SignalMedia__Envelope *)env;
}
