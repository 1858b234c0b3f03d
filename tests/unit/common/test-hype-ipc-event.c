/* Unit tests for common/hype-ipc-event: two peers over a socketpair on one event loop, and asking
 * a peer that may be absent (IpcAsker). */
#include <event2/event.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hype-ipc-event.h"
#include "hype-log.h"
#include "ipc-envelopes.h"
#include "test.h"

typedef struct Side {
    IpcPeer *peer;
    int hellos, messages, closes, close_error;
    int replies, reply_error;
    uint32_t reply_code;
    char last_json[64];
    bool answer_requests;
    bool free_on_close;
    struct event_base *base;
} Side;

static struct event_base *base;

/* Like every daemon: a write to a closed socket is an error to handle, not a signal. */
__attribute__((constructor)) static void ignore_sigpipe(void) {
    signal(SIGPIPE, SIG_IGN);
}

static void stop_soon(void) {
    struct timeval tv = {0, 20000};
    event_base_loopexit(base, &tv);
}

static void on_hello(IpcPeer *p, const Hype__Hello *h, void *ud) {
    ((Side *)ud)->hellos++;
}

static int on_message(IpcPeer *p, const ProtobufCMessage *msg, void *ud) {
    Side *s = ud;
    const Hype__ApiSignal__Envelope *env = ipc_api_signal(msg);
    s->messages++;
    if (env->body_case == HYPE__API_SIGNAL__ENVELOPE__BODY_EVENT) {
        snprintf(s->last_json, sizeof(s->last_json), "%s", env->event->json);
        return 0;
    }
    if (env->body_case == HYPE__API_SIGNAL__ENVELOPE__BODY_API_CALL) {
        if (s->answer_requests)
            ipc_peer_reply(p, env->id, &ipc_test_result(env->api_call->body)->base);
        return 0;
    }
    return -EOPNOTSUPP;
}

static void on_close(IpcPeer *p, int error, void *ud) {
    Side *s = ud;
    s->closes++;
    s->close_error = error;
    if (s->free_on_close)
        s->peer = ipc_peer_free(p);
    stop_soon();
}

static void on_reply(IpcPeer *p, const ProtobufCMessage *reply, int error, void *ud) {
    Side *s = ud;
    s->replies++;
    s->reply_error = error;
    ipc_test_read_reply(reply, error, s->last_json, sizeof(s->last_json), &s->reply_code);
    stop_soon();
}

static const IpcPeerCallbacks cbs = {on_message, on_hello, on_close};

static void run(int ms) {
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    event_base_loopexit(base, &tv);
    event_base_dispatch(base);
}

static void pair(Side *a, Side *b, uint32_t timeout_ms) {
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    IpcPeerOptions oa = {&ipc_link_api_signal, HYPE__ROLE__ROLE_API, "api", timeout_ms, 0, 0};
    IpcPeerOptions ob = {&ipc_link_api_signal, HYPE__ROLE__ROLE_SIGNAL, "signal", timeout_ms, 0, 0};
    ipc_peer_new(base, sv[0], &oa, &cbs, a, &a->peer);
    ipc_peer_new(base, sv[1], &ob, &cbs, b, &b->peer);
}

static int request(Side *s, const char *json) {
    return ipc_peer_request(s->peer, &ipc_test_request(json)->base, 0, on_reply, s);
}

