/* Unit tests for signal-daemon/signal-ortc, on what mediasoup-client 3.24.1 in Chromium 156
 * really sends and accepts (tests/unit/signal-daemon/ortc/, made by gen-ortc.py): the router
 * capabilities it loaded, the device capabilities and produce() parameters it gave, and the
 * consumer parameters it consumed, rebuilt here byte for byte; then every error path. Run from
 * the repository root (make unit-test does). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hype-json.h"
#include "ortc/ortc-random.h"
#include "signal-ortc.h"
#include "test.h"

#define FIXTURES "tests/unit/signal-daemon/ortc/"

static char err[ORTC_ERROR_MAX];
/* Large: static, not on the stack. */
static OrtcRtpParameters produced, consumable, consumer;
static OrtcRtpCapabilities device;
static OrtcRtpMapping mapping;

/* A fixture parsed; NULL (and a message) when it cannot be read or parsed. */
static json_object *fixture(const char *name) {
    static char text[1 << 16];
    char path[256];
    json_object *o = NULL;
    snprintf(path, sizeof(path), FIXTURES "%s", name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "  cannot open %s (run from the repository root)\n", path);
        return NULL;
    }
    size_t len = fread(text, 1, sizeof(text), f);
    fclose(f);
    if (json_parse_strict(text, len, 32, &o, NULL) < 0)
        fprintf(stderr, "  %s does not parse\n", path);
    return o;
}

/* JSON written with ' for " (readable in C). New reference, or NULL. */
static json_object *q(const char *text) {
    char buf[4096];
    json_object *o = NULL;
    size_t n = strlen(text);
    if (n >= sizeof(buf))
        return NULL;
    for (size_t i = 0; i <= n; i++)
        buf[i] = text[i] == '\'' ? '"' : text[i];
    if (json_parse_strict(buf, n, 32, &o, NULL) < 0)
        fprintf(stderr, "  bad test JSON: %s\n", buf);
    return o;
}

/* encodings[0].ssrc (rtx false) or encodings[0].rtx.ssrc of a produce fixture, and its cname:
 * read, not written down, so that gen-ortc.py may run again. */
static uint32_t fixture_ssrc(const char *name, bool rtx) {
    json_object *o = fixture(name);
    json_object *enc = json_object_array_get_idx(json_get(o, "encodings"), 0);
    uint32_t ssrc =
        (uint32_t)json_object_get_int64(json_get(rtx ? json_get(enc, "rtx") : enc, "ssrc"));
    json_object_put(o);
    return ssrc;
}

static const char *fixture_cname(const char *name) {
    static char cname[ORTC_CNAME_MAX];
    json_object *o = fixture(name);
    snprintf(cname, sizeof(cname), "%s",
             json_object_get_string(json_get(json_get(o, "rtcp"), "cname")));
    json_object_put(o);
    return cname;
}

static int parse_fixture_params(const char *name, OrtcKind kind, OrtcRtpParameters *ret) {
    json_object *o = fixture(name);
    int r = o ? ortc_parse_rtp_parameters(o, kind, ret, err, sizeof(err)) : -ENOENT;
    if (r < 0 && o)
        fprintf(stderr, "  %s: %s\n", name, err);
    json_object_put(o);
    return r;
}

static int parse_device(void) {
    json_object *o = fixture("mediasoup-client-device-rtp-capabilities.json");
    int r = o ? ortc_parse_rtp_capabilities(o, &device, err, sizeof(err)) : -ENOENT;
    if (r < 0 && o)
        fprintf(stderr, "  device: %s\n", err);
    json_object_put(o);
    return r;
}

static const OrtcParameter *param(const OrtcCodec *c, const char *key) {
    for (size_t i = 0; i < c->n_parameters; i++)
        if (strcmp(c->parameters[i].key, key) == 0)
            return &c->parameters[i];
    return NULL;
}

/* ---- the router's capabilities, as mediasoup-client loaded them ---- */

TEST(router_capabilities_are_what_mediasoup_client_loaded) {
    json_object *caps = ortc_router_capabilities(),
                *loaded = fixture("hype-router-rtp-capabilities.json");
    json_object *accepted = fixture("mediasoup-client-accepted.json");
    int equal = caps && loaded && json_object_equal(caps, loaded);
    int load_ok = accepted && json_object_get_boolean(json_get(accepted, "load"));
    json_object_put(caps);
    json_object_put(loaded);
    json_object_put(accepted);
    ASSERT_TRUE(equal);
    ASSERT_TRUE(load_ok);
}

TEST(router_capabilities_shapes) {
    json_object *caps = ortc_router_capabilities();
    ASSERT_NOT_NULL(caps);
    json_object *codecs = json_get(caps, "codecs"), *exts = json_get(caps, "headerExtensions");
    size_t n = json_object_array_length(codecs);
    int bad = 0, rtx = 0;
    for (size_t i = 0; i < n; i++) {
        json_object *c = json_object_array_get_idx(codecs, i);
        const char *mime = json_object_get_string(json_get(c, "mimeType"));
        bad += !json_object_is_type(json_get(c, "preferredPayloadType"), json_type_int);
        bad += !json_object_is_type(json_get(c, "clockRate"), json_type_int);
        bad += json_object_get_int(json_get(c, "preferredPayloadType")) != (int)(100 + i);
        if (strcmp(mime, "video/rtx") == 0) {
            rtx++;
            /* apt is a number naming the codec just before */
            json_object *apt = json_get(json_get(c, "parameters"), "apt");
            bad += !json_object_is_type(apt, json_type_int) ||
                   json_object_get_int(apt) != (int)(99 + i);
        }
    }
    json_object *opus = json_object_array_get_idx(codecs, 0);
    ASSERT_EQ(n, 5);
    ASSERT_EQ(rtx, 2);
    ASSERT_EQ(bad, 0);
    ASSERT_EQ(json_object_get_int(json_get(opus, "channels")), 2);
    ASSERT_EQ(json_object_get_int(json_get(json_get(opus, "parameters"), "useinbandfec")), 1);
    ASSERT_EQ(json_object_array_length(json_get(opus, "rtcpFeedback")), 1);
    ASSERT_EQ(json_object_array_length(exts), 9);
    for (size_t i = 0; i < json_object_array_length(exts); i++) {
        json_object *e = json_object_array_get_idx(exts, i);
        bad += !json_object_is_type(json_get(e, "preferredId"), json_type_int);
        bad += json_object_get_boolean(json_get(e, "preferredEncrypt"));
        bad += !json_get(e, "direction") || !json_get(e, "kind");
    }
    ASSERT_EQ(bad, 0);
    json_object_put(caps);
}

/* ---- what Chromium's mediasoup-client sends ---- */

