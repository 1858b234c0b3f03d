/* Unit tests for media-worker/media-rtp: real packets of two aiortc peers (values checked
 * against aiortc's own parser, see media-fixtures.h), every error path, every prefix, and the
 * per-consumer rewrites: header fields, abs-send-time, extension ids, mid. */
#include "hype-endian.h"
#include "hype-macro.h"
#include "media-fixtures.h"
#include "media-rtp.h"
#include "test.h"

static const Fixture rtp_fixtures[] = {
    FIXTURE(fx_rtp_opus), FIXTURE(fx_rtp_vp8),           FIXTURE(fx_rtp_vp8_marker),
    FIXTURE(fx_rtp_rtx),  FIXTURE(fx_rtp_opus_two_byte), FIXTURE(fx_srtp_wire),
};

static const uint8_t mid_id = 1, level_id = 2, abs_id = 3; /* aiortc's ids in the capture */

/* The mid's value as a NUL-terminated string (static buffer), or "" when absent. */
static const char *mid_of(const uint8_t *buf, const RtpPacket *p, uint8_t id) {
    static char s[256];
    RtpExt e;
    if (rtp_ext_find(buf, p, id, &e) < 0)
        return "";
    memcpy(s, buf + e.off, e.len);
    s[e.len] = '\0';
    return s;
}

TEST(opus_from_aiortc) {
    RtpPacket p;
    bool voice;
    uint8_t level;
    ASSERT_EQ(rtp_parse(fx_rtp_opus, sizeof(fx_rtp_opus), &p), 0);
    ASSERT_EQ(p.len, sizeof(fx_rtp_opus));
    ASSERT_EQ(p.payload_type, FX_RTP_OPUS_PT);
    ASSERT_EQ(p.seq, FX_RTP_OPUS_SEQ);
    ASSERT_EQ_U(p.ts, FX_RTP_OPUS_TS);
    ASSERT_EQ_U(p.ssrc, FX_RTP_OPUS_SSRC);
    ASSERT_EQ(p.marker, FX_RTP_OPUS_MARKER);
    ASSERT_EQ(p.csrc_count, 0);
    ASSERT_EQ(p.ext_form, RTP_EXT_ONE_BYTE);
    ASSERT_EQ(p.ext_profile, RTP_EXT_ONE_BYTE_PROFILE);
    ASSERT_EQ(p.payload_len, FX_RTP_OPUS_PAYLOAD_LEN);
    ASSERT_EQ(p.padding_len, 0);
    ASSERT_EQ(p.payload_off + p.payload_len, p.len);
    ASSERT_STREQ(mid_of(fx_rtp_opus, &p, mid_id), FX_RTP_OPUS_MID);
    ASSERT_EQ(rtp_audio_level(fx_rtp_opus, &p, level_id, &voice, &level), 0);
    ASSERT_EQ(voice, FX_RTP_OPUS_VOICE);
    ASSERT_EQ(level, FX_RTP_OPUS_LEVEL);
}

TEST(vp8_and_rtx_from_aiortc) {
    RtpPacket p;
    RtpExt e;
    ASSERT_EQ(rtp_parse(fx_rtp_vp8, sizeof(fx_rtp_vp8), &p), 0);
    ASSERT_EQ(p.payload_type, FX_RTP_VP8_PT);
    ASSERT_EQ(p.seq, FX_RTP_VP8_SEQ);
    ASSERT_EQ_U(p.ts, FX_RTP_VP8_TS);
    ASSERT_EQ_U(p.ssrc, FX_RTP_VP8_SSRC);
    ASSERT_EQ(p.payload_len, FX_RTP_VP8_PAYLOAD_LEN);
    ASSERT_STREQ(mid_of(fx_rtp_vp8, &p, mid_id), FX_RTP_VP8_MID);
    ASSERT_EQ(rtp_ext_find(fx_rtp_vp8, &p, abs_id, &e), 0);
    ASSERT_EQ(e.len, 3);
    ASSERT_EQ(be24_get(fx_rtp_vp8 + e.off), FX_RTP_VP8_ABS_SEND_TIME);
    ASSERT_EQ(rtp_ext_find(fx_rtp_vp8, &p, level_id, &e), -ENOENT);

    ASSERT_EQ(rtp_parse(fx_rtp_vp8_marker, sizeof(fx_rtp_vp8_marker), &p), 0);
    ASSERT_EQ(p.marker, FX_RTP_VP8_MARKER_MARKER);
    ASSERT_EQ(p.seq, FX_RTP_VP8_MARKER_SEQ);
    ASSERT_EQ(p.payload_len, FX_RTP_VP8_MARKER_PAYLOAD_LEN);

    ASSERT_EQ(rtp_parse(fx_rtp_rtx, sizeof(fx_rtp_rtx), &p), 0);
    ASSERT_EQ(p.payload_type, FX_RTP_RTX_PT);
    ASSERT_EQ(p.seq, FX_RTP_RTX_SEQ);
    ASSERT_EQ_U(p.ssrc, FX_RTP_RTX_SSRC);
    ASSERT_EQ(p.payload_len, FX_RTP_RTX_PAYLOAD_LEN);
    ASSERT_STREQ(mid_of(fx_rtp_rtx, &p, mid_id), FX_RTP_RTX_MID);
}

