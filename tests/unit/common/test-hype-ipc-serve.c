/* Unit tests for common/hype-ipc-serve: a table of request handlers by body on no loop, between
 * two loop-free peers whose output the test moves by hand: requests reach their handler, what
 * nobody serves is answered CODE_UNKNOWN_BODY, replies later or never reach a peer that went,
 * and calls outlive their table. */
#include <stdlib.h>

#include "hype-ipc-serve.h"
#include "hype-log.h"
#include "ipc-envelopes.h"
#include "test.h"

typedef struct Side {
    IpcPeer *peer;
    IpcServe *serve; /* the serving side's */
    int closes;
} Side;

typedef struct Held {
    IpcCall *call;    /* the last call its handler kept for later */
    IpcCall *kept[8]; /* every one, in order */
    int calls;
    char body[32];
} Held;

typedef struct Outcome {
    int calls, error;
    uint32_t code;
    char json[32];
} Outcome;

static int on_message(IpcPeer *p, const ProtobufCMessage *env, void *ud) {
    Side *s = ud;
    return s->serve ? ipc_serve_dispatch(s->serve, p, env) : -EOPNOTSUPP;
}

static void on_close(IpcPeer *p, int error, void *ud) {
    Side *s = ud;
    s->closes++;
    if (s->serve)
        ipc_serve_peer_gone(s->serve, p);
}

static const IpcPeerCallbacks cbs = {on_message, NULL, on_close};

static int side_new(Side *s, Hype__Role role) {
    IpcPeerOptions o = {.link = &ipc_link_api_signal, .role = role, .instance = "t"};
    return ipc_proto_new(&o, &cbs, s, NULL, NULL, &s->peer);
}

static void pump(Side *from, Side *to) {
    const uint8_t *data;
    size_t len;
    while (from->peer && to->peer && (len = ipc_proto_output_peek(from->peer, &data)) > 0) {
        int r = ipc_proto_feed(to->peer, data, len);
        if (from->peer)
            ipc_proto_output_drain(from->peer, len);
        if (r < 0)
            break;
    }
}

static void exchange(Side *a, Side *b) {
    for (int i = 0; i < 4; i++) {
        pump(a, b);
        pump(b, a);
    }
}

/* Answers at once with the request's body. */
static void echo(void *ud, IpcCall *call, const ProtobufCMessage *request) {
    int *served = ud;
    (*served)++;
    ipc_serve_reply(call, &ipc_test_result(ipc_api_signal(request)->api_call->body)->base);
}

/* Keeps the call to answer later. */
static void hold(void *ud, IpcCall *call, const ProtobufCMessage *request) {
    Held *h = ud;
    h->call = call;
    if (h->calls < 8)
        h->kept[h->calls] = call;
    h->calls++;
    snprintf(h->body, sizeof(h->body), "%s", ipc_api_signal(request)->api_call->body);
}

static void on_reply(IpcPeer *p, const ProtobufCMessage *reply, int error, void *ud) {
    Outcome *o = ud;
    o->calls++;
    o->error = error;
    ipc_test_read_reply(reply, error, o->json, sizeof(o->json), &o->code);
}

static int ask(Side *s, const char *json, Outcome *o) {
    return ipc_peer_request(s->peer, &ipc_test_request(json)->base, 0, on_reply, o);
}

static int pair(Side *client, Side *server) {
    int r = side_new(client, HYPE__ROLE__ROLE_API);
    if (r == 0)
        r = side_new(server, HYPE__ROLE__ROLE_SIGNAL);
    if (r == 0)
        r = ipc_serve_new(&ipc_link_api_signal, &server->serve);
    if (r == 0)
        exchange(client, server); /* the Hellos */
    return r;
}

TEST(requests_reach_their_handler_and_the_rest_is_unknown) {
    Side c = {0}, s = {0};
    ASSERT_OK(pair(&c, &s));
    int served = 0;
    ASSERT_EQ(ipc_serve_add(s.serve, HYPE__API_SIGNAL__ENVELOPE__BODY_API_CALL, echo, &served), 0);
    ASSERT_EQ(ipc_serve_add(s.serve, HYPE__API_SIGNAL__ENVELOPE__BODY_API_CALL, echo, &served),
              -EEXIST);
    /* Results, one-way frames and the shared head are no requests. */
    ASSERT_EQ(ipc_serve_add(s.serve, HYPE__API_SIGNAL__ENVELOPE__BODY_API_CALL_RESULT, echo, NULL),
              -EINVAL);
    ASSERT_EQ(ipc_serve_add(s.serve, HYPE__API_SIGNAL__ENVELOPE__BODY_EVENT, echo, NULL), -EINVAL);
    ASSERT_EQ(ipc_serve_add(s.serve, IPC_BODY_HELLO, echo, NULL), -EINVAL);
    ASSERT_EQ(ipc_serve_add(s.serve, 1000, echo, NULL), -EINVAL);
    Outcome a = {0}, u = {0};
    ASSERT_OK(ask(&c, "first", &a));
    ASSERT_OK(ipc_peer_request(c.peer, ipc_test_unserved(), 0, on_reply, &u));
    exchange(&c, &s);
    ASSERT_EQ(served, 1);
    ASSERT_EQ(a.calls, 1);
    ASSERT_EQ(a.error, 0);
    ASSERT_STREQ(a.json, "first");
    ASSERT_EQ(u.calls, 1);
    ASSERT_EQ(u.error, -EREMOTEIO);
    ASSERT_EQ(u.code, HYPE__ERROR__CODE__CODE_UNKNOWN_BODY);
    ASSERT_EQ_U(ipc_serve_count(s.serve), 1);
    /* A one-way frame is no request: not for the table. */
    ASSERT_EQ(ipc_serve_dispatch(s.serve, s.peer, ipc_test_event("{}")), -EOPNOTSUPP);
    ipc_peer_free(c.peer);
    ipc_peer_free(s.peer);
    ipc_serve_free(s.serve);
}