TEST(parses_chromium_audio_produce) {
    ASSERT_OK(
        parse_fixture_params("mediasoup-client-produce-audio.json", ORTC_KIND_AUDIO, &produced));
    ASSERT_STREQ(produced.mid, "0");
    ASSERT_EQ(produced.n_codecs, 1);
    ASSERT_STREQ(produced.codecs[0].mime_type, "audio/opus");
    ASSERT_EQ(produced.codecs[0].payload_type, 111);
    ASSERT_EQ(produced.codecs[0].clock_rate, 48000);
    ASSERT_EQ(produced.codecs[0].channels, 2);
    ASSERT_NOT_NULL(param(&produced.codecs[0], "minptime"));
    ASSERT_TRUE(param(&produced.codecs[0], "minptime")->numeric);
    ASSERT_EQ(produced.codecs[0].n_feedback, 1);
    ASSERT_EQ(produced.n_header_extensions, 4);
    ASSERT_EQ(produced.n_encodings, 1);
    ASSERT_EQ_U(produced.encodings[0].ssrc,
                fixture_ssrc("mediasoup-client-produce-audio.json", false));
    ASSERT_STREQ(produced.rtcp_cname, fixture_cname("mediasoup-client-produce-audio.json"));
    ASSERT_EQ(strlen(produced.rtcp_cname), 16);
    ASSERT_TRUE(produced.rtcp_reduced_size);
}

TEST(parses_chromium_video_and_simulcast_produce) {
    ASSERT_OK(
        parse_fixture_params("mediasoup-client-produce-video.json", ORTC_KIND_VIDEO, &produced));
    ASSERT_EQ(produced.n_codecs, 2);
    ASSERT_STREQ(produced.codecs[1].mime_type, "video/rtx");
    ASSERT_STREQ(param(&produced.codecs[1], "apt")->value, "96");
    ASSERT_EQ(produced.codecs[0].channels, 0);
    ASSERT_EQ_U(produced.encodings[0].ssrc,
                fixture_ssrc("mediasoup-client-produce-video.json", false));
    ASSERT_EQ_U(produced.encodings[0].rtx_ssrc,
                fixture_ssrc("mediasoup-client-produce-video.json", true));
    ASSERT_NE(produced.encodings[0].rtx_ssrc, 0);
    ASSERT_OK(parse_fixture_params("mediasoup-client-produce-video-simulcast.json", ORTC_KIND_VIDEO,
                                   &produced));
    ASSERT_EQ(produced.n_encodings, 3);
    ASSERT_EQ(produced.encodings[0].ssrc, 0);
    ASSERT_STREQ(produced.encodings[2].rid, "r2");
    ASSERT_STREQ(produced.encodings[1].scalability_mode, "L1T3");
    ASSERT_STREQ(produced.rtcp_cname, "");
}

TEST(parses_chromium_device_capabilities) {
    ASSERT_OK(parse_device());
    ASSERT_EQ(device.n_codecs, 5);
    ASSERT_EQ(device.codecs[0].payload_type, 100); /* the router's */
    ASSERT_EQ(device.codecs[2].payload_type, 102);
    ASSERT_EQ(device.codecs[3].kind, ORTC_KIND_VIDEO);
    ASSERT_EQ(device.n_header_extensions, 4);
    ASSERT_EQ(device.header_extensions[3].kind, ORTC_KIND_AUDIO);
    ASSERT_EQ(device.header_extensions[3].id, 6);
    ASSERT_EQ(device.header_extensions[0].direction, ORTC_DIRECTION_SENDRECV);
}

/* ---- producing ---- */

TEST(maps_chromium_audio_onto_the_router) {
    OrtcRandom rnd = ORTC_RANDOM_INIT(0);
    ASSERT_OK(
        parse_fixture_params("mediasoup-client-produce-audio.json", ORTC_KIND_AUDIO, &produced));
    ASSERT_OK(ortc_producer_mapping(ORTC_KIND_AUDIO, &produced, ortc_random_next, &rnd, &mapping,
                                    &consumable, err, sizeof(err)));
    ASSERT_EQ(mapping.n_codecs, 1);
    ASSERT_EQ(mapping.codecs[0].payload_type, 111);
    ASSERT_EQ(mapping.codecs[0].mapped_payload_type, 100);
    ASSERT_EQ(mapping.n_encodings, 1);
    ASSERT_EQ_U(mapping.encodings[0].ssrc,
                fixture_ssrc("mediasoup-client-produce-audio.json", false));
    ASSERT_EQ_U(mapping.encodings[0].mapped_ssrc, 0x1e240000u + 0x01010101u);
    /* consumable: the router's payload type, the mapped SSRC, the router's sending extensions */
    ASSERT_EQ(consumable.codecs[0].payload_type, 100);
    ASSERT_EQ_U(consumable.encodings[0].ssrc, mapping.encodings[0].mapped_ssrc);
    ASSERT_EQ(consumable.n_header_extensions, 3); /* mid, abs-send-time, audio level */
    ASSERT_STREQ(consumable.rtcp_cname, fixture_cname("mediasoup-client-produce-audio.json"));
}

TEST(maps_chromium_vp8_and_rtx_and_simulcast_rids) {
    OrtcRandom rnd = ORTC_RANDOM_INIT(0);
    ASSERT_OK(
        parse_fixture_params("mediasoup-client-produce-video.json", ORTC_KIND_VIDEO, &produced));
    ASSERT_OK(ortc_producer_mapping(ORTC_KIND_VIDEO, &produced, ortc_random_next, &rnd, &mapping,
                                    &consumable, err, sizeof(err)));
    ASSERT_EQ(mapping.codecs[0].mapped_payload_type, 101);
    ASSERT_EQ(mapping.codecs[1].payload_type, 97);
    ASSERT_EQ(mapping.codecs[1].mapped_payload_type, 102);
    ASSERT_STREQ(param(&consumable.codecs[1], "apt")->value, "101");
    ASSERT_EQ(consumable.codecs[0].n_feedback, 5); /* the router's */
    ASSERT_OK(parse_fixture_params("mediasoup-client-produce-video-simulcast.json", ORTC_KIND_VIDEO,
                                   &produced));
    ASSERT_OK(ortc_producer_mapping(ORTC_KIND_VIDEO, &produced, ortc_random_next, &rnd, &mapping,
                                    &consumable, err, sizeof(err)));
    ASSERT_EQ(mapping.n_encodings, 3);
    ASSERT_STREQ(mapping.encodings[1].rid, "r1");
    ASSERT_EQ(mapping.encodings[1].ssrc, 0);
    ASSERT_NE(mapping.encodings[0].mapped_ssrc, mapping.encodings[1].mapped_ssrc);
    ASSERT_NE(mapping.encodings[1].mapped_ssrc, 0);
    /* no cname from the client: one made up, 16 hex digits */
    ASSERT_EQ(strlen(consumable.rtcp_cname), 16);
}

/* A random source that repeats itself and says 0: the mapping skips both. */
static uint32_t stuck(void *userdata) {
    unsigned *n = userdata;
    static const uint32_t seq[] = {0, 7, 7, 0, 7, 9, 11};
    return seq[(*n)++ % ELEMENTSOF(seq)];
}

