/* Unit tests for common/hype-ipc-glib: a peer on a GMainLoop talking, over a socketpair, to a peer
 * on the libevent binding, whose base the same loop runs without blocking every millisecond.
 * SIGPIPE is left at its default: both bindings write with MSG_NOSIGNAL. */
#include <event2/event.h>
#include <glib.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hype-ipc-event.h"
#include "hype-ipc-glib.h"
#include "hype-log.h"
#include "ipc-envelopes.h"
#include "loop-wait-glib.h"
#include "test.h"

typedef struct Side {
    IpcPeer *peer;
    int hellos, messages, closes, close_error;
    char last_json[64];
    bool answer_requests, free_on_close, free_on_message;
} Side;

typedef struct Call {
    int calls, error;
    uint32_t code;
    bool got_reply;
    char json[64];
} Call;

static GMainContext *ctx;
static GMainLoop *loop;
static struct event_base *base;

static int on_message(IpcPeer *p, const ProtobufCMessage *msg, void *ud) {
    Side *s = ud;
    const Hype__ApiSignal__Envelope *env = ipc_api_signal(msg);
    s->messages++;
    if (s->free_on_message) {
        s->peer = ipc_peer_free(p);
        return 0;
    }
    if (env->body_case == HYPE__API_SIGNAL__ENVELOPE__BODY_EVENT) {
        snprintf(s->last_json, sizeof(s->last_json), "%s", env->event->json);
        return 0;
    }
    if (env->body_case != HYPE__API_SIGNAL__ENVELOPE__BODY_API_CALL)
        return -EOPNOTSUPP;
    snprintf(s->last_json, sizeof(s->last_json), "%s", env->api_call->body);
    if (s->answer_requests)
        ipc_peer_reply(p, env->id, &ipc_test_result(env->api_call->body)->base);
    return 0;
}

static void on_hello(IpcPeer *p, const Hype__Hello *h, void *ud) {
    ((Side *)ud)->hellos++;
}

static void on_close(IpcPeer *p, int error, void *ud) {
    Side *s = ud;
    s->closes++;
    s->close_error = error;
    if (s->free_on_close)
        s->peer = ipc_peer_free(p);
}

static void on_reply(IpcPeer *p, const ProtobufCMessage *reply, int error, void *ud) {
    Call *c = ud;
    c->calls++;
    c->error = error;
    c->got_reply = reply != NULL;
    ipc_test_read_reply(reply, error, c->json, sizeof(c->json), &c->code);
}

static const IpcPeerCallbacks cbs = {on_message, on_hello, on_close};

/* ---- running the loop until something happened ---- */

static bool wait_for(int *counter, int target) {
    return loop_wait_glib(ctx, loop, base, counter, target);
}

/* ---- fixtures ---- */

static void setup(void) {
    ctx = g_main_context_new();
    loop = g_main_loop_new(ctx, FALSE);
    base = event_base_new();
}

/* Nothing is left on either loop once the peers are freed. */
static bool teardown(void) {
    int left = event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED);
    event_base_free(base);
    bool idle = !g_main_context_pending(ctx);
    g_main_loop_unref(loop);
    g_main_context_unref(ctx);
    return left == 0 && idle;
}

/* g on GLib (the media worker's role), l on libevent (hype-signal's). They speak the api-signal
 * link: the signal-media one has no requests yet, and the peer is the same on every link. */
static void pair(Side *g, Side *l, uint32_t timeout_ms) {
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    IpcPeerOptions og = {&ipc_link_api_signal, HYPE__ROLE__ROLE_MEDIA, "media-1", timeout_ms, 0, 0};
    IpcPeerOptions ol = {&ipc_link_api_signal, HYPE__ROLE__ROLE_SIGNAL, "signal", timeout_ms, 0, 0};
    ipc_gpeer_new(ctx, sv[0], &og, &cbs, g, &g->peer);
    ipc_peer_new(base, sv[1], &ol, &cbs, l, &l->peer);
}

static int request(IpcPeer *p, const char *json, Call *c) {
    return ipc_peer_request(p, &ipc_test_request(json)->base, 0, on_reply, c);
}

/* ---- the tests ---- */

