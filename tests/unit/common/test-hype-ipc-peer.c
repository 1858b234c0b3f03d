/* Unit tests for common/hype-ipc-peer: the loop-free peer protocol, driven by hand with a fake
 * clock and output moved between two peers in memory. The peers speak the api-signal link: events
 * are its one-way frames, ApiCall and ApiCallResult a request and its reply. */
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "hype-ipc-api-signal.h"
#include "hype-ipc-peer.h"
#include "hype-ipc-signal-media.h"
#include "ipc-envelopes.h"
#include "hype-log.h"
#include "test.h"

/* ---- a binding made of counters and a clock the test sets ---- */

typedef struct Wire {
    uint64_t now;
    int want_writes, deadline_calls, closed_hooks, destroys;
    uint64_t deadline;
} Wire;

static uint64_t w_now(void *d) {
    return ((Wire *)d)->now;
}
static void w_want_write(void *d) {
    ((Wire *)d)->want_writes++;
}
static void w_set_deadline(void *d, uint64_t ms) {
    ((Wire *)d)->deadline_calls++;
    ((Wire *)d)->deadline = ms;
}
static void w_closed(void *d) {
    ((Wire *)d)->closed_hooks++;
}
static void w_destroy(void *d) {
    ((Wire *)d)->destroys++;
}
static const IpcProtoBinding wire_binding = {w_now, w_want_write, w_set_deadline, w_closed,
                                             w_destroy};

/* ---- an owner ---- */

typedef struct Side {
    IpcPeer *peer;
    Wire wire;
    int hellos, messages, closes, close_error;
    int replies_at_close; /* how many reply callbacks had run when on_close came */
    char last_json[64];
    bool answer_requests, decline_all;
    bool free_on_hello, free_on_message, free_on_close;
    int *calls_counter; /* every reply callback of this side bumps it */
} Side;

/* One request's outcome: its callback must run exactly once. */
typedef struct Call {
    Side *side;
    int calls, error;
    uint32_t code;
    bool got_reply, free_peer;
    char json[64];
} Call;

static int on_message(IpcPeer *p, const ProtobufCMessage *msg, void *ud) {
    Side *s = ud;
    const Hype__ApiSignal__Envelope *env = ipc_api_signal(msg);
    s->messages++;
    if (s->free_on_message)
        s->peer = ipc_peer_free(p);
    if (s->decline_all)
        return -EOPNOTSUPP;
    if (env->body_case == HYPE__API_SIGNAL__ENVELOPE__BODY_EVENT) {
        snprintf(s->last_json, sizeof(s->last_json), "%s", env->event->json);
        return 0;
    }
    if (env->body_case != HYPE__API_SIGNAL__ENVELOPE__BODY_API_CALL)
        return -EOPNOTSUPP;
    snprintf(s->last_json, sizeof(s->last_json), "%s", env->api_call->body);
    if (env->id && s->answer_requests && s->peer)
        ipc_peer_reply(p, env->id, &ipc_test_result(env->api_call->body)->base);
    return 0;
}

static void on_hello(IpcPeer *p, const Hype__Hello *h, void *ud) {
    Side *s = ud;
    s->hellos++;
    if (s->free_on_hello)
        s->peer = ipc_peer_free(p);
}

static void on_close(IpcPeer *p, int error, void *ud) {
    Side *s = ud;
    s->closes++;
    s->close_error = error;
    s->replies_at_close = s->calls_counter ? *s->calls_counter : 0;
    if (s->free_on_close)
        s->peer = ipc_peer_free(p);
}

static void on_reply(IpcPeer *p, const ProtobufCMessage *msg, int error, void *ud) {
    Call *c = ud;
    const Hype__ApiSignal__Envelope *reply = msg ? ipc_api_signal(msg) : NULL;
    c->calls++;
    c->error = error;
    c->got_reply = reply != NULL;
    ipc_test_read_reply(msg, error, c->json, sizeof(c->json), &c->code);
    if (c->side && c->side->calls_counter)
        (*c->side->calls_counter)++;
    if (c->free_peer)
        c->side->peer = ipc_peer_free(p);
}

static const IpcPeerCallbacks cbs = {on_message, on_hello, on_close};

static int side_new(Side *s, Hype__Role role, const char *instance, uint32_t timeout_ms,
                    size_t max_output, size_t max_frame) {
    IpcPeerOptions o = {&ipc_link_api_signal, role, instance, timeout_ms, max_output, max_frame};
    s->wire.deadline = IPC_NO_DEADLINE;
    return ipc_proto_new(&o, &cbs, s, &wire_binding, &s->wire, &s->peer);
}