TEST(mapped_ssrcs_are_nonzero_and_distinct) {
    unsigned n = 0;
    ASSERT_OK(parse_fixture_params("mediasoup-client-produce-video-simulcast.json", ORTC_KIND_VIDEO,
                                   &produced));
    ASSERT_OK(ortc_producer_mapping(ORTC_KIND_VIDEO, &produced, stuck, &n, &mapping, NULL, err,
                                    sizeof(err)));
    ASSERT_EQ(mapping.encodings[0].mapped_ssrc, 7);
    ASSERT_EQ(mapping.encodings[1].mapped_ssrc, 9);
    ASSERT_EQ(mapping.encodings[2].mapped_ssrc, 11);
}

TEST(produce_proto) {
    OrtcRandom rnd = ORTC_RANDOM_INIT(0);
    Arena *a = arena_new();
    Hype__SignalMedia__RtpParameters *p;
    Hype__SignalMedia__RtpMapping *m;
    ASSERT_OK(
        parse_fixture_params("mediasoup-client-produce-video.json", ORTC_KIND_VIDEO, &produced));
    ASSERT_OK(ortc_producer_mapping(ORTC_KIND_VIDEO, &produced, ortc_random_next, &rnd, &mapping,
                                    NULL, err, sizeof(err)));
    ASSERT_OK(ortc_rtp_parameters_proto(a, &produced, &p));
    ASSERT_OK(ortc_rtp_mapping_proto(a, &mapping, &m));
    /* through the wire and back, as the worker gets it */
    Hype__SignalMedia__Produce produce = HYPE__SIGNAL_MEDIA__PRODUCE__INIT;
    produce.kind = HYPE__SIGNAL_MEDIA__MEDIA_KIND__KIND_VIDEO;
    produce.rtp_parameters = p;
    produce.rtp_mapping = m;
    size_t len = hype__signal_media__produce__get_packed_size(&produce);
    uint8_t *buf = arena_alloc(a, len);
    hype__signal_media__produce__pack(&produce, buf);
    Hype__SignalMedia__Produce *back = hype__signal_media__produce__unpack(NULL, len, buf);
    ASSERT_NOT_NULL(back);
    ASSERT_STREQ(back->rtp_parameters->mid, "1");
    ASSERT_EQ(back->rtp_parameters->n_codecs, 2);
    ASSERT_STREQ(back->rtp_parameters->codecs[1]->parameters, "apt=96");
    ASSERT_EQ(back->rtp_parameters->codecs[0]->n_rtcp_feedback, 5);
    ASSERT_STREQ(back->rtp_parameters->codecs[0]->rtcp_feedback[4]->parameter, "pli");
    ASSERT_EQ(back->rtp_parameters->n_header_extensions, 5);
    ASSERT_EQ_U(back->rtp_parameters->encodings[0]->rtx_ssrc,
                fixture_ssrc("mediasoup-client-produce-video.json", true));
    ASSERT_STREQ(back->rtp_parameters->rtcp_cname,
                 fixture_cname("mediasoup-client-produce-video.json"));
    ASSERT_EQ(back->rtp_mapping->n_codecs, 2);
    ASSERT_EQ(back->rtp_mapping->codecs[1]->mapped_payload_type, 102);
    ASSERT_EQ_U(back->rtp_mapping->encodings[0]->ssrc,
                fixture_ssrc("mediasoup-client-produce-video.json", false));
    hype__signal_media__produce__free_unpacked(back, NULL);
    /* numbers and strings in one fmtp */
    ASSERT_OK(
        parse_fixture_params("mediasoup-client-produce-audio.json", ORTC_KIND_AUDIO, &produced));
    ASSERT_OK(ortc_rtp_parameters_proto(a, &produced, &p));
    ASSERT_STREQ(p->codecs[0]->parameters, "minptime=10;useinbandfec=1");
    ASSERT_EQ(p->codecs[0]->channels, 2);
    arena_free(a);
}

/* ---- consuming: the parameters mediasoup-client consumed, rebuilt ---- */

/* Builds the consumer of a produce fixture for the device, with mid, as ortc-tool did. */
static int consume_fixture(const char *produce, OrtcKind kind, const char *mid) {
    OrtcRandom rnd = ORTC_RANDOM_INIT(atoi(mid));
    int r;
    if ((r = parse_fixture_params(produce, kind, &produced)) < 0 || (r = parse_device()) < 0 ||
        (r = ortc_producer_mapping(kind, &produced, ortc_random_next, &rnd, &mapping, &consumable,
                                   err, sizeof(err))) < 0)
        return r;
    return ortc_consumer_parameters(&consumable, &device, mid, ortc_random_next, &rnd, &consumer,
                                    err, sizeof(err));
}

static void check_consumer(const char *name, OrtcKind kind, const char *mid) {
    char produce[128], consumed[128];
    snprintf(produce, sizeof(produce), "mediasoup-client-produce-%s.json", name);
    snprintf(consumed, sizeof(consumed), "hype-consumer-%s.json", name);
    ASSERT_OK(consume_fixture(produce, kind, mid));
    ASSERT_TRUE(ortc_can_consume(&consumable, &device));
    json_object *mine = ortc_consume_options_json("c1", "p", kind, &consumer),
                *given = fixture(consumed);
    json_object *accepted = fixture("mediasoup-client-accepted.json");
    int equal = mine && given && json_object_equal(mine, given);
    const char *state = json_object_get_string(json_get(json_get(accepted, "consume"), name));
    int live = state && strcmp(state, "live") == 0;
    if (!equal)
        fprintf(stderr, "  %s: %s\n", name, json_object_to_json_string(mine));
    json_object_put(mine);
    json_object_put(given);
    json_object_put(accepted);
    ASSERT_TRUE(equal);
    ASSERT_TRUE(live);
}

TEST(consumer_audio_is_what_mediasoup_client_consumed) {
    check_consumer("audio", ORTC_KIND_AUDIO, "0");
    ASSERT_STREQ(consumer.mid, "0");
    ASSERT_EQ(consumer.codecs[0].payload_type, 100);
    /* this device receives no transport-wide-cc for audio: transport-cc dropped */
    ASSERT_EQ(consumer.codecs[0].n_feedback, 0);
    ASSERT_EQ(consumer.n_header_extensions, 1);
    ASSERT_EQ(consumer.header_extensions[0].id, 6);
    ASSERT_EQ(consumer.encodings[0].rtx_ssrc, 0);
}

TEST(consumer_video_is_what_mediasoup_client_consumed) {
    check_consumer("video", ORTC_KIND_VIDEO, "1");
    ASSERT_EQ(consumer.n_codecs, 2);
    ASSERT_EQ(consumer.codecs[1].payload_type, 102);
    ASSERT_EQ_U(consumer.encodings[0].rtx_ssrc, consumer.encodings[0].ssrc + 1);
    /* transport-wide-cc negotiated: goog-remb dropped */
    for (size_t i = 0; i < consumer.codecs[0].n_feedback; i++)
        ASSERT_TRUE(strcmp(consumer.codecs[0].feedback[i].type, "goog-remb") != 0);
    ASSERT_EQ(consumer.codecs[0].n_feedback, 4);
}

