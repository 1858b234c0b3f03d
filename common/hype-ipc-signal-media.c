/* hype-ipc-signal-media: the signal-media link (media.sock), for both of its ends: hype-signal
 * and its hype-media workers. */
#include "hype-ipc-signal-media.h"

/* No requests yet. */
static const IpcLinkPair pairs[] = {};

IPC_LINK_DEFINE(ipc_link_signal_media, "signal-media", Hype__SignalMedia__Envelope,
                hype__signal_media__envelope__descriptor, HYPE__SIGNAL_MEDIA__ENVELOPE__BODY,
                pairs);
