/* Unit tests for common/hype-ipc: the frame codec. */
#include <stdlib.h>

#include "hype-ipc.h"
#include "test.h"

static Hype__Envelope *event_env(const char *type, const char *json, uint64_t id) {
    static Hype__Event ev;
    static Hype__Envelope env;
    hype__event__init(&ev);
    hype__envelope__init(&env);
    ev.type = (char *)type;
    ev.json = (char *)json;
    ev.target_kind = HYPE__EVENT__TARGET_KIND__TARGET_CHANNEL;
    ev.target_id = 42;
    env.id = id;
    env.body_case = HYPE__ENVELOPE__BODY_EVENT;
    env.event = &ev;
    return &env;
}

TEST(round_trip_every_body) {
    Hype__Hello hello = HYPE__HELLO__INIT;
    Hype__Error err = HYPE__ERROR__INIT;
    Hype__Envelope a = HYPE__ENVELOPE__INIT, b = HYPE__ENVELOPE__INIT;
    hello.protocol_version = IPC_PROTOCOL_VERSION;
    hello.role = HYPE__ROLE__ROLE_MEDIA;
    hello.instance = "media-3";
    hello.pid = 1234;
    a.body_case = HYPE__ENVELOPE__BODY_HELLO;
    a.hello = &hello;
    err.code = HYPE__ERROR__CODE__CODE_NOT_FOUND;
    err.message = "no such router";
    b.reply_to = 7;
    b.body_case = HYPE__ENVELOPE__BODY_ERROR;
    b.error = &err;
    Hype__Envelope *envs[] = {&a, &b, event_env("message", "{\"x\":1}", 9), event_env("", "", 0)};
    for (size_t i = 0; i < 4; i++) {
        uint8_t *buf;
        size_t len, used;
        ASSERT_EQ(ipc_frame_encode(envs[i], &buf, &len), 0);
        ASSERT_EQ(len, ipc_frame_size(envs[i]));
        Hype__Envelope *out = NULL;
        ASSERT_EQ(ipc_frame_decode(buf, len, 0, &out, &used), 1);
        ASSERT_EQ(used, len);
        ASSERT_EQ(out->body_case, envs[i]->body_case);
        ASSERT_EQ_U(out->id, envs[i]->id);
        ASSERT_EQ_U(out->reply_to, envs[i]->reply_to);
        if (out->body_case == HYPE__ENVELOPE__BODY_HELLO)
            ASSERT_STREQ(out->hello->instance, "media-3");
        if (out->body_case == HYPE__ENVELOPE__BODY_ERROR)
            ASSERT_STREQ(out->error->message, "no such router");
        if (out->body_case == HYPE__ENVELOPE__BODY_EVENT)
            ASSERT_STREQ(out->event->json, envs[i]->event->json);
        hype__envelope__free_unpacked(out, NULL);
        free(buf);
    }
}