TEST(two_byte_extensions_csrcs_and_padding) {
    RtpPacket p;
    bool voice;
    uint8_t level;
    const uint8_t *b = fx_rtp_opus_two_byte;
    ASSERT_EQ(rtp_parse(b, sizeof(fx_rtp_opus_two_byte), &p), 0);
    ASSERT_EQ(p.csrc_count, FX_RTP_OPUS_TWO_BYTE_CSRC_COUNT);
    ASSERT_EQ_U(rtp_csrc(b, &p, 0), 0x11111111);
    ASSERT_EQ_U(rtp_csrc(b, &p, 1), 0x22222222);
    ASSERT_EQ_U(rtp_csrc(b, &p, 2), 0);
    ASSERT_EQ(p.ext_form, RTP_EXT_TWO_BYTE);
    ASSERT_EQ(p.padding_len, FX_RTP_OPUS_TWO_BYTE_PADDING);
    ASSERT_EQ(p.payload_len, FX_RTP_OPUS_TWO_BYTE_PAYLOAD_LEN);
    ASSERT_EQ(p.payload_off + p.payload_len + p.padding_len, p.len);
    ASSERT_STREQ(mid_of(b, &p, 15), FX_RTP_OPUS_TWO_BYTE_MID);
    ASSERT_EQ(rtp_audio_level(b, &p, 16, &voice, &level), 0);
    ASSERT_EQ(level, FX_RTP_OPUS_TWO_BYTE_LEVEL);
    /* the same payload as the one-byte original */
    RtpPacket o;
    ASSERT_EQ(rtp_parse(fx_rtp_opus, sizeof(fx_rtp_opus), &o), 0);
    ASSERT_EQ(o.payload_len, p.payload_len);
    ASSERT_MEMEQ(fx_rtp_opus + o.payload_off, b + p.payload_off, p.payload_len);
}

TEST(srtp_header_is_readable_before_unprotect) {
    RtpPacket p;
    ASSERT_EQ(rtp_parse(fx_srtp_wire, sizeof(fx_srtp_wire), &p), 0);
    ASSERT_TRUE(p.ssrc == FX_RTP_OPUS_SSRC || p.ssrc == FX_RTP_VP8_SSRC);
}

/*
 * Every prefix, in a heap block of exactly its size (so AddressSanitizer sees any read past
 * it): shorter than the header, an error; longer, RTP cannot tell a cut payload, so the same
 * header with a shorter payload, or an error if a cut padding count is now nonsense.
 */
TEST(every_prefix_of_every_fixture) {
    for (size_t f = 0; f < ELEMENTSOF(rtp_fixtures); f++) {
        RtpPacket whole, p;
        ASSERT_EQ(rtp_parse(rtp_fixtures[f].data, rtp_fixtures[f].len, &whole), 0);
        for (size_t n = 0; n < rtp_fixtures[f].len; n++) {
            uint8_t *copy = malloc(n ? n : 1);
            memcpy(copy, rtp_fixtures[f].data, n);
            int r = rtp_parse(copy, n, &p);
            if (n < whole.payload_off)
                ASSERT_EQ(r, -EINVAL);
            else if (r == 0) {
                ASSERT_EQ_U(p.ssrc, whole.ssrc);
                ASSERT_EQ(p.payload_off, whole.payload_off);
                ASSERT_EQ(p.payload_off + p.payload_len + p.padding_len, n);
            } else
                ASSERT_TRUE(whole.padding_len && r == -EINVAL);
            free(copy);
        }
    }
}