TEST(hello_event_request_reply_both_ways) {
    setup();
    Side g = {.answer_requests = true}, l = {.answer_requests = true};
    pair(&g, &l, 1000);
    ASSERT_TRUE(wait_for(&g.hellos, 1));
    ASSERT_TRUE(wait_for(&l.hellos, 1));
    ASSERT_TRUE(ipc_peer_is_ready(g.peer));
    ASSERT_STREQ(ipc_peer_hello(g.peer)->instance, "signal");
    ASSERT_EQ(ipc_peer_hello(l.peer)->role, HYPE__ROLE__ROLE_MEDIA);

    ASSERT_EQ(ipc_peer_send(g.peer, ipc_test_event("{\"from\":\"glib\"}")), 0);
    ASSERT_EQ(ipc_peer_send(l.peer, ipc_test_event("{\"from\":\"libevent\"}")), 0);
    ASSERT_TRUE(wait_for(&l.messages, 1));
    ASSERT_TRUE(wait_for(&g.messages, 1));
    ASSERT_STREQ(l.last_json, "{\"from\":\"glib\"}");
    ASSERT_STREQ(g.last_json, "{\"from\":\"libevent\"}");

    Call cg = {0}, cl = {0};
    ASSERT_EQ(request(g.peer, "ping from glib", &cg), 0);
    ASSERT_EQ(request(l.peer, "ping from libevent", &cl), 0);
    ASSERT_EQ(ipc_peer_pending_requests(g.peer), 1);
    ASSERT_TRUE(wait_for(&cg.calls, 1));
    ASSERT_TRUE(wait_for(&cl.calls, 1));
    ASSERT_EQ(cg.error, 0);
    ASSERT_STREQ(cg.json, "ping from glib");
    ASSERT_EQ(cl.error, 0);
    ASSERT_STREQ(cl.json, "ping from libevent");
    ASSERT_EQ(ipc_peer_pending_requests(g.peer), 0);
    ASSERT_EQ(ipc_peer_output_pending(g.peer), 0);
    ipc_peer_free(g.peer);
    ipc_peer_free(l.peer);
    ASSERT_TRUE(teardown());
}

TEST(unknown_body_and_timeout_both_ways) {
    setup();
    Side g = {0}, l = {0}; /* neither answers ApiCall: those requests time out */
    pair(&g, &l, 150);
    Call ug = {0}, ul = {0};
    ASSERT_EQ(ipc_peer_request(g.peer, ipc_test_unserved(), 0, on_reply, &ug), 0);
    ASSERT_EQ(ipc_peer_request(l.peer, ipc_test_unserved(), 0, on_reply, &ul), 0);
    ASSERT_TRUE(wait_for(&ug.calls, 1));
    ASSERT_TRUE(wait_for(&ul.calls, 1));
    ASSERT_EQ(ug.code, HYPE__ERROR__CODE__CODE_UNKNOWN_BODY);
    ASSERT_EQ(ul.code, HYPE__ERROR__CODE__CODE_UNKNOWN_BODY);

    Call tg = {0}, tl = {0};
    ASSERT_EQ(request(g.peer, "x", &tg), 0);
    ASSERT_EQ(request(l.peer, "y", &tl), 0);
    ASSERT_TRUE(wait_for(&tg.calls, 1));
    ASSERT_TRUE(wait_for(&tl.calls, 1));
    ASSERT_EQ(tg.error, -ETIMEDOUT);
    ASSERT_FALSE(tg.got_reply);
    ASSERT_EQ(tl.error, -ETIMEDOUT);
    ASSERT_EQ(l.messages, 2); /* the requests arrived; nobody answered */
    ASSERT_EQ(ipc_peer_pending_requests(g.peer), 0);
    /* Once more on the GLib side: the source's ready time was re-armed after the first. */
    Call tg2 = {0};
    ASSERT_EQ(request(g.peer, "z", &tg2), 0);
    ASSERT_TRUE(wait_for(&tg2.calls, 1));
    ASSERT_EQ(tg2.error, -ETIMEDOUT);
    ASSERT_EQ(tg.calls + tl.calls, 2);
    ipc_peer_free(g.peer);
    ipc_peer_free(l.peer);
    ASSERT_TRUE(teardown());
}

TEST(drop_fails_pending_both_ways) {
    log_set_max_level(LOG_ERR);
    /* The libevent peer goes: the GLib one fails its request and frees itself in on_close. */
    setup();
    Side g = {.free_on_close = true}, l = {0};
    pair(&g, &l, 5000);
    ASSERT_TRUE(wait_for(&l.hellos, 1));
    Call cg = {0};
    ASSERT_EQ(request(g.peer, "x", &cg), 0);
    l.peer = ipc_peer_free(l.peer);
    ASSERT_TRUE(wait_for(&g.closes, 1));
    ASSERT_EQ(cg.calls, 1);
    ASSERT_EQ(cg.error, -ECONNRESET);
    ASSERT_TRUE(g.close_error == 0 || g.close_error == -ECONNRESET);
    ASSERT_NULL(g.peer);
    ASSERT_TRUE(teardown());

    /* The GLib peer goes: the libevent one does the same. */
    setup();
    Side g2 = {0}, l2 = {.free_on_close = true};
    pair(&g2, &l2, 5000);
    ASSERT_TRUE(wait_for(&g2.hellos, 1));
    Call cl = {0};
    ASSERT_EQ(request(l2.peer, "x", &cl), 0);
    g2.peer = ipc_peer_free(g2.peer);
    ASSERT_TRUE(wait_for(&l2.closes, 1));
    ASSERT_EQ(cl.calls, 1);
    ASSERT_EQ(cl.error, -ECONNRESET);
    ASSERT_TRUE(l2.close_error == 0 || l2.close_error == -ECONNRESET);
    ASSERT_NULL(l2.peer);
    ASSERT_TRUE(teardown());
    log_set_max_level(LOG_INFO);
}

