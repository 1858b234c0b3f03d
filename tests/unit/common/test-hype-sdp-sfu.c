/* Unit tests for common/hype-sdp-sfu: the SFU's answers to real Chromium 156 and aiortc 1.4
 * offers, its offers through one renegotiation (sdp/sfu-steps.h) and the answers Chromium and
 * aiortc gave to them (fixtures in sdp/, made by sdp/gen-chromium.py and sdp/gen-aiortc.py). */
#include "hype-sdp-sfu.h"
#include "sdp/fixtures.h"
#include "sdp/sfu-steps.h"
#include "test.h"

static Sdp *answer_fixture(Arena *a, const char *name, Sdp **ret_offer) {
    Sdp *offer = parse_fixture(a, name), *answer;
    if (!offer)
        return NULL;
    if (sdp_sfu_answer(a, offer, &sfu_local, &sdp_sfu_capabilities, &answer, err, sizeof(err)) <
        0) {
        fprintf(stderr, "  answer to %s: %s\n", name, err);
        return NULL;
    }
    if (ret_offer)
        *ret_offer = offer;
    return answer;
}

static bool has_fb(const SdpCodec *c, const char *feedback) {
    for (size_t i = 0; i < c->n_rtcp_fb; i++)
        if (strcmp(c->rtcp_fb[i], feedback) == 0)
            return true;
    return false;
}

/* What every section the SFU accepts carries: its transport, as an ICE-lite DTLS server. */
static void check_local_transport(const SdpMedia *m, SdpSetup setup) {
    ASSERT_EQ(m->port, 40000);
    ASSERT_STREQ(m->connection, "IN IP4 10.77.0.1");
    ASSERT_STREQ(m->transport.ice_ufrag, "hypeSfu1");
    ASSERT_STREQ(m->transport.ice_pwd, "hypeSfuPasswordOf24Chars");
    ASSERT_EQ(m->transport.n_fingerprints, 1);
    ASSERT_STREQ(m->transport.fingerprints[0].algorithm, "sha-256");
    ASSERT_STREQ(m->transport.fingerprints[0].value, sfu_local.fingerprint);
    ASSERT_EQ(m->transport.setup, setup);
    ASSERT_TRUE(m->rtcp_mux);
    ASSERT_EQ(m->n_candidates, 1);
    ASSERT_STREQ(m->candidates[0].address, "10.77.0.1");
    ASSERT_EQ(m->candidates[0].port, 40000);
    ASSERT_STREQ(m->candidates[0].type, "host");
    ASSERT_TRUE(m->end_of_candidates);
}