TEST(consumer_simulcast_is_what_mediasoup_client_consumed) {
    check_consumer("video-simulcast", ORTC_KIND_VIDEO, "2");
    ASSERT_EQ(consumer.n_encodings, 1);
    ASSERT_STREQ(consumer.encodings[0].scalability_mode, "L3T3");
    ASSERT_STREQ(consumer.encodings[0].rid, "");
}

TEST(consumer_h264_is_what_mediasoup_client_consumed) {
    check_consumer("video-h264", ORTC_KIND_VIDEO, "3");
    ASSERT_EQ(mapping.codecs[0].payload_type, 108); /* Chromium's */
    ASSERT_EQ(mapping.codecs[0].mapped_payload_type, 103);
    ASSERT_EQ(mapping.codecs[1].mapped_payload_type, 104);
    ASSERT_STREQ(consumer.codecs[0].mime_type, "video/H264");
    ASSERT_STREQ(param(&consumer.codecs[0], "profile-level-id")->value, "42e01f");
    ASSERT_EQ(consumer.codecs[1].payload_type, 104);
}

TEST(consume_proto) {
    Arena *a = arena_new();
    Hype__SignalMedia__RtpParameters *p;
    ASSERT_OK(consume_fixture("mediasoup-client-produce-video.json", ORTC_KIND_VIDEO, "7"));
    ASSERT_OK(ortc_rtp_parameters_proto(a, &consumer, &p));
    ASSERT_STREQ(p->mid, "7");
    ASSERT_EQ(p->n_codecs, 2);
    ASSERT_EQ(p->codecs[0]->payload_type, 101);
    ASSERT_STREQ(p->codecs[1]->parameters, "apt=101");
    ASSERT_EQ(p->n_encodings, 1);
    ASSERT_EQ_U(p->encodings[0]->rtx_ssrc, p->encodings[0]->ssrc + 1);
    ASSERT_EQ(p->n_header_extensions, 3);
    ASSERT_TRUE(p->rtcp_reduced_size);
    arena_free(a);
}

TEST(consumer_without_device_rtx_or_extensions) {
    json_object *caps =
        q("{'codecs':[{'kind':'video','mimeType':'video/vp8','preferredPayloadType':101,"
          "'clockRate':90000,'rtcpFeedback':[{'type':'nack'},{'type':'goog-remb'},"
          "{'type':'transport-cc'}]}],"
          "'headerExtensions':[{'kind':'video','uri':'http://www.webrtc.org/"
          "experiments/rtp-hdrext/abs-send-time','preferredId':14},"
          "{'kind':'video','uri':'urn:ietf:params:rtp-hdrext:sdes:mid',"
          "'preferredId':1,'direction':'sendonly'}]}");
    OrtcRandom rnd = ORTC_RANDOM_INIT(0);
    ASSERT_OK(ortc_parse_rtp_capabilities(caps, &device, err, sizeof(err)));
    json_object_put(caps);
    ASSERT_OK(
        parse_fixture_params("mediasoup-client-produce-video.json", ORTC_KIND_VIDEO, &produced));
    ASSERT_OK(ortc_producer_mapping(ORTC_KIND_VIDEO, &produced, ortc_random_next, &rnd, &mapping,
                                    &consumable, err, sizeof(err)));
    ASSERT_OK(ortc_consumer_parameters(&consumable, &device, "3", ortc_random_next, &rnd, &consumer,
                                       err, sizeof(err)));
    ASSERT_EQ(consumer.n_codecs, 1); /* no rtx on the device */
    ASSERT_EQ(consumer.encodings[0].rtx_ssrc, 0);
    ASSERT_EQ(consumer.n_header_extensions, 1);      /* mid is sendonly for the device */
    ASSERT_EQ(consumer.header_extensions[0].id, 14); /* the device's id */
    /* abs-send-time only: REMB kept, transport-cc dropped; intersection: nack, goog-remb */
    ASSERT_EQ(consumer.codecs[0].n_feedback, 2);
    ASSERT_STREQ(consumer.codecs[0].feedback[1].type, "goog-remb");
}

TEST(cannot_consume_without_the_codec_or_the_payload_type) {
    OrtcRandom rnd = ORTC_RANDOM_INIT(0);
    json_object *audio_only = q("{'codecs':[{'mimeType':'audio/opus','preferredPayloadType':100,"
                                "'clockRate':48000,'channels':2}]}");
    json_object *other_pt = q("{'codecs':[{'mimeType':'video/VP8','preferredPayloadType':96,"
                              "'clockRate':90000}]}");
    ASSERT_OK(
        parse_fixture_params("mediasoup-client-produce-video.json", ORTC_KIND_VIDEO, &produced));
    ASSERT_OK(ortc_producer_mapping(ORTC_KIND_VIDEO, &produced, ortc_random_next, &rnd, &mapping,
                                    &consumable, err, sizeof(err)));
    ASSERT_OK(ortc_parse_rtp_capabilities(audio_only, &device, err, sizeof(err)));
    ASSERT_FALSE(ortc_can_consume(&consumable, &device));
    ASSERT_EQ(ortc_consumer_parameters(&consumable, &device, "0", ortc_random_next, &rnd, &consumer,
                                       err, sizeof(err)),
              -ENOTSUP);
    ASSERT_TRUE(strstr(err, "supports none") != NULL);
    /* VP8 at another payload type: mediasoup-client would refuse it (canReceive) */
    ASSERT_OK(ortc_parse_rtp_capabilities(other_pt, &device, err, sizeof(err)));
    ASSERT_FALSE(ortc_can_consume(&consumable, &device));
    ASSERT_OK(parse_device());
    ASSERT_TRUE(ortc_can_consume(&consumable, &device));
    ASSERT_EQ(ortc_consumer_parameters(&consumable, &device, "", ortc_random_next, &rnd, &consumer,
                                       err, sizeof(err)),
              -EINVAL);
    ASSERT_EQ(ortc_consumer_parameters(&consumable, &device, NULL, ortc_random_next, &rnd,
                                       &consumer, err, sizeof(err)),
              -EINVAL);
    ASSERT_EQ(ortc_consumer_parameters(&consumable, &device, "0123456789012345678901234567890123",
                                       ortc_random_next, &rnd, &consumer, err, sizeof(err)),
              -EINVAL);
    ASSERT_TRUE(strstr(err, "mid") != NULL);
    consumable.n_encodings = 0; /* a consumable not from ortc_producer_mapping */
    ASSERT_EQ(ortc_consumer_parameters(&consumable, &device, "0", ortc_random_next, &rnd, &consumer,
                                       err, sizeof(err)),
              -EINVAL);
    ASSERT_TRUE(strstr(err, "no encoding") != NULL);
    json_object_put(audio_only);
    json_object_put(other_pt);
}

/* ---- H264 ---- */

