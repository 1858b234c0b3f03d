/* Unit tests for signal-daemon/signal-ipc: hype-signal's end of signal.sock against a fake hype-api
 * on the same loop: typed requests both ways (UserSessions answered from the session registry),
 * Error replies, REST statuses relayed as codes, failures that come later, and who may link. */
#include <event2/event.h>
#include <stdlib.h>
#include <unistd.h>

#include "hype-ipc-event.h"
#include "hype-log.h"
#include "signal-bus.h"
#include "signal-ipc.h"
#include "signal-session.h"
#include "loop-wait.h"
#include "test.h"

static struct event_base *base;

/* ---- a fake hype-api ---- */

typedef struct Api {
    IpcPeer *peer;
    int hellos, closes, asked;
    Hype__ApiSignal__Envelope__BodyCase last;
    Hype__Error__Code refuse; /* answer requests with this Error instead */
    int32_t status;           /* what an ApiCall answers */
} Api;

static void reply_result(IpcPeer *p, const Hype__ApiSignal__Envelope *env, const Api *a) {
    Hype__ApiSignal__Envelope r = HYPE__API_SIGNAL__ENVELOPE__INIT;
    Hype__ApiSignal__GatewaySessionResult g = HYPE__API_SIGNAL__GATEWAY_SESSION_RESULT__INIT;
    Hype__ApiSignal__ApiCallResult c = HYPE__API_SIGNAL__API_CALL_RESULT__INIT;
    uint64_t servers[2] = {1, 77};
    if (env->body_case == HYPE__API_SIGNAL__ENVELOPE__BODY_GATEWAY_SESSION) {
        g.alive = true;
        g.username = "ann";
        g.server_ids = servers;
        g.n_server_ids = 2;
        r.body_case = HYPE__API_SIGNAL__ENVELOPE__BODY_GATEWAY_SESSION_RESULT;
        r.gateway_session_result = &g;
    } else {
        c.status = a->status;
        c.body = "{\"success\":false,\"error\":\"Channel not found\"}";
        r.body_case = HYPE__API_SIGNAL__ENVELOPE__BODY_API_CALL_RESULT;
        r.api_call_result = &c;
    }
    ipc_peer_reply(p, env->id, &r.base);
}

static int api_message(IpcPeer *p, const ProtobufCMessage *msg, void *ud) {
    Api *a = ud;
    const Hype__ApiSignal__Envelope *env = ipc_api_signal(msg);
    a->asked++;
    a->last = env->body_case;
    if (a->refuse)
        ipc_peer_reply_error(p, env->id, a->refuse, "refused");
    else
        reply_result(p, env, a);
    return 0;
}

static void api_hello(IpcPeer *p, const Hype__Hello *h, void *ud) {
    ((Api *)ud)->hellos++;
}

static void api_close(IpcPeer *p, int error, void *ud) {
    Api *a = ud;
    a->closes++;
    a->peer = ipc_peer_free(p);
}

static const IpcPeerCallbacks api_cbs = {api_message, api_hello, api_close};

static void on_result(const Hype__ApiSignal__Envelope *result, const Hype__Error *error,
                      void *userdata);

/* The fake's own requests, answered by hype-signal. */
static void api_on_reply(IpcPeer *p, const ProtobufCMessage *reply, int error, void *userdata) {
    const Hype__ApiSignal__Envelope *env = reply ? ipc_api_signal(reply) : NULL;
    Hype__Error local = HYPE__ERROR__INIT;
    local.code = HYPE__ERROR__CODE__CODE_INTERNAL;
    local.message = "no answer";
    on_result(error ? NULL : env,
              error == -EREMOTEIO ? env->error
              : error             ? &local
                                  : NULL,
              userdata);
}

static int api_connect(Api *a, const char *path, Hype__Role role) {
    IpcPeerOptions o = {.link = &ipc_link_api_signal, .role = role, .instance = "fake-api"};
    return ipc_peer_connect_unix(base, path, &o, &api_cbs, a, &a->peer);
}

/* ---- what hype-signal hears ---- */