/* Moves from's queued output into to, chunk bytes per feed. */
static void pump(Side *from, Side *to, size_t chunk) {
    const uint8_t *data;
    size_t len;
    while (from->peer && to->peer && (len = ipc_proto_output_peek(from->peer, &data)) > 0) {
        size_t n = len < chunk ? len : chunk;
        int r = ipc_proto_feed(to->peer, data, n);
        if (from->peer)
            ipc_proto_output_drain(from->peer, n);
        if (r < 0)
            break;
    }
}

static void exchange(Side *a, Side *b) {
    for (int i = 0; i < 8; i++) {
        pump(a, b, SIZE_MAX);
        pump(b, a, SIZE_MAX);
    }
}

static int request(IpcPeer *p, const char *json, Call *c) {
    return ipc_peer_request(p, &ipc_test_request(json)->base, 0, on_reply, c);
}

/* Appends env's frame to buf at *len. */
static void put_frame(uint8_t *buf, size_t size, size_t *len, const ProtobufCMessage *env) {
    int n = ipc_frame_encode_into(env, buf + *len, size - *len);
    if (n > 0)
        *len += (size_t)n;
}

/* A peer that has received a raw Hello, ready for raw frames. */
static int raw_ready(Side *s, size_t max_output, size_t max_frame) {
    int r = side_new(s, HYPE__ROLE__ROLE_SIGNAL, "signal", 100, max_output, max_frame);
    uint8_t buf[128];
    size_t len = 0;
    put_frame(buf, sizeof(buf), &len, ipc_test_hello(IPC_PROTOCOL_VERSION, HYPE__ROLE__ROLE_API));
    return r < 0 ? r : ipc_proto_feed(s->peer, buf, len);
}

/* ---- the tests ---- */

TEST(hello_first_both_ways) {
    Side a = {0}, b = {0};
    ASSERT_EQ(side_new(&a, HYPE__ROLE__ROLE_API, "api", 0, 0, 0), 0);
    ASSERT_EQ(side_new(&b, HYPE__ROLE__ROLE_MEDIA, "media-1", 0, 0, 0), 0);
    ASSERT_EQ(a.wire.want_writes, 1); /* our Hello, queued by the constructor */
    ASSERT_GT(ipc_peer_output_pending(a.peer), 0);
    ASSERT_FALSE(ipc_peer_is_ready(a.peer));
    ASSERT_NULL(ipc_peer_hello(a.peer));
    exchange(&a, &b);
    ASSERT_EQ(a.hellos, 1);
    ASSERT_EQ(b.hellos, 1);
    ASSERT_TRUE(ipc_peer_is_ready(a.peer));
    ASSERT_STREQ(ipc_peer_hello(a.peer)->instance, "media-1");
    ASSERT_EQ(ipc_peer_hello(a.peer)->role, HYPE__ROLE__ROLE_MEDIA);
    ASSERT_EQ(ipc_peer_hello(b.peer)->protocol_version, IPC_PROTOCOL_VERSION);
    ASSERT_EQ(ipc_peer_hello(b.peer)->pid, getpid());
    ASSERT_EQ(ipc_peer_output_pending(a.peer), 0);
    ipc_peer_free(a.peer);
    ipc_peer_free(b.peer);
    ASSERT_EQ(a.wire.destroys, 1);
    ASSERT_EQ(a.wire.closed_hooks, 0); /* freed, never closed: destroy alone cleans up */
}

TEST(bytes_one_at_a_time) {
    Side a = {0}, b = {0};
    side_new(&a, HYPE__ROLE__ROLE_API, "api", 0, 0, 0);
    side_new(&b, HYPE__ROLE__ROLE_SIGNAL, "signal", 0, 0, 0);
    ASSERT_EQ(ipc_peer_send(a.peer, ipc_test_event("{\"n\":1}")), 0);
    ASSERT_EQ(ipc_peer_send(a.peer, ipc_test_event("{\"n\":2}")), 0);
    ASSERT_EQ(ipc_peer_send(a.peer, ipc_test_event("")), 0); /* an empty event is a 2-byte frame */
    ASSERT_EQ(a.wire.want_writes, 1); /* the output was never empty in between */
    pump(&a, &b, 1);
    ASSERT_EQ(b.hellos, 1);
    ASSERT_EQ(b.messages, 3);
    ASSERT_STREQ(b.last_json, "");
    ASSERT_EQ(ipc_peer_send(a.peer, ipc_test_event("{\"n\":3}")), 0);
    ASSERT_EQ(a.wire.want_writes, 2);
    pump(&a, &b, 1);
    ASSERT_EQ(b.messages, 4);
    ASSERT_STREQ(b.last_json, "{\"n\":3}");
    ipc_peer_free(a.peer);
    ipc_peer_free(b.peer);
}