static int map_h264(const char *profile, const char *mode) {
    char text[512];
    OrtcRandom rnd = ORTC_RANDOM_INIT(0);
    snprintf(
        text, sizeof(text),
        "{'codecs':[{'mimeType':'video/h264','payloadType':108,'clockRate':90000,"
        "'parameters':{'profile-level-id':'%s','packetization-mode':%s}},"
        "{'mimeType':'video/rtx','payloadType':109,'clockRate':90000,'parameters':{'apt':108}}],"
        "'encodings':[{'ssrc':5,'rtx':{'ssrc':6}}]}",
        profile, mode);
    json_object *o = q(text);
    int r = ortc_parse_rtp_parameters(o, ORTC_KIND_VIDEO, &produced, err, sizeof(err));
    json_object_put(o);
    if (r < 0)
        return r;
    return ortc_producer_mapping(ORTC_KIND_VIDEO, &produced, ortc_random_next, &rnd, &mapping,
                                 &consumable, err, sizeof(err));
}

TEST(h264_profiles_and_packetization_mode) {
    ASSERT_OK(map_h264("42e01f", "1")); /* constrained baseline, the router's */
    ASSERT_EQ(mapping.codecs[0].mapped_payload_type, 103);
    ASSERT_EQ(mapping.codecs[1].mapped_payload_type, 104);
    ASSERT_OK(map_h264("42e034", "1")); /* another level: asymmetry allowed */
    ASSERT_OK(map_h264("4d801f", "1")); /* main with constraint_set1: constrained baseline */
    ASSERT_OK(map_h264("42C02A", "1")); /* upper-case hex */
    ASSERT_EQ(map_h264("42001f", "1"), -ENOTSUP); /* baseline */
    ASSERT_EQ(map_h264("4d001f", "1"), -ENOTSUP); /* main */
    ASSERT_EQ(map_h264("640c1f", "1"), -ENOTSUP); /* constrained high */
    ASSERT_EQ(map_h264("64001f", "1"), -ENOTSUP); /* high */
    ASSERT_EQ(map_h264("zz001f", "1"), -ENOTSUP);
    ASSERT_EQ(map_h264("42e01", "1"), -ENOTSUP);
    ASSERT_EQ(map_h264(" 2e01f", "1"), -ENOTSUP);
    ASSERT_EQ(map_h264("42e01f", "0"), -ENOTSUP);
    ASSERT_TRUE(strstr(err, "video/h264") != NULL);
}

/* ---- error paths ---- */

typedef struct Bad {
    const char *json;
    int r;
    const char *message; /* a part of it */
} Bad;

#define OPUS "{'mimeType':'audio/opus','payloadType':111,'clockRate':48000,'channels':2}"
#define ENC "'encodings':[{'ssrc':1}]"

