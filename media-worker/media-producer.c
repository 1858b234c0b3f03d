/* media-producer: one producer, its consumers and its key frames; see media-producer.h. */
#include "media-producer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "media-consumer.h"
#include "media-rtcp.h"
#include "media-srtp.h"

#define KEY_FRAME_INTERVAL_US G_USEC_PER_SEC
#define RR_INTERVAL_US G_USEC_PER_SEC
#define AUDIO_LEVEL_URI "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
#define RTCP_SENDER_SSRC 0x68797065u /* "hype": the SSRC the SFU's own feedback carries */

static void copy_parameters(MediaProducer *p, const Hype__SignalMedia__RtpParameters *rp) {
    MediaStream *st = &p->stream;
    for (size_t i = 0; i < rp->n_codecs && st->n_codecs < MEDIA_STREAM_MAX_CODECS; i++) {
        MediaStreamCodec *c = &st->codecs[st->n_codecs++];
        c->payload_type = (uint8_t)(rp->codecs[i]->payload_type & 0x7f);
        c->clock_rate = rp->codecs[i]->clock_rate;
        g_strlcpy(c->mime_type, rp->codecs[i]->mime_type, sizeof(c->mime_type));
    }
    for (size_t i = 0; i < rp->n_header_extensions && st->n_exts < MEDIA_STREAM_MAX_EXTS; i++) {
        MediaStreamExt *e = &st->exts[st->n_exts++];
        e->id = (uint8_t)rp->header_extensions[i]->id;
        g_strlcpy(e->uri, rp->header_extensions[i]->uri, sizeof(e->uri));
        if (strcmp(e->uri, AUDIO_LEVEL_URI) == 0)
            p->level_id = e->id;
    }
}

int media_producer_new(const Hype__SignalMedia__Produce *req, MediaTransport *transport,
                       void *owner, const MediaSpeaking *speaking, MediaProducer **ret) {
    const Hype__SignalMedia__RtpParameters *rp = req->rtp_parameters;
    /* One encoding, matched by SSRC (simulcast by rid comes later). */
    if (!rp || rp->n_encodings < 1 || !rp->encodings[0]->ssrc || rp->n_codecs < 1)
        return -EINVAL;
    MediaProducer *p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    p->id = req->producer_id;
    p->transport = transport;
    p->owner = owner;
    p->video = req->kind == HYPE__SIGNAL_MEDIA__MEDIA_KIND__KIND_VIDEO;
    p->paused = req->paused;
    p->ssrc = rp->encodings[0]->ssrc;
    copy_parameters(p, rp);
    p->speaking_cfg = p->video ? NULL : speaking;
    rtp_recv_stats_init(&p->stats, p->stream.codecs[0].clock_rate);
    p->consumers = g_ptr_array_new();
    *ret = p;
    return 0;
}

MediaProducer *media_producer_free(MediaProducer *p) {
    if (!p)
        return NULL;
    g_ptr_array_unref(p->consumers);
    free(p);
    return NULL;
}

void media_producer_request_key_frame(MediaProducer *p) {
    uint8_t buf[64];
    gint64 now = g_get_monotonic_time();
    if (!p->video || (p->last_key_frame_us && now - p->last_key_frame_us < KEY_FRAME_INTERVAL_US))
        return;
    ssize_t n = rtcp_pli_build(buf, sizeof(buf) - MEDIA_SRTP_TRAILER, RTCP_SENDER_SSRC, p->ssrc);
    if (n > 0 && media_transport_send_rtcp(p->transport, buf, (size_t)n) == 0)
        p->last_key_frame_us = now;
}

static void set_speaking(MediaProducer *p, bool speaking) {
    if (p->speaking == speaking)
        return;
    p->speaking = speaking;
    p->speaking_cfg->on_change(p->speaking_cfg->userdata, p, speaking);
}

/* The level of each packet; the hold keeps short pauses between words from flapping. */
static void detect_speaking(MediaProducer *p, const uint8_t *buf, const RtpPacket *pkt,
                            uint64_t now) {
    bool voice;
    uint8_t level;
    if (!p->speaking_cfg || !p->level_id ||
        rtp_audio_level(buf, pkt, p->level_id, &voice, &level) < 0)
        return;
    if (level <= p->speaking_cfg->threshold) {
        p->last_voice_us = now;
        set_speaking(p, true);
    } else if (p->speaking && now - p->last_voice_us >= p->speaking_cfg->hold_us)
        set_speaking(p, false);
}

void media_producer_set_paused(MediaProducer *p, bool paused) {
    if (paused && p->speaking_cfg)
        set_speaking(p, false);
    if (p->paused && !paused) {
        for (guint i = 0; i < p->consumers->len; i++)
            rtp_rewriter_resync(&((MediaConsumer *)g_ptr_array_index(p->consumers, i))->rw);
        media_producer_request_key_frame(p);
    }
    p->paused = paused;
}

void media_producer_on_sr(MediaProducer *p, const RtcpSr *sr) {
    rtp_recv_stats_on_sr(&p->stats, sr->ntp, (uint64_t)g_get_monotonic_time());
    for (guint i = 0; i < p->consumers->len; i++)
        media_consumer_send_sr(g_ptr_array_index(p->consumers, i), sr);
}

/* Its client learns loss, jitter and the round trip from them (and so does its congestion
 * control). */
static void send_receiver_report(MediaProducer *p, uint64_t now) {
    uint8_t buf[64];
    RtcpReportBlock block;
    rtp_recv_stats_report(&p->stats, p->ssrc, now, &block);
    ssize_t n = rtcp_rr_build(buf, sizeof(buf) - MEDIA_SRTP_TRAILER, RTCP_SENDER_SSRC, &block, 1);
    if (n > 0)
        media_transport_send_rtcp(p->transport, buf, (size_t)n);
    p->last_rr_us = now;
}

void media_producer_forward(MediaProducer *p, const uint8_t *buf, const RtpPacket *pkt,
                            MediaCounters *counters) {
    uint64_t now = (uint64_t)g_get_monotonic_time();
    rtp_recv_stats_update(&p->stats, pkt->seq, pkt->ts, now);
    if (!p->last_rr_us || now - p->last_rr_us >= RR_INTERVAL_US)
        send_receiver_report(p, now);
    if (p->paused)
        return;
    detect_speaking(p, buf, pkt, now);
    for (guint i = 0; i < p->consumers->len; i++)
        media_consumer_forward(g_ptr_array_index(p->consumers, i), buf, pkt, now, counters);
}