TEST(answer_to_a_chromium_publisher) {
    Arena *a = arena_new();
    Sdp *offer, *answer = answer_fixture(a, "chromium-publish-offer.sdp", &offer);
    ASSERT_NOT_NULL(answer);
    ASSERT_TRUE(answer->ice_lite);
    ASSERT_EQ_U(answer->origin.session_id, 7123456789u);
    ASSERT_EQ(answer->n_media, 2);
    check_bundle_mids(answer, "0 1");
    const SdpMedia *audio = &answer->media[0], *video = &answer->media[1];
    check_local_transport(audio, SDP_SETUP_PASSIVE);
    check_local_transport(video, SDP_SETUP_PASSIVE);
    ASSERT_STREQ(audio->mid, "0");
    ASSERT_EQ(audio->direction, SDP_RECVONLY); /* the client sends */
    ASSERT_TRUE(audio->rtcp_rsize);
    ASSERT_STREQ(audio->protocol, "UDP/TLS/RTP/SAVPF");
    ASSERT_EQ(audio->n_codecs, 1);
    ASSERT_EQ(audio->codecs[0].pt, 111);
    ASSERT_STREQ(audio->codecs[0].name, "opus");
    ASSERT_STREQ(audio->codecs[0].fmtp, "minptime=10;useinbandfec=1");
    ASSERT_EQ(audio->codecs[0].n_rtcp_fb, 1);
    ASSERT_TRUE(has_fb(&audio->codecs[0], "transport-cc"));
    /* the extensions the SFU handles, at the offer's ids */
    ASSERT_EQ(audio->n_extmaps, 4);
    ASSERT_EQ(sdp_extmap_id(audio, SDP_URI_AUDIO_LEVEL), 1);
    ASSERT_EQ(sdp_extmap_id(audio, SDP_URI_ABS_SEND_TIME), 2);
    ASSERT_EQ(sdp_extmap_id(audio, SDP_URI_TRANSPORT_CC), 3);
    ASSERT_EQ(sdp_extmap_id(audio, SDP_URI_MID), 4);
    ASSERT_EQ(audio->n_ssrcs, 0);
    ASSERT_EQ(audio->n_msids, 0);
    /* VP8 (the SFU's first video codec) and its rtx, out of Chromium's 23 payload types */
    ASSERT_EQ(video->n_codecs, 2);
    ASSERT_EQ(video->codecs[0].pt, 96);
    ASSERT_STREQ(video->codecs[0].name, "VP8");
    ASSERT_EQ(video->codecs[0].n_rtcp_fb, 5);
    ASSERT_TRUE(has_fb(&video->codecs[0], "nack pli"));
    ASSERT_TRUE(has_fb(&video->codecs[0], "ccm fir"));
    ASSERT_EQ(video->codecs[1].pt, 97);
    ASSERT_STREQ(video->codecs[1].name, "rtx");
    ASSERT_STREQ(video->codecs[1].fmtp, "apt=96");
    ASSERT_EQ(video->n_extmaps, 3);
    ASSERT_EQ(sdp_extmap_id(video, SDP_URI_ABS_SEND_TIME), 2);
    ASSERT_EQ(sdp_extmap_id(video, SDP_URI_TRANSPORT_CC), 3);
    ASSERT_EQ(sdp_extmap_id(video, SDP_URI_MID), 4);
    ASSERT_EQ(sdp_extmap_id(video, "urn:ietf:params:rtp-hdrext:toffset"), -ENOENT);
    SdpTransport t;
    ASSERT_EQ(sdp_remote_transport(offer, answer, &t), 0);
    ASSERT_STREQ(t.ice_ufrag, offer->media[0].transport.ice_ufrag);
    ASSERT_EQ(t.setup, SDP_SETUP_ACTPASS);
    check_round_trip(a, answer, "answer to chromium-publish-offer");
    arena_free(a);
}

TEST(answer_rejects_a_data_channel_and_simulcast) {
    Arena *a = arena_new();
    Sdp *answer = answer_fixture(a, "chromium-offer.sdp", NULL);
    ASSERT_NOT_NULL(answer);
    ASSERT_EQ(answer->n_media, 3);
    ASSERT_EQ(answer->media[0].direction, SDP_RECVONLY); /* offered sendrecv */
    check_bundle_mids(answer, "0 1");
    const SdpMedia *data = &answer->media[2];
    ASSERT_EQ(data->port, 0);
    ASSERT_EQ(data->kind, SDP_MEDIA_APPLICATION);
    ASSERT_STREQ(data->protocol, "UDP/DTLS/SCTP");
    ASSERT_STREQ(data->formats, "webrtc-datachannel");
    ASSERT_STREQ(data->mid, "2");
    ASSERT_EQ(data->direction, SDP_INACTIVE);
    ASSERT_EQ(data->n_candidates, 0);
    ASSERT_STREQ(data->transport.ice_ufrag, "hypeSfu1"); /* for aiortc, which wants them all */
    ASSERT_FALSE(data->rtcp_mux);
    check_round_trip(a, answer, "answer to chromium-offer");

    static const char *const simulcast[] = {"chromium-simulcast-offer.sdp",
                                            "mediasoup-client-publish-offer.sdp"};
    for (size_t i = 0; i < ELEMENTSOF(simulcast); i++) {
        ASSERT_NOT_NULL(answer = answer_fixture(a, simulcast[i], NULL));
        ASSERT_EQ(answer->media[1].port, 40000);
        ASSERT_STREQ(answer->media[1].codecs[0].name, "VP8");
        ASSERT_EQ(answer->media[1].n_rids, 0); /* not answered: Chromium sends one encoding */
        ASSERT_NULL(answer->media[1].simulcast);
    }
    arena_free(a);
}

