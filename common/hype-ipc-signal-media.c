/* hype-ipc-signal-media: the signal-media link (media.sock), for both of its ends: hype-signal
 * and its hype-media workers. */
#include "hype-ipc-signal-media.h"

#define BODY(x) HYPE__SIGNAL_MEDIA__ENVELOPE__BODY_##x

static const IpcLinkPair pairs[] = {
    /* the worker asks hype-signal */
    {BODY(WORKER_REGISTER), BODY(WORKER_REGISTER_RESULT)},
    /* hype-signal asks the worker */
    {BODY(ROUTER_CREATE), BODY(ROUTER_CREATE_RESULT)},
    {BODY(ROUTER_CLOSE), BODY(ROUTER_CLOSE_RESULT)},
    {BODY(TRANSPORT_CREATE), BODY(TRANSPORT_CREATE_RESULT)},
    {BODY(TRANSPORT_CONNECT), BODY(TRANSPORT_CONNECT_RESULT)},
    {BODY(TRANSPORT_CLOSE), BODY(TRANSPORT_CLOSE_RESULT)},
    {BODY(PRODUCE), BODY(PRODUCE_RESULT)},
    {BODY(CONSUME), BODY(CONSUME_RESULT)},
    {BODY(PRODUCER_ACTION), BODY(PRODUCER_ACTION_RESULT)},
    {BODY(CONSUMER_ACTION), BODY(CONSUMER_ACTION_RESULT)},
};

IPC_LINK_DEFINE(ipc_link_signal_media, "signal-media", Hype__SignalMedia__Envelope,
                hype__signal_media__envelope__descriptor, HYPE__SIGNAL_MEDIA__ENVELOPE__BODY,
                pairs);