TEST(free_from_inside_a_glib_dispatch) {
    log_set_max_level(LOG_ERR);
    setup();
    Side g = {.free_on_message = true}, l = {0};
    pair(&g, &l, 5000);
    ASSERT_TRUE(wait_for(&g.hellos, 1));
    /* Two events in one read: the first frees the peer, the second is never looked at. */
    ASSERT_EQ(ipc_peer_send(l.peer, ipc_test_event("one")), 0);
    ASSERT_EQ(ipc_peer_send(l.peer, ipc_test_event("two")), 0);
    ASSERT_TRUE(wait_for(&g.messages, 1));
    ASSERT_NULL(g.peer);
    ASSERT_TRUE(wait_for(&l.closes, 1)); /* its socket was closed with it */
    ASSERT_EQ(g.messages, 1);
    ipc_peer_free(l.peer);
    ASSERT_TRUE(teardown());
    log_set_max_level(LOG_INFO);
}

static void write_hello(int fd, uint32_t version, Hype__Role role) {
    uint8_t buf[128];
    int n = ipc_frame_encode_into(ipc_test_hello(version, role), buf, sizeof(buf));
    if (write(fd, buf, (size_t)n) != n)
        abort();
}

static int raw_gpeer(Side *g, int *raw, size_t max_output) {
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    IpcPeerOptions o = {
        &ipc_link_api_signal, HYPE__ROLE__ROLE_MEDIA, "media-1", 1000, max_output, 0};
    *raw = sv[1];
    return ipc_gpeer_new(ctx, sv[0], &o, &cbs, g, &g->peer);
}

TEST(protocol_violations_drop_the_glib_peer) {
    log_set_max_level(LOG_ERR);
    setup();
    int raw;
    Side a = {0};
    ASSERT_EQ(raw_gpeer(&a, &raw, 0), 0);
    write_hello(raw, 99, HYPE__ROLE__ROLE_SIGNAL);
    ASSERT_TRUE(wait_for(&a.closes, 1));
    ASSERT_EQ(a.close_error, -EPROTO);
    ipc_peer_free(a.peer);
    close(raw);

    Side b = {0};
    ASSERT_EQ(raw_gpeer(&b, &raw, 0), 0);
    ASSERT_EQ(ipc_peer_expect_roles(b.peer, IPC_ROLE_BIT(HYPE__ROLE__ROLE_SIGNAL)), 0);
    write_hello(raw, IPC_PROTOCOL_VERSION, HYPE__ROLE__ROLE_API);
    ASSERT_TRUE(wait_for(&b.closes, 1));
    ASSERT_EQ(b.close_error, -EPROTO);
    ASSERT_EQ(b.hellos, 0);
    ipc_peer_free(b.peer);
    close(raw);

    Side c = {0};
    ASSERT_EQ(raw_gpeer(&c, &raw, 0), 0);
    write_hello(raw, IPC_PROTOCOL_VERSION, HYPE__ROLE__ROLE_SIGNAL);
    uint8_t oversize[4] = {0x01, 0x00, 0x00, 0x00};
    ASSERT_TRUE(write(raw, oversize, 4) == 4);
    ASSERT_TRUE(wait_for(&c.closes, 1));
    ASSERT_EQ(c.hellos, 1);
    ASSERT_EQ(c.close_error, -EMSGSIZE);
    ipc_peer_free(c.peer);
    close(raw);
    ASSERT_TRUE(teardown());
    log_set_max_level(LOG_INFO);
}

TEST(glib_peer_that_never_reads_is_dropped) {
    log_set_max_level(LOG_ERR);
    setup();
    int raw;
    Side a = {0};
    ASSERT_EQ(raw_gpeer(&a, &raw, 64 * 1024), 0);
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
            g_main_context_iteration(ctx, FALSE);
    }
    ASSERT_EQ(r, -ENOBUFS);
    ASSERT_TRUE(most > 32 * 1024 && most <= 64 * 1024);
    ASSERT_EQ(a.closes, 1);
    ASSERT_EQ(a.close_error, -ENOBUFS);
    ASSERT_EQ(ipc_peer_output_pending(a.peer), 0);
    ipc_peer_free(a.peer);
    close(raw);
    ASSERT_TRUE(teardown());
    log_set_max_level(LOG_INFO);
}

TEST_MAIN()
