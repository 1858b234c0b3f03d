/* Unit tests for common/hype-sdp: real descriptions from Chromium 156, aiortc 1.4 and
 * mediasoup-client 3.24 (fixtures in sdp/, made by sdp/gen-chromium.py, sdp/gen-aiortc.py and
 * sdp/gen-mediasoup-client.py), round trips, every limit and malformed lines. */
#include <stdarg.h>
#include <stdio.h>

#include "hype-sdp.h"
#include "sdp/fixtures.h"
#include "test.h"

static const char *const fixtures[] = {
    "chromium-offer.sdp",
    "chromium-publish-offer.sdp",
    "chromium-simulcast-offer.sdp",
    "chromium-answer-sfu-offer-1.sdp",
    "chromium-answer-sfu-offer-2.sdp",
    "chromium-answer-sfu-offer-3.sdp",
    "chromium-answer-sfu-offer-4.sdp",
    "aiortc-offer.sdp",
    "aiortc-answer.sdp",
    "aiortc-recv-offer.sdp",
    "aiortc-answer-sfu-offer-1.sdp",
    "aiortc-answer-sfu-offer-2.sdp",
    "aiortc-answer-sfu-offer-3.sdp",
    "aiortc-answer-sfu-offer-4.sdp",
    "mediasoup-client-answer.sdp",
    "mediasoup-client-offer.sdp",
    "mediasoup-client-publish-offer.sdp",
    "chromium-answer-mediasoup-client-offer.sdp",
};

static const SdpCodec *codec(const SdpMedia *m, uint8_t pt) {
    return sdp_find_codec(m, pt);
}

static bool has_extra(char *const *extra, size_t n, const char *line) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(extra[i], line) == 0)
            return true;
    return false;
}

TEST(chromium_offer_session_and_transport) {
    Arena *a = arena_new();
    Sdp *sdp = parse_fixture(a, "chromium-offer.sdp");
    ASSERT_NOT_NULL(sdp);
    ASSERT_STREQ(sdp->origin.username, "-");
    ASSERT_EQ_U(sdp->origin.session_id, 4255080709249859248ULL);
    ASSERT_EQ_U(sdp->origin.session_version, 2);
    ASSERT_STREQ(sdp->origin.address, "IN IP4 127.0.0.1");
    ASSERT_STREQ(sdp->name, "-");
    ASSERT_STREQ(sdp->timing, "0 0");
    ASSERT_STREQ(sdp->msid_semantic, "WMS");
    ASSERT_FALSE(sdp->ice_lite);
    ASSERT_TRUE(has_extra(sdp->extra, sdp->n_extra, "a=extmap-allow-mixed"));
    const SdpGroup *bundle = sdp_find_group(sdp, "bundle");
    ASSERT_NOT_NULL(bundle);
    ASSERT_EQ(bundle->n_mids, 3);
    ASSERT_STREQ(bundle->mids[2], "2");
    ASSERT_EQ(sdp->n_media, 3);
    for (size_t i = 0; i < sdp->n_media; i++) {
        const SdpTransport *t = &sdp->media[i].transport;
        ASSERT_STREQ(t->ice_ufrag, "TlUP");
        ASSERT_STREQ(t->ice_pwd, "Wd+5TdSYo8zMToUR1bgEzAPk");
        ASSERT_STREQ(t->ice_options, "trickle");
        ASSERT_EQ(t->setup, SDP_SETUP_ACTPASS);
        ASSERT_EQ(t->n_fingerprints, 1);
        ASSERT_STREQ(t->fingerprints[0].algorithm, "sha-256");
        ASSERT_STREQ(t->fingerprints[0].value,
                     "60:7B:35:14:35:BD:0D:7E:35:25:95:E6:3C:80:1F:55:CB:3C:09:75:78:11:EF:9D:"
                     "53:20:EF:2E:7E:9A:48:05");
        ASSERT_EQ(sdp->media[i].n_candidates, 6);
    }
    const SdpCandidate *c = &sdp->media[0].candidates[0];
    ASSERT_STREQ(c->foundation, "3202360129");
    ASSERT_EQ(c->component, 1);
    ASSERT_STREQ(c->transport, "udp");
    ASSERT_EQ_U(c->priority, 2122260223);
    ASSERT_STREQ(c->address, "127.0.0.1");
    ASSERT_EQ(c->port, 57881);
    ASSERT_STREQ(c->type, "host");
    ASSERT_STREQ(c->rest, "generation 0 network-id 1 network-cost 50");
    c = &sdp->media[0].candidates[3];
    ASSERT_STREQ(c->transport, "tcp");
    ASSERT_EQ(c->port, 9);
    ASSERT_STREQ(c->rest, "tcptype active generation 0 network-id 1 network-cost 50");
    ASSERT_FALSE(sdp->media[0].end_of_candidates);
    arena_free(a);
}

TEST(chromium_offer_audio) {
    Arena *a = arena_new();
    Sdp *sdp = parse_fixture(a, "chromium-offer.sdp");
    ASSERT_NOT_NULL(sdp);
    const SdpMedia *m = sdp_find_mid(sdp, "0");
    ASSERT_TRUE(m == &sdp->media[0]);
    ASSERT_EQ(m->kind, SDP_MEDIA_AUDIO);
    ASSERT_STREQ(sdp_media_kind_name(m), "audio");
    ASSERT_EQ(m->port, 57881);
    ASSERT_STREQ(m->protocol, "UDP/TLS/RTP/SAVPF");
    ASSERT_NULL(m->formats);
    ASSERT_STREQ(m->connection, "IN IP4 127.0.0.1");
    ASSERT_EQ(m->direction, SDP_SENDRECV);
    ASSERT_TRUE(m->rtcp_mux);
    ASSERT_TRUE(m->rtcp_rsize);
    static const uint8_t pts[] = {111, 63, 9, 0, 8, 13, 110, 126};
    ASSERT_EQ(m->n_codecs, ELEMENTSOF(pts));
    for (size_t i = 0; i < ELEMENTSOF(pts); i++)
        ASSERT_EQ(m->codecs[i].pt, pts[i]);
    const SdpCodec *opus = codec(m, 111);
    ASSERT_STREQ(opus->name, "opus");
    ASSERT_EQ(opus->clock_rate, 48000);
    ASSERT_EQ(opus->channels, 2);
    ASSERT_STREQ(opus->fmtp, "minptime=10;useinbandfec=1");
    ASSERT_EQ(opus->n_rtcp_fb, 1);
    ASSERT_STREQ(opus->rtcp_fb[0], "transport-cc");
    ASSERT_STREQ(codec(m, 63)->name, "red");
    ASSERT_STREQ(codec(m, 63)->fmtp, "111/111");
    ASSERT_STREQ(codec(m, 0)->name, "PCMU");
    ASSERT_EQ(codec(m, 0)->channels, 0);
    ASSERT_EQ(codec(m, 126)->clock_rate, 8000);
    ASSERT_EQ(m->n_extmaps, 4);
    ASSERT_EQ(sdp_extmap_id(m, SDP_URI_AUDIO_LEVEL), 1);
    ASSERT_EQ(sdp_extmap_id(m, SDP_URI_ABS_SEND_TIME), 2);
    ASSERT_EQ(sdp_extmap_id(m, SDP_URI_TRANSPORT_CC), 3);
    ASSERT_EQ(sdp_extmap_id(m, SDP_URI_MID), 4);
    ASSERT_EQ(sdp_extmap_id(m, "urn:nothing"), -ENOENT);
    ASSERT_EQ(m->n_msids, 1);
    ASSERT_STREQ(m->msids[0], "- 28011d23-b3af-4bd0-8051-dcdfaa9e0ac2");
    ASSERT_EQ(m->n_ssrcs, 1);
    const SdpSsrc *s = sdp_find_ssrc(m, 3993062828u);
    ASSERT_NOT_NULL(s);
    ASSERT_STREQ(s->cname, "GLN0FdDc1W65c12t");
    ASSERT_STREQ(s->msid, "- 28011d23-b3af-4bd0-8051-dcdfaa9e0ac2");
    ASSERT_TRUE(has_extra(m->extra, m->n_extra, "a=rtcp:9 IN IP4 0.0.0.0"));
    ASSERT_TRUE(has_extra(m->extra, m->n_extra, "a=rtcp-xr:rcvr-rtt=all"));
    arena_free(a);
}

