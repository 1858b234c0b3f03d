/* media-rtp: RTP packets read and rewritten in place (RFC 3550 header, RFC 8285 header
 * extensions, RFC 6464 audio level): what a forwarding SFU changes per consumer. */
#include "media-rtp.h"

#include <errno.h>
#include <string.h>

#include "hype-endian.h"

#define EXT_HEADER_LEN 4
#define ONE_BYTE_ID_END 15   /* RFC 8285 section 4.2: stop processing the block here */
#define REMAP_BLOCK_MAX 1024 /* longest extension block rtp_ext_remap writes */

/* Whether a block's byte is padding: id 0 (in the one-byte form whatever its length nibble says,
 * as libwebrtc reads it: id 0 is reserved for padding, RFC 8285 section 4.2). */
static bool is_padding(uint8_t b, RtpExtForm form) {
    return form == RTP_EXT_ONE_BYTE ? b >> 4 == 0 : b == 0;
}

/*
 * The element at *pos of a block of len bytes in the given form: 1 and *ret (ret->off from the
 * block's start), 0 at the end, -EINVAL when an element runs past the block. Padding bytes are
 * skipped one by one.
 */
static int next_element(const uint8_t *blk, size_t len, RtpExtForm form, size_t *pos, RtpExt *ret) {
    while (*pos < len && is_padding(blk[*pos], form))
        (*pos)++;
    if (*pos >= len)
        return 0;
    size_t at = *pos, hdr, vlen;
    uint8_t id;
    if (form == RTP_EXT_ONE_BYTE) {
        id = blk[at] >> 4;
        if (id == ONE_BYTE_ID_END) {
            *pos = len;
            return 0;
        }
        hdr = 1;
        vlen = (size_t)(blk[at] & 0x0f) + 1;
    } else {
        if (len - at < 2)
            return -EINVAL;
        id = blk[at];
        hdr = 2;
        vlen = blk[at + 1];
    }
    if (vlen > len - at - hdr)
        return -EINVAL;
    *ret = (RtpExt){.id = id, .len = (uint8_t)vlen, .off = at + hdr};
    *pos = at + hdr + vlen;
    return 1;
}

static RtpExtForm form_of(uint16_t profile) {
    if (profile == RTP_EXT_ONE_BYTE_PROFILE)
        return RTP_EXT_ONE_BYTE;
    if ((profile & 0xfff0) == RTP_EXT_TWO_BYTE_PROFILE)
        return RTP_EXT_TWO_BYTE;
    return RTP_EXT_OTHER;
}

/* The extension block at *off: checks its length and every element, then moves *off past it. */
static int parse_extension(const uint8_t *buf, size_t len, size_t *off, RtpPacket *p) {
    if (len - *off < EXT_HEADER_LEN)
        return -EINVAL;
    size_t ext_len = 4 * (size_t)be16_get(buf + *off + 2);
    if (ext_len > len - *off - EXT_HEADER_LEN)
        return -EINVAL;
    p->ext_profile = be16_get(buf + *off);
    p->ext_form = form_of(p->ext_profile);
    p->ext_off = *off + EXT_HEADER_LEN;
    p->ext_len = ext_len;
    if (p->ext_form != RTP_EXT_OTHER) {
        RtpExt e;
        size_t pos = 0;
        int r;
        while ((r = next_element(buf + p->ext_off, ext_len, p->ext_form, &pos, &e)) > 0)
            ;
        if (r < 0)
            return r;
    }
    *off = p->ext_off + ext_len;
    return 0;
}

int rtp_parse(const uint8_t *buf, size_t len, RtpPacket *ret) {
    if (len < RTP_HEADER_LEN || buf[0] >> 6 != RTP_VERSION)
        return -EINVAL;
    uint8_t pt = buf[1] & 0x7f;
    if (pt >= 64 && pt <= 95)
        return -ENOMSG;
    RtpPacket p = {
        .len = len,
        .marker = buf[1] >> 7,
        .payload_type = pt,
        .seq = be16_get(buf + 2),
        .ts = be32_get(buf + 4),
        .ssrc = be32_get(buf + 8),
        .csrc_count = buf[0] & 0x0f,
    };
    size_t off = RTP_HEADER_LEN + 4 * (size_t)p.csrc_count;
    if (off > len)
        return -EINVAL;
    if (buf[0] & 0x10) {
        int r = parse_extension(buf, len, &off, &p);
        if (r < 0)
            return r;
    }
    if (buf[0] & 0x20) {
        /* The last byte counts the padding, itself included (RFC 3550 section 5.1). */
        if (off == len || buf[len - 1] == 0 || buf[len - 1] > len - off)
            return -EINVAL;
        p.padding_len = buf[len - 1];
    }
    p.payload_off = off;
    p.payload_len = len - off - p.padding_len;
    *ret = p;
    return 0;
}

