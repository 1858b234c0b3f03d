/* Unit tests for media-worker/media-rtcp: real packets of two aiortc peers (values checked
 * against aiortc's own parser, see media-fixtures.h), a compound of several parts, every prefix,
 * every error path, the builders (byte for byte against aiortc's) and SSRC rewriting. */
#include "hype-endian.h"
#include "hype-macro.h"
#include "media-fixtures.h"
#include "media-rtcp.h"
#include "test.h"

static const Fixture rtcp_fixtures[] = {
    FIXTURE(fx_rtcp_sr_sdes), FIXTURE(fx_rtcp_rr),  FIXTURE(fx_rtcp_rr2), FIXTURE(fx_rtcp_nack),
    FIXTURE(fx_rtcp_remb),    FIXTURE(fx_rtcp_bye), FIXTURE(fx_rtcp_pli), FIXTURE(fx_rtcp_fir),
};

static int fb(const uint8_t *buf, size_t len, RtcpFb *ret) {
    return rtcp_fb_parse(buf, len, ret);
}

TEST(sr_and_sdes_compound_from_aiortc) {
    RtcpIter it;
    RtcpPart part;
    RtcpSr sr;
    RtcpSdes sdes;
    const uint8_t *b = fx_rtcp_sr_sdes;
    rtcp_iter_init(&it, b, sizeof(fx_rtcp_sr_sdes));
    ASSERT_EQ(rtcp_iter_next(&it, &part), 1);
    ASSERT_TRUE(part.off == 0 && part.pt == RTCP_SR && part.count == 0);
    ASSERT_EQ(rtcp_sr_parse(b + part.off, part.len, &sr), 0);
    ASSERT_EQ_U(sr.ssrc, FX_RTCP_SR_SDES_P0_SSRC);
    ASSERT_EQ_U(sr.ntp, FX_RTCP_SR_SDES_P0_NTP);
    ASSERT_EQ_U(sr.rtp_ts, FX_RTCP_SR_SDES_P0_RTP_TS);
    ASSERT_EQ_U(sr.packet_count, FX_RTCP_SR_SDES_P0_PACKETS);
    ASSERT_EQ_U(sr.octet_count, FX_RTCP_SR_SDES_P0_OCTETS);
    ASSERT_EQ(sr.report_count, 0);
    ASSERT_EQ(rtcp_iter_next(&it, &part), 1);
    ASSERT_EQ(part.pt, RTCP_SDES);
    ASSERT_EQ(rtcp_sdes_parse(b + part.off, part.len, &sdes), 0);
    ASSERT_EQ(sdes.chunk_count, 1);
    ASSERT_EQ_U(sdes.chunks[0].ssrc, FX_RTCP_SR_SDES_P1_CHUNK0_SSRC);
    ASSERT_EQ(sdes.chunks[0].cname_len, strlen(FX_RTCP_SR_SDES_P1_CHUNK0_CNAME));
    ASSERT_MEMEQ(sdes.chunks[0].cname, FX_RTCP_SR_SDES_P1_CHUNK0_CNAME, sdes.chunks[0].cname_len);
    ASSERT_EQ(rtcp_iter_next(&it, &part), 0);
    ASSERT_EQ(rtcp_validate(b, sizeof(fx_rtcp_sr_sdes)), 2);
}