static const Bad bad_audio[] = {
    {"[]", -EINVAL, "rtpParameters must be an object"},
    {"{'codecs':[" OPUS "]}", -EINVAL, "rtpParameters.encodings must have at least one"},
    {"{" ENC "}", -EINVAL, "rtpParameters.codecs is required"},
    {"{'codecs':[]," ENC "}", -EINVAL, "at least one codec"},
    {"{'codecs':{}," ENC "}", -EINVAL, "rtpParameters.codecs must be an array"},
    {"{'codecs':[1]," ENC "}", -EINVAL, "codecs[0] must be an object"},
    {"{'codecs':[{'payloadType':1,'clockRate':1}]," ENC "}", -EINVAL,
     "codecs[0].mimeType is required"},
    {"{'codecs':[{'mimeType':'opus','payloadType':1,'clockRate':1}]," ENC "}", -EINVAL,
     "codecs[0].mimeType must be audio/"},
    {"{'codecs':[{'mimeType':'audio/','payloadType':1,'clockRate':1}]," ENC "}", -EINVAL,
     "mimeType must be"},
    {"{'codecs':[{'mimeType':7,'payloadType':1,'clockRate':1}]," ENC "}", -EINVAL,
     "mimeType must be a string"},
    {"{'codecs':[{'mimeType':'audio/opus','payloadType':'111','clockRate':48000}]," ENC "}",
     -EINVAL, "codecs[0].payloadType must be an integer"},
    {"{'codecs':[{'mimeType':'audio/opus','payloadType':128,'clockRate':48000}]," ENC "}", -EINVAL,
     "payloadType must be an integer from 0 to 127"},
    {"{'codecs':[{'mimeType':'audio/opus','payloadType':1.5,'clockRate':48000}]," ENC "}", -EINVAL,
     "payloadType"},
    {"{'codecs':[{'mimeType':'audio/opus','payloadType':-1,'clockRate':48000}]," ENC "}", -EINVAL,
     "payloadType"},
    {"{'codecs':[{'mimeType':'audio/opus','payloadType':111}]," ENC "}", -EINVAL,
     "codecs[0].clockRate is required"},
    {"{'codecs':[{'mimeType':'audio/opus','payloadType':111,'clockRate':0}]," ENC "}", -EINVAL,
     "clockRate must be"},
    {"{'codecs':[{'mimeType':'audio/opus','payloadType':111,'clockRate':1e300}]," ENC "}", -EINVAL,
     "clockRate must be"},
    {"{'codecs':[{'mimeType':'audio/opus','payloadType':111,'clockRate':48000,'channels':0}]," ENC
     "}",
     -EINVAL, "channels must be"},
    {"{'codecs':[{'mimeType':'audio/"
     "opus','payloadType':111,'clockRate':48000,'parameters':[]}]," ENC "}",
     -EINVAL, "codecs[0].parameters must be an object"},
    {"{'codecs':[{'mimeType':'audio/"
     "opus','payloadType':111,'clockRate':48000,'parameters':{'a':true}}]," ENC "}",
     -EINVAL, "codecs[0].parameters.a must be a string or a non-negative integer"},
    {"{'codecs':[{'mimeType':'audio/"
     "opus','payloadType':111,'clockRate':48000,'parameters':{'a':'x;y'}}]," ENC "}",
     -EINVAL, "must not contain ';'"},
    {"{'codecs':[{'mimeType':'audio/"
     "opus','payloadType':111,'clockRate':48000,'parameters':{'':1}}]," ENC "}",
     -EINVAL, "bad parameter name"},
    {"{'codecs':[{'mimeType':'audio/"
     "opus','payloadType':111,'clockRate':48000,'parameters':{'a':'\\u0000'}}]," ENC "}",
     -EINVAL, "must not contain NUL"},
    {"{'codecs':[{'mimeType':'audio/"
     "opus','payloadType':111,'clockRate':48000,'rtcpFeedback':{}}]," ENC "}",
     -EINVAL, "codecs[0].rtcpFeedback must be an array"},
    {"{'codecs':[{'mimeType':'audio/"
     "opus','payloadType':111,'clockRate':48000,'rtcpFeedback':[{}]}]," ENC "}",
     -EINVAL, "codecs[0].rtcpFeedback[0].type is required"},
    {"{'codecs':[{'mimeType':'audio/"
     "opus','payloadType':111,'clockRate':48000,'rtcpFeedback':['nack']}]," ENC "}",
     -EINVAL, "rtcpFeedback[0] must be an object"},
    {"{'codecs':[{'mimeType':'audio/"
     "opus','payloadType':111,'clockRate':48000,'rtcpFeedback':[{'type':'nack','parameter':1}]}]"
     "," ENC "}",
     -EINVAL, "rtcpFeedback[0].parameter must be a string"},
    {"{'codecs':[" OPUS "," OPUS "]," ENC "}", -EINVAL, "codecs[1] repeats payload type 111"},
    {"{'codecs':[{'mimeType':'video/VP8','payloadType':96,'clockRate':90000}]," ENC "}", -EINVAL,
     "codecs[0].mimeType is not of kind audio"},
    {"{'codecs':[{'mimeType':'audio/"
     "rtx','payloadType':96,'clockRate':48000,'parameters':{'apt':111}}]," ENC "}",
     -EINVAL, "codecs[0] must be a media codec"},
    {"{'codecs':[" OPUS ",{'mimeType':'audio/rtx','payloadType':96,'clockRate':48000}]," ENC "}",
     -EINVAL, "codecs[1].parameters.apt is required for rtx"},
    {"{'codecs':[" OPUS
     ",{'mimeType':'audio/rtx','payloadType':96,'clockRate':48000,'parameters':{'apt':'111'}}]," ENC
     "}",
     -EINVAL, "codecs[1].parameters.apt must be a payload type"},
    {"{'codecs':[" OPUS "],'headerExtensions':{}," ENC "}", -EINVAL,
     "rtpParameters.headerExtensions must be an array"},
    {"{'codecs':[" OPUS "],'headerExtensions':[{'id':1}]," ENC "}", -EINVAL,
     "headerExtensions[0].uri is required"},
    {"{'codecs':[" OPUS "],'headerExtensions':[{'uri':'','id':1}]," ENC "}", -EINVAL,
     "headerExtensions[0].uri must not be empty"},
    {"{'codecs':[" OPUS "],'headerExtensions':[{'uri':'u'}]," ENC "}", -EINVAL,
     "headerExtensions[0].id is required"},
    {"{'codecs':[" OPUS "],'headerExtensions':[{'uri':'u','id':0}]," ENC "}", -EINVAL,
     "headerExtensions[0].id must be an integer from 1 to 255"},
    {"{'codecs':[" OPUS "],'headerExtensions':[{'uri':'u','id':1,'encrypt':1}]," ENC "}", -EINVAL,
     "headerExtensions[0].encrypt must be a boolean"},
    {"{'codecs':[" OPUS "],'headerExtensions':[{'uri':'u','id':1},{'uri':'v','id':1}]," ENC "}",
     -EINVAL, "headerExtensions[1] repeats id 1"},
    {"{'codecs':[" OPUS "],'encodings':{}}", -EINVAL, "rtpParameters.encodings must be an array"},
    {"{'codecs':[" OPUS "],'encodings':[7]}", -EINVAL, "encodings[0] must be an object"},
    {"{'codecs':[" OPUS "],'encodings':[{}]}", -EINVAL, "encodings[0] needs an ssrc or a rid"},
    {"{'codecs':[" OPUS "],'encodings':[{'ssrc':0}]}", -EINVAL,
     "encodings[0].ssrc must be an integer"},
    {"{'codecs':[" OPUS "],'encodings':[{'ssrc':4294967296}]}", -EINVAL, "encodings[0].ssrc"},
    {"{'codecs':[" OPUS "],'encodings':[{'ssrc':18446744073709551615}]}", -EINVAL,
     "encodings[0].ssrc"},
    {"{'codecs':[" OPUS "],'encodings':[{'ssrc':1,'rtx':1}]}", -EINVAL,
     "encodings[0].rtx must be an object"},
    {"{'codecs':[" OPUS "],'encodings':[{'ssrc':1,'rtx':{}}]}", -EINVAL,
     "encodings[0].rtx.ssrc is required"},
    {"{'codecs':[" OPUS "],'encodings':[{'rid':5}]}", -EINVAL, "encodings[0].rid must be a string"},
    {"{'codecs':[" OPUS "],'encodings':[{'ssrc':3,'rtx':{'ssrc':3}}]}", -EINVAL,
     "encodings[0].rtx.ssrc must differ from its ssrc"},
    {"{'codecs':[" OPUS "],'encodings':[{'ssrc':1,'dtx':'yes'}]}", -EINVAL,
     "encodings[0].dtx must be a boolean"},
    {"{'codecs':[" OPUS "],'encodings':[{'ssrc':1,'maxBitrate':-5}]}", -EINVAL,
     "encodings[0].maxBitrate"},
    {"{'codecs':[" OPUS "],'encodings':[{'ssrc':1,'scalabilityMode':'L1T3L1T3L1T3L1T3'}]}", -E2BIG,
     "encodings[0].scalabilityMode is longer than 15 bytes"},
    {"{'codecs':[" OPUS "],'encodings':[{'ssrc':1},{'rid':'a'}]}", -EINVAL,
     "encodings[1] must use ssrc or rid as encodings[0] does"},
    {"{'codecs':[" OPUS "],'encodings':[{'ssrc':1},{'ssrc':1}]}", -EINVAL,
     "encodings[1] repeats another encoding's ssrc or rid"},
    {"{'codecs':[" OPUS "],'encodings':[{'ssrc':1,'rtx':{'ssrc':2}},{'ssrc':2}]}", -EINVAL,
     "encodings[1] repeats"},
    {"{'codecs':[" OPUS "],'encodings':[{'rid':'a'},{'rid':'a'}]}", -EINVAL,
     "encodings[1] repeats"},
    {"{'mid':5,'codecs':[" OPUS "]," ENC "}", -EINVAL, "rtpParameters.mid must be a string"},
    {"{'mid':'0123456789012345678901234567890123','codecs':[" OPUS "]," ENC "}", -E2BIG,
     "rtpParameters.mid is longer than 31 bytes"},
    {"{'codecs':[" OPUS "]," ENC ",'rtcp':[]}", -EINVAL, "rtpParameters.rtcp must be an object"},
    {"{'codecs':[" OPUS "]," ENC ",'rtcp':{'cname':1}}", -EINVAL,
     "rtpParameters.rtcp.cname must be a string"},
    {"{'codecs':[" OPUS "]," ENC ",'rtcp':{'reducedSize':'no'}}", -EINVAL,
     "rtpParameters.rtcp.reducedSize must be a boolean"},
};

/* Each case fails with its errno and a message holding its part (as audio rtpParameters, or as
 * rtpCapabilities). */
static void check_bad(const Bad *cases, size_t n, bool caps) {
    for (size_t i = 0; i < n; i++) {
        json_object *o = q(cases[i].json);
        int r = -1;
        err[0] = '\0';
        if (o)
            r = caps ? ortc_parse_rtp_capabilities(o, &device, err, sizeof(err))
                     : ortc_parse_rtp_parameters(o, ORTC_KIND_AUDIO, &produced, err, sizeof(err));
        json_object_put(o);
        if (r != cases[i].r || !strstr(err, cases[i].message))
            TEST_FAIL_("case %zu (%s): %d \"%s\", wanted %d \"%s\"", i, cases[i].json, r, err,
                       cases[i].r, cases[i].message);
    }
}