uint32_t rtp_csrc(const uint8_t *buf, const RtpPacket *p, unsigned i) {
    return i < p->csrc_count ? be32_get(buf + RTP_HEADER_LEN + 4 * i) : 0;
}

int rtp_ext_next(const uint8_t *buf, const RtpPacket *p, size_t *cursor, RtpExt *ret) {
    if (p->ext_form != RTP_EXT_ONE_BYTE && p->ext_form != RTP_EXT_TWO_BYTE)
        return 0;
    RtpExt e;
    if (next_element(buf + p->ext_off, p->ext_len, p->ext_form, cursor, &e) <= 0)
        return 0;
    e.off += p->ext_off;
    *ret = e;
    return 1;
}

int rtp_ext_find(const uint8_t *buf, const RtpPacket *p, uint8_t id, RtpExt *ret) {
    RtpExt e;
    size_t cursor = 0;
    while (rtp_ext_next(buf, p, &cursor, &e))
        if (e.id == id) {
            *ret = e;
            return 0;
        }
    return -ENOENT;
}

int rtp_audio_level(const uint8_t *buf, const RtpPacket *p, uint8_t id, bool *ret_voice,
                    uint8_t *ret_level) {
    RtpExt e;
    int r = rtp_ext_find(buf, p, id, &e);
    if (r < 0)
        return r;
    if (e.len != 1)
        return -EINVAL;
    *ret_voice = buf[e.off] >> 7;
    *ret_level = buf[e.off] & 0x7f;
    return 0;
}

uint32_t rtp_abs_send_time(uint64_t now_us) {
    uint64_t sec = now_us / 1000000, frac = now_us % 1000000;
    return (uint32_t)((sec & 0x3f) << 18 | (frac << 18) / 1000000);
}

int rtp_ext_write(uint8_t *buf, const RtpPacket *p, uint8_t id, const void *value, size_t len) {
    RtpExt e;
    int r = rtp_ext_find(buf, p, id, &e);
    if (r < 0)
        return r;
    if (e.len != len)
        return -EINVAL;
    memcpy(buf + e.off, value, len);
    return 0;
}

void rtp_set_header(uint8_t *buf, RtpPacket *p, uint8_t payload_type, uint32_t ssrc, uint16_t seq,
                    uint32_t ts) {
    buf[1] = (uint8_t)((buf[1] & 0x80) | (payload_type & 0x7f));
    be16_put(buf + 2, seq);
    be32_put(buf + 4, ts);
    be32_put(buf + 8, ssrc);
    p->payload_type = payload_type & 0x7f;
    p->seq = seq;
    p->ts = ts;
    p->ssrc = ssrc;
}

void rtp_ext_map_init(RtpExtMap *m) {
    memset(m, 0, sizeof(*m));
}

int rtp_ext_map_add(RtpExtMap *m, uint8_t from, uint8_t to) {
    if (from == 0 || to == 0)
        return -EINVAL;
    m->to[from] = to;
    return 0;
}

int rtp_ext_map_mid(RtpExtMap *m, uint8_t from, uint8_t to, const char *mid, size_t len) {
    if (len == 0 || len > RTP_MID_MAX || rtp_ext_map_add(m, from, to) < 0)
        return -EINVAL;
    m->mid_from = from;
    m->mid_len = (uint8_t)len;
    memcpy(m->mid, mid, len);
    return 0;
}

/* The consumer's view of one producer element: its id (0: dropped) and value. */
static uint8_t map_element(const uint8_t *buf, const RtpExt *e, const RtpExtMap *m, bool with_mid,
                           const uint8_t **ret_val, size_t *ret_len) {
    *ret_val = buf + e->off;
    *ret_len = e->len;
    if (m->mid_from && e->id == m->mid_from) {
        if (!with_mid)
            return 0;
        *ret_val = (const uint8_t *)m->mid;
        *ret_len = m->mid_len;
    }
    return m->to[e->id];
}