/* A report block against what aiortc read in it (the FX_..._RB<n> values). */
#define ASSERT_BLOCK(rb, fx)                                                                       \
    do {                                                                                           \
        ASSERT_EQ_U((rb).ssrc, fx##_SSRC);                                                         \
        ASSERT_EQ((rb).fraction_lost, fx##_FRACTION_LOST);                                         \
        ASSERT_EQ((rb).cumulative_lost, fx##_PACKETS_LOST);                                        \
        ASSERT_EQ_U((rb).highest_seq, fx##_HIGHEST_SEQUENCE);                                      \
        ASSERT_EQ_U((rb).jitter, fx##_JITTER);                                                     \
        ASSERT_EQ_U((rb).lsr, fx##_LSR);                                                           \
        ASSERT_EQ_U((rb).dlsr, fx##_DLSR);                                                         \
    } while (0)

TEST(receiver_reports_from_aiortc) {
    RtcpRr rr;
    ASSERT_EQ(rtcp_rr_parse(fx_rtcp_rr, sizeof(fx_rtcp_rr), &rr), 0);
    ASSERT_EQ_U(rr.ssrc, FX_RTCP_RR_P0_SSRC);
    ASSERT_EQ(rr.report_count, 1);
    ASSERT_BLOCK(rr.reports[0], FX_RTCP_RR_P0_RB0);
    ASSERT_EQ(rtcp_rr_parse(fx_rtcp_rr2, sizeof(fx_rtcp_rr2), &rr), 0);
    ASSERT_EQ_U(rr.ssrc, FX_RTCP_RR2_P0_SSRC);
    ASSERT_EQ(rr.report_count, 2);
    ASSERT_BLOCK(rr.reports[0], FX_RTCP_RR2_P0_RB0);
    ASSERT_BLOCK(rr.reports[1], FX_RTCP_RR2_P0_RB1);
    RtcpSr sr;
    ASSERT_EQ(rtcp_sr_parse(fx_rtcp_rr, sizeof(fx_rtcp_rr), &sr), -ENOMSG);
}

TEST(nack_remb_bye_from_aiortc) {
    RtcpFb f;
    uint16_t lost[32], pid, blp;
    static const uint16_t want_lost[] = FX_RTCP_NACK_P0_LOST;
    ASSERT_EQ(fb(fx_rtcp_nack, sizeof(fx_rtcp_nack), &f), 0);
    ASSERT_TRUE(f.pt == RTCP_RTPFB && f.fmt == RTCP_RTPFB_NACK);
    ASSERT_EQ_U(f.sender_ssrc, FX_RTCP_NACK_P0_SSRC);
    ASSERT_EQ_U(f.media_ssrc, FX_RTCP_NACK_P0_MEDIA_SSRC);
    ASSERT_EQ(rtcp_nack_count(&f), 1);
    rtcp_nack_get(&f, 0, &pid, &blp);
    ASSERT_EQ(pid, want_lost[0]);
    ASSERT_EQ(rtcp_nack_lost(&f, lost, ELEMENTSOF(lost)), ELEMENTSOF(want_lost));
    ASSERT_MEMEQ(lost, want_lost, sizeof(want_lost));
    ASSERT_EQ(rtcp_fir_count(&f), 0);

    RtcpRemb remb;
    static const uint32_t remb_ssrcs[] = FX_RTCP_REMB_P0_REMB_SSRCS;
    ASSERT_EQ(fb(fx_rtcp_remb, sizeof(fx_rtcp_remb), &f), 0);
    ASSERT_TRUE(f.pt == RTCP_PSFB && f.fmt == RTCP_PSFB_AFB);
    ASSERT_EQ(rtcp_remb_parse(&f, &remb), 0);
    ASSERT_EQ_U(remb.bitrate, FX_RTCP_REMB_P0_REMB_BITRATE);
    ASSERT_EQ(remb.ssrc_count, ELEMENTSOF(remb_ssrcs));
    for (size_t i = 0; i < ELEMENTSOF(remb_ssrcs); i++)
        ASSERT_EQ_U(rtcp_remb_ssrc(&remb, i), remb_ssrcs[i]);
    ASSERT_EQ_U(rtcp_remb_ssrc(&remb, 9), 0);
    ASSERT_EQ(rtcp_nack_count(&f), 0);

    RtcpBye bye;
    static const uint32_t sources[] = FX_RTCP_BYE_P0_SOURCES;
    ASSERT_EQ(rtcp_bye_parse(fx_rtcp_bye, sizeof(fx_rtcp_bye), &bye), 0);
    ASSERT_EQ(bye.ssrc_count, ELEMENTSOF(sources));
    ASSERT_EQ_U(bye.ssrcs[0], sources[0]);
    ASSERT_NULL(bye.reason);
}

TEST(pli_and_fir_from_aiortc_equal_ours) {
    RtcpFb f;
    uint32_t ssrc;
    uint8_t seq_nr, out[64];
    ASSERT_EQ(fb(fx_rtcp_pli, sizeof(fx_rtcp_pli), &f), 0);
    ASSERT_TRUE(f.pt == RTCP_PSFB && f.fmt == RTCP_PSFB_PLI && f.fci_len == 0);
    ASSERT_EQ_U(f.media_ssrc, FX_RTCP_PLI_P0_MEDIA_SSRC);
    ASSERT_EQ(rtcp_pli_build(out, sizeof(out), FX_RTCP_PLI_P0_SSRC, FX_RTCP_PLI_P0_MEDIA_SSRC),
              sizeof(fx_rtcp_pli));
    ASSERT_MEMEQ(out, fx_rtcp_pli, sizeof(fx_rtcp_pli));

    ASSERT_EQ(fb(fx_rtcp_fir, sizeof(fx_rtcp_fir), &f), 0);
    ASSERT_TRUE(f.fmt == RTCP_PSFB_FIR && f.media_ssrc == 0);
    ASSERT_EQ(rtcp_fir_count(&f), 1);
    rtcp_fir_get(&f, 0, &ssrc, &seq_nr);
    ASSERT_EQ_U(ssrc, FX_RTCP_PLI_P0_MEDIA_SSRC);
    ASSERT_EQ(seq_nr, 7);
    ASSERT_EQ(rtcp_fir_build(out, sizeof(out), FX_RTCP_FIR_P0_SSRC, ssrc, 7), sizeof(fx_rtcp_fir));
    ASSERT_MEMEQ(out, fx_rtcp_fir, sizeof(fx_rtcp_fir));
}

TEST(nack_build_equals_aiortc) {
    static const uint16_t lost[] = FX_RTCP_NACK_P0_LOST;
    uint8_t out[64];
    ASSERT_EQ(rtcp_nack_build(out, sizeof(out), FX_RTCP_NACK_P0_SSRC, FX_RTCP_NACK_P0_MEDIA_SSRC,
                              lost, ELEMENTSOF(lost)),
              sizeof(fx_rtcp_nack));
    ASSERT_MEMEQ(out, fx_rtcp_nack, sizeof(fx_rtcp_nack));
}

/* All the fixtures' packets one after the other, as one compound datagram. */
static size_t compound(uint8_t *out, size_t *bounds) {
    size_t n = 0;
    for (size_t i = 0; i < ELEMENTSOF(rtcp_fixtures); i++) {
        memcpy(out + n, rtcp_fixtures[i].data, rtcp_fixtures[i].len);
        n += rtcp_fixtures[i].len;
        bounds[i] = n;
    }
    return n;
}

TEST(compound_of_many_parts) {
    uint8_t b[2048];
    size_t bounds[ELEMENTSOF(rtcp_fixtures)];
    size_t len = compound(b, bounds);
    ASSERT_EQ(rtcp_validate(b, len), ELEMENTSOF(rtcp_fixtures) + 1); /* SR+SDES is two */
    RtcpIter it;
    RtcpPart part;
    unsigned counts[256] = {0};
    rtcp_iter_init(&it, b, len);
    while (rtcp_iter_next(&it, &part) > 0) {
        counts[part.pt]++;
        RtcpSr sr;
        RtcpRr rr;
        RtcpSdes sdes;
        RtcpBye bye;
        RtcpFb f;
        const uint8_t *p = b + part.off;
        ASSERT_EQ(rtcp_sr_parse(p, part.len, &sr), part.pt == RTCP_SR ? 0 : -ENOMSG);
        ASSERT_EQ(rtcp_rr_parse(p, part.len, &rr), part.pt == RTCP_RR ? 0 : -ENOMSG);
        ASSERT_EQ(rtcp_sdes_parse(p, part.len, &sdes), part.pt == RTCP_SDES ? 0 : -ENOMSG);
        ASSERT_EQ(rtcp_bye_parse(p, part.len, &bye), part.pt == RTCP_BYE ? 0 : -ENOMSG);
        bool is_fb = part.pt == RTCP_RTPFB || part.pt == RTCP_PSFB;
        ASSERT_EQ(rtcp_fb_parse(p, part.len, &f), is_fb ? 0 : -ENOMSG);
    }
    ASSERT_EQ(counts[RTCP_SR], 1);
    ASSERT_EQ(counts[RTCP_RR], 2);
    ASSERT_EQ(counts[RTCP_SDES], 1);
    ASSERT_EQ(counts[RTCP_BYE], 1);
    ASSERT_EQ(counts[RTCP_RTPFB], 1);
    ASSERT_EQ(counts[RTCP_PSFB], 3);
}

/* Every prefix of the compound, in a heap block of exactly its size: valid exactly when it
 * ends where a packet ends; every prefix of a single packet fails its typed parser. */
TEST(every_prefix) {
    uint8_t b[2048];
    size_t bounds[ELEMENTSOF(rtcp_fixtures)];
    size_t len = compound(b, bounds);
    for (size_t n = 0; n < len; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, b, n);
        int r = rtcp_validate(copy, n);
        bool at_bound = n == 28; /* the SR alone, before its SDES */
        for (size_t i = 0; i < ELEMENTSOF(bounds); i++)
            at_bound |= bounds[i] == n;
        if (at_bound ? r <= 0 : r != -EINVAL)
            TEST_FAIL_("prefix of %zu bytes: %d", n, r);
        free(copy);
    }
    for (size_t f = 0; f < ELEMENTSOF(rtcp_fixtures); f++)
        for (size_t n = 0; n < rtcp_fixtures[f].len; n++) {
            uint8_t *copy = malloc(n ? n : 1);
            memcpy(copy, rtcp_fixtures[f].data, n);
            RtcpSr sr;
            RtcpRr rr;
            RtcpSdes sdes;
            RtcpBye bye;
            RtcpFb fbk;
            int r = rtcp_sr_parse(copy, n, &sr);
            ASSERT_TRUE(f == 0 && n == 28 ? r == 0 : r < 0); /* the compound's SR alone */
            ASSERT_LT(rtcp_rr_parse(copy, n, &rr), 0);
            ASSERT_LT(rtcp_sdes_parse(copy, n, &sdes), 0);
            ASSERT_LT(rtcp_bye_parse(copy, n, &bye), 0);
            ASSERT_LT(rtcp_fb_parse(copy, n, &fbk), 0);
            free(copy);
        }
}

TEST(malformed_common_headers) {
    uint8_t b[64];
    RtcpIter it;
    RtcpPart part;
    memcpy(b, fx_rtcp_pli, sizeof(fx_rtcp_pli));
    b[0] = 0x41; /* version 1 */
    ASSERT_EQ(rtcp_validate(b, sizeof(fx_rtcp_pli)), -EINVAL);
    rtcp_iter_init(&it, b, sizeof(fx_rtcp_pli));
    ASSERT_EQ(rtcp_iter_next(&it, &part), -EINVAL);
    ASSERT_EQ(rtcp_iter_next(&it, &part), 0); /* stays at the end */
    memcpy(b, fx_rtcp_pli, sizeof(fx_rtcp_pli));
    b[3] = 3; /* 16 bytes announced, 12 there */
    ASSERT_EQ(rtcp_validate(b, sizeof(fx_rtcp_pli)), -EINVAL);
    ASSERT_EQ(rtcp_validate(b, 0), -EINVAL);
    /* padding: a count of 0, a count past the packet, then a good one */
    memcpy(b, fx_rtcp_pli, sizeof(fx_rtcp_pli));
    b[0] |= 0x20;
    b[11] = 0;
    ASSERT_EQ(rtcp_validate(b, sizeof(fx_rtcp_pli)), -EINVAL);
    b[11] = 9;
    ASSERT_EQ(rtcp_validate(b, sizeof(fx_rtcp_pli)), -EINVAL);
    b[11] = 8;
    ASSERT_EQ(rtcp_validate(b, sizeof(fx_rtcp_pli)), 1);
    RtcpFb f;
    ASSERT_EQ(rtcp_fb_parse(b, sizeof(fx_rtcp_pli), &f), -EINVAL); /* no room for the SSRCs */
    uint8_t padded[16];
    memcpy(padded, fx_rtcp_pli, sizeof(fx_rtcp_pli));
    padded[0] |= 0x20, padded[3] = 3;
    padded[12] = padded[13] = padded[14] = 0, padded[15] = 4;
    ASSERT_EQ(rtcp_fb_parse(padded, sizeof(padded), &f), 0);
    ASSERT_EQ(f.fci_len, 0);
    /* a typed parser given more bytes than the header says */
    memcpy(b, fx_rtcp_pli, sizeof(fx_rtcp_pli));
    ASSERT_EQ(rtcp_fb_parse(b, sizeof(fx_rtcp_pli) + 4, &f), -EINVAL);
}

TEST(malformed_reports) {
    uint8_t b[128];
    RtcpRr rr;
    RtcpSr sr;
    memcpy(b, fx_rtcp_rr, sizeof(fx_rtcp_rr));
    b[0] = 0x82; /* two blocks announced, one there */
    ASSERT_EQ(rtcp_rr_parse(b, sizeof(fx_rtcp_rr), &rr), -EINVAL);
    b[0] = 0x80; /* none announced: the block is a profile extension, allowed */
    ASSERT_EQ(rtcp_rr_parse(b, sizeof(fx_rtcp_rr), &rr), 0);
    ASSERT_EQ(rr.report_count, 0);
    memcpy(b, fx_rtcp_sr_sdes, 28);
    b[0] = 0x81;
    ASSERT_EQ(rtcp_sr_parse(b, 28, &sr), -EINVAL);
    /* cumulative lost is 24-bit signed */
    memcpy(b, fx_rtcp_rr, sizeof(fx_rtcp_rr));
    b[13] = 0xff, b[14] = 0xff, b[15] = 0xfe;
    ASSERT_EQ(rtcp_rr_parse(b, sizeof(fx_rtcp_rr), &rr), 0);
    ASSERT_EQ(rr.reports[0].cumulative_lost, -2);
}

TEST(malformed_sdes_and_bye) {
    RtcpSdes sdes;
    RtcpBye bye;
    /* a chunk with a CNAME "ab", a NOTE, its null item and padding */
    uint8_t s[] = {0x81, 202, 0, 4, 0, 0, 0, 1, 1, 2, 'a', 'b', 7, 1, 'x', 0, 0, 0, 0, 0};
    ASSERT_EQ(rtcp_sdes_parse(s, sizeof(s), &sdes), 0);
    ASSERT_TRUE(sdes.chunks[0].cname_len == 2 && sdes.chunks[0].cname[1] == 'b');
    s[15] = 'y', s[16] = 'y', s[17] = 'y', s[18] = 'y', s[19] = 'y'; /* no null item */
    ASSERT_EQ(rtcp_sdes_parse(s, sizeof(s), &sdes), -EINVAL);
    s[13] = 9; /* an item past the end */
    ASSERT_EQ(rtcp_sdes_parse(s, sizeof(s), &sdes), -EINVAL);
    uint8_t two[] = {0x82, 202, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0}; /* two chunks announced, one */
    ASSERT_EQ(rtcp_sdes_parse(two, sizeof(two), &sdes), -EINVAL);
    two[0] = 0x81;
    ASSERT_EQ(rtcp_sdes_parse(two, sizeof(two), &sdes), 0);
    ASSERT_NULL(sdes.chunks[0].cname);
    uint8_t nul_at_end[] = {0x81, 202, 0, 2, 0, 0, 0, 1, 1, 1, 'a', 0}; /* null as last byte */
    ASSERT_EQ(rtcp_sdes_parse(nul_at_end, sizeof(nul_at_end), &sdes), 0);
    nul_at_end[11] = 'z';
    ASSERT_EQ(rtcp_sdes_parse(nul_at_end, sizeof(nul_at_end), &sdes), -EINVAL);

    uint8_t b[] = {0x81, 203, 0, 2, 0, 0, 0, 5, 3, 'b', 'y', 'e'};
    ASSERT_EQ(rtcp_bye_parse(b, sizeof(b), &bye), 0);
    ASSERT_TRUE(bye.ssrc_count == 1 && bye.ssrcs[0] == 5 && bye.reason_len == 3);
    ASSERT_MEMEQ(bye.reason, "bye", 3);
    b[8] = 4; /* reason past the end */
    ASSERT_EQ(rtcp_bye_parse(b, sizeof(b), &bye), -EINVAL);
    b[0] = 0x83; /* three sources announced */
    ASSERT_EQ(rtcp_bye_parse(b, sizeof(b), &bye), -EINVAL);
}

TEST(malformed_feedback) {
    RtcpFb f;
    RtcpRemb remb;
    RtcpTwcc twcc;
    /* NACK with a 2-byte FCI (4 bytes, 2 of them padding) */
    uint8_t nack[] = {0xa1, 205, 0, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 9, 0, 2};
    ASSERT_EQ(rtcp_fb_parse(nack, sizeof(nack), &f), -EINVAL);
    nack[0] = 0x81;
    ASSERT_EQ(rtcp_fb_parse(nack, sizeof(nack), &f), 0);
    ASSERT_EQ(rtcp_nack_count(&f), 1);
    uint8_t empty_nack[] = {0x81, 205, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2};
    ASSERT_EQ(rtcp_fb_parse(empty_nack, sizeof(empty_nack), &f), -EINVAL);
    uint8_t short_fb[] = {0x81, 206, 0, 1, 0, 0, 0, 1};
    ASSERT_EQ(rtcp_fb_parse(short_fb, sizeof(short_fb), &f), -EINVAL);
    uint8_t fir[] = {0x84, 206, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2};
    ASSERT_EQ(rtcp_fb_parse(fir, sizeof(fir), &f), -EINVAL); /* half an entry */
    /* REMB announcing 3 SSRCs, carrying 1 */
    uint8_t r[] = {0x8f, 206, 0,   5,   0, 0, 0, 1, 0, 0, 0, 0,
                   'R',  'E', 'M', 'B', 3, 0, 0, 1, 0, 0, 0, 9};
    ASSERT_EQ(rtcp_fb_parse(r, sizeof(r), &f), -EINVAL);
    r[16] = 1;
    ASSERT_EQ(rtcp_fb_parse(r, sizeof(r), &f), 0);
    ASSERT_EQ(rtcp_remb_parse(&f, &remb), 0);
    ASSERT_EQ_U(remb.bitrate, 1);
    r[17] = 0xff, r[18] = 0xff, r[19] = 0xff; /* exponent 63, mantissa 2^18-1: saturates */
    ASSERT_EQ(rtcp_fb_parse(r, sizeof(r), &f), 0);
    ASSERT_EQ(rtcp_remb_parse(&f, &remb), 0);
    ASSERT_EQ_U(remb.bitrate, UINT64_MAX);
    r[17] = 46 << 2 | 3; /* 2^18-1 << 46 still fits */
    ASSERT_EQ(rtcp_fb_parse(r, sizeof(r), &f), 0);
    ASSERT_EQ(rtcp_remb_parse(&f, &remb), 0);
    ASSERT_EQ_U(remb.bitrate, UINT64_C(0x3ffff) << 46);
    r[12] = 'X'; /* another application's feedback: not REMB, not checked */
    ASSERT_EQ(rtcp_fb_parse(r, sizeof(r), &f), 0);
    ASSERT_EQ(rtcp_remb_parse(&f, &remb), -ENOMSG);
    ASSERT_EQ(rtcp_twcc_parse(&f, &twcc), -ENOMSG);
}

TEST(transport_cc_header) {
    /* base 65534, 3 statuses, reference time -2 (24-bit), feedback count 9, one chunk */
    uint8_t t[] = {0x8f, 205,  0, 5, 0,    0,    0,    1, 0,    0, 0, 2,
                   0xff, 0xfe, 0, 3, 0xff, 0xff, 0xfe, 9, 0x20, 3, 0, 0};
    RtcpFb f;
    RtcpTwcc twcc;
    ASSERT_EQ(rtcp_fb_parse(t, sizeof(t), &f), 0);
    ASSERT_EQ(rtcp_twcc_parse(&f, &twcc), 0);
    ASSERT_EQ(twcc.base_seq, 65534);
    ASSERT_EQ(twcc.status_count, 3);
    ASSERT_EQ(twcc.reference_time, -2);
    ASSERT_EQ(twcc.fb_count, 9);
    t[3] = 3; /* 4 bytes of FCI: too short for its header */
    ASSERT_EQ(rtcp_fb_parse(t, 16, &f), -EINVAL);
}

static bool same_block(const RtcpReportBlock *a, const RtcpReportBlock *b) {
    return a->ssrc == b->ssrc && a->fraction_lost == b->fraction_lost &&
           a->cumulative_lost == b->cumulative_lost && a->highest_seq == b->highest_seq &&
           a->jitter == b->jitter && a->lsr == b->lsr && a->dlsr == b->dlsr;
}

TEST(report_builders_round_trip) {
    uint8_t b[1024];
    RtcpSr sr = {.ssrc = 1,
                 .ntp = UINT64_C(0x0123456789abcdef),
                 .rtp_ts = 7,
                 .packet_count = 9,
                 .octet_count = 10,
                 .report_count = RTCP_COUNT_MAX};
    for (unsigned i = 0; i < RTCP_COUNT_MAX; i++)
        sr.reports[i] = (RtcpReportBlock){.ssrc = 100 + i,
                                          .fraction_lost = (uint8_t)i,
                                          .cumulative_lost = (int32_t)i - 15,
                                          .highest_seq = i,
                                          .jitter = i * 2,
                                          .lsr = i * 3,
                                          .dlsr = i * 4};
    ssize_t n = rtcp_sr_build(b, sizeof(b), &sr);
    ASSERT_EQ(n, 28 + 24 * 31);
    RtcpSr back;
    ASSERT_EQ(rtcp_sr_parse(b, (size_t)n, &back), 0);
    ASSERT_TRUE(back.ssrc == 1 && back.ntp == sr.ntp && back.rtp_ts == 7);
    ASSERT_TRUE(back.packet_count == 9 && back.octet_count == 10);
    ASSERT_EQ(back.report_count, RTCP_COUNT_MAX);
    for (unsigned i = 0; i < RTCP_COUNT_MAX; i++)
        ASSERT_TRUE(same_block(&back.reports[i], &sr.reports[i]));
    ASSERT_EQ(rtcp_sr_build(b, (size_t)n - 1, &sr), -ENOBUFS);
    sr.report_count = 32;
    ASSERT_EQ(rtcp_sr_build(b, sizeof(b), &sr), -EINVAL);

    RtcpRr rr;
    n = rtcp_rr_build(b, sizeof(b), 77, sr.reports, 3);
    ASSERT_EQ(n, 8 + 24 * 3);
    ASSERT_EQ(rtcp_rr_parse(b, (size_t)n, &rr), 0);
    ASSERT_TRUE(rr.ssrc == 77 && rr.report_count == 3);
    for (unsigned i = 0; i < 3; i++)
        ASSERT_TRUE(same_block(&rr.reports[i], &sr.reports[i]));
    ASSERT_EQ(rtcp_rr_build(b, 8, 77, NULL, 0), 8);
    ASSERT_EQ(rtcp_rr_build(b, 7, 77, NULL, 0), -ENOBUFS);
    ASSERT_EQ(rtcp_rr_build(b, sizeof(b), 77, sr.reports, 32), -EINVAL);
    /* cumulative lost is clamped to 24 bits */
    RtcpReportBlock big = {.cumulative_lost = 1 << 30}, small = {.cumulative_lost = -(1 << 30)};
    ASSERT_EQ(rtcp_rr_build(b, sizeof(b), 1, &big, 1), 32);
    ASSERT_EQ(rtcp_rr_parse(b, 32, &rr), 0);
    ASSERT_EQ(rr.reports[0].cumulative_lost, 0x7fffff);
    ASSERT_EQ(rtcp_rr_build(b, sizeof(b), 1, &small, 1), 32);
    ASSERT_EQ(rtcp_rr_parse(b, 32, &rr), 0);
    ASSERT_EQ(rr.reports[0].cumulative_lost, -0x800000);
}

TEST(sdes_builder_every_cname_length) {
    uint8_t b[512];
    char cname[256];
    memset(cname, 'c', sizeof(cname));
    for (size_t len = 0; len <= 255; len++) {
        ssize_t n = rtcp_sdes_build(b, sizeof(b), 42, cname, len);
        ASSERT_GT(n, 0);
        ASSERT_EQ(n % 4, 0);
        ASSERT_EQ(rtcp_validate(b, (size_t)n), 1);
        RtcpSdes sdes;
        ASSERT_EQ(rtcp_sdes_parse(b, (size_t)n, &sdes), 0);
        ASSERT_TRUE(sdes.chunk_count == 1 && sdes.chunks[0].ssrc == 42);
        ASSERT_EQ(sdes.chunks[0].cname_len, len);
        ASSERT_EQ(rtcp_sdes_build(b, (size_t)n - 1, 42, cname, len), -ENOBUFS);
    }
    ASSERT_EQ(rtcp_sdes_build(b, sizeof(b), 42, cname, 256), -EINVAL);
}

TEST(nack_builder_round_trip) {
    static const uint16_t seqs[] = {65530, 65531, 65535, 0, 10, 11, 40, 40, 41, 57, 58, 7};
    uint8_t b[256];
    uint16_t lost[64];
    ssize_t n = rtcp_nack_build(b, sizeof(b), 1, 2, seqs, ELEMENTSOF(seqs));
    ASSERT_GT(n, 0);
    RtcpFb f;
    ASSERT_EQ(rtcp_fb_parse(b, (size_t)n, &f), 0);
    /* 65530 covers up to 10 (16 after), 11 starts one, 40 one (57 too far: 17 after), 57
     * covers 58, 7 starts the last */
    ASSERT_EQ(rtcp_nack_count(&f), 5);
    size_t got = rtcp_nack_lost(&f, lost, ELEMENTSOF(lost));
    ASSERT_EQ(got, 11); /* the duplicate 40 once */
    for (size_t i = 0; i < ELEMENTSOF(seqs); i++) {
        bool found = false;
        for (size_t j = 0; j < got; j++)
            found |= lost[j] == seqs[i];
        ASSERT_TRUE(found);
    }
    ASSERT_EQ(rtcp_nack_lost(&f, lost, 3), 11); /* counts past cap */
    ASSERT_EQ(rtcp_nack_build(b, sizeof(b), 1, 2, seqs, 0), -EINVAL);
    ASSERT_EQ(rtcp_nack_build(b, 15, 1, 2, seqs, 1), -ENOBUFS);
    /* all 17 of one entry */
    uint16_t run[17];
    for (uint16_t i = 0; i < 17; i++)
        run[i] = (uint16_t)(65535 + i);
    ASSERT_EQ(rtcp_nack_build(b, sizeof(b), 1, 2, run, 17), 16);
    ASSERT_EQ(rtcp_fb_parse(b, 16, &f), 0);
    uint16_t pid, blp;
    rtcp_nack_get(&f, 0, &pid, &blp);
    ASSERT_TRUE(pid == 65535 && blp == 0xffff);
}

TEST(feedback_ssrc_rewrite_for_relaying) {
    uint8_t b[64];
    RtcpFb f;
    uint32_t ssrc;
    uint8_t seq_nr;
    memcpy(b, fx_rtcp_pli, sizeof(fx_rtcp_pli));
    ASSERT_EQ(rtcp_fb_map_ssrc(b, sizeof(fx_rtcp_pli), FX_RTCP_PLI_P0_MEDIA_SSRC, 0xabcd), 1);
    ASSERT_EQ(rtcp_fb_set_sender(b, sizeof(fx_rtcp_pli), 0x5f0), 0);
    ASSERT_EQ(rtcp_fb_parse(b, sizeof(fx_rtcp_pli), &f), 0);
    ASSERT_TRUE(f.media_ssrc == 0xabcd && f.sender_ssrc == 0x5f0);
    ASSERT_EQ(rtcp_fb_map_ssrc(b, sizeof(fx_rtcp_pli), 1, 2), 0); /* nothing to map */

    memcpy(b, fx_rtcp_fir, sizeof(fx_rtcp_fir));
    ASSERT_EQ(rtcp_fb_map_ssrc(b, sizeof(fx_rtcp_fir), FX_RTCP_PLI_P0_MEDIA_SSRC, 0xabcd), 1);
    ASSERT_EQ(rtcp_fb_parse(b, sizeof(fx_rtcp_fir), &f), 0);
    ASSERT_EQ(f.media_ssrc, 0);
    rtcp_fir_get(&f, 0, &ssrc, &seq_nr);
    ASSERT_TRUE(ssrc == 0xabcd && seq_nr == 7);

    memcpy(b, fx_rtcp_nack, sizeof(fx_rtcp_nack));
    ASSERT_EQ(rtcp_fb_map_ssrc(b, sizeof(fx_rtcp_nack), FX_RTCP_NACK_P0_MEDIA_SSRC, 9), 1);
    ASSERT_EQ(rtcp_fb_parse(b, sizeof(fx_rtcp_nack), &f), 0);
    ASSERT_EQ(f.media_ssrc, 9);
    ASSERT_MEMEQ(b + 12, fx_rtcp_nack + 12, sizeof(fx_rtcp_nack) - 12); /* FCI untouched */

    memcpy(b, fx_rtcp_rr, sizeof(fx_rtcp_rr));
    ASSERT_EQ(rtcp_fb_map_ssrc(b, sizeof(fx_rtcp_rr), 1, 2), -ENOMSG);
    ASSERT_EQ(rtcp_fb_set_sender(b, sizeof(fx_rtcp_rr), 1), -ENOMSG);
    ASSERT_MEMEQ(b, fx_rtcp_rr, sizeof(fx_rtcp_rr));
    ASSERT_EQ(rtcp_pli_build(b, 11, 1, 2), -ENOBUFS);
    ASSERT_EQ(rtcp_fir_build(b, 19, 1, 2, 3), -ENOBUFS);
}

TEST_MAIN()