/* A header with a one-byte extension block: mid "ab" (id 1), then padding, then id 3 (1 byte),
 * and a 4-byte payload. */
static const uint8_t hand[] = {
    0x90, 0x6f, 0x12, 0x34, 0,   0, 0,    9,    0xca, 0xfe, 0xba, 0xbe, 0xbe, 0xde,
    0,    2,    0x11, 'a',  'b', 0, 0x30, 0x7f, 0,    0,    1,    2,    3,    4,
};

TEST(hand_made_extensions) {
    RtpPacket p;
    RtpExt e;
    ASSERT_EQ(rtp_parse(hand, sizeof(hand), &p), 0);
    ASSERT_EQ(p.payload_type, 0x6f);
    ASSERT_EQ(p.ext_off, 16);
    ASSERT_EQ(p.ext_len, 8);
    ASSERT_EQ(p.payload_off, 24);
    ASSERT_EQ(p.payload_len, 4);
    size_t cursor = 0;
    ASSERT_EQ(rtp_ext_next(hand, &p, &cursor, &e), 1);
    ASSERT_TRUE(e.id == 1 && e.len == 2 && e.off == 17);
    ASSERT_EQ(rtp_ext_next(hand, &p, &cursor, &e), 1); /* the 0 byte is skipped */
    ASSERT_TRUE(e.id == 3 && e.len == 1 && e.off == 21);
    ASSERT_EQ(rtp_ext_next(hand, &p, &cursor, &e), 0);
    ASSERT_EQ(rtp_ext_next(hand, &p, &cursor, &e), 0);
    ASSERT_STREQ(mid_of(hand, &p, 1), "ab");
    bool voice;
    uint8_t level;
    ASSERT_EQ(rtp_audio_level(hand, &p, 3, &voice, &level), 0);
    ASSERT_TRUE(!voice && level == 127);
    ASSERT_EQ(rtp_audio_level(hand, &p, 1, &voice, &level), -EINVAL); /* 2 bytes long */
    ASSERT_EQ(rtp_audio_level(hand, &p, 9, &voice, &level), -ENOENT);
}

TEST(id_15_ends_a_one_byte_block) {
    uint8_t b[sizeof(hand)];
    memcpy(b, hand, sizeof(b));
    b[19] = 0xf5; /* id 15, "length" 6: runs past the block, but nothing after it is read */
    RtpPacket p;
    RtpExt e;
    ASSERT_EQ(rtp_parse(b, sizeof(b), &p), 0);
    size_t cursor = 0;
    ASSERT_EQ(rtp_ext_next(b, &p, &cursor, &e), 1);
    ASSERT_EQ(rtp_ext_next(b, &p, &cursor, &e), 0);
    ASSERT_EQ(rtp_ext_find(b, &p, 3, &e), -ENOENT);
}

TEST(one_byte_id_0_is_one_padding_byte_whatever_its_length) {
    uint8_t b[sizeof(hand)];
    memcpy(b, hand, sizeof(b));
    b[19] = 0x01; /* id 0 "length 2": skipped alone, so id 3 after it is still read */
    RtpPacket p;
    RtpExt e;
    ASSERT_EQ(rtp_parse(b, sizeof(b), &p), 0);
    ASSERT_EQ(rtp_ext_find(b, &p, 3, &e), 0);
    ASSERT_TRUE(e.off == 21 && e.len == 1);
    size_t cursor = 0;
    while (rtp_ext_next(b, &p, &cursor, &e))
        ASSERT_NE(e.id, 0);
}

TEST(other_profile_is_kept_unread) {
    uint8_t b[sizeof(hand)];
    memcpy(b, hand, sizeof(b));
    b[12] = 0x12; /* profile 0x12de */
    b[16] = 0xff; /* would be malformed as one-byte */
    RtpPacket p;
    RtpExt e;
    ASSERT_EQ(rtp_parse(b, sizeof(b), &p), 0);
    ASSERT_EQ(p.ext_form, RTP_EXT_OTHER);
    ASSERT_EQ(rtp_ext_find(b, &p, 1, &e), -ENOENT);
    RtpExtMap m;
    rtp_ext_map_init(&m);
    ASSERT_EQ(rtp_ext_remap(b, sizeof(b), &p, &m), 0);
    ASSERT_EQ(b[16], 0xff);
}