TEST(two_frames_in_one_feed_and_every_split) {
    uint8_t stream[512];
    size_t len = 0;
    put_frame(stream, sizeof(stream), &len,
              ipc_test_hello(IPC_PROTOCOL_VERSION, HYPE__ROLE__ROLE_API));
    put_frame(stream, sizeof(stream), &len, ipc_test_event("{\"first\":1}"));
    put_frame(stream, sizeof(stream), &len, ipc_test_event("{\"second\":2}"));
    Side b = {0};
    side_new(&b, HYPE__ROLE__ROLE_SIGNAL, "signal", 0, 0, 0);
    ASSERT_EQ(ipc_proto_feed(b.peer, stream, len), 0);
    ASSERT_EQ(b.hellos, 1);
    ASSERT_EQ(b.messages, 2);
    ASSERT_STREQ(b.last_json, "{\"second\":2}");
    ipc_peer_free(b.peer);
    /* Cut anywhere: a partial frame is completed, then the rest decoded where it lies. */
    for (size_t cut = 0; cut <= len; cut++) {
        Side c = {0};
        side_new(&c, HYPE__ROLE__ROLE_SIGNAL, "signal", 0, 0, 0);
        ASSERT_EQ(ipc_proto_feed(c.peer, stream, cut), 0);
        ASSERT_EQ(ipc_proto_feed(c.peer, stream + cut, len - cut), 0);
        ASSERT_EQ(c.hellos, 1);
        ASSERT_EQ(c.messages, 2);
        ASSERT_STREQ(c.last_json, "{\"second\":2}");
        ipc_peer_free(c.peer);
    }
}

TEST(request_reply_and_ids) {
    Side a = {0}, b = {.answer_requests = true};
    side_new(&a, HYPE__ROLE__ROLE_SIGNAL, "signal", 0, 0, 0);
    side_new(&b, HYPE__ROLE__ROLE_API, "api", 0, 0, 0);
    exchange(&a, &b);
    Call c1 = {.side = &a}, c2 = {.side = &a};
    Hype__ApiSignal__Envelope *env = ipc_test_request("ping");
    ASSERT_EQ(ipc_peer_request(a.peer, &env->base, 0, on_reply, &c1), 0);
    ASSERT_EQ_U(env->id, 1);
    env = ipc_test_request("pong");
    ASSERT_EQ(ipc_peer_request(a.peer, &env->base, 0, on_reply, &c2), 0);
    ASSERT_EQ_U(env->id, 2);
    ASSERT_EQ(ipc_peer_pending_requests(a.peer), 2);
    exchange(&a, &b);
    ASSERT_EQ(c1.calls, 1);
    ASSERT_EQ(c1.error, 0);
    ASSERT_STREQ(c1.json, "ping");
    ASSERT_EQ(c2.calls, 1);
    ASSERT_STREQ(c2.json, "pong");
    ASSERT_EQ(ipc_peer_pending_requests(a.peer), 0);
    /* A second reply to request 1 completes nothing. */
    ASSERT_EQ(ipc_peer_reply(b.peer, 1, &ipc_test_result("again")->base), 0);
    exchange(&a, &b);
    ASSERT_EQ(c1.calls, 1);
    ASSERT_TRUE(ipc_peer_is_ready(a.peer));
    ipc_peer_free(a.peer);
    ipc_peer_free(b.peer);
}

TEST(requests_are_the_links_and_replies_are_their_results) {
    Side a = {0}, b = {0};
    side_new(&a, HYPE__ROLE__ROLE_SIGNAL, "signal", 0, 0, 0);
    side_new(&b, HYPE__ROLE__ROLE_API, "api", 0, 0, 0);
    exchange(&a, &b);
    /* An event is no request; an Envelope of another link is refused whatever its body. */
    ASSERT_EQ(ipc_peer_request(a.peer, ipc_test_event("x"), 0, on_reply, NULL), -EINVAL);
    Hype__SignalMedia__Envelope other = HYPE__SIGNAL_MEDIA__ENVELOPE__INIT;
    ASSERT_EQ(ipc_peer_send(a.peer, &other.base), -EINVAL);
    ASSERT_EQ(ipc_peer_reply(a.peer, 1, &other.base), -EINVAL);
    ASSERT_EQ(ipc_peer_pending_requests(a.peer), 0);
    /* A reply of another body than the request's result: -EBADMSG, with the reply. */
    Call c = {.side = &a};
    ASSERT_EQ(request(a.peer, "q", &c), 0);
    exchange(&a, &b);
    Hype__ApiSignal__UserSessionsResult wrong = HYPE__API_SIGNAL__USER_SESSIONS_RESULT__INIT;
    Hype__ApiSignal__Envelope env = HYPE__API_SIGNAL__ENVELOPE__INIT;
    env.body_case = HYPE__API_SIGNAL__ENVELOPE__BODY_USER_SESSIONS_RESULT;
    env.user_sessions_result = &wrong;
    ASSERT_EQ(ipc_peer_reply(b.peer, 1, &env.base), 0);
    exchange(&a, &b);
    ASSERT_EQ(c.calls, 1);
    ASSERT_EQ(c.error, -EBADMSG);
    ASSERT_TRUE(c.got_reply);
    /* An Error: -EREMOTEIO, its code readable. */
    Call d = {.side = &a};
    ASSERT_EQ(request(a.peer, "q", &d), 0);
    exchange(&a, &b);
    ASSERT_EQ(ipc_peer_reply_error(b.peer, 2, HYPE__ERROR__CODE__CODE_FORBIDDEN, "no"), 0);
    exchange(&a, &b);
    ASSERT_EQ(d.error, -EREMOTEIO);
    ASSERT_EQ(d.code, HYPE__ERROR__CODE__CODE_FORBIDDEN);
    ASSERT_EQ(ipc_peer_reply(b.peer, 0, &ipc_test_result("no id")->base), -EINVAL);
    ipc_peer_free(a.peer);
    ipc_peer_free(b.peer);
}

