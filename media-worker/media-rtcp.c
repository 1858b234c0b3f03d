/* media-rtcp: RTCP packets (RFC 3550 compound packets, SR, RR, SDES, BYE; RFC 4585 feedback:
 * NACK, PLI, transport-cc, REMB; RFC 5104 FIR): read, built, and SSRCs rewritten in place. */
#include "media-rtcp.h"

#include <errno.h>
#include <string.h>

#include "hype-endian.h"

#define RTCP_VERSION 2
#define REPORT_BLOCK_LEN 24
#define SENDER_INFO_LEN 24 /* the SSRC and the sender info */
#define FB_COMMON_LEN 8    /* sender and media source SSRCs */
#define NACK_ENTRY_LEN 4
#define FIR_ENTRY_LEN 8
#define REMB_HEADER_LEN 8
#define TWCC_HEADER_LEN 8

/*
 * The packet at buf, with avail bytes left in the datagram: its length (from its header) and
 * its padding, or -EINVAL. The padding count is the last byte and counts itself (RFC 3550
 * section 6.4.1).
 */
static int packet_len(const uint8_t *buf, size_t avail, size_t *ret_len, size_t *ret_pad) {
    if (avail < RTCP_HEADER_LEN || buf[0] >> 6 != RTCP_VERSION)
        return -EINVAL;
    size_t len = 4 * ((size_t)be16_get(buf + 2) + 1);
    if (len > avail)
        return -EINVAL;
    size_t pad = 0;
    if (buf[0] & 0x20) {
        pad = buf[len - 1];
        if (pad == 0 || pad > len - RTCP_HEADER_LEN)
            return -EINVAL;
    }
    *ret_len = len;
    *ret_pad = pad;
    return 0;
}

/* One packet of type pt filling exactly len bytes: the length of its body (after the 4-byte
 * header, padding excluded), or -ENOMSG / -EINVAL. */
static int open_packet(const uint8_t *buf, size_t len, uint8_t pt, size_t *ret_body) {
    size_t plen, pad;
    if (len < RTCP_HEADER_LEN)
        return -EINVAL;
    if (buf[1] != pt)
        return -ENOMSG;
    int r = packet_len(buf, len, &plen, &pad);
    if (r < 0)
        return r;
    if (plen != len)
        return -EINVAL;
    *ret_body = len - RTCP_HEADER_LEN - pad;
    return 0;
}

/* A packet of type pt whose 5-bit count says how many items of item_len bytes follow fixed_len
 * bytes: its body length (enough for them), or -ENOMSG / -EINVAL; *ret_count the count. */
static int open_counted(const uint8_t *buf, size_t len, uint8_t pt, size_t fixed_len,
                        size_t item_len, uint8_t *ret_count) {
    size_t body;
    int r = open_packet(buf, len, pt, &body);
    if (r < 0)
        return r;
    *ret_count = buf[0] & 0x1f;
    return body < fixed_len + *ret_count * item_len ? -EINVAL : (int)body;
}

void rtcp_iter_init(RtcpIter *it, const uint8_t *buf, size_t len) {
    *it = (RtcpIter){.buf = buf, .len = len};
}

int rtcp_iter_next(RtcpIter *it, RtcpPart *ret) {
    if (it->off >= it->len)
        return 0;
    const uint8_t *p = it->buf + it->off;
    size_t len, pad;
    int r = packet_len(p, it->len - it->off, &len, &pad);
    if (r < 0) {
        it->off = it->len;
        return r;
    }
    *ret = (RtcpPart){.off = it->off, .len = len, .pt = p[1], .count = p[0] & 0x1f};
    it->off += len;
    return 1;
}

int rtcp_validate(const uint8_t *buf, size_t len) {
    RtcpIter it;
    RtcpPart part;
    int r, n = 0;
    rtcp_iter_init(&it, buf, len);
    while ((r = rtcp_iter_next(&it, &part)) > 0)
        n++;
    if (r < 0)
        return r;
    return n > 0 ? n : -EINVAL;
}

static void read_report_block(const uint8_t *p, RtcpReportBlock *rb) {
    uint32_t lost = be24_get(p + 5);
    *rb = (RtcpReportBlock){
        .ssrc = be32_get(p),
        .fraction_lost = p[4],
        .cumulative_lost = (int32_t)(lost & 0x800000 ? lost | 0xff000000u : lost),
        .highest_seq = be32_get(p + 8),
        .jitter = be32_get(p + 12),
        .lsr = be32_get(p + 16),
        .dlsr = be32_get(p + 20),
    };
}

