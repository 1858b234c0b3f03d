/* media-consumer: one consumer's rewriting and sending; see media-consumer.h. */
#include "media-consumer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MID_URI "urn:ietf:params:rtp-hdrext:sdes:mid"
#define NO_PT 0xff

static bool is_rtx(const char *mime_type) {
    const char *slash = strchr(mime_type, '/');
    return slash && strcasecmp(slash, "/rtx") == 0;
}

/* Payload types by codec (the rtx streams are not forwarded yet). */
static int map_payload_types(MediaConsumer *c, const MediaStream *p,
                             const Hype__SignalMedia__RtpParameters *rp) {
    bool any = false;
    memset(c->pt_map, NO_PT, sizeof(c->pt_map));
    for (size_t i = 0; i < p->n_codecs; i++) {
        if (is_rtx(p->codecs[i].mime_type))
            continue;
        for (size_t j = 0; j < rp->n_codecs; j++)
            if (strcasecmp(rp->codecs[j]->mime_type, p->codecs[i].mime_type) == 0) {
                c->pt_map[p->codecs[i].payload_type] =
                    (uint8_t)(rp->codecs[j]->payload_type & 0x7f);
                any = true;
                break;
            }
    }
    return any ? 0 : -EINVAL;
}

/* Header extensions by URI; the mid is the consumer's own. */
static void map_extensions(MediaConsumer *c, const MediaStream *p,
                           const Hype__SignalMedia__RtpParameters *rp) {
    rtp_ext_map_init(&c->ext_map);
    for (size_t j = 0; j < rp->n_header_extensions; j++) {
        const Hype__SignalMedia__RtpHeaderExtension *e = rp->header_extensions[j];
        bool mid = strcmp(e->uri, MID_URI) == 0;
        for (size_t i = 0; i < p->n_exts; i++) {
            if (strcmp(p->exts[i].uri, e->uri) != 0 || e->id < 1 || e->id > 255)
                continue;
            if (mid && rp->mid && rp->mid[0])
                rtp_ext_map_mid(&c->ext_map, p->exts[i].id, (uint8_t)e->id, rp->mid,
                                strlen(rp->mid));
            else if (!mid)
                rtp_ext_map_add(&c->ext_map, p->exts[i].id, (uint8_t)e->id);
        }
    }
}

int media_consumer_new(const Hype__SignalMedia__Consume *req, const MediaStream *src,
                       void *producer, MediaTransport *transport, void *owner,
                       MediaConsumer **ret) {
    const Hype__SignalMedia__RtpParameters *rp = req->rtp_parameters;
    if (!rp || rp->n_encodings < 1 || !rp->encodings[0]->ssrc || rp->n_codecs < 1 ||
        !rp->codecs[0]->clock_rate)
        return -EINVAL;
    MediaConsumer *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    int r = map_payload_types(c, src, rp);
    if (r < 0) {
        free(c);
        return r;
    }
    map_extensions(c, src, rp);
    c->id = req->consumer_id;
    c->transport = transport;
    c->owner = owner;
    c->producer = producer;
    c->paused = req->paused;
    c->ssrc = rp->encodings[0]->ssrc;
    /* Random bases (RFC 3550 section 5.1). */
    rtp_rewriter_init(&c->rw, rp->codecs[0]->clock_rate, (uint16_t)g_random_int(), g_random_int());
    *ret = c;
    return 0;
}

MediaConsumer *media_consumer_free(MediaConsumer *c) {
    if (!c)
        return NULL;
    free(c);
    return NULL;
}

bool media_consumer_set_paused(MediaConsumer *c, bool paused) {
    bool resumed = c->paused && !paused;
    if (resumed)
        rtp_rewriter_resync(&c->rw); /* no gap, no step back in what the receiver sees */
    c->paused = paused;
    return resumed;
}

void media_consumer_forward(MediaConsumer *c, const uint8_t *buf, const RtpPacket *in,
                            uint64_t now_us, MediaCounters *counters) {
    uint8_t pt = c->pt_map[in->payload_type & 0x7f];
    RtpPacket p = *in;
    uint16_t seq;
    uint32_t ts;
    if (c->paused || !media_transport_ready(c->transport))
        return;
    if (pt == NO_PT) {
        counters->dropped_no_route++;
        return;
    }
    memcpy(c->buf, buf, in->len);
    if (rtp_ext_remap(c->buf, sizeof(c->buf) - MEDIA_SRTP_TRAILER, &p, &c->ext_map) < 0)
        return;
    if (rtp_rewriter_map(&c->rw, in->seq, in->ts, now_us, &seq, &ts) < 0)
        return; /* from before a resume, or an unconfirmed jump */
    rtp_set_header(c->buf, &p, pt, c->ssrc, seq, ts);
    if (media_transport_send_rtp(c->transport, c->buf, p.len) == 0) {
        c->packets_sent++;
        c->octets_sent += (uint32_t)in->payload_len;
    }
}

void media_consumer_send_sr(MediaConsumer *c, const RtcpSr *producer_sr) {
    uint8_t buf[64];
    RtcpSr sr = {
        .ssrc = c->ssrc,
        .ntp = producer_sr->ntp,
        .rtp_ts = rtp_rewriter_map_ts(&c->rw, producer_sr->rtp_ts),
        .packet_count = c->packets_sent,
        .octet_count = c->octets_sent,
    };
    if (c->paused || !c->rw.started || !media_transport_ready(c->transport))
        return; /* nothing sent yet: no time base to report in */
    ssize_t n = rtcp_sr_build(buf, sizeof(buf) - MEDIA_SRTP_TRAILER, &sr);
    if (n > 0)
        media_transport_send_rtcp(c->transport, buf, (size_t)n);
}