TEST(each_request_may_have_its_own_timeout) {
    Side a = {0}, b = {0};
    side_new(&a, HYPE__ROLE__ROLE_SIGNAL, "signal", 1000, 0, 0);
    side_new(&b, HYPE__ROLE__ROLE_API, "api", 0, 0, 0);
    exchange(&a, &b);
    Call slow = {.side = &a}, quick = {.side = &a};
    a.wire.now = 100;
    ASSERT_EQ(request(a.peer, "slow", &slow), 0); /* the peer's 1000 ms */
    ASSERT_EQ_U(a.wire.deadline, 1100);
    ASSERT_EQ(ipc_peer_request(a.peer, &ipc_test_request("quick")->base, 50, on_reply, &quick), 0);
    ASSERT_EQ_U(a.wire.deadline, 150); /* earlier: re-armed */
    ASSERT_EQ(ipc_proto_tick(a.peer, 150), 0);
    ASSERT_EQ(quick.calls, 1);
    ASSERT_EQ(quick.error, -ETIMEDOUT);
    ASSERT_EQ(slow.calls, 0);
    ASSERT_EQ_U(a.wire.deadline, 1100);
    ASSERT_EQ(ipc_proto_tick(a.peer, 1100), 0);
    ASSERT_EQ(slow.error, -ETIMEDOUT);
    ipc_peer_free(a.peer);
    ipc_peer_free(b.peer);
}

TEST(a_peer_needs_a_link) {
    IpcPeerOptions o = {.role = HYPE__ROLE__ROLE_API};
    IpcPeer *p = NULL;
    ASSERT_EQ(ipc_proto_new(&o, &cbs, NULL, NULL, NULL, &p), -EINVAL);
    ASSERT_NULL(p);
}

TEST(request_times_out_via_tick) {
    Side a = {0}, b = {0}; /* b answers nothing */
    side_new(&a, HYPE__ROLE__ROLE_SIGNAL, "signal", 100, 0, 0);
    side_new(&b, HYPE__ROLE__ROLE_API, "api", 0, 0, 0);
    exchange(&a, &b);
    Call c1 = {.side = &a}, c2 = {.side = &a};
    ASSERT_EQ(ipc_proto_next_deadline(a.peer), IPC_NO_DEADLINE);
    a.wire.now = 1000;
    ASSERT_EQ(request(a.peer, "x", &c1), 0);
    ASSERT_EQ(a.wire.deadline_calls, 1);
    ASSERT_EQ_U(a.wire.deadline, 1100);
    a.wire.now = 1050;
    ASSERT_EQ(request(a.peer, "y", &c2), 0);
    ASSERT_EQ(a.wire.deadline_calls, 1); /* not the earliest: the armed timer stays */
    ASSERT_EQ_U(ipc_proto_next_deadline(a.peer), 1100);
    exchange(&a, &b);
    ASSERT_EQ(b.messages, 2);

    ASSERT_EQ(ipc_proto_tick(a.peer, 1099), 0); /* early: nothing due, re-armed */
    ASSERT_EQ(c1.calls, 0);
    ASSERT_EQ_U(a.wire.deadline, 1100);
    ASSERT_EQ(ipc_proto_tick(a.peer, 1100), 0);
    ASSERT_EQ(c1.calls, 1);
    ASSERT_EQ(c1.error, -ETIMEDOUT);
    ASSERT_FALSE(c1.got_reply);
    ASSERT_EQ(c2.calls, 0);
    ASSERT_EQ_U(a.wire.deadline, 1150);
    ASSERT_EQ(ipc_proto_tick(a.peer, 5000), 0);
    ASSERT_EQ(c2.calls, 1);
    ASSERT_EQ(c2.error, -ETIMEDOUT);
    ASSERT_EQ_U(a.wire.deadline, IPC_NO_DEADLINE);
    ASSERT_EQ(ipc_peer_pending_requests(a.peer), 0);

    /* A reply after the timeout is ignored: the callback ran once. */
    ipc_peer_reply(b.peer, 1, &ipc_test_result("late")->base);
    exchange(&a, &b);
    ASSERT_EQ(c1.calls, 1);
    ASSERT_TRUE(ipc_peer_is_ready(a.peer));
    ipc_peer_free(a.peer);
    ipc_peer_free(b.peer);
}