TEST(chromium_offer_video_and_data) {
    Arena *a = arena_new();
    Sdp *sdp = parse_fixture(a, "chromium-offer.sdp");
    ASSERT_NOT_NULL(sdp);
    const SdpMedia *m = &sdp->media[1];
    ASSERT_EQ(m->kind, SDP_MEDIA_VIDEO);
    ASSERT_EQ(m->n_codecs, 23);
    const SdpCodec *vp8 = codec(m, 96);
    ASSERT_STREQ(vp8->name, "VP8");
    ASSERT_EQ(vp8->clock_rate, 90000);
    ASSERT_EQ(vp8->n_rtcp_fb, 5);
    ASSERT_STREQ(vp8->rtcp_fb[0], "goog-remb");
    ASSERT_STREQ(vp8->rtcp_fb[4], "nack pli");
    uint32_t v;
    ASSERT_EQ(sdp_fmtp_get_uint(codec(m, 97)->fmtp, "apt", &v), 0);
    ASSERT_EQ(v, 96);
    const SdpCodec *h264 = codec(m, 102);
    ASSERT_STREQ(h264->name, "H264");
    ASSERT_EQ(sdp_fmtp_get_uint(h264->fmtp, "packetization-mode", &v), 0);
    ASSERT_EQ(v, 1);
    const char *value;
    size_t n;
    ASSERT_EQ(sdp_fmtp_find(h264->fmtp, "profile-level-id", &value, &n), 0);
    ASSERT_EQ(n, 6);
    ASSERT_MEMEQ(value, "42001f", 6);
    ASSERT_EQ(sdp_fmtp_get_uint(codec(m, 104)->fmtp, "packetization-mode", &v), 0);
    ASSERT_EQ(v, 0);
    ASSERT_STREQ(codec(m, 45)->name, "AV1");
    ASSERT_STREQ(codec(m, 98)->fmtp, "profile-id=0");
    ASSERT_STREQ(codec(m, 120)->name, "ulpfec");
    ASSERT_EQ(m->n_extmaps, 11);
    ASSERT_EQ(sdp_extmap_id(m, "urn:ietf:params:rtp-hdrext:toffset"), 14);
    ASSERT_EQ(m->n_ssrc_groups, 1);
    ASSERT_STREQ(m->ssrc_groups[0].semantics, "FID");
    ASSERT_EQ(m->ssrc_groups[0].n_ssrcs, 2);
    uint32_t rtx;
    ASSERT_EQ(sdp_rtx_ssrc(m, 3793502604u, &rtx), 0);
    ASSERT_EQ_U(rtx, 364878000);
    ASSERT_EQ(sdp_rtx_ssrc(m, 364878000, &rtx), -ENOENT);
    ASSERT_EQ(m->n_ssrcs, 2);

    const SdpMedia *data = &sdp->media[2];
    ASSERT_EQ(data->kind, SDP_MEDIA_APPLICATION);
    ASSERT_STREQ(data->protocol, "UDP/DTLS/SCTP");
    ASSERT_STREQ(data->formats, "webrtc-datachannel");
    ASSERT_EQ(data->n_codecs, 0);
    ASSERT_EQ(data->sctp_port, 5000);
    ASSERT_TRUE(data->has_max_message_size);
    ASSERT_EQ_U(data->max_message_size, 262144);
    ASSERT_EQ(data->direction, SDP_DIRECTION_NONE);
    arena_free(a);
}

TEST(chromium_publish_and_simulcast_offers) {
    Arena *a = arena_new();
    Sdp *sdp = parse_fixture(a, "chromium-publish-offer.sdp");
    ASSERT_NOT_NULL(sdp);
    const char *stream = "f897e8d9-b3bf-4f1a-935b-fb370f34bb8f";
    ASSERT_STREQ(sdp->msid_semantic, "WMS f897e8d9-b3bf-4f1a-935b-fb370f34bb8f");
    ASSERT_EQ(sdp->n_media, 2);
    ASSERT_EQ(sdp->media[0].direction, SDP_SENDONLY);
    ASSERT_EQ(sdp->media[1].direction, SDP_SENDONLY);
    ASSERT_EQ(strncmp(sdp->media[1].msids[0], stream, strlen(stream)), 0);
    uint32_t rtx;
    ASSERT_EQ(sdp_rtx_ssrc(&sdp->media[1], 3216351463u, &rtx), 0);
    ASSERT_EQ_U(rtx, 1588874651);

    ASSERT_NOT_NULL(sdp = parse_fixture(a, "chromium-simulcast-offer.sdp"));
    const SdpMedia *m = &sdp->media[1];
    ASSERT_EQ(m->n_rids, 3);
    ASSERT_STREQ(m->rids[0].id, "q");
    ASSERT_STREQ(m->rids[2].id, "f");
    ASSERT_EQ(m->rids[1].direction, SDP_SENDONLY);
    ASSERT_NULL(m->rids[1].params);
    ASSERT_STREQ(m->simulcast, "send q;h;f");
    ASSERT_EQ(m->n_ssrcs, 0); /* with rids, Chromium announces no SSRC */
    ASSERT_EQ(sdp_extmap_id(m, "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"), 10);
    ASSERT_EQ(sdp_extmap_id(m, "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"), 11);
    arena_free(a);
}

TEST(aiortc_offer_and_answer) {
    Arena *a = arena_new();
    Sdp *sdp = parse_fixture(a, "aiortc-offer.sdp");
    ASSERT_NOT_NULL(sdp);
    ASSERT_EQ_U(sdp->origin.session_id, 4005199946u);
    ASSERT_STREQ(sdp->msid_semantic, "WMS *");
    ASSERT_EQ(sdp->n_media, 3);
    const SdpMedia *audio = &sdp->media[0], *video = &sdp->media[1], *data = &sdp->media[2];
    /* aiortc gives every section ICE credentials of its own, though they are bundled. */
    ASSERT_STREQ(audio->transport.ice_ufrag, "ImKq");
    ASSERT_STREQ(video->transport.ice_ufrag, "31AS");
    ASSERT_STREQ(data->transport.ice_ufrag, "kF9T");
    ASSERT_STREQ(audio->connection, "IN IP4 10.77.0.2");
    ASSERT_EQ(audio->direction, SDP_SENDONLY);
    ASSERT_STREQ(codec(audio, 96)->name, "opus");
    ASSERT_STREQ(codec(audio, 8)->name, "PCMA");
    ASSERT_EQ(audio->n_candidates, 2);
    ASSERT_NULL(audio->candidates[0].rest);
    ASSERT_STREQ(audio->candidates[0].foundation, "af27b904e6408300259d80f63323e9c7");
    ASSERT_TRUE(audio->end_of_candidates);
    ASSERT_STREQ(sdp_find_ssrc(audio, 585684271)->cname, "d2366286-e128-44a2-8534-495c48fb0b1d");
    ASSERT_NULL(sdp_find_ssrc(audio, 585684271)->msid);
    ASSERT_STREQ(audio->msids[0],
                 "12c0125f-0f9d-4c11-99b0-07324113e09f 1b926ac1-6394-44db-af2d-a93168841fba");
    ASSERT_FALSE(audio->rtcp_rsize);
    ASSERT_STREQ(codec(video, 97)->name, "VP8");
    ASSERT_STREQ(codec(video, 98)->fmtp, "apt=97");
    ASSERT_STREQ(codec(video, 99)->fmtp,
                 "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f");
    uint32_t rtx;
    ASSERT_EQ(sdp_rtx_ssrc(video, 4028695649u, &rtx), 0);
    ASSERT_EQ_U(rtx, 2446304538u);
    ASSERT_STREQ(data->protocol, "DTLS/SCTP");
    ASSERT_STREQ(data->formats, "5000");
    ASSERT_TRUE(has_extra(data->extra, data->n_extra, "a=sctpmap:5000 webrtc-datachannel 65535"));
    ASSERT_EQ_U(data->max_message_size, 65536);

    ASSERT_NOT_NULL(sdp = parse_fixture(a, "aiortc-answer.sdp"));
    ASSERT_EQ(sdp->media[0].direction, SDP_RECVONLY);
    ASSERT_EQ(sdp->media[0].transport.setup, SDP_SETUP_ACTIVE);
    ASSERT_EQ(sdp->media[0].port, sdp->media[1].port); /* bundled */

    ASSERT_NOT_NULL(sdp = parse_fixture(a, "aiortc-recv-offer.sdp"));
    ASSERT_EQ(sdp->media[0].direction, SDP_RECVONLY);
    ASSERT_EQ(sdp->media[1].direction, SDP_RECVONLY);
    arena_free(a);
}