TEST(malformed_headers) {
    uint8_t b[sizeof(hand)];
    RtpPacket p;
#define MUTATE(at, v, want)                                                                        \
    do {                                                                                           \
        memcpy(b, hand, sizeof(b));                                                                \
        b[at] = (v);                                                                               \
        ASSERT_EQ(rtp_parse(b, sizeof(b), &p), want);                                              \
    } while (0)
    MUTATE(0, 0x50, -EINVAL); /* version 1 */
    MUTATE(0, 0xd0, -EINVAL); /* version 3 */
    MUTATE(1, 72, -ENOMSG);   /* RTCP's range */
    MUTATE(1, 0x80 | 95, -ENOMSG);
    MUTATE(1, 96, 0);
    MUTATE(0, 0x9f, -EINVAL);  /* 15 CSRCs: past the end */
    MUTATE(0, 0x81, 0);        /* 1 CSRC, no extension: the block is payload now */
    MUTATE(0, 0x93, -EINVAL);  /* 3 CSRCs: the extension header moves onto the payload */
    MUTATE(15, 4, -EINVAL);    /* extension length past the end */
    MUTATE(16, 0x1f, -EINVAL); /* one-byte element of 16 bytes: past the block */
    MUTATE(22, 0x31, -EINVAL); /* a 2-byte element from the block's third-last byte */
    memcpy(b, hand, sizeof(b));
    b[0] = 0xb0;
    b[sizeof(b) - 1] = 4;
    ASSERT_EQ(rtp_parse(b, sizeof(b), &p), 0);
    ASSERT_EQ(p.payload_len, 0);
    ASSERT_EQ(p.padding_len, 4);
    b[sizeof(b) - 1] = 5; /* more padding than payload */
    ASSERT_EQ(rtp_parse(b, sizeof(b), &p), -EINVAL);
    b[sizeof(b) - 1] = 0; /* a padding count of zero */
    ASSERT_EQ(rtp_parse(b, sizeof(b), &p), -EINVAL);
    ASSERT_EQ(rtp_parse(b, 24, &p), -EINVAL); /* padding bit, nothing after the header */
    memcpy(b, hand, sizeof(b));
    b[12] = 0x10, b[13] = 0x00; /* two-byte form */
    b[16] = 1, b[17] = 7;       /* id 1, 7 bytes: past the block */
    ASSERT_EQ(rtp_parse(b, sizeof(b), &p), -EINVAL);
    b[16] = 0, b[17] = 0, b[18] = 0, b[19] = 0, b[20] = 0, b[21] = 0, b[22] = 0, b[23] = 7;
    ASSERT_EQ(rtp_parse(b, sizeof(b), &p), -EINVAL); /* an id in the block's last byte */
    b[23] = 0;
    ASSERT_EQ(rtp_parse(b, sizeof(b), &p), 0); /* all padding */
    ASSERT_EQ(p.ext_form, RTP_EXT_TWO_BYTE);
#undef MUTATE
}

TEST(abs_send_time_values) {
    ASSERT_EQ(rtp_abs_send_time(0), 0);
    ASSERT_EQ(rtp_abs_send_time(1000000), 1 << 18);
    ASSERT_EQ(rtp_abs_send_time(500000), 1 << 17);
    ASSERT_EQ(rtp_abs_send_time(64000000), 0); /* wraps every 64 s */
    ASSERT_EQ(rtp_abs_send_time(63999999), 0xffffff);
    ASSERT_EQ(rtp_abs_send_time(UINT64_C(1) << 60),
              rtp_abs_send_time((UINT64_C(1) << 60) % 64000000));
}

TEST(header_and_abs_send_time_rewrite) {
    uint8_t b[sizeof(fx_rtp_vp8)];
    memcpy(b, fx_rtp_vp8, sizeof(b));
    RtpPacket p, q;
    RtpExt e;
    ASSERT_EQ(rtp_parse(b, sizeof(b), &p), 0);
    rtp_set_header(b, &p, 101, 0xdeadbeef, 65535, 0xfffffff0);
    ASSERT_EQ(rtp_parse(b, sizeof(b), &q), 0);
    ASSERT_TRUE(q.payload_type == 101 && q.ssrc == 0xdeadbeef && q.seq == 65535);
    ASSERT_EQ_U(q.ts, 0xfffffff0);
    ASSERT_EQ(q.marker, p.marker);
    ASSERT_TRUE(q.marker);
    uint8_t v[3];
    be24_put(v, rtp_abs_send_time(1500000));
    ASSERT_EQ(rtp_ext_write(b, &q, abs_id, v, 3), 0);
    ASSERT_EQ(rtp_ext_find(b, &q, abs_id, &e), 0);
    ASSERT_EQ(be24_get(b + e.off), 3 << 17);
    ASSERT_EQ(rtp_ext_write(b, &q, abs_id, v, 2), -EINVAL);
    ASSERT_EQ(rtp_ext_write(b, &q, 9, v, 3), -ENOENT);
    ASSERT_MEMEQ(b + q.payload_off, fx_rtp_vp8 + p.payload_off, p.payload_len);
}