TEST(answer_to_aiortc) {
    Arena *a = arena_new();
    Sdp *offer, *answer = answer_fixture(a, "aiortc-offer.sdp", &offer);
    ASSERT_NOT_NULL(answer);
    ASSERT_EQ(answer->n_media, 3);
    check_bundle_mids(answer, "0 1");
    ASSERT_EQ(answer->media[0].codecs[0].pt, 96);
    ASSERT_STREQ(answer->media[0].codecs[0].name, "opus");
    ASSERT_EQ(answer->media[0].n_codecs, 1);
    ASSERT_FALSE(answer->media[0].rtcp_rsize);
    ASSERT_EQ(sdp_extmap_id(&answer->media[0], SDP_URI_AUDIO_LEVEL), 2);
    ASSERT_EQ(answer->media[1].codecs[0].pt, 97);
    ASSERT_EQ(answer->media[1].codecs[1].pt, 98);
    ASSERT_EQ(sdp_extmap_id(&answer->media[1], SDP_URI_ABS_SEND_TIME), 2);
    ASSERT_EQ(answer->media[2].port, 0);
    ASSERT_STREQ(answer->media[2].formats, "5000");
    /* aiortc gives each section its own credentials: the BUNDLE transport is the first one's */
    SdpTransport t;
    ASSERT_EQ(sdp_remote_transport(offer, answer, &t), 0);
    ASSERT_STREQ(t.ice_ufrag, "ImKq");
    check_round_trip(a, answer, "answer to aiortc-offer");

    /* a client that only wants to receive gets nothing on its publishing connection */
    ASSERT_NOT_NULL(answer = answer_fixture(a, "aiortc-recv-offer.sdp", NULL));
    ASSERT_EQ(answer->media[0].direction, SDP_INACTIVE);
    ASSERT_EQ(answer->media[1].direction, SDP_INACTIVE);
    ASSERT_EQ(answer->media[1].port, 40000);
    arena_free(a);
}

#define HEAD                                                                                       \
    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=ice-ufrag:cli1\r\n"                        \
    "a=ice-pwd:clientpassword\r\na=fingerprint:sha-256 AA:BB\r\na=setup:actpass\r\n"

static Sdp *answer_text(Arena *a, const char *text, int *ret) {
    Sdp *offer, *answer = NULL;
    *ret = parse(a, text, &offer);
    if (*ret == 0)
        *ret =
            sdp_sfu_answer(a, offer, &sfu_local, &sdp_sfu_capabilities, &answer, err, sizeof(err));
    return answer;
}

TEST(answer_picks_by_the_sfus_preference) {
    Arena *a = arena_new();
    int r;
    /* H264 packetization-mode=1 (and its rtx) when there is no VP8; mode 0 is not taken */
    Sdp *answer =
        answer_text(a,
                    HEAD "a=group:BUNDLE v\r\nm=video 9 UDP/TLS/RTP/SAVPF 100 101 102 103\r\n"
                         "a=mid:v\r\na=rtcp-mux\r\na=sendonly\r\n"
                         "a=rtpmap:100 H264/90000\r\na=fmtp:100 packetization-mode=0\r\n"
                         "a=rtpmap:101 rtx/90000\r\na=fmtp:101 apt=100\r\n"
                         "a=rtpmap:102 h264/90000\r\n"
                         "a=fmtp:102 profile-level-id=42e01f;packetization-mode=1\r\n"
                         "a=rtcp-fb:102 nack\r\na=rtcp-fb:102 x-unknown\r\n"
                         "a=rtpmap:103 rtx/90000\r\na=fmtp:103 apt=102\r\n",
                    &r);
    ASSERT_EQ(r, 0);
    const SdpMedia *m = &answer->media[0];
    ASSERT_EQ(m->n_codecs, 2);
    ASSERT_EQ(m->codecs[0].pt, 102);
    ASSERT_EQ(m->codecs[0].n_rtcp_fb, 1); /* feedback the SFU does not handle is dropped */
    ASSERT_EQ(m->codecs[1].pt, 103);
    /* VP8 over H264 even when the client prefers H264 */
    answer =
        answer_text(a,
                    HEAD "a=group:BUNDLE v\r\nm=video 9 UDP/TLS/RTP/SAVPF 102 96\r\na=mid:v\r\n"
                         "a=rtcp-mux\r\na=rtpmap:102 H264/90000\r\n"
                         "a=fmtp:102 packetization-mode=1\r\na=rtpmap:96 VP8/90000\r\n",
                    &r);
    ASSERT_EQ(r, 0);
    ASSERT_EQ(answer->media[0].n_codecs, 1);
    ASSERT_EQ(answer->media[0].codecs[0].pt, 96);
    ASSERT_EQ(answer->media[0].direction, SDP_RECVONLY); /* no direction: sendrecv */
    arena_free(a);
}