/* What mediasoup-client writes for the server side (with sdp-transform). */
TEST(mediasoup_client_answer_and_offer) {
    Arena *a = arena_new();
    Sdp *sdp = parse_fixture(a, "mediasoup-client-answer.sdp");
    ASSERT_NOT_NULL(sdp);
    ASSERT_STREQ(sdp->origin.username, "mediasoup-client-v3.24.1");
    ASSERT_TRUE(sdp->ice_lite);
    ASSERT_STREQ(sdp->transport.ice_options, "ice2");
    ASSERT_STREQ(sdp->msid_semantic, "WMS *");
    const SdpMedia *video = &sdp->media[1];
    ASSERT_EQ(video->port, 7);
    ASSERT_EQ(video->direction, SDP_RECVONLY);
    ASSERT_STREQ(video->transport.ice_options, "renomination");
    ASSERT_EQ(video->transport.n_fingerprints, 0);
    SdpTransport t;
    sdp_media_transport(sdp, video, &t); /* the fingerprint is the session's */
    ASSERT_EQ(t.n_fingerprints, 1);
    ASSERT_STREQ(t.fingerprints[0].value,
                 "A9:F4:E0:D2:74:D3:0F:D9:AC:EF:B0:C0:3F:8D:6A:8E:4F:C2:4C:"
                 "B1:0E:73:7A:DD:22:D0:FF:6F:8E:71:5C:3A");
    ASSERT_EQ(t.setup, SDP_SETUP_PASSIVE);
    ASSERT_STREQ(t.ice_ufrag, "h3hk1iz6qqlnqlne");
    ASSERT_STREQ(codec(video, 96)->rtcp_fb[0], "transport-cc"); /* written with a space after */
    ASSERT_EQ(codec(video, 96)->n_rtcp_fb, 4);
    ASSERT_EQ(video->n_rids, 3);
    ASSERT_EQ(video->rids[2].direction, SDP_RECVONLY);
    ASSERT_STREQ(video->simulcast, "recv r0;r1;r2");
    ASSERT_STREQ(video->candidates[0].foundation, "udpcandidate");
    ASSERT_EQ(video->candidates[0].port, 40533);

    ASSERT_NOT_NULL(sdp = parse_fixture(a, "mediasoup-client-offer.sdp"));
    ASSERT_EQ(sdp->n_media, 3);
    ASSERT_EQ(sdp->media[0].direction, SDP_SENDONLY);
    ASSERT_EQ(sdp->media[0].transport.setup, SDP_SETUP_ACTPASS);
    ASSERT_STREQ(sdp->media[0].msids[0], "wB4Ql4lrsxYLjzuN a1");
    ASSERT_TRUE(has_extra(sdp->media[0].extra, sdp->media[0].n_extra, "a=extmap-allow-mixed"));
    uint32_t rtx;
    ASSERT_EQ(sdp_rtx_ssrc(&sdp->media[1], 912345678, &rtx), 0);
    ASSERT_EQ_U(rtx, 912345679);
    const SdpMedia *probator = sdp_find_mid(sdp, "probator");
    ASSERT_NOT_NULL(probator);
    ASSERT_EQ(probator->codecs[0].pt, 127);
    ASSERT_STREQ(sdp_find_ssrc(probator, 1234)->cname, "probator");
    check_bundle_mids(sdp, "0 1 probator");

    ASSERT_NOT_NULL(sdp = parse_fixture(a, "chromium-answer-mediasoup-client-offer.sdp"));
    check_bundle_mids(sdp, "0 1 probator");
    ASSERT_EQ(sdp->media[2].direction, SDP_RECVONLY);
    ASSERT_EQ(sdp->media[2].transport.setup, SDP_SETUP_ACTIVE);
    arena_free(a);
}

TEST(every_fixture_round_trips) {
    Arena *a = arena_new();
    for (size_t i = 0; i < ELEMENTSOF(fixtures); i++) {
        Sdp *sdp = parse_fixture(a, fixtures[i]);
        ASSERT_NOT_NULL(sdp);
        check_round_trip(a, sdp, fixtures[i]);
    }
    arena_free(a);
}

/* The generated text is the original but for attribute order and "a=msid-semantic: WMS". */
TEST(generated_text_keeps_every_line) {
    Arena *a = arena_new();
    Sdp *sdp = parse_fixture(a, "aiortc-offer.sdp");
    ASSERT_NOT_NULL(sdp);
    char *text;
    size_t len;
    ASSERT_OK(sdp_generate(a, sdp, &text, &len, err, sizeof(err)));
    ASSERT_EQ(len, fixture_len);
    for (char *line = fixture_text, *end; *line; line = end + 2) {
        end = strstr(line, "\r\n");
        ASSERT_NOT_NULL(end);
        *end = '\0';
        char *found = strstr(text, line);
        if (!found || found[strlen(line)] != '\r')
            TEST_FAIL_("line \"%s\" is not generated", line);
    }
    arena_free(a);
}

static char *replace_all(const char *s, const char *from, const char *to) {
    size_t n = 0, lf = strlen(from), lt = strlen(to);
    for (const char *p = s; (p = strstr(p, from)); p += lf)
        n++;
    char *out = malloc(strlen(s) + n * lt + 1), *o = out;
    for (const char *p = s, *q; (q = strstr(p, from)) || *p; p = q + lf) {
        if (!q) {
            strcpy(o, p);
            return out;
        }
        memcpy(o, p, (size_t)(q - p));
        o += q - p;
        memcpy(o, to, lt);
        o += lt;
    }
    *o = '\0';
    return out;
}

TEST(lf_line_ends_trailing_spaces_and_blank_lines) {
    Arena *a = arena_new();
    Sdp *crlf = parse_fixture(a, "chromium-offer.sdp"), *other;
    ASSERT_NOT_NULL(crlf);
    char *lf = replace_all(fixture_text, "\r\n", "\n");
    ASSERT_OK(sdp_parse(a, lf, strlen(lf) - 1, &other, err, sizeof(err))); /* no final LF */
    ASSERT_TRUE(sdp_equal(crlf, other));
    char *spaced = replace_all(fixture_text, "\r\n", "  \r\n\r\n");
    ASSERT_OK(parse(a, spaced, &other));
    ASSERT_TRUE(sdp_equal(crlf, other));
    free(lf);
    free(spaced);
    arena_free(a);
}