/* The Opus fixture in a buffer with room, and its parse. */
static void opus_copy(uint8_t *b, RtpPacket *p) {
    memcpy(b, fx_rtp_opus, sizeof(fx_rtp_opus));
    if (rtp_parse(b, sizeof(fx_rtp_opus), p) < 0)
        abort();
}

/* The packet still parses, with the same header fields and payload as the Opus fixture. */
static int same_media(const uint8_t *b, const RtpPacket *p) {
    RtpPacket o, q;
    if (rtp_parse(fx_rtp_opus, sizeof(fx_rtp_opus), &o) < 0 || rtp_parse(b, p->len, &q) < 0)
        return 0;
    return q.seq == o.seq && q.ssrc == o.ssrc && q.payload_len == o.payload_len &&
           q.payload_off == p->payload_off && q.ext_len == p->ext_len &&
           memcmp(b + q.payload_off, fx_rtp_opus + o.payload_off, o.payload_len) == 0;
}

/* The Opus fixture copied into b, and a consumer map: the mid to mid_to with value mid, the
 * audio level to level_to (0: not negotiated). */
static void opus_map(uint8_t *b, RtpPacket *p, RtpExtMap *m, uint8_t mid_to, const char *mid,
                     uint8_t level_to) {
    opus_copy(b, p);
    rtp_ext_map_init(m);
    if ((mid_to && rtp_ext_map_mid(m, mid_id, mid_to, mid, strlen(mid)) < 0) ||
        (level_to && rtp_ext_map_add(m, level_id, level_to) < 0))
        abort();
}

TEST(remap_ids_in_place) {
    uint8_t b[1500];
    RtpPacket p;
    RtpExtMap m;
    bool voice;
    uint8_t level;
    opus_map(b, &p, &m, 4, "7", 10);
    ASSERT_EQ(rtp_ext_remap(b, sizeof(b), &p, &m), 0);
    ASSERT_EQ(p.len, sizeof(fx_rtp_opus));
    ASSERT_TRUE(same_media(b, &p));
    ASSERT_STREQ(mid_of(b, &p, 4), "7");
    ASSERT_STREQ(mid_of(b, &p, mid_id), "");
    ASSERT_EQ(rtp_audio_level(b, &p, 10, &voice, &level), 0);
    ASSERT_EQ(level, FX_RTP_OPUS_LEVEL);
}

TEST(remap_drops_what_the_consumer_did_not_negotiate) {
    uint8_t b[1500];
    RtpPacket p;
    RtpExtMap m;
    RtpExt e;
    opus_map(b, &p, &m, mid_id, "0", 0);
    ASSERT_EQ(rtp_ext_remap(b, sizeof(b), &p, &m), 0);
    ASSERT_TRUE(same_media(b, &p));
    ASSERT_STREQ(mid_of(b, &p, mid_id), "0");
    ASSERT_EQ(rtp_ext_find(b, &p, level_id, &e), -ENOENT);
    /* nothing negotiated at all: an all-padding block */
    opus_copy(b, &p);
    rtp_ext_map_init(&m);
    ASSERT_EQ(rtp_ext_remap(b, sizeof(b), &p, &m), 0);
    ASSERT_TRUE(same_media(b, &p));
    size_t cursor = 0;
    ASSERT_EQ(rtp_ext_next(b, &p, &cursor, &e), 0);
}

