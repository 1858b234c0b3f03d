/* media-producer: one producer: an RTP stream a client sends on a transport (its SSRC, codecs
 * and header extensions), the consumers it feeds, and the key frames asked of it. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "hype-ipc-signal-media.h"
#include "media-rtcp.h"
#include "media-rtp-stats.h"
#include "media-rtp.h"
#include "media-stream.h"
#include "media-transport.h"

typedef struct MediaProducer MediaProducer;

/* Speaking detection from ssrc-audio-level (RFC 6464): a level at or under threshold (-dBov:
 * 0 is the loudest, 127 silence) starts speaking; hold_us without one ends it. on_change hears
 * each change (the router tells hype-signal). */
typedef struct MediaSpeaking {
    uint8_t threshold;
    uint64_t hold_us;
    void (*on_change)(void *userdata, MediaProducer *p, bool speaking);
    void *userdata;
} MediaSpeaking;

/* Fields are read by the router; only media-producer writes them. */
struct MediaProducer {
    uint64_t id;
    MediaTransport *transport; /* its packets come from there, its PLIs go there */
    void *owner;               /* the router's record of that transport */
    bool video, paused;
    uint32_t ssrc; /* its one encoding's (simulcast comes later) */
    MediaStream stream;
    GPtrArray *consumers; /* MediaConsumer *: the router adds and removes them */
    gint64 last_key_frame_us;
    RtpRecvStats stats; /* what its receiver reports say */
    uint64_t last_rr_us;
    const MediaSpeaking *speaking_cfg; /* NULL: no speaking detection */
    uint8_t level_id;                  /* its ssrc-audio-level extension id; 0: none */
    bool speaking;
    uint64_t last_voice_us;
};

/* From a Produce request: -EINVAL without an SSRC or a codec. speaking (borrowed; NULL: none)
 * applies to an audio producer that negotiated ssrc-audio-level. */
int media_producer_new(const Hype__SignalMedia__Produce *req, MediaTransport *transport,
                       void *owner, const MediaSpeaking *speaking, MediaProducer **ret);
/* Its consumers must be freed first. NULL-safe; returns NULL. */
MediaProducer *media_producer_free(MediaProducer *p);

/* Sends the producer's client a PLI (video only; at most one a second: browsers answer each
 * with a key frame, several times the bitrate of other frames). */
void media_producer_request_key_frame(MediaProducer *p);
/* Paused: its packets go nowhere, and it is not speaking. Resumed: consumers go on without a
 * gap, from a key frame. */
void media_producer_set_paused(MediaProducer *p, bool paused);

/* Its client's sender report (rtcp_sr_parse), passed on by each consumer as its own. */
void media_producer_on_sr(MediaProducer *p, const RtcpSr *sr);

/* An unprotected packet of this producer, to every live consumer; counted for the receiver
 * reports sent to its client (at the first packet, then at most every second). */
void media_producer_forward(MediaProducer *p, const uint8_t *buf, const RtpPacket *pkt,
                            MediaCounters *counters);