TEST(unknown_body_gets_an_error_reply) {
    Side a = {0}, b = {.decline_all = true};
    side_new(&a, HYPE__ROLE__ROLE_SIGNAL, "signal", 0, 0, 0);
    side_new(&b, HYPE__ROLE__ROLE_API, "api", 0, 0, 0);
    exchange(&a, &b);
    Call c = {.side = &a};
    ASSERT_EQ(request(a.peer, "x", &c), 0);
    exchange(&a, &b);
    ASSERT_EQ(c.calls, 1);
    ASSERT_EQ(c.error, -EREMOTEIO);
    ASSERT_TRUE(c.got_reply);
    ASSERT_EQ(c.code, HYPE__ERROR__CODE__CODE_UNKNOWN_BODY);
    /* A one-way frame the owner declines gets nothing back. */
    ASSERT_EQ(ipc_peer_send(a.peer, ipc_test_event("y")), 0);
    pump(&a, &b, SIZE_MAX);
    ASSERT_EQ(b.messages, 2);
    ASSERT_EQ(ipc_peer_output_pending(b.peer), 0);
    ipc_peer_free(a.peer);
    ipc_peer_free(b.peer);

    /* No on_message at all (and no binding): the same Error. */
    static const IpcPeerCallbacks bare = {NULL, NULL, NULL};
    IpcPeerOptions o = {&ipc_link_api_signal, HYPE__ROLE__ROLE_API, "bare", 0, 0, 0};
    Side e = {0}, d = {0};
    side_new(&e, HYPE__ROLE__ROLE_SIGNAL, "signal", 0, 0, 0);
    ASSERT_EQ(ipc_proto_new(&o, &bare, NULL, NULL, NULL, &d.peer), 0);
    exchange(&e, &d);
    ASSERT_TRUE(ipc_peer_is_ready(d.peer));
    Call c2 = {.side = &e};
    ASSERT_EQ(request(e.peer, "z", &c2), 0);
    exchange(&e, &d);
    ASSERT_EQ(c2.calls, 1);
    ASSERT_EQ(c2.code, HYPE__ERROR__CODE__CODE_UNKNOWN_BODY);
    ipc_peer_free(e.peer);
    ipc_peer_free(d.peer);
}

TEST(version_mismatch_and_a_first_frame_not_hello_drop) {
    log_set_max_level(LOG_ERR); /* the drops log warnings by design */
    uint8_t buf[128];
    size_t len = 0;
    Side a = {0};
    side_new(&a, HYPE__ROLE__ROLE_SIGNAL, "signal", 0, 0, 0);
    put_frame(buf, sizeof(buf), &len, ipc_test_hello(99, HYPE__ROLE__ROLE_API));
    put_frame(buf, sizeof(buf), &len, ipc_test_event("after"));
    ASSERT_EQ(ipc_proto_feed(a.peer, buf, len), -ECONNRESET);
    ASSERT_EQ(a.closes, 1);
    ASSERT_EQ(a.close_error, -EPROTO);
    ASSERT_EQ(a.wire.closed_hooks, 1);
    ASSERT_EQ(a.hellos, 0);
    ASSERT_EQ(a.messages, 0); /* nothing after the bad Hello is looked at */
    ASSERT_FALSE(ipc_peer_is_ready(a.peer));
    ASSERT_EQ(ipc_peer_output_pending(a.peer), 0); /* our queued Hello is discarded */
    ASSERT_EQ(ipc_peer_send(a.peer, ipc_test_event("x")), -ECONNRESET);
    ASSERT_EQ(request(a.peer, "x", NULL), -ECONNRESET);
    ASSERT_EQ(ipc_proto_feed(a.peer, buf, len), -ECONNRESET);
    ASSERT_EQ(ipc_proto_close(a.peer, 0, "EOF"), -ECONNRESET);
    ASSERT_EQ(a.closes, 1);
    ipc_peer_free(a.peer);

    Side e = {0};
    side_new(&e, HYPE__ROLE__ROLE_SIGNAL, "signal", 0, 0, 0);
    len = 0;
    put_frame(buf, sizeof(buf), &len, ipc_test_event("too soon"));
    ASSERT_EQ(ipc_proto_feed(e.peer, buf, len), -ECONNRESET);
    ASSERT_EQ(e.close_error, -EPROTO);
    ASSERT_EQ(e.messages, 0);
    ipc_peer_free(e.peer);
    log_set_max_level(LOG_INFO);
}