TEST(hello_event_request_reply) {
    base = event_base_new();
    Side a = {0}, b = {.answer_requests = true};
    pair(&a, &b, 1000);
    run(100);
    ASSERT_EQ(a.hellos, 1);
    ASSERT_EQ(b.hellos, 1);
    ASSERT_TRUE(ipc_peer_is_ready(a.peer));
    ASSERT_STREQ(ipc_peer_hello(a.peer)->instance, "signal");
    ASSERT_EQ(ipc_peer_hello(b.peer)->role, HYPE__ROLE__ROLE_API);
    ASSERT_EQ(ipc_peer_send(a.peer, ipc_test_event("{\"one\":1}")), 0);
    run(100);
    ASSERT_EQ(b.messages, 1);
    ASSERT_STREQ(b.last_json, "{\"one\":1}");
    ASSERT_EQ(request(&a, "ping"), 0);
    ASSERT_EQ(ipc_peer_pending_requests(a.peer), 1);
    run(1000);
    ASSERT_EQ(a.replies, 1);
    ASSERT_EQ(a.reply_error, 0);
    ASSERT_STREQ(a.last_json, "ping");
    ASSERT_EQ(ipc_peer_pending_requests(a.peer), 0);
    ipc_peer_free(a.peer);
    ipc_peer_free(b.peer);
    event_base_free(base);
}

TEST(unknown_body_and_timeout) {
    base = event_base_new();
    Side a = {0}, b = {0};
    pair(&a, &b, 150);
    ASSERT_EQ(ipc_peer_request(a.peer, ipc_test_unserved(), 0, on_reply, &a), 0);
    run(1000);
    ASSERT_EQ(a.replies, 1);
    ASSERT_EQ(a.reply_code, HYPE__ERROR__CODE__CODE_UNKNOWN_BODY);
    /* b does not answer (answer_requests false): the request times out. */
    ASSERT_EQ(request(&a, "x"), 0);
    run(1000);
    ASSERT_EQ(a.replies, 2);
    ASSERT_EQ(a.reply_error, -ETIMEDOUT);
    ipc_peer_free(a.peer);
    ipc_peer_free(b.peer);
    event_base_free(base);
}

TEST(eof_fails_pending_and_close_may_free) {
    base = event_base_new();
    Side a = {.free_on_close = true}, b = {0};
    pair(&a, &b, 5000);
    run(50);
    ASSERT_EQ(request(&a, "x"), 0);
    log_set_max_level(LOG_ERR);
    b.peer = ipc_peer_free(b.peer);
    run(1000);
    log_set_max_level(LOG_INFO);
    ASSERT_EQ(a.replies, 1);
    ASSERT_EQ(a.reply_error, -ECONNRESET);
    ASSERT_EQ(a.closes, 1);
    /* EOF, or EPIPE when our queued request was written after the other side closed. */
    ASSERT_TRUE(a.close_error == 0 || a.close_error == -ECONNRESET);
    ASSERT_NULL(a.peer); /* freed from inside on_close, without use-after-free (ASan) */
    event_base_free(base);
}

static int raw_peer(Side *a, int *raw) {
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    IpcPeerOptions o = {&ipc_link_api_signal, HYPE__ROLE__ROLE_API, "api", 1000, 64 * 1024, 0};
    *raw = sv[1];
    return ipc_peer_new(base, sv[0], &o, &cbs, a, &a->peer);
}

static void write_hello(int fd, uint32_t version) {
    uint8_t buf[128];
    int n = ipc_frame_encode_into(ipc_test_hello(version, HYPE__ROLE__ROLE_UNSPECIFIED), buf,
                                  sizeof(buf));
    ASSERT_TRUE(write(fd, buf, (size_t)n) == n);
}

TEST(protocol_violations_drop_the_peer) {
    base = event_base_new();
    log_set_max_level(LOG_ERR); /* the drops log warnings by design */
    int raw;
    Side a = {0};
    ASSERT_EQ(raw_peer(&a, &raw), 0);
    write_hello(raw, 99);
    run(1000);
    ASSERT_EQ(a.closes, 1);
    ASSERT_EQ(a.close_error, -EPROTO);
    ipc_peer_free(a.peer);
    close(raw);

    Side c = {0};
    ASSERT_EQ(raw_peer(&c, &raw), 0);
    write_hello(raw, IPC_PROTOCOL_VERSION);
    uint8_t oversize[4] = {0x01, 0x00, 0x00, 0x00};
    ASSERT_TRUE(write(raw, oversize, 4) == 4);
    run(1000);
    ASSERT_EQ(c.hellos, 1);
    ASSERT_EQ(c.close_error, -EMSGSIZE);
    ipc_peer_free(c.peer);
    close(raw);

    Side d = {0};
    ASSERT_EQ(raw_peer(&d, &raw), 0);
    write_hello(raw, IPC_PROTOCOL_VERSION);
    uint8_t garbage[] = {0, 0, 0, 3, 0xff, 0xff, 0xff};
    ASSERT_TRUE(write(raw, garbage, sizeof(garbage)) == (ssize_t)sizeof(garbage));
    run(1000);
    ASSERT_EQ(d.close_error, -EBADMSG);
    ipc_peer_free(d.peer);
    close(raw);
    log_set_max_level(LOG_INFO);
    event_base_free(base);
}