TEST(answer_rejects_what_the_sfu_cannot_take) {
    Arena *a = arena_new();
    int r;
    Sdp *answer = answer_text(
        a,
        HEAD "a=group:BUNDLE a b c d e f\r\n"
             "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:a\r\na=rtcp-mux\r\na=rtpmap:0 PCMU/8000\r\n"
             "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:b\r\na=rtpmap:111 opus/48000/2\r\n"
             "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:g\r\na=rtcp-mux\r\n"
             "a=rtpmap:111 opus/48000/2\r\n"
             "m=audio 0 UDP/TLS/RTP/SAVPF 111\r\na=mid:c\r\na=rtcp-mux\r\n"
             "a=rtpmap:111 opus/48000/2\r\n"
             "m=audio 9 RTP/AVP 111\r\na=mid:d\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\n"
             "m=text 9 UDP/TLS/RTP/SAVPF 98\r\na=mid:e\r\na=rtcp-mux\r\n"
             "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:f\r\na=rtcp-mux\r\n"
             "a=rtpmap:111 opus/48000/1\r\n",
        &r);
    ASSERT_EQ(r, 0);
    /* PCMU only; no rtcp-mux; outside the BUNDLE group; port 0; not SAVPF; not audio or video;
     * opus in mono */
    static const char *const mids[] = {"a", "b", "g", "c", "d", "e", "f"};
    ASSERT_EQ(answer->n_media, ELEMENTSOF(mids));
    for (size_t i = 0; i < answer->n_media; i++) {
        const SdpMedia *m = &answer->media[i];
        ASSERT_EQ(m->port, 0);
        ASSERT_EQ(m->direction, SDP_INACTIVE);
        ASSERT_STREQ(m->mid, mids[i]);
        ASSERT_EQ(m->n_codecs, 1);
        ASSERT_EQ(m->n_candidates, 0);
    }
    ASSERT_STREQ(answer->media[0].codecs[0].name, "PCMU");
    ASSERT_STREQ(sdp_media_kind_name(&answer->media[5]), "text");
    ASSERT_NULL(sdp_find_group(answer, "BUNDLE")); /* nothing accepted: no group */
    check_round_trip(a, answer, "all rejected");
    arena_free(a);
}

TEST(answer_without_a_bundle_group) {
    Arena *a = arena_new();
    int r;
    Sdp *answer = answer_text(a,
                              HEAD "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtcp-mux\r\n"
                                   "a=rtpmap:111 opus/48000/2\r\n",
                              &r);
    ASSERT_EQ(r, 0);
    ASSERT_EQ(answer->media[0].port, 40000); /* a lone section needs no group */
    ASSERT_EQ(answer->n_groups, 0);
    ASSERT_NULL(answer->media[0].mid);
    check_round_trip(a, answer, "no group");
    answer = answer_text(a,
                         HEAD "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=rtcp-mux\r\n"
                              "a=rtpmap:111 opus/48000/2\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
                              "a=mid:1\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\n",
                         &r);
    ASSERT_EQ(r, 0);
    ASSERT_EQ(answer->media[0].port, 0); /* two would need two transports */
    ASSERT_EQ(answer->media[1].port, 0);
    arena_free(a);
}

TEST(answer_errors) {
    Arena *a = arena_new();
    int r;
    answer_text(a,
                "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
                "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=rtcp-mux\r\n"
                "a=rtpmap:111 opus/48000/2\r\n",
                &r);
    ASSERT_EQ(r, -EINVAL);
    ASSERT_STREQ(err, "the offer has no ICE credentials or no fingerprint");
    answer_text(a,
                HEAD "a=group:BUNDLE 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n"
                     "a=rtcp-mux\r\na=setup:passive\r\na=rtpmap:111 opus/48000/2\r\n",
                &r);
    ASSERT_EQ(r, -EINVAL);
    ASSERT_STREQ(err, "the offer's a=setup:passive would make the SFU the DTLS client");
    Sdp *offer, *answer;
    ASSERT_OK(parse(a, HEAD, &offer));
    SdpLocal local = sfu_local;
    local.fingerprint = NULL;
    r = sdp_sfu_answer(a, offer, &local, &sdp_sfu_capabilities, &answer, err, sizeof(err));
    ASSERT_EQ(r, -EINVAL);
    ASSERT_STREQ(err, "local: ICE credentials and a fingerprint are required");
    local = sfu_local;
    local.n_candidates = SDP_MAX_CANDIDATES + 1;
    r = sdp_sfu_answer(a, offer, &local, &sdp_sfu_capabilities, &answer, err, sizeof(err));
    ASSERT_EQ(r, -E2BIG);
    ASSERT_STREQ(err, "local: more than 32 candidates (SDP_MAX_CANDIDATES)");
    /* an offer without sections gets an answer without sections */
    ASSERT_OK(
        sdp_sfu_answer(a, offer, &sfu_local, &sdp_sfu_capabilities, &answer, err, sizeof(err)));
    ASSERT_EQ(answer->n_media, 0);
    arena_free(a);
}