TEST(role_check) {
    log_set_max_level(LOG_ERR);
    uint8_t buf[128];
    size_t len = 0;
    put_frame(buf, sizeof(buf), &len, ipc_test_hello(IPC_PROTOCOL_VERSION, HYPE__ROLE__ROLE_API));
    Side a = {0}, b = {0};
    side_new(&a, HYPE__ROLE__ROLE_SIGNAL, "signal", 0, 0, 0);
    ASSERT_EQ(ipc_peer_expect_roles(a.peer, IPC_ROLE_BIT(HYPE__ROLE__ROLE_MEDIA)), 0);
    ASSERT_EQ(ipc_proto_feed(a.peer, buf, len), -ECONNRESET);
    ASSERT_EQ(a.close_error, -EPROTO);
    ASSERT_EQ(a.hellos, 0);
    ipc_peer_free(a.peer);

    side_new(&b, HYPE__ROLE__ROLE_SIGNAL, "signal", 0, 0, 0);
    ASSERT_EQ(ipc_peer_expect_roles(b.peer, IPC_ROLE_BIT(HYPE__ROLE__ROLE_MEDIA) |
                                                IPC_ROLE_BIT(HYPE__ROLE__ROLE_API)),
              0);
    ASSERT_EQ(ipc_proto_feed(b.peer, buf, len), 0);
    ASSERT_EQ(b.hellos, 1);
    ASSERT_EQ(ipc_peer_expect_roles(b.peer, 0), -EALREADY);
    ipc_peer_free(b.peer);
    log_set_max_level(LOG_INFO);
}

TEST(oversize_frame_drops_at_its_header_and_garbage_drops) {
    log_set_max_level(LOG_ERR);
    /* 1025 bytes announced, 1024 allowed: dropped on the header, before any payload. */
    uint8_t header[4] = {0x00, 0x00, 0x04, 0x01};
    Side a = {0};
    ASSERT_EQ(raw_ready(&a, 0, 1024), 0);
    ASSERT_EQ(ipc_proto_feed(a.peer, header, 4), -ECONNRESET);
    ASSERT_EQ(a.close_error, -EMSGSIZE);
    ipc_peer_free(a.peer);
    /* The same header a byte at a time: dropped on its fourth byte. */
    Side b = {0};
    ASSERT_EQ(raw_ready(&b, 0, 1024), 0);
    for (int i = 0; i < 3; i++)
        ASSERT_EQ(ipc_proto_feed(b.peer, header + i, 1), 0);
    ASSERT_EQ(ipc_proto_feed(b.peer, header + 3, 1), -ECONNRESET);
    ASSERT_EQ(b.close_error, -EMSGSIZE);
    ipc_peer_free(b.peer);
    /* Exactly at the limit is fine (the frame then fails to unpack: it is all 0xff). */
    Side c = {0};
    ASSERT_EQ(raw_ready(&c, 0, 1024), 0);
    uint8_t garbage[] = {0, 0, 0, 3, 0xff, 0xff, 0xff};
    ASSERT_EQ(ipc_proto_feed(c.peer, garbage, sizeof(garbage)), -ECONNRESET);
    ASSERT_EQ(c.close_error, -EBADMSG);
    ASSERT_EQ(c.closes, 1);
    ipc_peer_free(c.peer);
    log_set_max_level(LOG_INFO);
}

TEST(output_bound_drops_the_peer) {
    log_set_max_level(LOG_ERR);
    Side a = {0};
    int calls = 0;
    a.calls_counter = &calls;
    ASSERT_EQ(raw_ready(&a, 4096, 0), 0);
    Call pending = {.side = &a};
    ASSERT_EQ(request(a.peer, "waiting", &pending), 0);
    char json[100];
    memset(json, 'x', sizeof(json) - 1);
    json[sizeof(json) - 1] = '\0';
    int r = 0;
    size_t most = 0;
    for (int i = 0; i < 1000 && r == 0; i++)
        if ((r = ipc_peer_send(a.peer, ipc_test_event(json))) == 0 &&
            ipc_peer_output_pending(a.peer) > most)
            most = ipc_peer_output_pending(a.peer);
    ASSERT_EQ(r, -ENOBUFS);
    ASSERT_TRUE(most > 3900 && most <= 4096);
    ASSERT_EQ(a.closes, 1);
    ASSERT_EQ(a.close_error, -ENOBUFS);
    ASSERT_EQ(pending.calls, 1);
    ASSERT_EQ(pending.error, -ECONNRESET);
    ASSERT_EQ(a.replies_at_close, 1); /* pending requests fail before on_close */
    ASSERT_EQ(ipc_peer_output_pending(a.peer), 0);
    ASSERT_EQ(ipc_peer_send(a.peer, ipc_test_event("y")), -ECONNRESET);
    ipc_peer_free(a.peer);

    /* Over IPC_FRAME_MAX: refused, the peer stays up. */
    Side b = {0};
    ASSERT_EQ(raw_ready(&b, 0, 0), 0);
    char *big = malloc(IPC_FRAME_MAX + 1);
    memset(big, 'b', IPC_FRAME_MAX);
    big[IPC_FRAME_MAX] = '\0';
    ASSERT_EQ(ipc_peer_send(b.peer, ipc_test_event(big)), -EMSGSIZE);
    free(big);
    ASSERT_TRUE(ipc_peer_is_ready(b.peer));
    ASSERT_EQ(b.closes, 0);
    ipc_peer_free(b.peer);
    log_set_max_level(LOG_INFO);
}