TEST(peer_that_never_reads_is_dropped) {
    base = event_base_new();
    log_set_max_level(LOG_ERR);
    int raw;
    Side a = {0};
    ASSERT_EQ(raw_peer(&a, &raw), 0);
    char json[1024];
    memset(json, 'x', sizeof(json) - 1);
    json[sizeof(json) - 1] = '\0';
    int r = 0;
    size_t most = 0;
    for (int i = 0; i < 10000 && r == 0; i++) {
        r = ipc_peer_send(a.peer, ipc_test_event(json));
        if (r == 0 && ipc_peer_output_pending(a.peer) > most)
            most = ipc_peer_output_pending(a.peer);
        if (i % 16 == 0)
            event_base_loop(base, EVLOOP_NONBLOCK);
    }
    ASSERT_EQ(r, -ENOBUFS);
    /* What waited was counted, up to the limit (64 KiB here), so callers can stop short of it. */
    ASSERT_TRUE(most > 32 * 1024 && most <= 64 * 1024);
    ASSERT_EQ(ipc_peer_output_pending(a.peer), 0);
    ASSERT_EQ(a.closes, 1);
    ASSERT_EQ(a.close_error, -ENOBUFS);
    ASSERT_EQ(ipc_peer_send(a.peer, ipc_test_event("y")), -ECONNRESET);
    ipc_peer_free(a.peer);
    close(raw);
    log_set_max_level(LOG_INFO);
    event_base_free(base);
}

/* ---- IpcAsker ---- */

typedef struct Asked {
    int calls, dropped;
    uint32_t code;
    char message[64], json[64];
} Asked;

static void on_asked(const ProtobufCMessage *result, const Hype__Error *error, void *ud) {
    Asked *a = ud;
    a->calls++;
    a->dropped += !result && !error;
    a->code = error ? error->code : 0;
    snprintf(a->message, sizeof(a->message), "%s", error ? error->message : "");
    if (result)
        snprintf(a->json, sizeof(a->json), "%s", ipc_api_signal(result)->api_call_result->body);
    stop_soon();
}