static Sdp *offer_step(Arena *a, int step) {
    Sdp *sdp;
    if (sfu_offer_step(a, step, &sdp, err, sizeof(err)) < 0) {
        fprintf(stderr, "  step %d: %s\n", step, err);
        return NULL;
    }
    return sdp;
}

/* A section the SFU sends a stream on: sendonly, its SSRCs (and rtx) with cname and msid. */
static void check_stream(const SdpMedia *m, const char *mid, const char *msid, uint32_t ssrc,
                         uint32_t rtx) {
    ASSERT_STREQ(m->mid, mid);
    ASSERT_EQ(m->direction, SDP_SENDONLY);
    check_local_transport(m, SDP_SETUP_ACTPASS);
    ASSERT_EQ(m->n_msids, 1);
    ASSERT_STREQ(m->msids[0], msid);
    ASSERT_EQ(m->n_ssrcs, rtx ? 2 : 1);
    ASSERT_EQ_U(m->ssrcs[0].ssrc, ssrc);
    ASSERT_STREQ(m->ssrcs[0].msid, msid);
    ASSERT_NOT_NULL(m->ssrcs[0].cname);
    uint32_t got;
    if (rtx) {
        ASSERT_EQ(sdp_rtx_ssrc(m, ssrc, &got), 0);
        ASSERT_EQ_U(got, rtx);
        ASSERT_STREQ(m->codecs[1].name, "rtx");
        ASSERT_STREQ(m->codecs[1].fmtp, "apt=96");
    } else {
        ASSERT_EQ(sdp_rtx_ssrc(m, ssrc, &got), -ENOENT);
    }
}

TEST(offer_steps) {
    Arena *a = arena_new();
    Sdp *sdp = offer_step(a, 1);
    ASSERT_NOT_NULL(sdp);
    ASSERT_EQ_U(sdp->origin.session_version, 1);
    ASSERT_TRUE(sdp->ice_lite);
    ASSERT_EQ(sdp->n_media, 2);
    check_stream(&sdp->media[0], "0", "userA trackA1", 1001, 0);
    check_stream(&sdp->media[1], "1", "userA trackA2", 1002, 1003);
    ASSERT_EQ(sdp_extmap_id(&sdp->media[0], SDP_URI_AUDIO_LEVEL), 4);
    ASSERT_STREQ(sdp->media[0].codecs[0].fmtp, "minptime=10;useinbandfec=1");
    ASSERT_EQ(sdp->media[1].codecs[0].n_rtcp_fb, 5);
    check_bundle_mids(sdp, "0 1");
    check_round_trip(a, sdp, "step 1");

    ASSERT_NOT_NULL(sdp = offer_step(a, 2));
    ASSERT_EQ_U(sdp->origin.session_version, 2);
    ASSERT_EQ(sdp->n_media, 3);
    /* the BUNDLE tag lost its stream: still there, inactive, without SSRCs */
    ASSERT_EQ(sdp->media[0].port, 40000);
    ASSERT_EQ(sdp->media[0].direction, SDP_INACTIVE);
    ASSERT_EQ(sdp->media[0].n_ssrcs, 0);
    ASSERT_EQ(sdp->media[0].n_msids, 0);
    check_stream(&sdp->media[1], "1", "userA trackA2", 1002, 1003);
    check_stream(&sdp->media[2], "2", "userB trackB1", 2001, 2002);
    check_bundle_mids(sdp, "0 1 2");
    check_round_trip(a, sdp, "step 2");

    ASSERT_NOT_NULL(sdp = offer_step(a, 3));
    ASSERT_EQ(sdp->n_media, 4);
    ASSERT_EQ(sdp->media[0].direction, SDP_INACTIVE);
    check_stream(&sdp->media[1], "1", "userA trackA2", 1002, 1003);
    /* B's section is rejected, keeping its mid */
    ASSERT_EQ(sdp->media[2].port, 0);
    ASSERT_STREQ(sdp->media[2].mid, "2");
    ASSERT_EQ(sdp->media[2].n_ssrcs, 0);
    ASSERT_EQ(sdp->media[2].n_candidates, 0);
    check_stream(&sdp->media[3], "3", "userC trackC1", 3001, 0);
    check_bundle_mids(sdp, "0 1 3");
    check_round_trip(a, sdp, "step 3");

    ASSERT_NOT_NULL(sdp = offer_step(a, 4));
    ASSERT_EQ_U(sdp->origin.session_version, 4);
    ASSERT_EQ(sdp->n_media, 4);
    check_stream(&sdp->media[2], "4", "userD trackD1", 4001, 4002); /* recycled, a new mid */
    check_stream(&sdp->media[3], "3", "userC trackC1", 3001, 0);
    check_bundle_mids(sdp, "0 1 4 3");
    check_round_trip(a, sdp, "step 4");
    arena_free(a);
}

