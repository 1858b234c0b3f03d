/* Unit tests for media-worker/media-demux: RFC 7983 and RFC 5761 on every first byte and on
 * real packets of two aiortc peers, and the DTLS record check. */
#include "media-demux.h"
#include "media-fixtures.h"
#include "test.h"

TEST(first_byte_ranges) {
    uint8_t b[2] = {0, 96};
    for (unsigned v = 0; v < 256; v++) {
        b[0] = (uint8_t)v;
        DemuxKind want = v <= 3                 ? DEMUX_STUN
                         : v >= 20 && v <= 63   ? DEMUX_DTLS
                         : v >= 128 && v <= 191 ? DEMUX_RTP
                                                : DEMUX_UNKNOWN;
        ASSERT_EQ(demux_classify(b, 2), want);
    }
    ASSERT_EQ(demux_classify(b, 0), DEMUX_UNKNOWN);
}

TEST(rtp_or_rtcp_by_payload_type) {
    uint8_t b[2] = {0x80, 0};
    for (unsigned v = 0; v < 256; v++) {
        b[1] = (uint8_t)v;
        unsigned pt = v & 0x7f;
        ASSERT_EQ(demux_classify(b, 2), pt >= 64 && pt <= 95 ? DEMUX_RTCP : DEMUX_RTP);
    }
    ASSERT_EQ(demux_classify(b, 1), DEMUX_RTP); /* rtp_parse refuses it */
}

TEST(real_packets) {
    ASSERT_EQ(demux_classify(fx_stun_req_controlling, sizeof(fx_stun_req_controlling)), DEMUX_STUN);
    ASSERT_EQ(demux_classify(fx_stun_resp, sizeof(fx_stun_resp)), DEMUX_STUN);
    ASSERT_EQ(demux_classify(fx_dtls_client_hello, sizeof(fx_dtls_client_hello)), DEMUX_DTLS);
    ASSERT_EQ(demux_classify(fx_srtp_wire, sizeof(fx_srtp_wire)), DEMUX_RTP);
    ASSERT_EQ(demux_classify(fx_rtp_opus, sizeof(fx_rtp_opus)), DEMUX_RTP);
    ASSERT_EQ(demux_classify(fx_rtp_vp8_marker, sizeof(fx_rtp_vp8_marker)), DEMUX_RTP);
    ASSERT_EQ(demux_classify(fx_rtcp_sr_sdes, sizeof(fx_rtcp_sr_sdes)), DEMUX_RTCP);
    ASSERT_EQ(demux_classify(fx_rtcp_nack, sizeof(fx_rtcp_nack)), DEMUX_RTCP);
    ASSERT_EQ(demux_classify(fx_rtcp_remb, sizeof(fx_rtcp_remb)), DEMUX_RTCP);
    ASSERT_EQ(demux_classify(fx_rtcp_bye, sizeof(fx_rtcp_bye)), DEMUX_RTCP);
}

TEST(kind_names) {
    ASSERT_STREQ(demux_kind_name(DEMUX_STUN), "stun");
    ASSERT_STREQ(demux_kind_name(DEMUX_DTLS), "dtls");
    ASSERT_STREQ(demux_kind_name(DEMUX_RTP), "rtp");
    ASSERT_STREQ(demux_kind_name(DEMUX_RTCP), "rtcp");
    ASSERT_STREQ(demux_kind_name(DEMUX_UNKNOWN), "unknown");
    ASSERT_STREQ(demux_kind_name((DemuxKind)99), "unknown");
}

TEST(dtls_client_hello_from_aiortc) {
    DemuxDtls d;
    ASSERT_EQ(demux_dtls_check(fx_dtls_client_hello, sizeof(fx_dtls_client_hello), &d), 0);
    ASSERT_EQ(d.records, 2); /* OpenSSL sent its ClientHello in two fragments, two records */
    ASSERT_EQ(d.content_type, DTLS_HANDSHAKE);
    ASSERT_EQ(d.epoch, 0);
    ASSERT_TRUE(d.client_hello);
}

/* A datagram of two records: a handshake (not a ClientHello) and an alert in epoch 1. */
static const uint8_t two_records[] = {
    22, 0xfe, 0xfd, 0, 0, 0,  0,    0,    0, 0, 0, 0, 12, 2, 0, 0, 0, 0, 0, 0,
    0,  0,    0,    0, 0, 21, 0xfe, 0xfd, 0, 1, 0, 0, 0,  0, 0, 1, 0, 2, 1, 0,
};

TEST(dtls_several_records) {
    DemuxDtls d;
    ASSERT_EQ(demux_dtls_check(two_records, sizeof(two_records), &d), 0);
    ASSERT_EQ(d.records, 2);
    ASSERT_EQ(d.content_type, DTLS_HANDSHAKE);
    ASSERT_FALSE(d.client_hello);
}

TEST(dtls_malformed) {
    DemuxDtls d;
    uint8_t b[sizeof(two_records)];
    /* every prefix but the whole and the first record alone ends inside a record */
    for (size_t n = 0; n < sizeof(two_records); n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, two_records, n);
        int r = demux_dtls_check(copy, n, &d);
        ASSERT_TRUE(n == 25 ? r == 0 : r < 0);
        free(copy);
    }
    memcpy(b, two_records, sizeof(b));
    b[1] = 0x03; /* TLS, not DTLS */
    ASSERT_EQ(demux_dtls_check(b, sizeof(b), &d), -EINVAL);
    memcpy(b, two_records, sizeof(b));
    b[25] = 24; /* heartbeat: not accepted */
    ASSERT_EQ(demux_dtls_check(b, sizeof(b), &d), -EINVAL);
    memcpy(b, two_records, sizeof(b));
    b[12] = 0; /* an empty record */
    ASSERT_EQ(demux_dtls_check(b, 13, &d), -EINVAL);
    ASSERT_EQ(demux_dtls_check(fx_rtp_opus, sizeof(fx_rtp_opus), &d), -ENOMSG);
    ASSERT_EQ(demux_dtls_check(b, 0, &d), -ENOMSG);
    /* a ClientHello record cut inside its handshake header is still a valid record */
    uint8_t short_hello[] = {22, 0xfe, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1};
    ASSERT_EQ(demux_dtls_check(short_hello, sizeof(short_hello), &d), 0);
    ASSERT_FALSE(d.client_hello);
}

TEST(dtls_every_prefix_of_the_client_hello) {
    DemuxDtls d;
    /* the first record alone is a whole datagram too */
    size_t len = sizeof(fx_dtls_client_hello),
           first = 13 + (size_t)(fx_dtls_client_hello[11] << 8 | fx_dtls_client_hello[12]);
    for (size_t n = 0; n < len; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, fx_dtls_client_hello, n);
        int r = demux_dtls_check(copy, n, &d);
        ASSERT_TRUE(n == first ? r == 0 && d.records == 1 && d.client_hello : r < 0);
        free(copy);
    }
}

TEST_MAIN()