int rtcp_sr_parse(const uint8_t *buf, size_t len, RtcpSr *ret) {
    uint8_t rc;
    int r = open_counted(buf, len, RTCP_SR, SENDER_INFO_LEN, REPORT_BLOCK_LEN, &rc);
    if (r < 0)
        return r;
    const uint8_t *p = buf + RTCP_HEADER_LEN;
    ret->ssrc = be32_get(p);
    ret->ntp = be64_get(p + 4);
    ret->rtp_ts = be32_get(p + 12);
    ret->packet_count = be32_get(p + 16);
    ret->octet_count = be32_get(p + 20);
    ret->report_count = rc;
    for (unsigned i = 0; i < rc; i++)
        read_report_block(p + SENDER_INFO_LEN + i * REPORT_BLOCK_LEN, &ret->reports[i]);
    return 0;
}

int rtcp_rr_parse(const uint8_t *buf, size_t len, RtcpRr *ret) {
    uint8_t rc;
    int r = open_counted(buf, len, RTCP_RR, 4, REPORT_BLOCK_LEN, &rc);
    if (r < 0)
        return r;
    const uint8_t *p = buf + RTCP_HEADER_LEN;
    ret->ssrc = be32_get(p);
    ret->report_count = rc;
    for (unsigned i = 0; i < rc; i++)
        read_report_block(p + 4 + i * REPORT_BLOCK_LEN, &ret->reports[i]);
    return 0;
}

/*
 * The items of the chunk whose SSRC is at body + *pos: moves *pos past its null item and
 * padding, keeping its first CNAME. -EINVAL when an item or the padding runs past the body.
 */
static int read_chunk(const uint8_t *body, size_t blen, size_t *pos, RtcpSdesChunk *c) {
    size_t at = *pos;
    if (blen - at < 4)
        return -EINVAL;
    *c = (RtcpSdesChunk){.ssrc = be32_get(body + at)};
    for (at += 4; at < blen && body[at] != 0;) {
        if (blen - at < 2 || body[at + 1] > blen - at - 2)
            return -EINVAL;
        if (body[at] == RTCP_SDES_CNAME && !c->cname) {
            c->cname = (const char *)body + at + 2;
            c->cname_len = body[at + 1];
        }
        at += 2 + (size_t)body[at + 1];
    }
    if (at >= blen)
        return -EINVAL;         /* no null item */
    at = (at + 4) & ~(size_t)3; /* past the null octet, padded to 32 bits */
    if (at > blen)
        return -EINVAL;
    *pos = at;
    return 0;
}

int rtcp_sdes_parse(const uint8_t *buf, size_t len, RtcpSdes *ret) {
    size_t pos = 0;
    uint8_t sc;
    int body = open_counted(buf, len, RTCP_SDES, 0, 0, &sc);
    if (body < 0)
        return body;
    for (unsigned i = 0; i < sc; i++) {
        int r = read_chunk(buf + RTCP_HEADER_LEN, (size_t)body, &pos, &ret->chunks[i]);
        if (r < 0)
            return r;
    }
    ret->chunk_count = sc;
    return 0;
}

int rtcp_bye_parse(const uint8_t *buf, size_t len, RtcpBye *ret) {
    uint8_t sc;
    int body = open_counted(buf, len, RTCP_BYE, 0, 4, &sc);
    if (body < 0)
        return body;
    const uint8_t *p = buf + RTCP_HEADER_LEN, *reason = p + 4 * sc;
    size_t rest = (size_t)body - 4 * (size_t)sc;
    if (rest > 0 && reason[0] > rest - 1)
        return -EINVAL;
    ret->ssrc_count = sc;
    for (unsigned i = 0; i < sc; i++)
        ret->ssrcs[i] = be32_get(p + 4 * i);
    ret->reason = rest > 0 ? (const char *)reason + 1 : NULL;
    ret->reason_len = rest > 0 ? reason[0] : 0;
    return 0;
}

static bool is_remb(const uint8_t *fci, size_t len) {
    return len >= 4 && memcmp(fci, "REMB", 4) == 0;
}