/* The answers of Chromium and aiortc to the four offers: same sections, same mids, receiving
 * what the SFU sends. */
static void check_client_answer(Arena *a, const char *client, int step) {
    char name[64];
    snprintf(name, sizeof(name), "%s-answer-sfu-offer-%d.sdp", client, step);
    Sdp *offer = offer_step(a, step), *answer = parse_fixture(a, name);
    ASSERT_NOT_NULL(offer);
    ASSERT_NOT_NULL(answer);
    ASSERT_EQ(answer->n_media, offer->n_media);
    for (size_t i = 0; i < offer->n_media; i++) {
        const SdpMedia *o = &offer->media[i], *m = &answer->media[i];
        ASSERT_STREQ(m->mid, o->mid);
        ASSERT_EQ(m->kind, o->kind);
        if (o->port && o->direction == SDP_SENDONLY)
            ASSERT_EQ(m->direction, SDP_RECVONLY);
        else
            ASSERT_EQ(m->direction, SDP_INACTIVE);
        if (o->port)
            ASSERT_EQ(m->codecs[0].pt, o->codecs[0].pt);
    }
    SdpTransport t;
    ASSERT_EQ(sdp_remote_transport(answer, answer, &t), 0);
    ASSERT_NOT_NULL(t.ice_ufrag);
    ASSERT_EQ(t.setup, SDP_SETUP_ACTIVE); /* the client is the DTLS client */
    ASSERT_EQ(t.n_fingerprints, 1);
}

TEST(chromium_and_aiortc_answer_the_offers) {
    Arena *a = arena_new();
    for (int step = 1; step <= SFU_STEPS; step++) {
        check_client_answer(a, "chromium", step);
        check_client_answer(a, "aiortc", step);
    }
    /* Chromium rejects the section the SFU rejected; aiortc 1.4 never rejects, it says
     * inactive */
    Sdp *chromium = parse_fixture(a, "chromium-answer-sfu-offer-3.sdp");
    ASSERT_NOT_NULL(chromium);
    ASSERT_EQ(chromium->media[2].port, 0);
    Sdp *aiortc = parse_fixture(a, "aiortc-answer-sfu-offer-3.sdp");
    ASSERT_NOT_NULL(aiortc);
    ASSERT_NE(aiortc->media[2].port, 0);
    arena_free(a);
}

