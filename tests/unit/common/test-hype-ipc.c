/* Unit tests for common/hype-ipc: the frame codec. */
#include <stdlib.h>

#include "hype-ipc-api-signal.h"
#include "hype-ipc-signal-media.h"
#include "test.h"

#define LINK (&ipc_link_api_signal)
#define MESSAGE HYPE__API_SIGNAL__EVENT_KIND__EVENT_MESSAGE

static Hype__ApiSignal__Envelope *event_env(Hype__ApiSignal__EventKind kind, const char *json,
                                            uint64_t id) {
    static Hype__ApiSignal__Event ev;
    static Hype__ApiSignal__Envelope env;
    hype__api_signal__event__init(&ev);
    hype__api_signal__envelope__init(&env);
    ev.kind = kind;
    ev.json = (char *)json;
    ev.target_kind = HYPE__API_SIGNAL__EVENT__TARGET_KIND__TARGET_CHANNEL;
    ev.target_id = 42;
    env.id = id;
    env.body_case = HYPE__API_SIGNAL__ENVELOPE__BODY_EVENT;
    env.event = &ev;
    return &env;
}

/* The codec's envelopes, as this link's type. */
static int decode(const uint8_t *buf, size_t len, Hype__ApiSignal__Envelope **ret, size_t *used) {
    ProtobufCMessage *m = NULL;
    int r = ipc_frame_decode(LINK, buf, len, 0, &m, used);
    *ret = (Hype__ApiSignal__Envelope *)m;
    return r;
}

static int next(IpcDecoder *d, Hype__ApiSignal__Envelope **ret) {
    ProtobufCMessage *m = NULL;
    int r = ipc_decoder_next(d, &m);
    *ret = (Hype__ApiSignal__Envelope *)m;
    return r;
}

TEST(round_trip_every_body) {
    Hype__Hello hello = HYPE__HELLO__INIT;
    Hype__Error err = HYPE__ERROR__INIT;
    Hype__ApiSignal__Envelope a = HYPE__API_SIGNAL__ENVELOPE__INIT,
                              b = HYPE__API_SIGNAL__ENVELOPE__INIT;
    hello.protocol_version = IPC_PROTOCOL_VERSION;
    hello.role = HYPE__ROLE__ROLE_MEDIA;
    hello.instance = "media-3";
    hello.pid = 1234;
    a.body_case = HYPE__API_SIGNAL__ENVELOPE__BODY_HELLO;
    a.hello = &hello;
    err.code = HYPE__ERROR__CODE__CODE_NOT_FOUND;
    err.message = "no such router";
    b.reply_to = 7;
    b.body_case = HYPE__API_SIGNAL__ENVELOPE__BODY_ERROR;
    b.error = &err;
    Hype__ApiSignal__Envelope *envs[] = {
        &a, &b, event_env(MESSAGE, "{\"x\":1}", 9),
        event_env(HYPE__API_SIGNAL__EVENT_KIND__EVENT_UNSPECIFIED, "", 0)};
    for (size_t i = 0; i < 4; i++) {
        uint8_t *buf;
        size_t len, used;
        ASSERT_EQ(ipc_frame_encode(&envs[i]->base, &buf, &len), 0);
        ASSERT_EQ(len, ipc_frame_size(&envs[i]->base));
        Hype__ApiSignal__Envelope *out = NULL;
        ASSERT_EQ(decode(buf, len, &out, &used), 1);
        ASSERT_EQ(used, len);
        ASSERT_EQ(out->body_case, envs[i]->body_case);
        ASSERT_EQ_U(out->id, envs[i]->id);
        ASSERT_EQ_U(out->reply_to, envs[i]->reply_to);
        if (out->body_case == HYPE__API_SIGNAL__ENVELOPE__BODY_HELLO)
            ASSERT_STREQ(out->hello->instance, "media-3");
        if (out->body_case == HYPE__API_SIGNAL__ENVELOPE__BODY_ERROR)
            ASSERT_STREQ(out->error->message, "no such router");
        if (out->body_case == HYPE__API_SIGNAL__ENVELOPE__BODY_EVENT)
            ASSERT_STREQ(out->event->json, envs[i]->event->json);
        ipc_envelope_free(&out->base);
        free(buf);
    }
}