/* Whether the FCI of a format the SFU acts on has the length its format requires. */
static bool fci_ok(uint8_t pt, uint8_t fmt, const uint8_t *fci, size_t len) {
    if (pt == RTCP_RTPFB && fmt == RTCP_RTPFB_NACK)
        return len >= NACK_ENTRY_LEN && len % NACK_ENTRY_LEN == 0;
    if (pt == RTCP_RTPFB && fmt == RTCP_RTPFB_TWCC)
        return len >= TWCC_HEADER_LEN;
    if (pt == RTCP_PSFB && fmt == RTCP_PSFB_FIR)
        return len >= FIR_ENTRY_LEN && len % FIR_ENTRY_LEN == 0;
    if (pt == RTCP_PSFB && fmt == RTCP_PSFB_AFB && is_remb(fci, len))
        return len >= REMB_HEADER_LEN && (len - REMB_HEADER_LEN) / 4 >= fci[4];
    return true;
}

int rtcp_fb_parse(const uint8_t *buf, size_t len, RtcpFb *ret) {
    size_t body;
    if (len < RTCP_HEADER_LEN)
        return -EINVAL;
    if (buf[1] != RTCP_RTPFB && buf[1] != RTCP_PSFB)
        return -ENOMSG;
    int r = open_packet(buf, len, buf[1], &body);
    if (r < 0)
        return r;
    if (body < FB_COMMON_LEN)
        return -EINVAL;
    RtcpFb fb = {
        .pt = buf[1],
        .fmt = buf[0] & 0x1f,
        .sender_ssrc = be32_get(buf + 4),
        .media_ssrc = be32_get(buf + 8),
        .fci = buf + RTCP_HEADER_LEN + FB_COMMON_LEN,
        .fci_len = body - FB_COMMON_LEN,
    };
    if (!fci_ok(fb.pt, fb.fmt, fb.fci, fb.fci_len))
        return -EINVAL;
    *ret = fb;
    return 0;
}

static bool is_fb(const RtcpFb *fb, uint8_t pt, uint8_t fmt) {
    return fb->pt == pt && fb->fmt == fmt;
}

size_t rtcp_nack_count(const RtcpFb *fb) {
    return is_fb(fb, RTCP_RTPFB, RTCP_RTPFB_NACK) ? fb->fci_len / NACK_ENTRY_LEN : 0;
}

void rtcp_nack_get(const RtcpFb *fb, size_t i, uint16_t *ret_pid, uint16_t *ret_blp) {
    *ret_pid = be16_get(fb->fci + i * NACK_ENTRY_LEN);
    *ret_blp = be16_get(fb->fci + i * NACK_ENTRY_LEN + 2);
}

size_t rtcp_nack_lost(const RtcpFb *fb, uint16_t *out, size_t cap) {
    size_t n = 0, entries = rtcp_nack_count(fb);
    for (size_t i = 0; i < entries; i++) {
        uint16_t pid, blp;
        rtcp_nack_get(fb, i, &pid, &blp);
        for (unsigned bit = 0; bit <= 16; bit++) {
            if (bit > 0 && !(blp & 1u << (bit - 1)))
                continue;
            if (n < cap)
                out[n] = (uint16_t)(pid + bit);
            n++;
        }
    }
    return n;
}

size_t rtcp_fir_count(const RtcpFb *fb) {
    return is_fb(fb, RTCP_PSFB, RTCP_PSFB_FIR) ? fb->fci_len / FIR_ENTRY_LEN : 0;
}

void rtcp_fir_get(const RtcpFb *fb, size_t i, uint32_t *ret_ssrc, uint8_t *ret_seq_nr) {
    *ret_ssrc = be32_get(fb->fci + i * FIR_ENTRY_LEN);
    *ret_seq_nr = fb->fci[i * FIR_ENTRY_LEN + 4];
}

int rtcp_remb_parse(const RtcpFb *fb, RtcpRemb *ret) {
    if (!is_fb(fb, RTCP_PSFB, RTCP_PSFB_AFB) || !is_remb(fb->fci, fb->fci_len))
        return -ENOMSG;
    if (!fci_ok(fb->pt, fb->fmt, fb->fci, fb->fci_len))
        return -EINVAL;
    unsigned exp = fb->fci[5] >> 2;
    uint64_t mantissa = (uint64_t)(fb->fci[5] & 3) << 16 | be16_get(fb->fci + 6);
    /* An 18-bit mantissa shifted by up to 63 can overflow: saturate. */
    bool over = exp > 46 && mantissa >> (64 - exp);
    *ret = (RtcpRemb){
        .bitrate = over ? UINT64_MAX : mantissa << exp,
        .ssrc_count = fb->fci[4],
        .ssrcs = fb->fci + REMB_HEADER_LEN,
    };
    return 0;
}