TEST(close_completes_every_pending_request_once) {
    Side a = {0};
    int calls = 0;
    a.calls_counter = &calls;
    ASSERT_EQ(raw_ready(&a, 0, 0), 0);
    Call c[3] = {{.side = &a}, {.side = &a}, {.side = &a}};
    for (int i = 0; i < 3; i++)
        ASSERT_EQ(request(a.peer, "x", &c[i]), 0);
    ASSERT_EQ(ipc_proto_close(a.peer, 0, "EOF"), -ECONNRESET);
    for (int i = 0; i < 3; i++) {
        ASSERT_EQ(c[i].calls, 1);
        ASSERT_EQ(c[i].error, -ECONNRESET);
        ASSERT_FALSE(c[i].got_reply);
    }
    ASSERT_EQ(a.closes, 1);
    ASSERT_EQ(a.close_error, 0);
    ASSERT_EQ(a.replies_at_close, 3);
    ASSERT_EQ(a.wire.closed_hooks, 1);
    ASSERT_EQ(ipc_peer_pending_requests(a.peer), 0);
    /* Nothing completes twice, whatever comes after. */
    ipc_proto_close(a.peer, -ECONNRESET, "again");
    ipc_proto_tick(a.peer, UINT64_MAX - 1);
    ipc_peer_free(a.peer);
    ASSERT_EQ(calls, 3);
    ASSERT_EQ(a.closes, 1);
    ASSERT_EQ(a.wire.destroys, 1);
}

TEST(free_drops_pending_requests_without_callbacks) {
    Side a = {0};
    ASSERT_EQ(raw_ready(&a, 0, 0), 0);
    Call c1 = {.side = &a}, c2 = {.side = &a};
    request(a.peer, "x", &c1);
    request(a.peer, "y", &c2);
    ipc_peer_free(a.peer);
    ASSERT_EQ(c1.calls + c2.calls, 0);
    ASSERT_EQ(a.closes, 0);
    ASSERT_EQ(a.wire.destroys, 1);
    ASSERT_NULL(ipc_peer_free(NULL));
}

/* Every case frees the peer from inside a callback; ASan sees any use after free, and the
 * binding's destroy hook must run once, when the outermost call returns. */
