/* fuzz-rtcp: a compound RTCP packet as it comes off SRTCP: iterated, every part through every
 * typed parser, feedback relayed (SSRCs rewritten in a copy that must parse again), and what the
 * parsers read built again and read back the same. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media-rtcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same_blocks(const RtcpReportBlock *a, const RtcpReportBlock *b, unsigned n) {
    for (unsigned i = 0; i < n; i++)
        if (a[i].ssrc != b[i].ssrc || a[i].fraction_lost != b[i].fraction_lost ||
            a[i].cumulative_lost != b[i].cumulative_lost || a[i].highest_seq != b[i].highest_seq ||
            a[i].jitter != b[i].jitter || a[i].lsr != b[i].lsr || a[i].dlsr != b[i].dlsr)
            return false;
    return true;
}

static void reports(const uint8_t *p, size_t len) {
    static uint8_t out[2048];
    RtcpSr sr, sr2;
    RtcpRr rr, rr2;
    if (rtcp_sr_parse(p, len, &sr) == 0) {
        ssize_t n = rtcp_sr_build(out, sizeof(out), &sr);
        if (n < 0 || rtcp_sr_parse(out, (size_t)n, &sr2) < 0 || sr2.ntp != sr.ntp ||
            sr2.report_count != sr.report_count ||
            !same_blocks(sr.reports, sr2.reports, sr.report_count))
            abort();
    }
    if (rtcp_rr_parse(p, len, &rr) == 0) {
        ssize_t n = rtcp_rr_build(out, sizeof(out), rr.ssrc, rr.reports, rr.report_count);
        if (n < 0 || rtcp_rr_parse(out, (size_t)n, &rr2) < 0 ||
            !same_blocks(rr.reports, rr2.reports, rr.report_count))
            abort();
    }
}

static void sdes_and_bye(const uint8_t *p, size_t len) {
    static uint8_t out[512];
    RtcpSdes sdes, again;
    RtcpBye bye;
    if (rtcp_sdes_parse(p, len, &sdes) == 0 && sdes.chunk_count > 0 && sdes.chunks[0].cname) {
        const RtcpSdesChunk *c = &sdes.chunks[0];
        ssize_t n = rtcp_sdes_build(out, sizeof(out), c->ssrc, c->cname, c->cname_len);
        if (n < 0 || rtcp_sdes_parse(out, (size_t)n, &again) < 0 ||
            again.chunks[0].cname_len != c->cname_len ||
            memcmp(again.chunks[0].cname, c->cname, c->cname_len) != 0)
            abort();
    }
    if (rtcp_bye_parse(p, len, &bye) == 0 && bye.reason &&
        (const uint8_t *)bye.reason + bye.reason_len > p + len)
        abort();
}

/* NACKs built from what a NACK asks for cover the same numbers. */
static void nack(const RtcpFb *fb) {
    static uint16_t lost[17 * 1024];
    static uint8_t out[8192];
    size_t n = rtcp_nack_lost(fb, lost, sizeof(lost) / sizeof(lost[0]));
    if (n == 0 || n > sizeof(lost) / sizeof(lost[0]))
        return;
    ssize_t len = rtcp_nack_build(out, sizeof(out), fb->sender_ssrc, fb->media_ssrc, lost, n);
    RtcpFb again;
    if (len == -ENOBUFS)
        return;
    if (len < 0 || rtcp_fb_parse(out, (size_t)len, &again) < 0 ||
        rtcp_nack_count(&again) > rtcp_nack_count(fb))
        abort();
}

static void feedback(const uint8_t *p, size_t len) {
    static uint8_t copy[65536];
    RtcpFb fb, again;
    RtcpRemb remb;
    RtcpTwcc twcc;
    uint32_t ssrc;
    uint8_t seq_nr;
    if (rtcp_fb_parse(p, len, &fb) < 0)
        return;
    if (fb.fci + fb.fci_len > p + len)
        abort();
    nack(&fb);
    for (size_t i = 0; i < rtcp_fir_count(&fb); i++)
        rtcp_fir_get(&fb, i, &ssrc, &seq_nr);
    if (rtcp_remb_parse(&fb, &remb) == 0)
        for (size_t i = 0; i < remb.ssrc_count; i++)
            rtcp_remb_ssrc(&remb, i);
    rtcp_twcc_parse(&fb, &twcc);
    memcpy(copy, p, len);
    if (rtcp_fb_map_ssrc(copy, len, fb.media_ssrc, ~fb.media_ssrc) < 1 ||
        rtcp_fb_set_sender(copy, len, 7) < 0 || rtcp_fb_parse(copy, len, &again) < 0 ||
        again.media_ssrc != ~fb.media_ssrc || again.sender_ssrc != 7 || again.fci_len != fb.fci_len)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    RtcpIter it;
    RtcpPart part;
    int r, n = 0, valid = rtcp_validate(data, size);
    if (size > 65536)
        return 0;
    rtcp_iter_init(&it, data, size);
    while ((r = rtcp_iter_next(&it, &part)) > 0) {
        if (part.off + part.len > size || part.len < RTCP_HEADER_LEN || part.len % 4)
            abort();
        const uint8_t *p = data + part.off;
        reports(p, part.len);
        sdes_and_bye(p, part.len);
        feedback(p, part.len);
        n++;
    }
    if (r < 0 ? valid != r : valid != (n ? n : -EINVAL))
        abort();
    return 0;
}