#define HEAD "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
#define AUDIO "m=audio 9 UDP/TLS/RTP/SAVPF 111 96\r\na=mid:0\r\n"

TEST(unknown_lines_are_kept) {
    Arena *a = arena_new();
    Sdp *sdp;
    ASSERT_OK(parse(a,
                    HEAD "a=x-session:1\r\nb=AS:64\r\na=mid:9\r\n" AUDIO "b=AS:30\r\n"
                         "a=x-google-flag:conference\r\na=rtcp-fb:* nack\r\na=ice-lite\r\n"
                         "a=group:BUNDLE 0\r\na=msid-semantic:WMS\r\nz=whatever\r\na=\r\n",
                    &sdp));
    ASSERT_EQ(sdp->n_extra, 3);
    ASSERT_STREQ(sdp->extra[0], "a=x-session:1");
    ASSERT_STREQ(sdp->extra[1], "b=AS:64");
    ASSERT_STREQ(sdp->extra[2], "a=mid:9"); /* a mid at session level means nothing */
    ASSERT_FALSE(sdp->ice_lite);
    const SdpMedia *m = &sdp->media[0];
    static const char *const kept[] = {
        "b=AS:30",          "a=x-google-flag:conference", "a=rtcp-fb:* nack", "a=ice-lite",
        "a=group:BUNDLE 0", "a=msid-semantic:WMS",        "z=whatever",       "a="};
    ASSERT_EQ(m->n_extra, ELEMENTSOF(kept));
    for (size_t i = 0; i < ELEMENTSOF(kept); i++)
        ASSERT_STREQ(m->extra[i], kept[i]);
    char *text;
    ASSERT_OK(sdp_generate(a, sdp, &text, NULL, err, sizeof(err)));
    /* b= goes before the attributes, as RFC 8866 orders them */
    ASSERT_NOT_NULL(strstr(text, "s=-\r\nb=AS:64\r\nt=0 0\r\n"));
    ASSERT_NOT_NULL(
        strstr(text, "m=audio 9 UDP/TLS/RTP/SAVPF 111 96\r\nb=AS:30\r\nz=whatever\r\na="));
    check_round_trip(a, sdp, "unknown lines");
    arena_free(a);
}

TEST(session_level_transport_applies_to_sections) {
    Arena *a = arena_new();
    Sdp *sdp;
    ASSERT_OK(parse(a,
                    HEAD "a=ice-ufrag:sess\r\na=ice-pwd:sessionpassword\r\n"
                         "a=fingerprint:sha-256 AA:BB\r\na=setup:actpass\r\na=sendonly\r\n" AUDIO
                         "a=ice-ufrag:mine\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\n"
                         "a=fingerprint:sha-1 CC\r\na=fingerprint:sha-256 DD\r\na=setup:active\r\n",
                    &sdp));
    ASSERT_EQ(sdp->direction, SDP_SENDONLY);
    SdpTransport t;
    sdp_media_transport(sdp, &sdp->media[0], &t);
    ASSERT_STREQ(t.ice_ufrag, "mine");
    ASSERT_STREQ(t.ice_pwd, "sessionpassword");
    ASSERT_EQ(t.n_fingerprints, 1);
    ASSERT_STREQ(t.fingerprints[0].value, "AA:BB");
    ASSERT_EQ(t.setup, SDP_SETUP_ACTPASS);
    sdp_media_transport(sdp, &sdp->media[1], &t);
    ASSERT_STREQ(t.ice_ufrag, "sess");
    ASSERT_EQ(t.n_fingerprints, 2);
    ASSERT_STREQ(t.fingerprints[1].algorithm, "sha-256");
    ASSERT_EQ(t.setup, SDP_SETUP_ACTIVE);
    check_round_trip(a, sdp, "session-level transport");
    arena_free(a);
}

TEST(remote_transport_of_a_bundle) {
    Arena *a = arena_new();
    Sdp *offer = parse_fixture(a, "aiortc-offer.sdp"), *answer;
    ASSERT_NOT_NULL(offer);
    SdpTransport t;
    ASSERT_OK(parse(a, HEAD "a=group:BUNDLE 1\r\n" AUDIO "m=video 9 RTP/SAVPF 97\r\na=mid:1\r\n",
                    &answer));
    ASSERT_EQ(sdp_remote_transport(offer, answer, &t), 0);
    ASSERT_STREQ(t.ice_ufrag, "31AS"); /* the section the answer's group starts with */
    ASSERT_OK(parse(a, HEAD "m=audio 0 RTP/SAVPF 0\r\nm=video 9 RTP/SAVPF 97\r\n", &answer));
    ASSERT_EQ(sdp_remote_transport(offer, answer, &t), 0);
    ASSERT_STREQ(t.ice_ufrag, "31AS"); /* no group: the first section accepted */
    ASSERT_OK(parse(a, HEAD "m=audio 0 RTP/SAVPF 0\r\n", &answer));
    ASSERT_EQ(sdp_remote_transport(offer, answer, &t), -ENOENT);
    arena_free(a);
}

TEST(fmtp_lookups) {
    const char *fmtp = "level-asymmetry-allowed=1; Packetization-Mode=1;profile-level-id=42e01f;x";
    const char *v;
    size_t n;
    uint32_t u;
    ASSERT_EQ(sdp_fmtp_find(fmtp, "profile-level-id", &v, &n), 0);
    ASSERT_EQ(n, 6);
    ASSERT_MEMEQ(v, "42e01f", 6);
    ASSERT_EQ(sdp_fmtp_get_uint(fmtp, "packetization-mode", &u), 0); /* keys: any case */
    ASSERT_EQ(u, 1);
    ASSERT_EQ(sdp_fmtp_find(fmtp, "packetization", &v, &n), -ENOENT); /* not a prefix */
    ASSERT_EQ(sdp_fmtp_find(fmtp, "x", &v, &n), -ENOENT);             /* no value */
    ASSERT_EQ(sdp_fmtp_get_uint(fmtp, "profile-level-id", &u), -EINVAL);
    ASSERT_EQ(sdp_fmtp_get_uint("apt=", "apt", &u), -EINVAL);
    ASSERT_EQ(sdp_fmtp_get_uint("apt=99999999999999999", "apt", &u), -EINVAL);
    ASSERT_EQ(sdp_fmtp_get_uint(NULL, "apt", &u), -ENOENT);
    ASSERT_EQ(sdp_fmtp_get_uint("111/111", "apt", &u), -ENOENT);
    ASSERT_EQ(sdp_fmtp_find("a=1;b=;c=3", "b", &v, &n), 0);
    ASSERT_EQ(n, 0);
}

TEST(names_and_directions) {
    ASSERT_STREQ(sdp_direction_name(SDP_RECVONLY), "recvonly");
    ASSERT_STREQ(sdp_direction_name(SDP_DIRECTION_NONE), "");
    ASSERT_EQ(sdp_direction_reverse(SDP_SENDONLY), SDP_RECVONLY);
    ASSERT_EQ(sdp_direction_reverse(SDP_RECVONLY), SDP_SENDONLY);
    ASSERT_EQ(sdp_direction_reverse(SDP_INACTIVE), SDP_INACTIVE);
    Arena *a = arena_new();
    Sdp *sdp;
    ASSERT_OK(parse(a, HEAD "m=text 9 RTP/AVP 98\r\n", &sdp));
    ASSERT_EQ(sdp->media[0].kind, SDP_MEDIA_OTHER);
    ASSERT_STREQ(sdp_media_kind_name(&sdp->media[0]), "text");
    check_round_trip(a, sdp, "m=text");
    arena_free(a);
}