TEST(stream_one_byte_at_a_time) {
    IpcDecoder d;
    ipc_decoder_init(&d, LINK, 0);
    char json[32];
    int got = 0;
    for (int i = 0; i < 1000; i++) {
        snprintf(json, sizeof(json), "{\"n\":%d}", i);
        uint8_t *buf;
        size_t len;
        ASSERT_EQ(ipc_frame_encode(&event_env(MESSAGE, json, (uint64_t)i + 1)->base, &buf, &len),
                  0);
        for (size_t k = 0; k < len; k++) {
            ASSERT_EQ(ipc_decoder_feed(&d, buf + k, 1), 0);
            Hype__ApiSignal__Envelope *env = NULL;
            int r = next(&d, &env);
            ASSERT_EQ(r, k + 1 == len ? 1 : 0);
            if (r == 1) {
                ASSERT_EQ_U(env->id, (uint64_t)got + 1);
                ASSERT_STREQ(env->event->json, json);
                ipc_envelope_free(&env->base);
                got++;
            }
        }
        free(buf);
    }
    ASSERT_EQ(got, 1000);
    ipc_decoder_done(&d);
}

TEST(missing_counts_down_to_a_whole_frame) {
    uint8_t buf[256];
    int len = ipc_frame_encode_into(&event_env(MESSAGE, "{}", 1)->base, buf, sizeof(buf));
    ASSERT_GT(len, IPC_HEADER_SIZE);
    IpcDecoder d;
    ipc_decoder_init(&d, LINK, 0);
    ASSERT_EQ(ipc_decoder_missing(&d), IPC_HEADER_SIZE);
    ASSERT_EQ(ipc_decoder_feed(&d, buf, 2), 0);
    ASSERT_EQ(ipc_decoder_missing(&d), IPC_HEADER_SIZE - 2);
    ASSERT_EQ(ipc_decoder_feed(&d, buf + 2, 2), 0);
    ASSERT_EQ(ipc_decoder_missing(&d), len - IPC_HEADER_SIZE);
    ASSERT_EQ(ipc_decoder_feed(&d, buf + 4, (size_t)len - 5), 0);
    ASSERT_EQ(ipc_decoder_missing(&d), 1);
    ASSERT_EQ(ipc_decoder_feed(&d, buf + len - 1, 1), 0);
    ASSERT_EQ(ipc_decoder_missing(&d), 0);
    Hype__ApiSignal__Envelope *env = NULL;
    ASSERT_EQ(next(&d, &env), 1);
    ipc_envelope_free(&env->base);
    ASSERT_EQ(ipc_decoder_missing(&d), IPC_HEADER_SIZE);
    ipc_decoder_done(&d);
}

TEST(split_at_every_boundary_and_batched) {
    uint8_t stream[4096];
    size_t total = 0;
    for (int i = 0; i < 3; i++)
        total +=
            (size_t)ipc_frame_encode_into(&event_env(MESSAGE, "abcdefghij", (uint64_t)i + 1)->base,
                                          stream + total, sizeof(stream) - total);
    for (size_t cut = 0; cut <= total; cut++) {
        IpcDecoder d;
        ipc_decoder_init(&d, LINK, 0);
        ASSERT_EQ(ipc_decoder_feed(&d, stream, cut), 0);
        ASSERT_EQ(ipc_decoder_feed(&d, stream + cut, total - cut), 0);
        int n = 0;
        Hype__ApiSignal__Envelope *env;
        while (next(&d, &env) == 1) {
            ASSERT_EQ_U(env->id, (uint64_t)++n);
            ipc_envelope_free(&env->base);
        }
        ASSERT_EQ(n, 3);
        ipc_decoder_done(&d);
    }
}

TEST(oversize_is_detected_from_the_header_and_sticky) {
    IpcDecoder d;
    ipc_decoder_init(&d, LINK, 0);
    uint8_t header[4] = {0x00, 0x10, 0x00, 0x01}; /* 1 MiB + 1 */
    ASSERT_EQ(ipc_decoder_feed(&d, header, 4), 0);
    Hype__ApiSignal__Envelope *env = NULL;
    ASSERT_EQ(next(&d, &env), -EMSGSIZE);
    ASSERT_EQ(ipc_decoder_feed(&d, "x", 1), -EMSGSIZE);
    ASSERT_EQ(next(&d, &env), -EMSGSIZE);
    ipc_decoder_done(&d);
}

