/* media-consumer: one consumer: a producer's stream sent to another transport of its router as
 * the consumer's own (its payload types, SSRC, header extension ids and mid), with sequence
 * numbers and timestamps continuous across pauses; forwarding copies each packet once into the
 * consumer's own buffer, which SRTP then protects: nothing is allocated per packet. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "hype-ipc-signal-media.h"
#include "media-rtcp.h"
#include "media-rtp-rewriter.h"
#include "media-rtp.h"
#include "media-srtp.h"
#include "media-stream.h"
#include "media-transport.h"

/* Fields are read by the router; only media-consumer writes them. */
typedef struct MediaConsumer {
    uint64_t id;
    MediaTransport *transport; /* where it sends */
    void *owner;               /* the router's record of that transport */
    void *producer;            /* the router's: what its key frames are asked of */
    bool paused;
    uint32_t ssrc;
    uint8_t pt_map[128]; /* the producer's payload type -> the consumer's; 0xff: not sent */
    RtpExtMap ext_map;
    RtpRewriter rw;
    uint32_t packets_sent, octets_sent; /* for its sender reports (RFC 3550 section 6.4.1) */
    /* Room for a longer extension block (a longer mid) and SRTP's tag. */
    uint8_t buf[MEDIA_TRANSPORT_MTU + 64 + MEDIA_SRTP_TRAILER];
} MediaConsumer;

/* From a Consume request (its rtp_parameters are final) of the stream src (borrowed) that
 * producer (kept, opaque) sends: payload types matched to the stream's by codec, header
 * extensions by URI. -EINVAL without an SSRC, a clock rate or a codec in common with it. */
int media_consumer_new(const Hype__SignalMedia__Consume *req, const MediaStream *src,
                       void *producer, MediaTransport *transport, void *owner, MediaConsumer **ret);
/* NULL-safe; returns NULL. */
MediaConsumer *media_consumer_free(MediaConsumer *c);

/* Resumed: the stream goes on from the next packet without a gap. Returns true when it was
 * resumed: its receiver needs a key frame (for video). */
bool media_consumer_set_paused(MediaConsumer *c, bool paused);

/* The producer's sender report, as this consumer's: its SSRC, the RTP time in its time base,
 * its own counts (so that the receiver can sync audio and video and measure the round trip). */
void media_consumer_send_sr(MediaConsumer *c, const RtcpSr *producer_sr);

/* One of its producer's packets (unprotected), now_us its arrival: rewritten and sent. */
void media_consumer_forward(MediaConsumer *c, const uint8_t *buf, const RtpPacket *pkt,
                            uint64_t now_us, MediaCounters *counters);