/* A description with copies lines made by line(i) in its m-section (or at session level). */
static char *with_lines(int copies, bool session, void (*line)(FILE *f, int i)) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    fputs(HEAD, f);
    if (!session)
        fputs("m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n", f);
    for (int i = 0; i < copies; i++)
        line(f, i);
    if (session)
        fputs("m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n", f);
    fclose(f);
    return text;
}

/* At the limit it parses; one more is -E2BIG, named. */
static void check_limit(int max, const char *name, bool session, void (*line)(FILE *f, int i)) {
    Arena *a = arena_new();
    Sdp *sdp;
    char *ok = with_lines(max, session, line), *over = with_lines(max + 1, session, line);
    int r_ok = parse(a, ok, &sdp);
    if (r_ok < 0)
        fprintf(stderr, "  %s at the limit: %s\n", name, err);
    int r_over = parse(a, over, &sdp);
    free(ok);
    free(over);
    arena_free(a);
    ASSERT_EQ(r_ok, 0);
    ASSERT_EQ(r_over, -E2BIG);
    if (!strstr(err, name))
        TEST_FAIL_("the message does not name %s: %s", name, err);
}

static void rtcp_fb_line(FILE *f, int i) {
    fprintf(f, "a=rtcp-fb:111 x-fb-%d\r\n", i);
}
static void extmap_line(FILE *f, int i) {
    fprintf(f, "a=extmap:%d urn:x:%d\r\n", i + 1, i);
}
static void ssrc_line(FILE *f, int i) {
    fprintf(f, "a=ssrc:%d cname:c\r\n", i + 1);
}
static void ssrc_group_line(FILE *f, int i) {
    fprintf(f, "a=ssrc-group:FID %d %d\r\n", 2 * i, 2 * i + 1);
}
static void msid_line(FILE *f, int i) {
    fprintf(f, "a=msid:s%d t\r\n", i);
}
static void rid_line(FILE *f, int i) {
    fprintf(f, "a=rid:r%d send\r\n", i);
}
static void candidate_line(FILE *f, int i) {
    fprintf(f, "a=candidate:%d 1 udp 1 10.0.0.1 %d typ host\r\n", i, 1000 + i);
}
static void fingerprint_line(FILE *f, int i) {
    fprintf(f, "a=fingerprint:sha-256 %02X\r\n", i);
}
static void group_line(FILE *f, int i) {
    fprintf(f, "a=group:G%d 0\r\n", i);
}
static void extra_line(FILE *f, int i) {
    fprintf(f, "a=x-extra:%d\r\n", i);
}
static void media_line(FILE *f, int i) {
    fprintf(f, "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:v%d\r\n", i);
}

TEST(limits_per_section) {
    check_limit(SDP_MAX_RTCP_FB, "SDP_MAX_RTCP_FB", false, rtcp_fb_line);
    check_limit(SDP_MAX_EXTMAPS, "SDP_MAX_EXTMAPS", false, extmap_line);
    check_limit(SDP_MAX_SSRCS, "SDP_MAX_SSRCS", false, ssrc_line);
    check_limit(SDP_MAX_SSRC_GROUPS, "SDP_MAX_SSRC_GROUPS", false, ssrc_group_line);
    check_limit(SDP_MAX_MSIDS, "SDP_MAX_MSIDS", false, msid_line);
    check_limit(SDP_MAX_RIDS, "SDP_MAX_RIDS", false, rid_line);
    check_limit(SDP_MAX_CANDIDATES, "SDP_MAX_CANDIDATES", false, candidate_line);
    check_limit(SDP_MAX_FINGERPRINTS, "SDP_MAX_FINGERPRINTS", false, fingerprint_line);
    check_limit(SDP_MAX_EXTRA, "SDP_MAX_EXTRA", false, extra_line);
    check_limit(SDP_MAX_MEDIA - 1, "SDP_MAX_MEDIA", false, media_line); /* plus the audio one */
}

TEST(limits_per_session) {
    check_limit(SDP_MAX_FINGERPRINTS, "SDP_MAX_FINGERPRINTS", true, fingerprint_line);
    check_limit(SDP_MAX_GROUPS, "SDP_MAX_GROUPS", true, group_line);
    check_limit(SDP_MAX_EXTRA, "SDP_MAX_EXTRA", true, extra_line);
}

/* One line with n numbers after prefix. */
static char *numbers_line(const char *prefix, int n, int first, const char *suffix) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    fputs(prefix, f);
    for (int i = 0; i < n; i++)
        fprintf(f, " %d", first + i);
    fputs(suffix, f);
    fclose(f);
    return text;
}

TEST(limits_within_a_line) {
    Arena *a = arena_new();
    Sdp *sdp;
    struct {
        const char *prefix, *suffix, *name;
        int max, first;
    } cases[] = {
        {HEAD "m=video 9 UDP/TLS/RTP/SAVPF", "\r\n", "SDP_MAX_CODECS", SDP_MAX_CODECS, 0},
        {HEAD AUDIO "a=ssrc-group:SIM", "\r\n", "SDP_MAX_GROUP_SSRCS", SDP_MAX_GROUP_SSRCS, 1},
    };
    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        char *ok = numbers_line(cases[i].prefix, cases[i].max, cases[i].first, cases[i].suffix);
        char *over =
            numbers_line(cases[i].prefix, cases[i].max + 1, cases[i].first, cases[i].suffix);
        ASSERT_EQ(parse(a, ok, &sdp), 0);
        ASSERT_EQ(parse(a, over, &sdp), -E2BIG);
        ASSERT_NOT_NULL(strstr(err, cases[i].name));
        free(ok);
        free(over);
    }
    /* A group naming more mids than a description may have m-sections. */
    char *mids = malloc(2 * (SDP_MAX_MEDIA + 1) + 256);
    strcpy(mids, HEAD "a=group:BUNDLE");
    for (int i = 0; i <= SDP_MAX_MEDIA; i++)
        strcat(mids, " 0");
    strcat(mids, "\r\n" AUDIO);
    ASSERT_EQ(parse(a, mids, &sdp), -E2BIG);
    ASSERT_NOT_NULL(strstr(err, "SDP_MAX_MEDIA"));
    free(mids);
    arena_free(a);
}

TEST(limits_of_size_and_line) {
    Arena *a = arena_new();
    Sdp *sdp;
    char *text = malloc(SDP_MAX_SIZE + 2);
    /* A line of exactly SDP_MAX_LINE bytes is fine, one more is not. */
    int n = snprintf(text, SDP_MAX_SIZE, HEAD AUDIO "a=x:");
    memset(text + n, 'x', SDP_MAX_LINE - 4);
    strcpy(text + n + SDP_MAX_LINE - 4, "\r\n");
    ASSERT_EQ(parse(a, text, &sdp), 0);
    ASSERT_EQ(strlen(sdp->media[0].extra[0]), SDP_MAX_LINE);
    memset(text + n, 'x', SDP_MAX_LINE - 3);
    strcpy(text + n + SDP_MAX_LINE - 3, "\r\n");
    ASSERT_EQ(parse(a, text, &sdp), -E2BIG);
    ASSERT_STREQ(err, "line 7: longer than 4096 bytes (SDP_MAX_LINE)");
    /* SDP_MAX_SIZE bytes (blank lines pad it) parse; one more byte does not. */
    n = snprintf(text, SDP_MAX_SIZE, HEAD AUDIO);
    memset(text + n, '\n', SDP_MAX_SIZE - (size_t)n);
    ASSERT_EQ(sdp_parse(a, text, SDP_MAX_SIZE, &sdp, err, sizeof(err)), 0);
    text[SDP_MAX_SIZE] = '\n';
    ASSERT_EQ(sdp_parse(a, text, SDP_MAX_SIZE + 1, &sdp, err, sizeof(err)), -E2BIG);
    ASSERT_STREQ(err, "262145 bytes, more than 262144 (SDP_MAX_SIZE)");
    free(text);
    arena_free(a);
}