TEST(every_rtp_parameters_error_names_its_field) {
    check_bad(bad_audio, ELEMENTSOF(bad_audio), false);
    ASSERT_FALSE(test_current_failed);
    /* and the valid base of those cases is valid, null members count as absent */
    json_object *o =
        q("{'mid':null,'codecs':[" OPUS "]," ENC ",'rtcp':null,'headerExtensions':null}");
    ASSERT_OK(ortc_parse_rtp_parameters(o, ORTC_KIND_AUDIO, &produced, err, sizeof(err)));
    ASSERT_EQ(produced.codecs[0].channels, 2);
    json_object_put(o);
    o = q("{'codecs':[{'mimeType':'audio/opus','payloadType':111,'clockRate':48000.0}]," ENC "}");
    ASSERT_OK(ortc_parse_rtp_parameters(o, ORTC_KIND_AUDIO, &produced, err, sizeof(err)));
    ASSERT_EQ(produced.codecs[0].channels, 1); /* mediasoup's default */
    json_object_put(o);
}

static const Bad bad_caps[] = {
    {"7", -EINVAL, "rtpCapabilities must be an object"},
    {"{'codecs':7}", -EINVAL, "rtpCapabilities.codecs must be an array"},
    {"{'codecs':[{'mimeType':'audio/opus','payloadType':100,'clockRate':48000}]}", -EINVAL,
     "codecs[0].preferredPayloadType is required"},
    {"{'codecs':[{'kind':'video','mimeType':'audio/"
     "opus','preferredPayloadType':100,'clockRate':48000}]}",
     -EINVAL, "codecs[0].kind must be the mimeType's kind"},
    {"{'codecs':[{'kind':7,'mimeType':'audio/opus','preferredPayloadType':100,'clockRate':48000}]}",
     -EINVAL, "codecs[0].kind must be a string"},
    {"{'headerExtensions':[{'uri':'u','preferredId':1}]}", -EINVAL,
     "headerExtensions[0].kind is required"},
    {"{'headerExtensions':[{'kind':'data','uri':'u','preferredId':1}]}", -EINVAL,
     "headerExtensions[0].kind must be \"audio\" or \"video\""},
    {"{'headerExtensions':[{'kind':'audio','uri':'u','id':1}]}", -EINVAL,
     "headerExtensions[0].preferredId is required"},
    {"{'headerExtensions':[{'kind':'audio','uri':'u','preferredId':1,'direction':'up'}]}", -EINVAL,
     "headerExtensions[0].direction must be sendrecv"},
    {"{'headerExtensions':[{'kind':'audio','uri':'u','preferredId':1,'preferredEncrypt':0}]}",
     -EINVAL, "headerExtensions[0].preferredEncrypt must be a boolean"},
};

TEST(every_rtp_capabilities_error_names_its_field) {
    check_bad(bad_caps, ELEMENTSOF(bad_caps), true);
    ASSERT_FALSE(test_current_failed);
    json_object *empty = q("{}");
    ASSERT_OK(ortc_parse_rtp_capabilities(empty, &device, err, sizeof(err)));
    ASSERT_EQ(device.n_codecs, 0);
    json_object_put(empty);
}

/* base with an array at key of n items, item a printf format of the item's number, twice (a
 * test-only format from this file: hence the pragma); parsed as audio parameters or as caps. */
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static int parse_with(const char *base, const char *path1, const char *key, const char *item,
                      size_t n, bool caps) {
    json_object *o = q(base), *arr = json_object_new_array(), *parent = o;
    if (path1)
        parent = json_get(json_object_array_get_idx(json_get(o, "codecs"), 0), path1);
    for (size_t i = 0; i < n; i++) {
        char text[256];
        snprintf(text, sizeof(text), item, (int)i + 1, (int)i + 1);
        json_object_array_add(arr, q(text));
    }
    if (parent == o || !path1)
        json_object_object_add(o, key, arr);
    else
        json_object_object_add(parent, key, arr);
    int r = caps ? ortc_parse_rtp_capabilities(o, &device, err, sizeof(err))
                 : ortc_parse_rtp_parameters(o, ORTC_KIND_AUDIO, &produced, err, sizeof(err));
    json_object_put(o);
    return r;
}

TEST(every_array_is_bounded) {
    const char *codec = "{'mimeType':'audio/opus','payloadType':%d,'clockRate':48000,'x':%d}";
    const char *cap =
        "{'mimeType':'audio/opus','preferredPayloadType':%d,'clockRate':48000,'x':%d}";
    const char *ext = "{'uri':'u%d','id':%d}";
    const char *capext = "{'kind':'audio','uri':'u%d','preferredId':%d}";
    const char *enc = "{'ssrc':%d,'x':%d}";
    ASSERT_OK(parse_with("{" ENC "}", NULL, "codecs", codec, ORTC_MAX_CODECS, false));
    ASSERT_EQ(parse_with("{" ENC "}", NULL, "codecs", codec, ORTC_MAX_CODECS + 1, false), -E2BIG);
    ASSERT_TRUE(strstr(err, "rtpParameters.codecs has more than 8 entries") != NULL);
    ASSERT_OK(parse_with("{}", NULL, "codecs", cap, ORTC_MAX_CAPS_CODECS, true));
    ASSERT_EQ(parse_with("{}", NULL, "codecs", cap, ORTC_MAX_CAPS_CODECS + 1, true), -E2BIG);
    ASSERT_TRUE(strstr(err, "rtpCapabilities.codecs has more than 16 entries") != NULL);
    ASSERT_OK(parse_with("{'codecs':[" OPUS "]," ENC "}", NULL, "headerExtensions", ext,
                         ORTC_MAX_HEADER_EXTENSIONS, false));
    ASSERT_EQ(parse_with("{'codecs':[" OPUS "]," ENC "}", NULL, "headerExtensions", ext,
                         ORTC_MAX_HEADER_EXTENSIONS + 1, false),
              -E2BIG);
    ASSERT_EQ(
        parse_with("{}", NULL, "headerExtensions", capext, ORTC_MAX_HEADER_EXTENSIONS + 1, true),
        -E2BIG);
    ASSERT_OK(
        parse_with("{'codecs':[" OPUS "]}", NULL, "encodings", enc, ORTC_MAX_ENCODINGS, false));
    ASSERT_EQ(
        parse_with("{'codecs':[" OPUS "]}", NULL, "encodings", enc, ORTC_MAX_ENCODINGS + 1, false),
        -E2BIG);
    ASSERT_TRUE(strstr(err, "rtpParameters.encodings has more than 8 entries") != NULL);
    /* rtcpFeedback and parameters of codecs[0] */
    json_object *o = q("{'codecs':[" OPUS "]," ENC "}"),
                *c = json_object_array_get_idx(json_get(o, "codecs"), 0);
    json_object *fbs = json_object_new_array(), *params = json_object_new_object();
    for (int i = 0; i <= ORTC_MAX_FEEDBACK; i++)
        json_object_array_add(fbs, q("{'type':'nack'}"));
    json_object_object_add(c, "rtcpFeedback", fbs);
    ASSERT_EQ(ortc_parse_rtp_parameters(o, ORTC_KIND_AUDIO, &produced, err, sizeof(err)), -E2BIG);
    ASSERT_TRUE(strstr(err, "codecs[0].rtcpFeedback has more than 8") != NULL);
    json_object_array_del_idx(fbs, 0, 1);
    ASSERT_OK(ortc_parse_rtp_parameters(o, ORTC_KIND_AUDIO, &produced, err, sizeof(err)));
    for (int i = 0; i <= ORTC_MAX_PARAMETERS; i++) {
        char key[16];
        snprintf(key, sizeof(key), "k%u", (unsigned)i & 0xff);
        json_object_object_add(params, key, json_object_new_int(i));
    }
    json_object_object_add(c, "parameters", params);
    ASSERT_EQ(ortc_parse_rtp_parameters(o, ORTC_KIND_AUDIO, &produced, err, sizeof(err)), -E2BIG);
    ASSERT_TRUE(strstr(err, "codecs[0].parameters has more than 8") != NULL);
    json_object_object_del(params, "k0");
    ASSERT_OK(ortc_parse_rtp_parameters(o, ORTC_KIND_AUDIO, &produced, err, sizeof(err)));
    /* long strings */
    char long_value[200];
    memset(long_value, 'a', sizeof(long_value) - 1);
    long_value[sizeof(long_value) - 1] = '\0';
    json_object_object_add(params, "k1", json_object_new_string(long_value));
    ASSERT_EQ(ortc_parse_rtp_parameters(o, ORTC_KIND_AUDIO, &produced, err, sizeof(err)), -E2BIG);
    ASSERT_TRUE(strstr(err, "codecs[0].parameters.k1 is longer than 63 bytes") != NULL);
    json_object_object_del(params, "k1");
    json_object_object_add(params, long_value, json_object_new_int(1));
    ASSERT_EQ(ortc_parse_rtp_parameters(o, ORTC_KIND_AUDIO, &produced, err, sizeof(err)), -EINVAL);
    json_object_put(o);
}