TEST(remap_longer_mid_moves_the_payload) {
    uint8_t b[1500];
    RtpPacket p;
    RtpExtMap m;
    bool voice;
    uint8_t level;
    opus_map(b, &p, &m, mid_id, "0123456789abcdef", level_id);
    size_t old = p.len;
    ASSERT_EQ(rtp_ext_remap(b, sizeof(b), &p, &m), 0);
    ASSERT_EQ(p.len, old + 16); /* 4 bytes of block -> 19, padded to 20 */
    ASSERT_TRUE(same_media(b, &p));
    ASSERT_STREQ(mid_of(b, &p, mid_id), "0123456789abcdef");
    ASSERT_EQ(rtp_audio_level(b, &p, level_id, &voice, &level), 0);
    ASSERT_EQ(level, FX_RTP_OPUS_LEVEL);
}

TEST(remap_without_room_drops_the_mid) {
    uint8_t b[1500];
    RtpPacket p;
    RtpExtMap m;
    RtpExt e;
    opus_map(b, &p, &m, mid_id, "12345", level_id);
    ASSERT_EQ(rtp_ext_remap(b, sizeof(fx_rtp_opus) + 3, &p, &m), RTP_REMAP_MID_DROPPED);
    ASSERT_EQ(p.len, sizeof(fx_rtp_opus));
    ASSERT_TRUE(same_media(b, &p));
    ASSERT_EQ(rtp_ext_find(b, &p, mid_id, &e), -ENOENT);
    ASSERT_EQ(rtp_ext_find(b, &p, level_id, &e), 0);
    /* exactly the room it needs */
    opus_copy(b, &p);
    ASSERT_EQ(rtp_ext_remap(b, sizeof(fx_rtp_opus) + 4, &p, &m), 0);
    ASSERT_STREQ(mid_of(b, &p, mid_id), "12345");
}

TEST(remap_to_ids_above_14_switches_to_two_byte) {
    uint8_t b[1500];
    RtpPacket p;
    RtpExtMap m;
    bool voice;
    uint8_t level;
    opus_map(b, &p, &m, 20, "0", 200);
    ASSERT_EQ(rtp_ext_remap(b, sizeof(b), &p, &m), 0);
    ASSERT_EQ(p.ext_form, RTP_EXT_TWO_BYTE);
    ASSERT_EQ(p.ext_profile, RTP_EXT_TWO_BYTE_PROFILE);
    ASSERT_EQ(p.len, sizeof(fx_rtp_opus) + 4);
    ASSERT_TRUE(same_media(b, &p));
    ASSERT_STREQ(mid_of(b, &p, 20), "0");
    ASSERT_EQ(rtp_audio_level(b, &p, 200, &voice, &level), 0);
    ASSERT_EQ(level, FX_RTP_OPUS_LEVEL);
    /* no room: without its mid, the level alone fits in the old block's 4 bytes */
    opus_copy(b, &p);
    ASSERT_EQ(rtp_ext_remap(b, sizeof(fx_rtp_opus), &p, &m), RTP_REMAP_MID_DROPPED);
    ASSERT_EQ(p.ext_form, RTP_EXT_TWO_BYTE);
    ASSERT_EQ(p.len, sizeof(fx_rtp_opus));
    ASSERT_EQ(rtp_audio_level(b, &p, 200, &voice, &level), 0);
    ASSERT_STREQ(mid_of(b, &p, 20), "");
}

TEST(remap_without_room_at_all_leaves_the_packet) {
    /* four one-byte elements of 1 byte (8 bytes); in the two-byte form they take 12 */
    static const uint8_t four[] = {0x90, 96, 0, 1,    0,   0,    0,   1,    0,   0,    0,   1, 0xbe,
                                   0xde, 0,  2, 0x10, 'a', 0x20, 'b', 0x30, 'c', 0x40, 'd', 9, 9};
    uint8_t b[sizeof(four)];
    memcpy(b, four, sizeof(b));
    RtpPacket p, before;
    RtpExtMap m;
    ASSERT_EQ(rtp_parse(b, sizeof(b), &p), 0);
    before = p;
    rtp_ext_map_init(&m);
    for (uint8_t id = 1; id <= 4; id++)
        ASSERT_EQ(rtp_ext_map_add(&m, id, (uint8_t)(id + 100)), 0);
    ASSERT_EQ(rtp_ext_remap(b, sizeof(b), &p, &m), -ENOBUFS);
    ASSERT_MEMEQ(b, four, sizeof(four));
    ASSERT_MEMEQ(&p, &before, sizeof(p));
}