TEST(offer_keeps_sections_whatever_the_order_of_streams) {
    Arena *a = arena_new();
    SdpCodec opus = {111, "opus", 48000, 2, NULL, NULL, 0};
    SdpSendStream s1 = {SDP_MEDIA_AUDIO, "u1 t1", "c1", 11, 0, &opus, 0, NULL, 0};
    SdpSendStream s2 = {SDP_MEDIA_AUDIO, "u2 t2", "c2", 22, 0, &opus, 0, NULL, 0};
    Sdp *first, *second, *empty;
    ASSERT_OK(
        sdp_sfu_offer(a, NULL, (SdpSendStream[]){s1, s2}, 2, &sfu_local, &first, err, sizeof(err)));
    ASSERT_OK(sdp_sfu_offer(a, first, (SdpSendStream[]){s2, s1}, 2, &sfu_local, &second, err,
                            sizeof(err)));
    ASSERT_STREQ(second->media[0].msids[0], "u1 t1");
    ASSERT_STREQ(second->media[1].msids[0], "u2 t2");
    ASSERT_EQ(second->media[1].ssrcs[0].ssrc, 22);
    /* nobody left: the tag stays inactive, the other is rejected, no group is left but the tag */
    ASSERT_OK(sdp_sfu_offer(a, second, NULL, 0, &sfu_local, &empty, err, sizeof(err)));
    ASSERT_EQ(empty->n_media, 2);
    ASSERT_EQ(empty->media[0].direction, SDP_INACTIVE);
    ASSERT_EQ(empty->media[1].port, 0);
    check_bundle_mids(empty, "0");
    /* a BUNDLE tag of another kind stays as it was, inactive (found by fuzz-sdp) */
    Sdp *text_tag;
    ASSERT_OK(parse(a, HEAD "a=group:BUNDLE t\r\nm=text 9 UDP/TLS/RTP/SAVPF 98\r\na=mid:t\r\n",
                    &text_tag));
    ASSERT_OK(sdp_sfu_offer(a, text_tag, &s1, 1, &sfu_local, &second, err, sizeof(err)));
    ASSERT_STREQ(sdp_media_kind_name(&second->media[0]), "text");
    ASSERT_EQ(second->media[0].direction, SDP_INACTIVE);
    ASSERT_STREQ(second->media[1].mid, "0");
    check_round_trip(a, second, "text tag");
    /* a first offer of nothing has no section and no group */
    ASSERT_OK(sdp_sfu_offer(a, NULL, NULL, 0, &sfu_local, &empty, err, sizeof(err)));
    ASSERT_EQ(empty->n_media, 0);
    ASSERT_EQ(empty->n_groups, 0);
    check_round_trip(a, empty, "nothing");
    arena_free(a);
}

TEST(offer_errors) {
    Arena *a = arena_new();
    SdpCodec opus = {111, "opus", 48000, 2, NULL, NULL, 0};
    SdpSendStream s = {SDP_MEDIA_AUDIO, "u t", "c", 1, 0, NULL, 0, NULL, 0};
    Sdp *sdp;
    ASSERT_EQ(sdp_sfu_offer(a, NULL, &s, 1, &sfu_local, &sdp, err, sizeof(err)), -EINVAL);
    ASSERT_STREQ(err, "stream 0: an audio or video stream needs a codec and an msid");
    s.codec = &opus;
    s.kind = SDP_MEDIA_APPLICATION;
    ASSERT_EQ(sdp_sfu_offer(a, NULL, &s, 1, &sfu_local, &sdp, err, sizeof(err)), -EINVAL);
    s.kind = SDP_MEDIA_AUDIO;
    SdpSendStream *many = calloc(SDP_MAX_MEDIA + 1, sizeof(*many));
    for (int i = 0; i <= SDP_MAX_MEDIA; i++)
        many[i] = s;
    ASSERT_EQ(sdp_sfu_offer(a, NULL, many, SDP_MAX_MEDIA + 1, &sfu_local, &sdp, err, sizeof(err)),
              -E2BIG);
    ASSERT_STREQ(err, "more than 128 m-sections (SDP_MAX_MEDIA)");
    /* 128 sections, then one more stream while all are still in use */
    ASSERT_OK(sdp_sfu_offer(a, NULL, many, SDP_MAX_MEDIA, &sfu_local, &sdp, err, sizeof(err)));
    for (int i = 0; i < SDP_MAX_MEDIA; i++)
        many[i].msid = arena_printf(a, "u t%d", i);
    Sdp *next;
    ASSERT_EQ(sdp_sfu_offer(a, sdp, many, SDP_MAX_MEDIA, &sfu_local, &next, err, sizeof(err)),
              -E2BIG);
    free(many);
    SdpLocal local = sfu_local;
    local.ice_pwd = NULL;
    ASSERT_EQ(sdp_sfu_offer(a, NULL, &s, 1, &local, &sdp, err, sizeof(err)), -EINVAL);
    arena_free(a);
}

TEST(sfu_capabilities) {
    const SdpCapabilities *caps = &sdp_sfu_capabilities;
    ASSERT_EQ(caps->n_codecs, 3);
    ASSERT_STREQ(caps->codecs[0].name, "opus");
    ASSERT_EQ(caps->codecs[0].channels, 2);
    ASSERT_STREQ(caps->codecs[1].name, "VP8");
    ASSERT_STREQ(caps->codecs[2].fmtp_required[0], "packetization-mode=1");
    ASSERT_EQ(caps->n_extmaps, 7);
}

TEST_MAIN()