TEST(producer_mapping_refusals) {
    OrtcRandom rnd = ORTC_RANDOM_INIT(0);
    static const struct {
        const char *json;
        OrtcKind kind;
        const char *message;
    } cases[] = {
        {"{'codecs':[{'mimeType':'audio/PCMU','payloadType':0,'clockRate':8000}]," ENC "}",
         ORTC_KIND_AUDIO, "codecs[0]: the router does not support audio/PCMU/8000"},
        {"{'codecs':[{'mimeType':'audio/opus','payloadType':111,'clockRate':48000}]," ENC "}",
         ORTC_KIND_AUDIO, "audio/opus/48000 with these channels"}, /* mono opus */
        {"{'codecs':[{'mimeType':'audio/"
         "opus','payloadType':111,'clockRate':16000,'channels':2}]," ENC "}",
         ORTC_KIND_AUDIO, "does not support audio/opus/16000"},
        {"{'codecs':[{'mimeType':'video/VP9','payloadType':98,'clockRate':90000}]," ENC "}",
         ORTC_KIND_VIDEO, "does not support video/VP9"},
        {"{'codecs':[" OPUS ",{'mimeType':'audio/rtx','payloadType':96,'clockRate':48000,"
         "'parameters':{'apt':111}}]," ENC "}",
         ORTC_KIND_AUDIO, "codecs[1]: the router has no rtx for audio/opus"},
        {"{'codecs':[{'mimeType':'video/VP8','payloadType':96,'clockRate':90000},"
         "{'mimeType':'video/rtx','payloadType':97,'clockRate':90000,'parameters':{'apt':95}}]," ENC
         "}",
         ORTC_KIND_VIDEO, "codecs[1]: rtx apt=95 names no media codec"},
        {"{'codecs':[{'mimeType':'video/VP8','payloadType':96,'clockRate':90000},"
         "{'mimeType':'video/rtx','payloadType':97,'clockRate':10000,'parameters':{'apt':96}}]," ENC
         "}",
         ORTC_KIND_VIDEO, "the router has no rtx for video/VP8"},
    };
    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        json_object *o = q(cases[i].json);
        int r = ortc_parse_rtp_parameters(o, cases[i].kind, &produced, err, sizeof(err));
        json_object_put(o);
        if (r < 0)
            TEST_FAIL_("case %zu does not parse: %s", i, err);
        r = ortc_producer_mapping(cases[i].kind, &produced, ortc_random_next, &rnd, &mapping,
                                  &consumable, err, sizeof(err));
        if (r != -ENOTSUP || !strstr(err, cases[i].message))
            TEST_FAIL_("case %zu: %d \"%s\", wanted -ENOTSUP \"%s\"", i, r, err, cases[i].message);
    }
    /* a kind that is none, and codecs of another kind than asked (built by hand) */
    ASSERT_EQ(ortc_producer_mapping(ORTC_KIND_NONE, &produced, ortc_random_next, &rnd, &mapping,
                                    NULL, err, sizeof(err)),
              -EINVAL);
    ASSERT_TRUE(strstr(err, "kind must be") != NULL);
    ASSERT_EQ(ortc_producer_mapping(ORTC_KIND_AUDIO, &produced, ortc_random_next, &rnd, &mapping,
                                    NULL, err, sizeof(err)),
              -EINVAL);
    ASSERT_TRUE(strstr(err, "codecs[0] is not of kind audio") != NULL);
}

TEST(kind_strings) {
    ASSERT_EQ(ortc_kind_from_string("audio"), ORTC_KIND_AUDIO);
    ASSERT_EQ(ortc_kind_from_string("video"), ORTC_KIND_VIDEO);
    ASSERT_EQ(ortc_kind_from_string("Audio"), ORTC_KIND_NONE);
    ASSERT_EQ(ortc_kind_from_string(NULL), ORTC_KIND_NONE);
    ASSERT_STREQ(ortc_kind_to_string(ORTC_KIND_VIDEO), "video");
    ASSERT_EQ((int)ORTC_KIND_AUDIO, (int)HYPE__SIGNAL_MEDIA__MEDIA_KIND__KIND_AUDIO);
    ASSERT_EQ((int)ORTC_KIND_VIDEO, (int)HYPE__SIGNAL_MEDIA__MEDIA_KIND__KIND_VIDEO);
}

TEST(small_error_buffers_truncate) {
    char small[8];
    json_object *o = q("[]");
    ASSERT_EQ(ortc_parse_rtp_parameters(o, ORTC_KIND_AUDIO, &produced, small, sizeof(small)),
              -EINVAL);
    ASSERT_STREQ(small, "rtpPara");
    json_object_put(o);
}

TEST_MAIN()