typedef struct Heard {
    int calls, api_ready;
    uint32_t sessions;
    Hype__Error__Code code;
    char message[64];
    uint64_t servers[4];
    size_t n_servers;
} Heard;

static void on_result(const Hype__ApiSignal__Envelope *result, const Hype__Error *error,
                      void *userdata) {
    Heard *h = userdata;
    h->calls++;
    h->code = error ? error->code : HYPE__ERROR__CODE__CODE_UNSPECIFIED;
    snprintf(h->message, sizeof(h->message), "%s", error ? error->message : "");
    if (result && result->body_case == HYPE__API_SIGNAL__ENVELOPE__BODY_USER_SESSIONS_RESULT)
        h->sessions = result->user_sessions_result->sessions;
    if (result && result->body_case == HYPE__API_SIGNAL__ENVELOPE__BODY_GATEWAY_SESSION_RESULT) {
        const Hype__ApiSignal__GatewaySessionResult *g = result->gateway_session_result;
        for (h->n_servers = 0; h->n_servers < g->n_server_ids && h->n_servers < 4; h->n_servers++)
            h->servers[h->n_servers] = g->server_ids[h->n_servers];
    }
}

static void on_relayed(Hype__Error__Code code, const char *body, void *userdata) {
    Heard *h = userdata;
    h->calls++;
    h->code = code;
    snprintf(h->message, sizeof(h->message), "%s", body);
}

static void on_event(const Hype__ApiSignal__Event *ev, void *userdata) {
}

static void on_api_ready(void *userdata) {
    ((Heard *)userdata)->api_ready++;
}

/* Runs the loop until *counter reaches target (5 s at most: a failure, not a measure). */
static bool wait_for(int *counter, int target) {
    return loop_wait(base, counter, target);
}

static Hype__ApiSignal__Envelope *gateway_session(void) {
    static Hype__ApiSignal__GatewaySession q;
    static Hype__ApiSignal__Envelope env;
    hype__api_signal__gateway_session__init(&q);
    hype__api_signal__envelope__init(&env);
    q.user_id = 42;
    q.session_id = 9;
    env.body_case = HYPE__API_SIGNAL__ENVELOPE__BODY_GATEWAY_SESSION;
    env.gateway_session = &q;
    return &env;
}

/* ---- fixture: a SignalIpc listening, a session registry serving UserSessions ---- */

typedef struct Fixture {
    char dir[64], path[96];
    SignalConfig cfg;
    Bus *bus;
    SignalIpc *ipc;
    SessionRegistry *sessions;
    Heard heard;
} Fixture;

static int fixture_open(Fixture *f) {
    memset(f, 0, sizeof(*f));
    log_set_max_level(LOG_ERR); /* links come and go, and are dropped, by design */
    base = event_base_new();
    if (!test_socket_dir("hype-signal-ipc", "signal.sock", f->dir, f->path))
        return -errno;
    int r = bus_new(&f->bus);
    if (r == 0)
        r = signal_ipc_new(base, f->path, on_event, on_api_ready, &f->heard, &f->ipc);
    if (r == 0)
        r = signal_ipc_listen(f->ipc);
    if (r == 0)
        r = sessions_new(base, &f->cfg, f->bus, f->ipc, &f->sessions);
    return r;
}

static bool fixture_close(Fixture *f) {
    sessions_free(f->sessions);
    signal_ipc_free(f->ipc);
    bus_free(f->bus);
    rmdir(f->dir);
    int left = event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED);
    event_base_free(base);
    log_set_max_level(LOG_INFO);
    return left == 0;
}

/* ---- the tests ---- */

