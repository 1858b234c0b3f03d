/* media-router: the worker's routers and what hangs on them (WebRTC transports: media-transport,
 * producers: media-producer, consumers: media-consumer), found by the ids hype-signal gives
 * them, closing in cascade; the packets a transport receives go to the producer of their SSRC
 * (RTP) or to the producer behind a consumer (PLI, FIR); and hype-signal's requests. */
#pragma once

#include <stdint.h>

#include "hype-ipc-signal-media.h"
#include "media-link.h"
#include "media-transport.h"

typedef struct MediaRouters MediaRouters;

/* A notification for hype-signal (TransportState); env is borrowed for the call. */
typedef void (*media_router_notify_cb)(void *userdata, Hype__SignalMedia__Envelope *env);

/* env (and its counters) is borrowed for the registry's life. */
int media_routers_new(const MediaTransportEnv *env, media_router_notify_cb notify, void *userdata,
                      MediaRouters **ret);
/* Closes everything, telling nothing. NULL-safe; returns NULL. */
MediaRouters *media_routers_free(MediaRouters *m);

/* Speaking detection for audio producers created from now on (defaults: -50 dBov, 500 ms):
 * Speaking notifications through notify. */
void media_routers_set_speaking(MediaRouters *m, uint8_t threshold, unsigned hold_ms);

/* Serve RouterCreate/Close, TransportCreate/Connect/Close, Produce, Consume, ProducerAction and
 * ConsumerAction on the link, tell TransportState through it, add the counts to WorkerLoad and
 * close everything when hype-signal goes. */
int media_routers_serve(MediaRouters *m, MediaLink *link);

/*
 * The requests, callable directly (the link's handlers and the tests). Each returns 0 or a
 * negative errno: -EEXIST (the id is taken), -ENOENT (an id named does not exist), -EXDEV (a
 * consumer's transport is not in its producer's router), -EINVAL (parameters that cannot be
 * served: no SSRC, no codec in common), -EADDRINUSE (no free port), -ENOSPC (the worker's
 * MEDIA_MAX_TRANSPORTS reached), -EALREADY (connected before), -ENOMEM.
 */
int media_routers_router_create(MediaRouters *m, uint64_t router_id);
int media_routers_router_close(MediaRouters *m, uint64_t router_id);
/* What TransportCreateResult carries, in storage of the caller's: result points into the rest,
 * whose strings point into the transport, the worker's configuration and its certificate (valid
 * until the transport closes; nothing to free). */
typedef struct MediaTransportInfo {
    Hype__SignalMedia__TransportCreateResult result;
    Hype__SignalMedia__IceParameters ice;
    Hype__SignalMedia__IceCandidate candidate, *candidates[1];
    Hype__SignalMedia__DtlsFingerprint fingerprint, *fingerprints[1];
} MediaTransportInfo;
int media_routers_transport_create(MediaRouters *m, uint64_t router_id, uint64_t transport_id,
                                   MediaTransportInfo *ret);
int media_routers_transport_connect(MediaRouters *m,
                                    const Hype__SignalMedia__TransportConnect *req);
int media_routers_transport_close(MediaRouters *m, uint64_t transport_id);
int media_routers_produce(MediaRouters *m, const Hype__SignalMedia__Produce *req);
int media_routers_consume(MediaRouters *m, const Hype__SignalMedia__Consume *req);
int media_routers_producer_action(MediaRouters *m, uint64_t producer_id,
                                  Hype__SignalMedia__ProducerAction__Action action);
int media_routers_consumer_action(MediaRouters *m, uint64_t consumer_id,
                                  Hype__SignalMedia__ConsumerAction__Action action);

/* Adds the gauges and counters to a WorkerLoad. */
void media_routers_load(MediaRouters *m, Hype__SignalMedia__WorkerLoad *load);
