/* The packet path allocates nothing: every parser, rewriter and builder of media-worker/ run on
 * real packets under a malloc counter (this program's malloc family wraps glibc's, libraries'
 * calls included: nettle's HMAC too). Under AddressSanitizer, which owns malloc, the path runs
 * but is not counted. */
#include <stdbool.h>

#include "hype-macro.h"
#include "media-demux.h"
#include "media-fixtures.h"
#include "media-rtcp.h"
#include "media-rtp-rewriter.h"
#include "media-rtp.h"
#include "media-stun.h"
#include "test.h"

static unsigned long allocations;
static bool counting;

#ifndef __SANITIZE_ADDRESS__
#define COUNTED 1
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t n);
void *__libc_memalign(size_t align, size_t n);

static void count(void) {
    if (counting)
        allocations++;
}

void *malloc(size_t n) {
    count();
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t size) {
    count();
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n) {
    count();
    return __libc_realloc(p, n);
}

void *aligned_alloc(size_t align, size_t n) {
    count();
    return __libc_memalign(align, n);
}

int posix_memalign(void **ret, size_t align, size_t n) {
    count();
    *ret = __libc_memalign(align, n);
    return *ret ? 0 : ENOMEM;
}
#else
#define COUNTED 0
#endif

static void rtp_path(void) {
    static const uint8_t *const packets[] = {fx_rtp_opus, fx_rtp_vp8, fx_rtp_opus_two_byte};
    static const size_t lens[] = {sizeof(fx_rtp_opus), sizeof(fx_rtp_vp8),
                                  sizeof(fx_rtp_opus_two_byte)};
    static RtpRewriter rw;
    static uint64_t now;
    RtpExtMap map;
    rtp_ext_map_init(&map);
    rtp_ext_map_mid(&map, 1, 1, "10", 2);
    rtp_ext_map_mid(&map, 15, 1, "10", 2);
    rtp_ext_map_add(&map, 2, 20);
    rtp_ext_map_add(&map, 3, 3);
    rtp_ext_map_add(&map, 16, 2);
    if (!rw.clock_rate)
        rtp_rewriter_init(&rw, 48000, 1, 2);
    for (size_t i = 0; i < ELEMENTSOF(packets); i++) {
        uint8_t out[1500];
        RtpPacket p;
        RtpExt e;
        bool voice;
        uint8_t level, abs[3] = {1, 2, 3};
        uint16_t seq;
        uint32_t ts;
        if (demux_classify(packets[i], lens[i]) != DEMUX_RTP || rtp_parse(packets[i], lens[i], &p))
            abort();
        memcpy(out, packets[i], lens[i]);
        rtp_audio_level(out, &p, 2, &voice, &level);
        rtp_ext_find(out, &p, 1, &e);
        rtp_ext_write(out, &p, 3, abs, 3);
        if (rtp_rewriter_map(&rw, p.seq, p.ts, now += 20000, &seq, &ts) == 0)
            rtp_set_header(out, &p, 111, 0x1234, seq, ts);
        rtp_ext_remap(out, sizeof(out), &p, &map);
    }
}

static void rtcp_path(void) {
    static const uint8_t *const packets[] = {fx_rtcp_sr_sdes, fx_rtcp_rr2, fx_rtcp_nack,
                                             fx_rtcp_remb,    fx_rtcp_fir, fx_rtcp_bye};
    static const size_t lens[] = {sizeof(fx_rtcp_sr_sdes), sizeof(fx_rtcp_rr2),
                                  sizeof(fx_rtcp_nack),    sizeof(fx_rtcp_remb),
                                  sizeof(fx_rtcp_fir),     sizeof(fx_rtcp_bye)};
    for (size_t i = 0; i < ELEMENTSOF(packets); i++) {
        uint8_t copy[512], out[512];
        RtcpIter it;
        RtcpPart part;
        RtcpSr sr;
        RtcpRr rr;
        RtcpSdes sdes;
        RtcpBye bye;
        RtcpFb fb;
        RtcpRemb remb;
        uint16_t lost[64];
        memcpy(copy, packets[i], lens[i]);
        rtcp_iter_init(&it, copy, lens[i]);
        while (rtcp_iter_next(&it, &part) > 0) {
            uint8_t *p = copy + part.off;
            rtcp_sr_parse(p, part.len, &sr);
            rtcp_rr_parse(p, part.len, &rr);
            rtcp_sdes_parse(p, part.len, &sdes);
            rtcp_bye_parse(p, part.len, &bye);
            if (rtcp_fb_parse(p, part.len, &fb) == 0) {
                rtcp_nack_lost(&fb, lost, ELEMENTSOF(lost));
                rtcp_remb_parse(&fb, &remb);
                rtcp_fb_map_ssrc(p, part.len, fb.media_ssrc, 42);
                rtcp_fb_set_sender(p, part.len, 43);
            }
        }
        rtcp_rr_build(out, sizeof(out), 1, rr.reports, 1);
        rtcp_sr_build(out, sizeof(out), &sr);
        rtcp_sdes_build(out, sizeof(out), 1, "cname", 5);
        rtcp_pli_build(out, sizeof(out), 1, 2);
        rtcp_fir_build(out, sizeof(out), 1, 2, 3);
        rtcp_nack_build(out, sizeof(out), 1, 2, lost, 3);
    }
}

static void stun_path(void) {
    StunMessage m;
    uint8_t out[256];
    uint16_t code;
    DemuxDtls d;
    StunAddr from = {.family = 4, .port = 9, .addr = {10, 0, 0, 1}};
    const uint8_t *req = fx_stun_req_controlling;
    if (stun_parse(req, sizeof(fx_stun_req_controlling), &m) < 0)
        abort();
    if (stun_ice_lite_answer(req, sizeof(fx_stun_req_controlling), &m, FIXTURE_PC2_UFRAG,
                             FIXTURE_PC2_PWD, &from, out, sizeof(out), &code) <= 0 ||
        code != 0)
        abort();
    if (stun_parse(fx_stun_resp, sizeof(fx_stun_resp), &m) < 0 ||
        stun_check_integrity(fx_stun_resp, sizeof(fx_stun_resp), &m, FIXTURE_PC1_PWD, 22) < 0)
        abort();
    demux_dtls_check(fx_dtls_client_hello, sizeof(fx_dtls_client_hello), &d);
}

TEST(the_counter_counts) {
    void *(*volatile f)(size_t) = malloc;
    counting = true;
    void *p = f(10);
    counting = false;
    free(p);
    ASSERT_EQ(allocations, COUNTED);
    allocations = 0;
}

TEST(packet_path_allocates_nothing) {
    counting = true;
    for (int i = 0; i < 2000; i++) {
        rtp_path();
        rtcp_path();
        stun_path();
    }
    counting = false;
    ASSERT_EQ(allocations, 0);
}

TEST_MAIN()