TEST(hype_api_asks_how_many_live_sessions_a_user_has) {
    Fixture f;
    ASSERT_OK(fixture_open(&f));
    /* User 42: two live sessions (one dropped, still resumable) and one still authenticating. */
    Session s[3] = {
        {.state = SESSION_READY}, {.state = SESSION_DETACHED}, {.state = SESSION_AUTHENTICATING}};
    char key[BUS_KEY_MAX];
    for (int i = 0; i < 3; i++)
        ASSERT_NOT_NULL(
            bus_subscribe(f.bus, bus_key(key, sizeof(key), 'u', 42), &s[i], &s[i].subs));
    Api a = {0};
    ASSERT_OK(api_connect(&a, f.path, HYPE__ROLE__ROLE_API));
    ASSERT_TRUE(wait_for(&f.heard.api_ready, 1));
    ASSERT_TRUE(signal_ipc_api_connected(f.ipc));
    uint64_t users[2] = {42, 7};
    uint32_t want[2] = {2, 0};
    for (int i = 0; i < 2; i++) {
        Hype__ApiSignal__UserSessions q = HYPE__API_SIGNAL__USER_SESSIONS__INIT;
        q.user_id = users[i];
        Hype__ApiSignal__Envelope env = HYPE__API_SIGNAL__ENVELOPE__INIT;
        env.body_case = HYPE__API_SIGNAL__ENVELOPE__BODY_USER_SESSIONS;
        env.user_sessions = &q;
        Heard h = {.sessions = 99};
        ASSERT_OK(ipc_peer_request(a.peer, &env.base, 0, api_on_reply, &h));
        ASSERT_TRUE(wait_for(&h.calls, 1));
        ASSERT_EQ(h.code, HYPE__ERROR__CODE__CODE_UNSPECIFIED);
        ASSERT_EQ(h.sessions, want[i]);
    }
    ASSERT_EQ(signal_ipc_stats(f.ipc).served, 2);
    /* A request nobody on this side serves: Error{CODE_UNKNOWN_BODY}. */
    Hype__ApiSignal__Envelope env = HYPE__API_SIGNAL__ENVELOPE__INIT;
    Hype__ApiSignal__ChannelAccess q = HYPE__API_SIGNAL__CHANNEL_ACCESS__INIT;
    env.body_case = HYPE__API_SIGNAL__ENVELOPE__BODY_CHANNEL_ACCESS;
    env.channel_access = &q;
    Heard h = {0};
    ASSERT_OK(ipc_peer_request(a.peer, &env.base, 0, api_on_reply, &h));
    ASSERT_TRUE(wait_for(&h.calls, 1));
    ASSERT_EQ(h.code, HYPE__ERROR__CODE__CODE_UNKNOWN_BODY);
    for (int i = 0; i < 3; i++)
        bus_unsubscribe_all(f.bus, &s[i].subs);
    ipc_peer_free(a.peer);
    ASSERT_TRUE(fixture_close(&f));
}