TEST(limit_exactly) {
    char *big = malloc(IPC_FRAME_MAX + 16);
    memset(big, 'a', IPC_FRAME_MAX + 15);
    /* Find the json length whose packed envelope is exactly IPC_FRAME_MAX. */
    size_t lo = IPC_FRAME_MAX - 64;
    big[lo] = '\0';
    Hype__ApiSignal__Envelope *env = event_env(MESSAGE, big, 0);
    size_t packed = ipc_frame_size(&env->base) - IPC_HEADER_SIZE;
    size_t exact = lo + (IPC_FRAME_MAX - packed);
    big[lo] = 'a';
    big[exact] = '\0';
    env = event_env(MESSAGE, big, 0);
    ASSERT_EQ(ipc_frame_size(&env->base) - IPC_HEADER_SIZE, IPC_FRAME_MAX);
    uint8_t *buf;
    size_t len, used;
    ASSERT_EQ(ipc_frame_encode(&env->base, &buf, &len), 0);
    Hype__ApiSignal__Envelope *out = NULL;
    ASSERT_EQ(decode(buf, len, &out, &used), 1);
    ipc_envelope_free(&out->base);
    free(buf);
    big[exact] = 'a';
    big[exact + 1] = '\0';
    env = event_env(MESSAGE, big, 0);
    ASSERT_EQ(ipc_frame_encode(&env->base, &buf, &len), -EMSGSIZE);
    free(big);
}

TEST(garbage_payload) {
    uint8_t frame[] = {0, 0, 0, 5, 0xff, 0xff, 0xff, 0xff, 0xff};
    Hype__ApiSignal__Envelope *env = NULL;
    size_t used;
    ASSERT_EQ(decode(frame, sizeof(frame), &env, &used), -EBADMSG);
    uint8_t empty[] = {0, 0, 0, 0};
    ASSERT_EQ(decode(empty, sizeof(empty), &env, &used), 1);
    ASSERT_EQ(env->body_case, HYPE__API_SIGNAL__ENVELOPE__BODY__NOT_SET);
    ipc_envelope_free(&env->base);
}

TEST(every_link_shares_the_head) {
    /* The same Error, in an Envelope of each link: the head reads the same through each. */
    const IpcLink *links[] = {&ipc_link_api_signal, &ipc_link_signal_media};
    for (size_t i = 0; i < 2; i++) {
        const IpcLink *link = links[i];
        void *mem = calloc(1, link->envelope->sizeof_message);
        Hype__Error err = HYPE__ERROR__INIT;
        err.code = HYPE__ERROR__CODE__CODE_FORBIDDEN;
        err.message = "no";
        ProtobufCMessage *env = ipc_envelope_init_error(link, mem, &err);
        ipc_envelope_set_ids(link, env, 0, 77);
        uint8_t *buf;
        size_t len, used;
        ASSERT_EQ(ipc_frame_encode(env, &buf, &len), 0);
        ProtobufCMessage *out = NULL;
        ASSERT_EQ(ipc_frame_decode(link, buf, len, 0, &out, &used), 1);
        ASSERT_TRUE(out->descriptor == link->envelope);
        ASSERT_EQ_U(ipc_envelope_reply_to(link, out), 77);
        ASSERT_EQ_U(ipc_envelope_id(link, out), 0);
        ASSERT_EQ(ipc_envelope_body(link, out), IPC_BODY_ERROR);
        ASSERT_NULL(ipc_envelope_hello(link, out));
        ASSERT_EQ(ipc_envelope_error(link, out)->code, HYPE__ERROR__CODE__CODE_FORBIDDEN);
        ipc_envelope_free(out);
        /* Bytes of one link are read as the other's: the shared head means the same. */
        const IpcLink *other = links[1 - i];
        ASSERT_EQ(ipc_frame_decode(other, buf, len, 0, &out, &used), 1);
        ASSERT_EQ_U(ipc_envelope_reply_to(other, out), 77);
        ASSERT_STREQ(ipc_envelope_error(other, out)->message, "no");
        ipc_envelope_free(out);
        free(buf);
        free(mem);
    }
}

TEST_MAIN()