TEST(free_from_inside_callbacks) {
    log_set_max_level(LOG_ERR);
    uint8_t buf[256];
    size_t len = 0;
    put_frame(buf, sizeof(buf), &len, ipc_test_hello(IPC_PROTOCOL_VERSION, HYPE__ROLE__ROLE_API));
    put_frame(buf, sizeof(buf), &len, ipc_test_event("one"));
    put_frame(buf, sizeof(buf), &len, ipc_test_event("two"));

    Side h = {.free_on_hello = true};
    side_new(&h, HYPE__ROLE__ROLE_SIGNAL, "signal", 0, 0, 0);
    ASSERT_EQ(ipc_proto_feed(h.peer, buf, len), -ECONNRESET);
    ASSERT_NULL(h.peer);
    ASSERT_EQ(h.messages, 0);
    ASSERT_EQ(h.closes, 0);
    ASSERT_EQ(h.wire.destroys, 1);

    Side m = {.free_on_message = true};
    side_new(&m, HYPE__ROLE__ROLE_SIGNAL, "signal", 0, 0, 0);
    Call pending = {.side = &m};
    request(m.peer, "x", &pending);
    ASSERT_EQ(ipc_proto_feed(m.peer, buf, len), -ECONNRESET);
    ASSERT_EQ(m.messages, 1);
    ASSERT_EQ(pending.calls, 0);
    ASSERT_EQ(m.wire.destroys, 1);

    /* In a reply callback: the other pending requests are dropped with the peer. */
    Side r = {0}, b = {.answer_requests = true};
    side_new(&r, HYPE__ROLE__ROLE_SIGNAL, "signal", 0, 0, 0);
    side_new(&b, HYPE__ROLE__ROLE_API, "api", 0, 0, 0);
    exchange(&r, &b);
    Call c[3] = {{.side = &r, .free_peer = true}, {.side = &r}, {.side = &r}};
    for (int i = 0; i < 3; i++)
        request(r.peer, "x", &c[i]);
    exchange(&r, &b);
    ASSERT_NULL(r.peer);
    ASSERT_EQ(c[0].calls, 1);
    ASSERT_EQ(c[1].calls + c[2].calls, 0);
    ASSERT_EQ(r.wire.destroys, 1);
    ipc_peer_free(b.peer);

    /* In a timeout callback, from tick. */
    Side t = {0};
    raw_ready(&t, 0, 0);
    Call d[2] = {{.side = &t, .free_peer = true}, {.side = &t}};
    request(t.peer, "x", &d[0]);
    request(t.peer, "y", &d[1]);
    ASSERT_EQ(ipc_proto_tick(t.peer, 1000000), -ECONNRESET);
    ASSERT_EQ(d[0].calls, 1);
    ASSERT_EQ(d[1].calls, 0);
    ASSERT_EQ(t.wire.destroys, 1);

    /* In on_close, reached from the owner's own send over the output bound. */
    Side o = {.free_on_close = true};
    raw_ready(&o, 1024, 0);
    int rc = 0;
    for (int i = 0; i < 100 && rc == 0; i++)
        rc = ipc_peer_send(o.peer, ipc_test_event("0123456789012345678901234567890123456789"));
    ASSERT_EQ(rc, -ENOBUFS);
    ASSERT_NULL(o.peer);
    ASSERT_EQ(o.closes, 1);
    ASSERT_EQ(o.wire.destroys, 1);

    /* In on_close, reached from garbage in a feed. */
    Side g = {.free_on_close = true};
    raw_ready(&g, 0, 0);
    uint8_t garbage[] = {0, 0, 0, 3, 0xff, 0xff, 0xff, 0, 0, 0, 0};
    ASSERT_EQ(ipc_proto_feed(g.peer, garbage, sizeof(garbage)), -ECONNRESET);
    ASSERT_NULL(g.peer);
    ASSERT_EQ(g.closes, 1);
    ASSERT_EQ(g.wire.destroys, 1);
    log_set_max_level(LOG_INFO);
}

TEST(socket_helpers) {
    log_set_max_level(LOG_ERR);
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    Side a = {0}, b = {0};
    side_new(&a, HYPE__ROLE__ROLE_API, "api", 0, 0, 0);
    side_new(&b, HYPE__ROLE__ROLE_SIGNAL, "signal", 0, 0, 0);
    ASSERT_EQ(ipc_proto_write_fd(a.peer, sv[0]), 0);
    ASSERT_EQ(ipc_peer_output_pending(a.peer), 0);
    ASSERT_EQ(ipc_proto_read_fd(b.peer, sv[1]), 0);
    ASSERT_EQ(b.hellos, 1);
    ASSERT_EQ(ipc_proto_read_fd(b.peer, sv[1]), 0); /* nothing more: would block */
    close(sv[0]);
    ASSERT_EQ(ipc_proto_read_fd(b.peer, sv[1]), -ECONNRESET);
    ASSERT_EQ(b.closes, 1);
    ASSERT_EQ(b.close_error, 0); /* EOF */
    ipc_peer_free(b.peer);
    /* Writing to a socket whose other end is gone: a socket error, and no SIGPIPE. */
    close(sv[1]);
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    close(sv[1]);
    ASSERT_EQ(ipc_peer_send(a.peer, ipc_test_event("x")), 0);
    ASSERT_EQ(ipc_proto_write_fd(a.peer, sv[0]), -ECONNRESET);
    ASSERT_EQ(a.close_error, -ECONNRESET);
    ipc_peer_free(a.peer);
    close(sv[0]);

    char longpath[200];
    memset(longpath, 'p', sizeof(longpath) - 1);
    longpath[sizeof(longpath) - 1] = '\0';
    ASSERT_EQ(ipc_proto_connect_unix(longpath), -ENAMETOOLONG);
    ASSERT_EQ(ipc_proto_connect_unix("/nonexistent/hype-ipc.sock"), -ENOENT);
    char dir[] = "/tmp/hype-ipc-peer-XXXXXX";
    ASSERT_NOT_NULL(mkdtemp(dir));
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/s", dir);
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    ASSERT_EQ(bind(l, (struct sockaddr *)&sun, sizeof(sun)), 0);
    ASSERT_EQ(listen(l, 1), 0);
    int fd = ipc_proto_connect_unix(sun.sun_path);
    ASSERT_GE(fd, 0);
    close(fd);
    close(l);
    unlink(sun.sun_path);
    ASSERT_EQ(ipc_proto_connect_unix(sun.sun_path), -ENOENT);
    rmdir(dir);
    log_set_max_level(LOG_INFO);
}

TEST_MAIN()