TEST(stream_one_byte_at_a_time) {
    IpcDecoder d;
    ipc_decoder_init(&d, 0);
    char json[32];
    int got = 0;
    for (int i = 0; i < 1000; i++) {
        snprintf(json, sizeof(json), "{\"n\":%d}", i);
        uint8_t *buf;
        size_t len;
        ASSERT_EQ(ipc_frame_encode(event_env("message", json, (uint64_t)i + 1), &buf, &len), 0);
        for (size_t k = 0; k < len; k++) {
            ASSERT_EQ(ipc_decoder_feed(&d, buf + k, 1), 0);
            Hype__Envelope *env = NULL;
            int r = ipc_decoder_next(&d, &env);
            ASSERT_EQ(r, k + 1 == len ? 1 : 0);
            if (r == 1) {
                ASSERT_EQ_U(env->id, (uint64_t)got + 1);
                ASSERT_STREQ(env->event->json, json);
                hype__envelope__free_unpacked(env, NULL);
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
    int len = ipc_frame_encode_into(event_env("message", "{}", 1), buf, sizeof(buf));
    ASSERT_GT(len, IPC_HEADER_SIZE);
    IpcDecoder d;
    ipc_decoder_init(&d, 0);
    ASSERT_EQ(ipc_decoder_missing(&d), IPC_HEADER_SIZE);
    ASSERT_EQ(ipc_decoder_feed(&d, buf, 2), 0);
    ASSERT_EQ(ipc_decoder_missing(&d), IPC_HEADER_SIZE - 2);
    ASSERT_EQ(ipc_decoder_feed(&d, buf + 2, 2), 0);
    ASSERT_EQ(ipc_decoder_missing(&d), len - IPC_HEADER_SIZE);
    ASSERT_EQ(ipc_decoder_feed(&d, buf + 4, (size_t)len - 5), 0);
    ASSERT_EQ(ipc_decoder_missing(&d), 1);
    ASSERT_EQ(ipc_decoder_feed(&d, buf + len - 1, 1), 0);
    ASSERT_EQ(ipc_decoder_missing(&d), 0);
    Hype__Envelope *env = NULL;
    ASSERT_EQ(ipc_decoder_next(&d, &env), 1);
    hype__envelope__free_unpacked(env, NULL);
    ASSERT_EQ(ipc_decoder_missing(&d), IPC_HEADER_SIZE);
    ipc_decoder_done(&d);
}

TEST(split_at_every_boundary_and_batched) {
    uint8_t stream[4096];
    size_t total = 0;
    for (int i = 0; i < 3; i++)
        total += (size_t)ipc_frame_encode_into(event_env("t", "abcdefghij", (uint64_t)i + 1),
                                               stream + total, sizeof(stream) - total);
    for (size_t cut = 0; cut <= total; cut++) {
        IpcDecoder d;
        ipc_decoder_init(&d, 0);
        ASSERT_EQ(ipc_decoder_feed(&d, stream, cut), 0);
        ASSERT_EQ(ipc_decoder_feed(&d, stream + cut, total - cut), 0);
        int n = 0;
        Hype__Envelope *env;
        while (ipc_decoder_next(&d, &env) == 1) {
            ASSERT_EQ_U(env->id, (uint64_t)++n);
            hype__envelope__free_unpacked(env, NULL);
        }
        ASSERT_EQ(n, 3);
        ipc_decoder_done(&d);
    }
}

TEST(oversize_is_detected_from_the_header_and_sticky) {
    IpcDecoder d;
    ipc_decoder_init(&d, 0);
    uint8_t header[4] = {0x00, 0x10, 0x00, 0x01}; /* 1 MiB + 1 */
    ASSERT_EQ(ipc_decoder_feed(&d, header, 4), 0);
    Hype__Envelope *env = NULL;
    ASSERT_EQ(ipc_decoder_next(&d, &env), -EMSGSIZE);
    ASSERT_EQ(ipc_decoder_feed(&d, "x", 1), -EMSGSIZE);
    ASSERT_EQ(ipc_decoder_next(&d, &env), -EMSGSIZE);
    ipc_decoder_done(&d);
}

TEST(limit_exactly) {
    char *big = malloc(IPC_FRAME_MAX + 16);
    memset(big, 'a', IPC_FRAME_MAX + 15);
    /* Find the json length whose packed envelope is exactly IPC_FRAME_MAX. */
    size_t lo = IPC_FRAME_MAX - 64;
    big[lo] = '\0';
    Hype__Envelope *env = event_env("t", big, 0);
    size_t packed = ipc_frame_size(env) - IPC_HEADER_SIZE;
    size_t exact = lo + (IPC_FRAME_MAX - packed);
    big[lo] = 'a';
    big[exact] = '\0';
    env = event_env("t", big, 0);
    ASSERT_EQ(ipc_frame_size(env) - IPC_HEADER_SIZE, IPC_FRAME_MAX);
    uint8_t *buf;
    size_t len, used;
    ASSERT_EQ(ipc_frame_encode(env, &buf, &len), 0);
    Hype__Envelope *out = NULL;
    ASSERT_EQ(ipc_frame_decode(buf, len, 0, &out, &used), 1);
    hype__envelope__free_unpacked(out, NULL);
    free(buf);
    big[exact] = 'a';
    big[exact + 1] = '\0';
    env = event_env("t", big, 0);
    ASSERT_EQ(ipc_frame_encode(env, &buf, &len), -EMSGSIZE);
    free(big);
}

TEST(garbage_payload) {
    uint8_t frame[] = {0, 0, 0, 5, 0xff, 0xff, 0xff, 0xff, 0xff};
    Hype__Envelope *env = NULL;
    size_t used;
    ASSERT_EQ(ipc_frame_decode(frame, sizeof(frame), 0, &env, &used), -EBADMSG);
    uint8_t empty[] = {0, 0, 0, 0};
    ASSERT_EQ(ipc_frame_decode(empty, sizeof(empty), 0, &env, &used), 1);
    ASSERT_EQ(env->body_case, HYPE__ENVELOPE__BODY__NOT_SET);
    hype__envelope__free_unpacked(env, NULL);
}

TEST_MAIN()