TEST(asking_a_peer_that_may_be_absent) {
    base = event_base_new();
    IpcAsker *asker = NULL;
    ASSERT_OK(ipc_asker_new(base, "the peer is not linked", &asker));
    /* None: the outcome comes from the loop, not from inside the call. */
    Asked none = {0};
    ipc_ask(asker, NULL, &ipc_test_request("x")->base, 0, on_asked, &none);
    ASSERT_EQ(none.calls, 0);
    run(1000);
    ASSERT_EQ(none.calls, 1);
    ASSERT_EQ(none.code, HYPE__ERROR__CODE__CODE_UNAVAILABLE);
    ASSERT_STREQ(none.message, "the peer is not linked");
    /* A peer: its result; a body that is no request: ours, later too. */
    Side a = {0}, b = {.answer_requests = true};
    pair(&a, &b, 100);
    run(50);
    Asked ok = {0}, bad = {0}, slow = {0};
    ipc_ask(asker, a.peer, &ipc_test_request("ping")->base, 0, on_asked, &ok);
    ipc_ask(asker, a.peer, ipc_test_event("no request"), 0, on_asked, &bad);
    ASSERT_EQ(ok.calls + bad.calls, 0);
    run(1000);
    ASSERT_EQ(ok.calls, 1);
    ASSERT_EQ(ok.code, 0);
    ASSERT_STREQ(ok.json, "ping");
    ASSERT_EQ(bad.calls, 1);
    ASSERT_EQ(bad.code, HYPE__ERROR__CODE__CODE_INTERNAL);
    /* Unanswered in time: CODE_TIMEOUT, saying the asker's message. */
    b.answer_requests = false;
    ipc_ask(asker, a.peer, &ipc_test_request("slow")->base, 20, on_asked, &slow);
    run(1000);
    ASSERT_EQ(slow.code, HYPE__ERROR__CODE__CODE_TIMEOUT);
    ASSERT_STREQ(slow.message, "the peer is not linked");
    IpcAskerStats st = ipc_asker_stats(asker);
    ASSERT_EQ_U(st.asked, 4);
    ASSERT_EQ_U(st.unanswered, 3);
    /* Freed with a request waiting: dropped, so that what it holds can go (ASan). */
    Asked dropped = {0};
    ipc_ask(asker, a.peer, &ipc_test_request("late")->base, 0, on_asked, &dropped);
    ipc_peer_free(a.peer);
    ipc_peer_free(b.peer);
    asker = ipc_asker_free(asker);
    ASSERT_EQ(dropped.calls, 1);
    ASSERT_EQ(dropped.dropped, 1);
    ASSERT_EQ(ok.dropped + bad.dropped + slow.dropped + none.dropped, 0);
    event_base_free(base);
}

/* A module's typed callback, as signal_ipc_request's callers give it. */
typedef void (*typed_cb)(const Hype__ApiSignal__Envelope *result, const Hype__Error *error,
                         void *userdata);

static void on_typed(const Hype__ApiSignal__Envelope *result, const Hype__Error *error, void *ud) {
    on_asked(result ? &result->base : NULL, error, ud);
}

static void relay(const ProtobufCMessage *result, const Hype__Error *error, ipc_typed_fn typed,
                  void *ud) {
    ((typed_cb)typed)(result ? ipc_api_signal(result) : NULL, error, ud);
}

TEST(asking_with_a_typed_callback) {
    base = event_base_new();
    IpcAsker *asker = NULL;
    ASSERT_OK(ipc_asker_new(base, "absent", &asker));
    Side a = {0}, b = {.answer_requests = true};
    pair(&a, &b, 100);
    run(50);
    Asked ok = {0}, none = {0}, dropped = {0};
    ipc_ask_typed(asker, a.peer, &ipc_test_request("typed")->base, 0, relay, (ipc_typed_fn)on_typed,
                  &ok);
    ipc_ask_typed(asker, NULL, &ipc_test_request("x")->base, 0, relay, (ipc_typed_fn)on_typed,
                  &none);
    /* Nobody waits: the request goes all the same. */
    ipc_ask_typed(asker, a.peer, &ipc_test_request("fire")->base, 0, relay, NULL, NULL);
    ASSERT_EQ(ok.calls + none.calls, 0);
    run(1000);
    ASSERT_EQ(ok.calls, 1);
    ASSERT_STREQ(ok.json, "typed");
    ASSERT_EQ(none.calls, 1);
    ASSERT_EQ(none.code, HYPE__ERROR__CODE__CODE_UNAVAILABLE);
    ASSERT_EQ_U(ipc_asker_stats(asker).asked, 3);
    /* Dropped when the asker goes: the typed callback is not called at all. */
    b.answer_requests = false;
    ipc_ask_typed(asker, a.peer, &ipc_test_request("late")->base, 0, relay, (ipc_typed_fn)on_typed,
                  &dropped);
    ipc_peer_free(a.peer);
    ipc_peer_free(b.peer);
    asker = ipc_asker_free(asker);
    ASSERT_EQ(dropped.calls, 0);
    event_base_free(base);
}

TEST_MAIN()