typedef struct Malformed {
    const char *text;
    const char *message; /* the whole message */
} Malformed;

static const Malformed malformed[] = {
    {"", "line 1: empty: no v=0 line"},
    {"\r\n\r\n", "line 3: empty: no v=0 line"},
    {"v=1\r\n", "line 1 (v=): the first line must be v=0"},
    {"o=- 1 1 IN IP4 0.0.0.0\r\n", "line 1 (o=): the first line must be v=0"},
    {"v=0\r\nv=0\r\n", "line 2 (v=): duplicate"},
    {"v=0\r\ns=-\r\nt=0 0\r\n", "line 4: missing the o= line"},
    {"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n",
     "line 4 (m=): missing the s= line"},
    {"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\n", "line 4: missing the t= line"},
    {"v=0\r\no=- x 1 IN IP4 0.0.0.0\r\n", "line 2 (o=): bad session id \"x\""},
    {"v=0\r\no=- 1 18446744073709551616 IN IP4 0.0.0.0\r\n",
     "line 2 (o=): bad session version \"18446744073709551616\""},
    {"v=0\r\no=- 1 1\r\n",
     "line 2 (o=): expected <username> <session id> <version> <nettype> <addrtype> <address>"},
    {HEAD "s=again\r\n", "line 5 (s=): duplicate"},
    {HEAD AUDIO "t=0 0\r\n", "line 7 (t=): inside an m-section"},
    {HEAD AUDIO "c=\r\n", "line 7 (c=): missing value"},
    {HEAD AUDIO "c=IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4\r\n", "line 8 (c=): duplicate"},
    {HEAD "a=x:\x01\r\n", "line 5: control character at column 5"},
    {HEAD "a=x:\ty\r\n", "line 5: control character at column 5"},
    {HEAD "a=x\ry\r\n", "line 5: control character at column 4"},
    {HEAD "hello\r\n", "line 5: not a <type>=<value> line"},
    {HEAD "A=b\r\n", "line 5: not a <type>=<value> line"},
    {HEAD " a=b\r\n", "line 5: not a <type>=<value> line"},
    {HEAD "m=audio 9 RTP/AVP\r\n", "line 5 (m=): expected <media> <port> <protocol> <format>..."},
    {HEAD "m=audio 65536 RTP/AVP 0\r\n", "line 5 (m=): bad port \"65536\""},
    {HEAD "m=audio 9/2 RTP/AVP 0\r\n", "line 5 (m=): bad port \"9/2\""},
    {HEAD "m=audio 9 RTP/AVP 128\r\n", "line 5 (m=): bad payload type \"128\""},
    {HEAD "m=audio 9 RTP/AVP 0 8 0\r\n", "line 5 (m=): payload type 0 is listed twice"},
    {HEAD AUDIO "a=rtpmap:97 x/1\r\n", "line 7 (a=rtpmap): payload type 97 is not in the m= line"},
    {HEAD AUDIO "a=rtpmap:96 VP8\r\n", "line 7 (a=rtpmap): bad clock rate \"\""},
    {HEAD AUDIO "a=rtpmap:96 VP8/0\r\n", "line 7 (a=rtpmap): bad clock rate \"0\""},
    {HEAD AUDIO "a=rtpmap:96 opus/48000/256\r\n", "line 7 (a=rtpmap): bad channel count \"256\""},
    {HEAD AUDIO "a=rtpmap:96 /1\r\n",
     "line 7 (a=rtpmap): expected <payload type> <name>/<clock rate>[/<channels>]"},
    {HEAD AUDIO "a=rtpmap:96 opus/48000/2 x\r\n",
     "line 7 (a=rtpmap): expected <payload type> <name>/<clock rate>[/<channels>]"},
    {HEAD AUDIO "a=rtpmap:96 a/1\r\na=rtpmap:96 a/1\r\n",
     "line 8 (a=rtpmap): duplicate for payload type 96"},
    {HEAD AUDIO "a=fmtp:96\r\n", "line 7 (a=fmtp): missing parameters"},
    {HEAD AUDIO "a=fmtp:96 a=1\r\na=fmtp:96 a=2\r\n",
     "line 8 (a=fmtp): duplicate for payload type 96"},
    {HEAD AUDIO "a=fmtp:x a=1\r\n", "line 7 (a=fmtp): bad payload type \"x\""},
    {HEAD AUDIO "a=rtcp-fb:96\r\n", "line 7 (a=rtcp-fb): missing feedback type"},
    {HEAD AUDIO "a=extmap:0 urn:x\r\n", "line 7 (a=extmap): bad extension id \"0\""},
    {HEAD AUDIO "a=extmap:256 urn:x\r\n", "line 7 (a=extmap): extension id 256 is out of range"},
    {HEAD AUDIO "a=extmap:4352 urn:x\r\n", "line 7 (a=extmap): bad extension id \"4352\""},
    {HEAD AUDIO "a=extmap:1/both urn:x\r\n",
     "line 7 (a=extmap): expected <id>[/<direction>] <uri> [<attributes>]"},
    {HEAD AUDIO "a=extmap:1\r\n",
     "line 7 (a=extmap): expected <id>[/<direction>] <uri> [<attributes>]"},
    {HEAD AUDIO "a=extmap:1 urn:x\r\na=extmap:1 urn:y\r\n",
     "line 8 (a=extmap): extension id 1 is used twice"},
    {HEAD AUDIO "a=ssrc:x cname:y\r\n", "line 7 (a=ssrc): bad SSRC \"x\""},
    {HEAD AUDIO "a=ssrc:4294967296 cname:y\r\n", "line 7 (a=ssrc): bad SSRC \"4294967296\""},
    {HEAD AUDIO "a=ssrc:1\r\n", "line 7 (a=ssrc): missing attribute"},
    {HEAD AUDIO "a=ssrc:1 cname:\r\n", "line 7 (a=ssrc): missing cname value"},
    {HEAD AUDIO "a=ssrc:1 cname:a\r\na=ssrc:1 cname:b\r\n", "line 8 (a=ssrc): duplicate"},
    {HEAD AUDIO "a=ssrc-group:FID\r\n", "line 7 (a=ssrc-group): expected <semantics> <ssrc>..."},
    {HEAD AUDIO "a=ssrc-group:FID 1 -2\r\n", "line 7 (a=ssrc-group): bad SSRC \"-2\""},
    {HEAD AUDIO "a=rid:q both\r\n", "line 7 (a=rid): expected <id> send|recv [<params>]"},
    {HEAD AUDIO "a=rid:q send\r\na=rid:q recv\r\n", "line 8 (a=rid): rid \"q\" is declared twice"},
    {HEAD AUDIO "a=simulcast:send q\r\na=simulcast:send q\r\n", "line 8 (a=simulcast): duplicate"},
    {HEAD AUDIO "a=candidate:1 1 udp 1 10.0.0.1 9 host\r\n",
     "line 7 (a=candidate): expected <foundation> <component> <transport> <priority> <address> "
     "<port> typ <type>"},
    {HEAD AUDIO "a=candidate:1 0 udp 1 10.0.0.1 9 typ host\r\n",
     "line 7 (a=candidate): bad component \"0\""},
    {HEAD AUDIO "a=candidate:1 257 udp 1 10.0.0.1 9 typ host\r\n",
     "line 7 (a=candidate): bad component \"257\""},
    {HEAD AUDIO "a=candidate:1 1 udp 4294967296 10.0.0.1 9 typ host\r\n",
     "line 7 (a=candidate): bad priority \"4294967296\""},
    {HEAD AUDIO "a=candidate:1 1 udp 1 10.0.0.1 x typ host\r\n",
     "line 7 (a=candidate): bad port \"x\""},
    {HEAD AUDIO "a=sctp-port:0\r\n", "line 7 (a=sctp-port): bad port \"0\""},
    {HEAD AUDIO "a=sctp-port:1\r\na=sctp-port:2\r\n", "line 8 (a=sctp-port): duplicate"},
    {HEAD AUDIO "a=max-message-size:-1\r\n", "line 7 (a=max-message-size): bad size \"-1\""},
    {HEAD AUDIO "a=max-message-size:1\r\na=max-message-size:1\r\n",
     "line 8 (a=max-message-size): duplicate"},
    {HEAD AUDIO "a=mid:1\r\n", "line 7 (a=mid): duplicate"},
    {HEAD AUDIO "m=video 9 RTP/AVP 96\r\na=mid:0\r\n",
     "line 8 (a=mid): mid \"0\" already names an m-section"},
    {HEAD "m=audio 9 RTP/AVP 0\r\na=mid:0 1\r\n", "line 6 (a=mid): expected one token"},
    {HEAD AUDIO "a=mid\r\n", "line 7 (a=mid): missing value"},
    {HEAD AUDIO "a=mid:   \r\n", "line 7 (a=mid): missing value"},
    {HEAD AUDIO "a=ice-ufrag:a b\r\n", "line 7 (a=ice-ufrag): expected one token"},
    {HEAD AUDIO "a=ice-pwd:a\r\na=ice-pwd:a\r\n", "line 8 (a=ice-pwd): duplicate"},
    {HEAD AUDIO "a=ice-options:trickle\r\na=ice-options:x\r\n",
     "line 8 (a=ice-options): duplicate"},
    {HEAD AUDIO "a=fingerprint:sha-256\r\n",
     "line 7 (a=fingerprint): expected an algorithm and a value"},
    {HEAD AUDIO "a=fingerprint:sha-256 AA BB\r\n",
     "line 7 (a=fingerprint): expected an algorithm and a value"},
    {HEAD AUDIO "a=setup:server\r\n",
     "line 7 (a=setup): expected actpass, active, passive or holdconn"},
    {HEAD AUDIO "a=setup:active\r\na=setup:active\r\n", "line 8 (a=setup): duplicate"},
    {HEAD AUDIO "a=sendonly\r\na=recvonly\r\n",
     "line 8 (a=recvonly): a second direction attribute"},
    {HEAD AUDIO "a=rtcp-mux:1\r\n", "line 7 (a=rtcp-mux): takes no value"},
    {HEAD "a=ice-lite:yes\r\n", "line 5 (a=ice-lite): takes no value"},
    {HEAD "a=msid-semantic:WMS\r\na=msid-semantic:WMS\r\n", "line 6 (a=msid-semantic): duplicate"},
    {HEAD "a=group:BUNDLE 0 1\r\n" AUDIO, "a=group:BUNDLE names mid \"1\", which no m-section has"},
};