TEST(remap_two_byte_back_to_one_byte_keeps_csrcs_and_padding) {
    uint8_t b[1500];
    RtpPacket p, q;
    RtpExtMap m;
    bool voice;
    uint8_t level;
    size_t len = sizeof(fx_rtp_opus_two_byte);
    memcpy(b, fx_rtp_opus_two_byte, len);
    ASSERT_EQ(rtp_parse(b, len, &p), 0);
    rtp_ext_map_init(&m);
    ASSERT_EQ(rtp_ext_map_mid(&m, 15, 1, "3", 1), 0);
    ASSERT_EQ(rtp_ext_map_add(&m, 16, 2), 0);
    ASSERT_EQ(rtp_ext_remap(b, len, &p, &m), 0); /* shorter: no room needed */
    ASSERT_EQ(p.len, len);
    ASSERT_EQ(rtp_parse(b, len, &q), 0);
    ASSERT_EQ(q.ext_form, RTP_EXT_ONE_BYTE);
    ASSERT_EQ(q.csrc_count, 2);
    ASSERT_EQ_U(rtp_csrc(b, &q, 1), 0x22222222);
    ASSERT_EQ(q.padding_len, 4);
    ASSERT_EQ(q.payload_off, p.payload_off);
    ASSERT_MEMEQ(b + q.payload_off, fx_rtp_opus_two_byte + q.payload_off, q.payload_len + 4);
    ASSERT_STREQ(mid_of(b, &q, 1), "3");
    ASSERT_EQ(rtp_audio_level(b, &q, 2, &voice, &level), 0);
    ASSERT_EQ(level, FX_RTP_OPUS_TWO_BYTE_LEVEL);
}

TEST(remap_keeps_two_byte_appbits_and_empty_values) {
    /* two-byte block, appbits 5: id 7 with an empty value, id 8 with 2 bytes */
    uint8_t b[64] = {0x90, 96, 0, 1, 0, 0, 0, 1,   0,   0, 0, 1,   0x10,
                     0x05, 0,  2, 7, 0, 8, 2, 'x', 'y', 0, 0, 0xaa};
    RtpPacket p;
    RtpExt e;
    RtpExtMap m;
    ASSERT_EQ(rtp_parse(b, 25, &p), 0);
    ASSERT_EQ(rtp_ext_find(b, &p, 7, &e), 0);
    ASSERT_EQ(e.len, 0);
    rtp_ext_map_init(&m);
    ASSERT_EQ(rtp_ext_map_add(&m, 7, 3), 0);
    ASSERT_EQ(rtp_ext_map_add(&m, 8, 4), 0);
    ASSERT_EQ(rtp_ext_remap(b, sizeof(b), &p, &m), 0);
    ASSERT_EQ(p.ext_profile, 0x1005); /* an empty value needs the two-byte form still */
    ASSERT_EQ(rtp_ext_find(b, &p, 3, &e), 0);
    ASSERT_EQ(e.len, 0);
    ASSERT_EQ(rtp_ext_find(b, &p, 4, &e), 0);
    ASSERT_TRUE(e.len == 2 && b[e.off] == 'x');
    ASSERT_EQ(b[p.payload_off], 0xaa);
}

TEST(remap_without_extensions_changes_nothing) {
    uint8_t b[] = {0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 2, 3};
    RtpPacket p;
    RtpExtMap m;
    ASSERT_EQ(rtp_parse(b, sizeof(b), &p), 0);
    rtp_ext_map_init(&m);
    ASSERT_EQ(rtp_ext_map_mid(&m, 1, 1, "0", 1), 0);
    ASSERT_EQ(rtp_ext_remap(b, sizeof(b), &p, &m), 0);
    ASSERT_EQ(b[0], 0x80);
    ASSERT_EQ(p.len, sizeof(b));
}

TEST(ext_map_rules) {
    RtpExtMap m;
    rtp_ext_map_init(&m);
    ASSERT_EQ(rtp_ext_map_add(&m, 0, 1), -EINVAL);
    ASSERT_EQ(rtp_ext_map_add(&m, 1, 0), -EINVAL);
    ASSERT_EQ(rtp_ext_map_add(&m, 255, 255), 0);
    ASSERT_EQ(rtp_ext_map_mid(&m, 1, 1, "", 0), -EINVAL);
    ASSERT_EQ(rtp_ext_map_mid(&m, 1, 1, "01234567890123456", 17), -EINVAL);
    ASSERT_EQ(rtp_ext_map_mid(&m, 1, 1, "0123456789012345", 16), 0);
}

TEST_MAIN()