uint32_t rtcp_remb_ssrc(const RtcpRemb *remb, size_t i) {
    return i < remb->ssrc_count ? be32_get(remb->ssrcs + 4 * i) : 0;
}

int rtcp_twcc_parse(const RtcpFb *fb, RtcpTwcc *ret) {
    if (!is_fb(fb, RTCP_RTPFB, RTCP_RTPFB_TWCC))
        return -ENOMSG;
    if (fb->fci_len < TWCC_HEADER_LEN)
        return -EINVAL;
    uint32_t ref = be24_get(fb->fci + 4);
    *ret = (RtcpTwcc){
        .base_seq = be16_get(fb->fci),
        .status_count = be16_get(fb->fci + 2),
        .reference_time = (int32_t)(ref & 0x800000 ? ref | 0xff000000u : ref),
        .fb_count = fb->fci[7],
    };
    return 0;
}

int rtcp_fb_map_ssrc(uint8_t *buf, size_t len, uint32_t from, uint32_t to) {
    RtcpFb fb;
    int r = rtcp_fb_parse(buf, len, &fb), n = 0;
    if (r < 0)
        return r;
    if (fb.media_ssrc == from) {
        be32_put(buf + RTCP_HEADER_LEN + 4, to);
        n++;
    }
    size_t fci_off = RTCP_HEADER_LEN + FB_COMMON_LEN, entries = rtcp_fir_count(&fb);
    for (size_t i = 0; i < entries; i++) {
        uint8_t *entry = buf + fci_off + i * FIR_ENTRY_LEN;
        if (be32_get(entry) == from) {
            be32_put(entry, to);
            n++;
        }
    }
    return n;
}

int rtcp_fb_set_sender(uint8_t *buf, size_t len, uint32_t sender_ssrc) {
    RtcpFb fb;
    int r = rtcp_fb_parse(buf, len, &fb);
    if (r < 0)
        return r;
    be32_put(buf + RTCP_HEADER_LEN, sender_ssrc);
    return 0;
}

/* The common header of a packet of len bytes (a multiple of 4). */
static void put_header(uint8_t *buf, uint8_t count, uint8_t pt, size_t len) {
    buf[0] = (uint8_t)(RTCP_VERSION << 6 | count);
    buf[1] = pt;
    be16_put(buf + 2, (uint16_t)(len / 4 - 1));
}

static void put_report_block(uint8_t *p, const RtcpReportBlock *rb) {
    int32_t lost = rb->cumulative_lost;
    lost = lost > 0x7fffff ? 0x7fffff : lost < -0x800000 ? -0x800000 : lost;
    be32_put(p, rb->ssrc);
    p[4] = rb->fraction_lost;
    be24_put(p + 5, (uint32_t)lost & 0xffffff);
    be32_put(p + 8, rb->highest_seq);
    be32_put(p + 12, rb->jitter);
    be32_put(p + 16, rb->lsr);
    be32_put(p + 20, rb->dlsr);
}

ssize_t rtcp_sr_build(uint8_t *buf, size_t cap, const RtcpSr *sr) {
    if (sr->report_count > RTCP_COUNT_MAX)
        return -EINVAL;
    size_t len = RTCP_HEADER_LEN + SENDER_INFO_LEN + sr->report_count * REPORT_BLOCK_LEN;
    if (len > cap)
        return -ENOBUFS;
    put_header(buf, sr->report_count, RTCP_SR, len);
    uint8_t *p = buf + RTCP_HEADER_LEN;
    be32_put(p, sr->ssrc);
    be64_put(p + 4, sr->ntp);
    be32_put(p + 12, sr->rtp_ts);
    be32_put(p + 16, sr->packet_count);
    be32_put(p + 20, sr->octet_count);
    for (unsigned i = 0; i < sr->report_count; i++)
        put_report_block(p + SENDER_INFO_LEN + i * REPORT_BLOCK_LEN, &sr->reports[i]);
    return (ssize_t)len;
}