TEST(malformed_lines_are_named) {
    Arena *a = arena_new();
    for (size_t i = 0; i < ELEMENTSOF(malformed); i++) {
        Sdp *sdp = NULL;
        int r = parse(a, malformed[i].text, &sdp);
        if (r != -EINVAL || strcmp(err, malformed[i].message) != 0)
            TEST_FAIL_("case %zu: %d \"%s\", expected -EINVAL \"%s\"", i, r, err,
                       malformed[i].message);
        ASSERT_NULL(sdp);
    }
    /* A NUL byte is a control character too. */
    static const char nul[] = HEAD "a=x:\0y\r\n";
    Sdp *sdp;
    ASSERT_EQ(sdp_parse(a, nul, sizeof(nul) - 1, &sdp, err, sizeof(err)), -EINVAL);
    ASSERT_STREQ(err, "line 5: control character at column 5");
    ASSERT_EQ(sdp_parse(a, "v=1", 3, &sdp, NULL, 0), -EINVAL); /* err may be NULL */
    arena_free(a);
}

TEST(valid_edge_values) {
    Arena *a = arena_new();
    Sdp *sdp;
    ASSERT_OK(parse(a,
                    HEAD "m=audio 0 RTP/AVP 0 127\r\na=extmap:255 urn:a\r\n"
                         "a=extmap:4096/sendonly urn:b x y\r\na=extmap:4351 urn:c\r\n"
                         "a=ssrc:4294967295 msid:s t\r\na=ssrc:0 cname:c\r\n"
                         "a=candidate:f 256 tcp 4294967295 ::1 65535 typ relay raddr 1 rport 2\r\n"
                         "a=max-message-size:0\r\na=rid:1 recv pt=127;max-width=640\r\n"
                         "a=rtpmap:127 x/4294967295/255\r\n",
                    &sdp));
    const SdpMedia *m = &sdp->media[0];
    ASSERT_EQ(m->port, 0);
    ASSERT_EQ(m->extmaps[1].id, 4096);
    ASSERT_EQ(m->extmaps[1].direction, SDP_SENDONLY);
    ASSERT_STREQ(m->extmaps[1].attributes, "x y");
    ASSERT_STREQ(sdp_find_ssrc(m, 4294967295u)->msid, "s t");
    ASSERT_STREQ(sdp_find_ssrc(m, 0)->cname, "c");
    ASSERT_EQ(m->candidates[0].component, 256);
    ASSERT_STREQ(m->candidates[0].rest, "raddr 1 rport 2");
    ASSERT_TRUE(m->has_max_message_size);
    ASSERT_EQ_U(m->max_message_size, 0);
    ASSERT_EQ(m->rids[0].direction, SDP_RECVONLY);
    ASSERT_STREQ(m->rids[0].params, "pt=127;max-width=640");
    ASSERT_EQ_U(codec(m, 127)->clock_rate, 4294967295u);
    ASSERT_EQ(codec(m, 127)->channels, 255);
    ASSERT_NULL(m->mid);
    check_round_trip(a, sdp, "edge values");
    /* spaces before a value are not part of it (found by fuzz-sdp) */
    ASSERT_OK(parse(a, HEAD AUDIO "c=  IN IP4 1.2.3.4\r\na=ssrc:1 cname:  x y\r\n", &sdp));
    ASSERT_STREQ(sdp->media[0].connection, "IN IP4 1.2.3.4");
    ASSERT_STREQ(sdp->media[0].ssrcs[0].cname, "x y");
    check_round_trip(a, sdp, "spaces");
    /* ssrc attributes other than cname and msid are skipped, and keep no SSRC alive */
    ASSERT_OK(parse(a, HEAD AUDIO "a=ssrc:5 mslabel:x\r\na=ssrc:5 label:y\r\n", &sdp));
    ASSERT_EQ(sdp->media[0].n_ssrcs, 0);
    arena_free(a);
}

/* A description written by code rather than parsed. */
static Sdp *built(Arena *a) {
    Sdp *sdp = arena_zalloc(a, sizeof(*sdp));
    sdp->origin = (SdpOrigin){"-", 7, 1, "IN IP4 0.0.0.0"};
    sdp->name = "-";
    sdp->timing = "0 0";
    SdpMedia *m = SDP_PUSH(a, &sdp->media, &sdp->n_media);
    m->kind = SDP_MEDIA_AUDIO;
    m->protocol = "UDP/TLS/RTP/SAVPF";
    m->mid = "0";
    SdpCodec *c = SDP_PUSH(a, &m->codecs, &m->n_codecs);
    *c = (SdpCodec){.pt = 111, .name = "opus", .clock_rate = 48000, .channels = 2};
    return sdp;
}