TEST(a_call_answered_later_reaches_its_own_peer_only) {
    Side c = {0}, s = {0}, c2 = {0}, s2 = {0};
    ASSERT_OK(pair(&c, &s));
    Held h = {0};
    ASSERT_OK(ipc_serve_add(s.serve, HYPE__API_SIGNAL__ENVELOPE__BODY_API_CALL, hold, &h));
    Outcome a = {0};
    ASSERT_OK(ask(&c, "later", &a));
    exchange(&c, &s);
    ASSERT_EQ(h.calls, 1);
    ASSERT_EQ(a.calls, 0);
    ASSERT_TRUE(ipc_serve_call_peer(h.call) == s.peer);
    ipc_serve_reply(h.call, &ipc_test_result(h.body)->base);
    exchange(&c, &s);
    ASSERT_EQ(a.calls, 1);
    ASSERT_STREQ(a.json, "later");

    /* The asking peer goes before the answer: the reply is dropped. */
    Outcome lost = {0};
    ASSERT_OK(ask(&c, "lost", &lost));
    exchange(&c, &s);
    ASSERT_EQ(h.calls, 2);
    IpcCall *lost_call = h.call;
    ASSERT_EQ(ipc_proto_close(s.peer, 0, "test"), -ECONNRESET); /* closed now */
    ASSERT_EQ(s.closes, 1);
    ASSERT_NULL(ipc_serve_call_peer(lost_call));
    /* Another connection now, whose requests have the same ids (each peer counts from 1): the
     * old answer must not reach it, its own must. */
    IpcServe *serve = s.serve;
    s.serve = NULL;
    ipc_peer_free(s.peer);
    ipc_peer_free(c.peer); /* its pending "lost" is dropped with it */
    ASSERT_OK(side_new(&c2, HYPE__ROLE__ROLE_API));
    ASSERT_OK(side_new(&s2, HYPE__ROLE__ROLE_SIGNAL));
    s2.serve = serve;
    exchange(&c2, &s2);
    Outcome fresh = {0}, second = {0};
    ASSERT_OK(ask(&c2, "fresh", &fresh));
    ASSERT_OK(ask(&c2, "second", &second)); /* the id "lost" had */
    exchange(&c2, &s2);
    ASSERT_EQ(h.calls, 4);
    ipc_serve_reply(lost_call, &ipc_test_result("stale")->base);
    exchange(&c2, &s2);
    ASSERT_EQ(fresh.calls + second.calls, 0);
    ipc_serve_reply_error(h.call, HYPE__ERROR__CODE__CODE_CONFLICT, "no");
    exchange(&c2, &s2);
    ASSERT_EQ(second.calls, 1);
    ASSERT_EQ(second.code, HYPE__ERROR__CODE__CODE_CONFLICT);
    ASSERT_EQ(fresh.calls, 0); /* still held by its handler */
    ipc_serve_reply(h.kept[2], &ipc_test_result(h.body)->base);
    exchange(&c2, &s2);
    ASSERT_EQ(fresh.calls, 1);
    ASSERT_STREQ(fresh.json, "second"); /* h.body is the last request's */
    ASSERT_EQ(lost.calls, 0);
    ipc_peer_free(c2.peer);
    ipc_peer_free(s2.peer);
    ipc_serve_free(serve);
}

TEST(calls_outlive_their_table) {
    Side c = {0}, s = {0};
    ASSERT_OK(pair(&c, &s));
    Held h = {0};
    ASSERT_OK(ipc_serve_add(s.serve, HYPE__API_SIGNAL__ENVELOPE__BODY_API_CALL, hold, &h));
    Outcome a = {0}, b = {0};
    ASSERT_OK(ask(&c, "one", &a));
    exchange(&c, &s);
    IpcCall *first = h.call;
    ASSERT_OK(ask(&c, "two", &b));
    exchange(&c, &s);
    ASSERT_EQ(h.calls, 2);
    s.serve = ipc_serve_free(s.serve); /* the owner stops with both unanswered */
    ASSERT_NULL(ipc_serve_call_peer(first));
    ipc_serve_reply(first, &ipc_test_result("x")->base);
    ipc_serve_reply_error(h.call, HYPE__ERROR__CODE__CODE_INTERNAL, "x");
    exchange(&c, &s);
    ASSERT_EQ(a.calls + b.calls, 0); /* dropped: they time out on the other side */
    ipc_peer_free(c.peer);
    ipc_peer_free(s.peer);
}

static void quiet(void) __attribute__((constructor));
static void quiet(void) {
    log_set_max_level(LOG_ERR); /* peers closed by design */
}

TEST_MAIN()