/* Whether the mapped elements need RFC 8285's two-byte form. */
static bool needs_two_byte(const uint8_t *buf, const RtpPacket *p, const RtpExtMap *m,
                           bool with_mid) {
    RtpExt e;
    size_t cursor = 0, vlen;
    const uint8_t *val;
    while (rtp_ext_next(buf, p, &cursor, &e)) {
        uint8_t id = map_element(buf, &e, m, with_mid, &val, &vlen);
        if (id && (id > RTP_EXT_ONE_BYTE_ID_MAX || vlen == 0 || vlen > RTP_EXT_ONE_BYTE_LEN_MAX))
            return true;
    }
    return false;
}

/*
 * Writes the consumer's elements into out (REMAP_BLOCK_MAX bytes): their length, or -E2BIG.
 * *ret_form is the form they are in; *ret_mid whether a mid element was written.
 */
static int build_block(const uint8_t *buf, const RtpPacket *p, const RtpExtMap *m, bool with_mid,
                       uint8_t *out, RtpExtForm *ret_form, bool *ret_mid) {
    bool two = needs_two_byte(buf, p, m, with_mid);
    size_t n = 0, cursor = 0, vlen;
    const uint8_t *val;
    RtpExt e;
    *ret_mid = false;
    while (rtp_ext_next(buf, p, &cursor, &e)) {
        uint8_t id = map_element(buf, &e, m, with_mid, &val, &vlen);
        if (!id)
            continue;
        if (n + 2 + vlen > REMAP_BLOCK_MAX)
            return -E2BIG;
        if (two) {
            out[n++] = id;
            out[n++] = (uint8_t)vlen;
        } else
            out[n++] = (uint8_t)(id << 4 | (vlen - 1));
        memcpy(out + n, val, vlen);
        n += vlen;
        *ret_mid |= m->mid_from && e.id == m->mid_from;
    }
    *ret_form = two ? RTP_EXT_TWO_BYTE : RTP_EXT_ONE_BYTE;
    return (int)n;
}

/* Puts a built block of n bytes in place of the packet's, moving the payload if it grew. */
static void place_block(uint8_t *buf, RtpPacket *p, const uint8_t *blk, size_t n, RtpExtForm form) {
    size_t new_len = (n + 3) & ~(size_t)3, old_len = p->ext_len;
    if (new_len < old_len)
        new_len = old_len; /* zero padding instead of moving the payload back */
    if (new_len > old_len) {
        size_t tail = p->len - p->ext_off - old_len;
        memmove(buf + p->ext_off + new_len, buf + p->ext_off + old_len, tail);
        p->len += new_len - old_len;
        p->payload_off += new_len - old_len;
    }
    memcpy(buf + p->ext_off, blk, n);
    memset(buf + p->ext_off + n, 0, new_len - n);
    uint16_t appbits = p->ext_form == RTP_EXT_TWO_BYTE ? p->ext_profile & 0x0f : 0;
    p->ext_profile =
        form == RTP_EXT_ONE_BYTE ? RTP_EXT_ONE_BYTE_PROFILE : RTP_EXT_TWO_BYTE_PROFILE | appbits;
    p->ext_form = form;
    p->ext_len = new_len;
    be16_put(buf + p->ext_off - EXT_HEADER_LEN, p->ext_profile);
    be16_put(buf + p->ext_off - 2, (uint16_t)(new_len / 4));
}

static bool fits(const RtpPacket *p, size_t cap, int n) {
    size_t need = ((size_t)n + 3) & ~(size_t)3;
    return need <= p->ext_len || p->len + (need - p->ext_len) <= cap;
}

int rtp_ext_remap(uint8_t *buf, size_t cap, RtpPacket *p, const RtpExtMap *m) {
    if (p->ext_form != RTP_EXT_ONE_BYTE && p->ext_form != RTP_EXT_TWO_BYTE)
        return 0;
    uint8_t blk[REMAP_BLOCK_MAX];
    RtpExtForm form;
    bool mid;
    int flags = 0, n = build_block(buf, p, m, true, blk, &form, &mid);
    if (n >= 0 && !fits(p, cap, n) && mid) {
        n = build_block(buf, p, m, false, blk, &form, &mid);
        flags = RTP_REMAP_MID_DROPPED;
    }
    if (n < 0)
        return n;
    if (!fits(p, cap, n))
        return -ENOBUFS;
    place_block(buf, p, blk, (size_t)n, form);
    return flags;
}