TEST(hype_signal_asks_and_hears_results_errors_and_relayed_statuses) {
    Fixture f;
    ASSERT_OK(fixture_open(&f));
    Api a = {.status = 404};
    ASSERT_OK(api_connect(&a, f.path, HYPE__ROLE__ROLE_API));
    ASSERT_TRUE(wait_for(&f.heard.api_ready, 1));
    Heard h = {0};
    signal_ipc_request(f.ipc, gateway_session(), on_result, &h);
    ASSERT_EQ(h.calls, 0); /* never from inside the call */
    ASSERT_TRUE(wait_for(&h.calls, 1));
    ASSERT_EQ(a.last, HYPE__API_SIGNAL__ENVELOPE__BODY_GATEWAY_SESSION);
    ASSERT_EQ(h.code, HYPE__ERROR__CODE__CODE_UNSPECIFIED);
    ASSERT_EQ(h.n_servers, 2);
    ASSERT_EQ_U(h.servers[1], 77);
    /* hype-api refuses: its Error, as it is. */
    a.refuse = HYPE__ERROR__CODE__CODE_UNAUTHENTICATED;
    Heard r = {0};
    signal_ipc_request(f.ipc, gateway_session(), on_result, &r);
    ASSERT_TRUE(wait_for(&r.calls, 1));
    ASSERT_EQ(r.code, HYPE__ERROR__CODE__CODE_UNAUTHENTICATED);
    ASSERT_STREQ(r.message, "refused");
    /* A relayed REST call: its status becomes a code here, its body passes through. */
    a.refuse = 0;
    Heard c = {0};
    signal_ipc_api_call(f.ipc, "GET", "/api/x", "Bearer t", NULL, "10.0.0.1", on_relayed, &c);
    ASSERT_TRUE(wait_for(&c.calls, 1));
    ASSERT_EQ(a.last, HYPE__API_SIGNAL__ENVELOPE__BODY_API_CALL);
    ASSERT_EQ(c.code, HYPE__ERROR__CODE__CODE_NOT_FOUND);
    ASSERT_STREQ(c.message, "{\"success\":false,\"error\":\"Channel not found\"}");
    a.status = 201;
    Heard ok = {0};
    signal_ipc_api_call(f.ipc, "POST", "/api/x", "Bearer t", "{}", "", on_relayed, &ok);
    ASSERT_TRUE(wait_for(&ok.calls, 1));
    ASSERT_EQ(ok.code, HYPE__ERROR__CODE__CODE_UNSPECIFIED);
    ASSERT_EQ(signal_ipc_stats(f.ipc).calls, 4);
    ASSERT_EQ(signal_ipc_stats(f.ipc).calls_failed, 0);
    /* A body that is no request of the link is a bug here: CODE_INTERNAL, and later too. */
    Hype__ApiSignal__Envelope none = HYPE__API_SIGNAL__ENVELOPE__INIT;
    Heard bad = {0};
    signal_ipc_request(f.ipc, &none, on_result, &bad);
    ASSERT_EQ(bad.calls, 0);
    ASSERT_TRUE(wait_for(&bad.calls, 1));
    ASSERT_EQ(bad.code, HYPE__ERROR__CODE__CODE_INTERNAL);
    /* hype-api goes: what waits fails (the link went), and what comes after fails later. */
    Heard lost = {0};
    signal_ipc_request(f.ipc, gateway_session(), on_result, &lost);
    a.peer = ipc_peer_free(a.peer);
    ASSERT_TRUE(wait_for(&lost.calls, 1));
    ASSERT_EQ(lost.code, HYPE__ERROR__CODE__CODE_UNAVAILABLE);
    ASSERT_FALSE(signal_ipc_api_connected(f.ipc));
    ASSERT_TRUE(fixture_close(&f));
}

TEST(without_hype_api_every_request_fails_later) {
    Fixture f;
    ASSERT_OK(fixture_open(&f));
    Heard h = {0}, c = {0};
    signal_ipc_request(f.ipc, gateway_session(), on_result, &h);
    signal_ipc_api_call(f.ipc, "GET", "/api/x", NULL, NULL, NULL, on_relayed, &c);
    ASSERT_EQ(h.calls + c.calls, 0);
    ASSERT_TRUE(wait_for(&h.calls, 1));
    ASSERT_TRUE(wait_for(&c.calls, 1));
    ASSERT_EQ(h.code, HYPE__ERROR__CODE__CODE_UNAVAILABLE);
    ASSERT_STREQ(h.message, "API temporarily unavailable");
    ASSERT_EQ(c.code, HYPE__ERROR__CODE__CODE_UNAVAILABLE);
    ASSERT_STREQ(c.message, "{\"success\":false,\"error\":\"API temporarily unavailable\"}");
    ASSERT_EQ(signal_ipc_stats(f.ipc).calls_failed, 2);
    ASSERT_TRUE(fixture_close(&f));
}

TEST(only_hype_api_may_link_and_each_body_is_served_once) {
    Fixture f;
    ASSERT_OK(fixture_open(&f));
    Api m = {0};
    ASSERT_OK(api_connect(&m, f.path, HYPE__ROLE__ROLE_MEDIA));
    ASSERT_TRUE(wait_for(&m.closes, 1));
    ASSERT_EQ(f.heard.api_ready, 0);
    ASSERT_FALSE(signal_ipc_api_connected(f.ipc));
    ASSERT_EQ(signal_ipc_serve(f.ipc, HYPE__API_SIGNAL__ENVELOPE__BODY_USER_SESSIONS, NULL, NULL),
              -EEXIST);
    ASSERT_EQ(signal_ipc_serve(f.ipc, HYPE__API_SIGNAL__ENVELOPE__BODY_EVENT, NULL, NULL), -EINVAL);
    ASSERT_TRUE(fixture_close(&f));
}

TEST_MAIN()