TEST(write_like_snprintf) {
    Arena *a = arena_new();
    Sdp *sdp = built(a);
    char small[16], *text;
    size_t len;
    ASSERT_OK(sdp_generate(a, sdp, &text, &len, err, sizeof(err)));
    ASSERT_STREQ(text,
                 "v=0\r\no=- 7 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
                 "m=audio 0 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=rtpmap:111 opus/48000/2\r\n");
    ASSERT_EQ(sdp_write(sdp, small, sizeof(small), err, sizeof(err)), (ssize_t)len);
    ASSERT_STREQ(small, "v=0\r\no=- 7 1 IN");
    ASSERT_EQ(sdp_write(sdp, NULL, 0, err, sizeof(err)), (ssize_t)len);
    check_round_trip(a, sdp, "built");
    arena_free(a);
}

/* What would not parse back is refused with -EINVAL, or -E2BIG for a limit: the ways to
 * spoil a built description, and what sdp_write then says. */
static const struct {
    int r;
    const char *message;
} spoiled[] = {
    {-EINVAL, "a=mid:a: a control character"},
    {-EINVAL, "a=mid: not a single token"},
    {-EINVAL, "o= username: missing"},
    {-EINVAL, "o= address: missing"},
    {-EINVAL, "s=x : ends with a space"},
    {-EINVAL, "a=fmtp: empty or starting with a space"},
    {-EINVAL, "a=rtpmap:111: a name without '/' and a clock rate"},
    {-EINVAL, "a=rtpmap:111: a clock rate without a name"},
    {-EINVAL, "m=: payload type 128 is over 127"},
    {-EINVAL, "m=: an RTP protocol needs payload types, another formats"},
    {-EINVAL, "m=: an RTP protocol needs payload types, another formats"},
    {-EINVAL, "m= media: missing"},
    {-EINVAL, "an extra line must be <type>=<value> of a type other than v, o, s, t, m, c"},
    {-EINVAL, "a=extmap: id 300 is out of range"},
    {-EINVAL, "m=: payload type 111 is listed twice"},
    {-EINVAL, "a=mid:0 names two m-sections"},
    {-EINVAL, "a=group: mid \"1\" names no m-section"},
    {-EINVAL, "a=candidate: component 0 is out of range"},
    {-EINVAL, "a=rid: the direction is sendonly or recvonly"},
    {-EINVAL, "a=ssrc-group: no SSRC"},
    {-E2BIG, "more than 16 a=rtcp-fb lines for a payload type (SDP_MAX_RTCP_FB)"},
    {-E2BIG, "more than 64 payload types in an m-section (SDP_MAX_CODECS)"},
    {-E2BIG, "more than 128 m-sections (SDP_MAX_MEDIA)"},
    {-E2BIG, "s=xxxxxx…: a line longer than 4096 bytes (SDP_MAX_LINE)"},
};

static void spoil(Arena *a, Sdp *s, size_t i) {
    SdpMedia *m = &s->media[0];
    SdpGroup *g;
    char *long_name;
    switch (i) {
    case 0: m->mid = "a\r\na=x"; break;
    case 1: m->mid = "a b"; break;
    case 2: s->origin.username = NULL; break;
    case 3: s->origin.address = NULL; break;
    case 4: s->name = "x "; break;
    case 5: m->codecs[0].fmtp = " x"; break;
    case 6: m->codecs[0].name = "op/us"; break;
    case 7: m->codecs[0].name = NULL; break;
    case 8: m->codecs[0].pt = 128; break;
    case 9: m->formats = "x"; break;
    case 10: m->protocol = "UDP/DTLS/SCTP"; break;
    case 11: m->kind = SDP_MEDIA_OTHER; break;
    case 12: *SDP_PUSH(a, &m->extra, &m->n_extra) = "m=video"; break;
    case 13: *SDP_PUSH(a, &m->extmaps, &m->n_extmaps) = (SdpExtmap){.id = 300, .uri = "u"}; break;
    case 14: *SDP_PUSH(a, &m->codecs, &m->n_codecs) = (SdpCodec){.pt = 111}; break;
    case 15: *SDP_PUSH(a, &s->media, &s->n_media) = s->media[0]; break;
    case 16:
        g = SDP_PUSH(a, &s->groups, &s->n_groups);
        g->semantics = "BUNDLE";
        *SDP_PUSH(a, &g->mids, &g->n_mids) = "1";
        break;
    case 17:
        *SDP_PUSH(a, &m->candidates, &m->n_candidates) =
            (SdpCandidate){"f", 0, "udp", 1, "1.2.3.4", 9, "host", NULL};
        break;
    case 18: *SDP_PUSH(a, &m->rids, &m->n_rids) = (SdpRid){"r", SDP_SENDRECV, NULL}; break;
    case 19: SDP_PUSH(a, &m->ssrc_groups, &m->n_ssrc_groups)->semantics = "FID"; break;
    case 20:
        for (int j = 0; j <= SDP_MAX_RTCP_FB; j++)
            *SDP_PUSH(a, &m->codecs[0].rtcp_fb, &m->codecs[0].n_rtcp_fb) = "nack";
        break;
    case 21:
        for (int j = 0; j < SDP_MAX_CODECS; j++)
            SDP_PUSH(a, &m->codecs, &m->n_codecs)->pt = (uint8_t)j;
        break;
    case 22:
        for (int j = 0; j < SDP_MAX_MEDIA; j++) {
            SdpMedia *more = SDP_PUSH(a, &s->media, &s->n_media);
            *more = s->media[0];
            more->mid = arena_printf(a, "m%d", j);
        }
        break;
    case 23:
        long_name = arena_alloc(a, SDP_MAX_LINE);
        memset(long_name, 'x', SDP_MAX_LINE - 1);
        long_name[SDP_MAX_LINE - 1] = '\0';
        s->name = long_name;
        break;
    }
}

TEST(write_refuses_what_would_not_parse_back) {
    for (size_t i = 0; i < ELEMENTSOF(spoiled); i++) {
        Arena *a = arena_new();
        Sdp *sdp = built(a);
        spoil(a, sdp, i);
        err[0] = '\0';
        ssize_t r = sdp_write(sdp, NULL, 0, err, sizeof(err));
        arena_free(a);
        if (r != spoiled[i].r || strcmp(err, spoiled[i].message) != 0)
            TEST_FAIL_("case %zu: %zd \"%s\", expected %d \"%s\"", i, r, err, spoiled[i].r,
                       spoiled[i].message);
    }
}

TEST(write_refuses_an_oversized_description) {
    Arena *a = arena_new();
    Sdp *sdp = built(a);
    /* 128 sections of 64 payload types, each with a long fmtp: well over SDP_MAX_SIZE */
    char *fmtp = arena_alloc(a, 3001);
    memset(fmtp, 'f', 3000);
    fmtp[3000] = '\0';
    sdp->media[0].codecs[0].fmtp = fmtp;
    for (int i = 1; i < 100; i++) {
        SdpMedia *m = SDP_PUSH(a, &sdp->media, &sdp->n_media);
        *m = sdp->media[0];
        m->mid = arena_printf(a, "%d", i);
    }
    ASSERT_EQ(sdp_write(sdp, NULL, 0, err, sizeof(err)), -E2BIG);
    ASSERT_NOT_NULL(strstr(err, "(SDP_MAX_SIZE)"));
    arena_free(a);
}

TEST(push_grows_by_doubling) {
    Arena *a = arena_new();
    uint32_t *items = NULL;
    size_t n = 0;
    for (uint32_t i = 0; i < 1000; i++) {
        uint32_t *slot = SDP_PUSH(a, &items, &n);
        ASSERT_NOT_NULL(slot);
        ASSERT_EQ(*slot, 0);
        *slot = i;
    }
    ASSERT_EQ(n, 1000);
    for (uint32_t i = 0; i < 1000; i++)
        ASSERT_EQ(items[i], i);
    arena_free(a);
}

TEST_MAIN()