ssize_t rtcp_rr_build(uint8_t *buf, size_t cap, uint32_t ssrc, const RtcpReportBlock *reports,
                      size_t count) {
    if (count > RTCP_COUNT_MAX)
        return -EINVAL;
    size_t len = RTCP_HEADER_LEN + 4 + count * REPORT_BLOCK_LEN;
    if (len > cap)
        return -ENOBUFS;
    put_header(buf, (uint8_t)count, RTCP_RR, len);
    be32_put(buf + RTCP_HEADER_LEN, ssrc);
    for (size_t i = 0; i < count; i++)
        put_report_block(buf + RTCP_HEADER_LEN + 4 + i * REPORT_BLOCK_LEN, &reports[i]);
    return (ssize_t)len;
}

ssize_t rtcp_sdes_build(uint8_t *buf, size_t cap, uint32_t ssrc, const char *cname, size_t len) {
    if (len > 255)
        return -EINVAL;
    /* header, SSRC, CNAME item, the null item, padded to 32 bits */
    size_t total = (RTCP_HEADER_LEN + 4 + 2 + len + 1 + 3) & ~(size_t)3;
    if (total > cap)
        return -ENOBUFS;
    memset(buf, 0, total);
    put_header(buf, 1, RTCP_SDES, total);
    be32_put(buf + RTCP_HEADER_LEN, ssrc);
    buf[RTCP_HEADER_LEN + 4] = RTCP_SDES_CNAME;
    buf[RTCP_HEADER_LEN + 5] = (uint8_t)len;
    memcpy(buf + RTCP_HEADER_LEN + 6, cname, len);
    return (ssize_t)total;
}

static ssize_t fb_build(uint8_t *buf, size_t cap, uint8_t pt, uint8_t fmt, uint32_t sender,
                        uint32_t media, size_t fci_len) {
    size_t len = RTCP_HEADER_LEN + FB_COMMON_LEN + fci_len;
    if (len > cap)
        return -ENOBUFS;
    put_header(buf, fmt, pt, len);
    be32_put(buf + RTCP_HEADER_LEN, sender);
    be32_put(buf + RTCP_HEADER_LEN + 4, media);
    return (ssize_t)len;
}

ssize_t rtcp_pli_build(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc) {
    return fb_build(buf, cap, RTCP_PSFB, RTCP_PSFB_PLI, sender_ssrc, media_ssrc, 0);
}

ssize_t rtcp_fir_build(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                       uint8_t seq_nr) {
    /* RFC 5104 section 4.3.1.2: the common media source SSRC is 0; the entry names it. */
    ssize_t len = fb_build(buf, cap, RTCP_PSFB, RTCP_PSFB_FIR, sender_ssrc, 0, FIR_ENTRY_LEN);
    if (len < 0)
        return len;
    uint8_t *entry = buf + RTCP_HEADER_LEN + FB_COMMON_LEN;
    be32_put(entry, media_ssrc);
    entry[4] = seq_nr;
    entry[5] = entry[6] = entry[7] = 0;
    return len;
}

/* Packs the numbers into PID+BLP entries at out (NULL: only count them): how many. */
static size_t pack_nack(const uint16_t *seqs, size_t count, uint8_t *out) {
    size_t entries = 0;
    uint16_t pid = 0, blp = 0;
    for (size_t i = 0; i < count; i++) {
        uint16_t d = (uint16_t)(seqs[i] - pid);
        if (entries > 0 && d == 0)
            continue;
        if (entries > 0 && d <= 16) {
            blp |= (uint16_t)(1u << (d - 1));
        } else {
            if (out && entries > 0)
                be16_put(out + (entries - 1) * NACK_ENTRY_LEN + 2, blp);
            pid = seqs[i];
            blp = 0;
            if (out)
                be16_put(out + entries * NACK_ENTRY_LEN, pid);
            entries++;
        }
    }
    if (out && entries > 0)
        be16_put(out + (entries - 1) * NACK_ENTRY_LEN + 2, blp);
    return entries;
}

ssize_t rtcp_nack_build(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                        const uint16_t *seqs, size_t count) {
    if (count == 0)
        return -EINVAL;
    size_t entries = pack_nack(seqs, count, NULL);
    if (entries > 0xffff - 2) /* the length field counts 32-bit words, minus one */
        return -EINVAL;
    ssize_t len = fb_build(buf, cap, RTCP_RTPFB, RTCP_RTPFB_NACK, sender_ssrc, media_ssrc,
                           entries * NACK_ENTRY_LEN);
    if (len < 0)
        return len;
    pack_nack(seqs, count, buf + RTCP_HEADER_LEN + FB_COMMON_LEN);
    return len;
}
