/* fuzz-rtp: an RTP packet as it comes off SRTP: parsed, its extensions walked and looked up,
 * then rewritten for a consumer (header fields, extension ids and mid, with input-chosen room)
 * in a copy that must parse again with the same media; and a consumer stream's sequence
 * mapping driven by input numbers, resyncs and clock. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hype-endian.h"
#include "media-demux.h"
#include "media-rtp-rewriter.h"
#include "media-rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ROOM_MAX 256

static void walk_extensions(const uint8_t *data, size_t size, const RtpPacket *p) {
    RtpExt e, first;
    size_t cursor = 0, n = 0;
    bool voice;
    uint8_t level;
    while (rtp_ext_next(data, p, &cursor, &e)) {
        if (e.id == 0 || e.off < p->ext_off || e.off + e.len > p->ext_off + p->ext_len ||
            e.off + e.len > size)
            abort();
        /* the lookup finds the first element of that id (for the first few: it is linear) */
        if (n++ < 32 &&
            (rtp_ext_find(data, p, e.id, &first) < 0 || first.id != e.id || first.off > e.off))
            abort();
    }
    if (rtp_ext_find(data, p, 0, &e) != -ENOENT)
        abort();
    rtp_audio_level(data, p, 1, &voice, &level);
}

/* A consumer's map from the input: its first bytes say where each id goes. */
static void map_from(const uint8_t *data, size_t size, RtpExtMap *m) {
    rtp_ext_map_init(m);
    for (unsigned id = 1; id < 20 && id < size; id++)
        if (data[id] % 3)
            rtp_ext_map_add(m, (uint8_t)id, data[id]);
    size_t mid_len = size ? data[0] % 17 : 0;
    if (mid_len && size > 20 + mid_len)
        rtp_ext_map_mid(m, 1, data[20] ? data[20] : 1, (const char *)data + 21, mid_len);
}

static void rewrite(const uint8_t *data, size_t size, const RtpPacket *in) {
    static uint8_t out[65536 + ROOM_MAX];
    RtpPacket p = *in, q;
    RtpExtMap m;
    if (size > 65536)
        return;
    memcpy(out, data, size);
    map_from(data, size, &m);
    /* a dynamic payload type (96-127): never one RTCP's range would make unparseable */
    rtp_set_header(out, &p, 96 + in->payload_type % 32, ~in->ssrc, in->seq + 1, ~in->ts);
    size_t cap = size + (size ? data[size - 1] % ROOM_MAX : 0);
    RtpPacket before = p;
    int r = rtp_ext_remap(out, cap, &p, &m);
    if (r < 0) {
        if (memcmp(&p, &before, sizeof(p)) != 0 || memcmp(out + 12, data + 12, size - 12) != 0)
            abort(); /* refused: unchanged */
        return;
    }
    /* the copy parses, with the new header and the same payload and padding */
    if (p.len > cap || rtp_parse(out, p.len, &q) < 0 || q.ssrc != ~in->ssrc ||
        q.payload_len != in->payload_len || q.padding_len != in->padding_len ||
        q.payload_off != p.payload_off || q.csrc_count != in->csrc_count ||
        memcmp(out + q.payload_off, data + in->payload_off, in->payload_len) != 0)
        abort();
    walk_extensions(out, p.len, &q);
}

/* Every 7 bytes: a sequence number, a timestamp, a step of the clock, and a resync bit. */
static void sequence(const uint8_t *data, size_t size) {
    RtpRewriter rw;
    uint64_t now = 0;
    rtp_rewriter_init(&rw, 90000, 100, 200);
    for (size_t off = 0; off + 7 <= size; off += 7) {
        const uint8_t *d = data + off;
        if (d[6] & 0x80)
            rtp_rewriter_resync(&rw);
        now += d[6] & 0x7f;
        bool starts = rw.resync, started = rw.started;
        uint16_t last = rw.out_seq, seq, in;
        uint32_t last_ts = rw.out_ts, ts;
        if (rtp_rewriter_map(&rw, be16_get(d), be32_get(d + 2), now * 1000, &seq, &ts) < 0)
            continue;
        if (starts && seq != (uint16_t)(last + 1))
            abort(); /* a segment continues right after the last sent */
        if (starts && started && (int32_t)(ts - last_ts) < 1)
            abort(); /* and later than it (the clock here stays far below 2^31 ticks) */
        if (rtp_rewriter_unmap_seq(&rw, seq, &in) == 0 && in != be16_get(d))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    RtpPacket p;
    demux_classify(data, size);
    sequence(data, size);
    if (rtp_parse(data, size, &p) < 0)
        return 0;
    if (p.payload_off + p.payload_len + p.padding_len != size || p.len != size)
        abort();
    for (unsigned i = 0; i < p.csrc_count; i++)
        rtp_csrc(data, &p, i);
    walk_extensions(data, size, &p);
    rewrite(data, size, &p);
    return 0;
}
