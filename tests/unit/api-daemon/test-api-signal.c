/* Unit tests for api-daemon/api-signal: hype-api's end of signal.sock against a fake hype-signal on
 * the same loop: asking it (a result, its Error, a timeout, not linked), events, and requests no
 * module serves. The modules' handlers are gathered as hype-api gathers them. */
#include <event2/event.h>
#include <event2/listener.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "api-server.h"
#include "api-signal.h"
#include "hype-ipc-event.h"
#include "hype-log.h"
#include "loop-wait.h"
#include "test.h"

static struct event_base *base;

/* ---- a fake hype-signal: answers UserSessions with 3, or refuses, or stays silent ---- */

typedef struct Signal {
    struct evconnlistener *listener;
    IpcPeer *peer;
    int asked, events, replies;
    Hype__Error__Code refuse;
    bool silent;
    Hype__ApiSignal__EventKind last_kind;
    uint32_t reply_code; /* of hype-api's answer to our request */
} Signal;

static int signal_message(IpcPeer *p, const ProtobufCMessage *msg, void *ud) {
    Signal *s = ud;
    const Hype__ApiSignal__Envelope *env = ipc_api_signal(msg);
    if (env->body_case == HYPE__API_SIGNAL__ENVELOPE__BODY_EVENT) {
        s->events++;
        s->last_kind = env->event->kind;
        return 0;
    }
    if (env->body_case != HYPE__API_SIGNAL__ENVELOPE__BODY_USER_SESSIONS)
        return -EOPNOTSUPP;
    s->asked++;
    if (s->silent)
        return 0;
    if (s->refuse) {
        ipc_peer_reply_error(p, env->id, s->refuse, "no such user");
        return 0;
    }
    Hype__ApiSignal__UserSessionsResult r = HYPE__API_SIGNAL__USER_SESSIONS_RESULT__INIT;
    r.sessions = 3;
    Hype__ApiSignal__Envelope reply = HYPE__API_SIGNAL__ENVELOPE__INIT;
    reply.body_case = HYPE__API_SIGNAL__ENVELOPE__BODY_USER_SESSIONS_RESULT;
    reply.user_sessions_result = &r;
    ipc_peer_reply(p, env->id, &reply.base);
    return 0;
}

static void signal_close(IpcPeer *p, int error, void *ud) {
    ((Signal *)ud)->peer = ipc_peer_free(p);
}

static const IpcPeerCallbacks signal_cbs = {signal_message, NULL, signal_close};

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len,
                      void *ud) {
    Signal *s = ud;
    IpcPeerOptions o = {.link = &ipc_link_api_signal, .role = HYPE__ROLE__ROLE_SIGNAL};
    ipc_peer_new(base, fd, &o, &signal_cbs, s, &s->peer);
}

static int signal_listen(Signal *s, const char *path) {
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
    s->listener = evconnlistener_new_bind(base, on_accept, s, LEV_OPT_CLOSE_ON_FREE, 4,
                                          (struct sockaddr *)&sun, sizeof(sun));
    return s->listener ? 0 : -errno;
}

static void signal_reply(IpcPeer *p, const ProtobufCMessage *reply, int error, void *ud) {
    Signal *s = ud;
    s->replies++;
    if (error == -EREMOTEIO)
        s->reply_code = ipc_api_signal(reply)->error->code;
}

/* ---- what hype-api hears ---- */

typedef struct Heard {
    int calls;
    uint32_t sessions;
    Hype__Error__Code code;
    char message[64];
} Heard;

static void on_answer(const Hype__ApiSignal__Envelope *result, const Hype__Error *error,
                      void *userdata) {
    Heard *h = userdata;
    h->calls++;
    h->code = error ? error->code : HYPE__ERROR__CODE__CODE_UNSPECIFIED;
    snprintf(h->message, sizeof(h->message), "%s", error ? error->message : "");
    if (result)
        h->sessions = result->user_sessions_result->sessions;
}

static bool wait_for(int *counter, int target) {
    return loop_wait(base, counter, target);
}

static Hype__ApiSignal__Envelope *user_sessions(uint64_t user_id) {
    static Hype__ApiSignal__UserSessions q;
    static Hype__ApiSignal__Envelope env;
    hype__api_signal__user_sessions__init(&q);
    hype__api_signal__envelope__init(&env);
    q.user_id = user_id;
    env.body_case = HYPE__API_SIGNAL__ENVELOPE__BODY_USER_SESSIONS;
    env.user_sessions = &q;
    return &env;
}

/* ---- fixture ---- */

typedef struct Fixture {
    char dir[64], path[96];
    Api api;
    Signal sig;
    int linked;
} Fixture;

static int fixture_open(Fixture *f, bool with_signal) {
    memset(f, 0, sizeof(*f));
    log_set_max_level(LOG_ERR); /* links come and go by design */
    base = event_base_new();
    f->api.base = base;
    if (!test_socket_dir("hype-api-signal", "signal.sock", f->dir, f->path))
        return -errno;
    int r = with_signal ? signal_listen(&f->sig, f->path) : 0;
    if (r == 0)
        r = api_signal_new(&f->api, with_signal ? f->path : "off", &f->api.signal);
    if (r == 0)
        api_signal_start(f->api.signal);
    return r;
}

/* Until hype-api's end has the Hello. */
static bool wait_linked(Fixture *f) {
    for (int i = 0; i < 500 && !api_signal_linked(f->api.signal); i++) {
        struct timeval tv = {0, 10000};
        event_base_loopexit(base, &tv);
        event_base_dispatch(base);
    }
    return api_signal_linked(f->api.signal);
}

static bool fixture_close(Fixture *f) {
    api_signal_free(f->api.signal);
    ipc_peer_free(f->sig.peer);
    if (f->sig.listener)
        evconnlistener_free(f->sig.listener);
    unlink(f->path);
    rmdir(f->dir);
    int left = event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED);
    event_base_free(base);
    log_set_max_level(LOG_INFO);
    return left == 0;
}

/* ---- the tests ---- */

TEST(hype_api_asks_hype_signal) {
    Fixture f;
    ASSERT_OK(fixture_open(&f, true));
    ASSERT_TRUE(wait_linked(&f));
    ASSERT_EQ(api_signal_stats(f.api.signal).connected, 1);
    Heard h = {0};
    api_signal_request(&f.api, user_sessions(42), 0, on_answer, &h);
    ASSERT_EQ(h.calls, 0); /* never from inside the call */
    ASSERT_TRUE(wait_for(&h.calls, 1));
    ASSERT_EQ(h.code, HYPE__ERROR__CODE__CODE_UNSPECIFIED);
    ASSERT_EQ(h.sessions, 3);
    /* Its Error, as it is: what a REST route turns into a status. */
    f.sig.refuse = HYPE__ERROR__CODE__CODE_NOT_FOUND;
    Heard e = {0};
    api_signal_request(&f.api, user_sessions(43), 0, on_answer, &e);
    ASSERT_TRUE(wait_for(&e.calls, 1));
    ASSERT_EQ(e.code, HYPE__ERROR__CODE__CODE_NOT_FOUND);
    ASSERT_STREQ(e.message, "no such user");
    /* Silence past the request's own timeout. */
    f.sig.silent = true;
    Heard t = {0};
    api_signal_request(&f.api, user_sessions(44), 30, on_answer, &t);
    ASSERT_TRUE(wait_for(&t.calls, 1));
    ASSERT_EQ(t.code, HYPE__ERROR__CODE__CODE_TIMEOUT);
    ASSERT_EQ(f.sig.asked, 3);
    /* A body that is no request of hype-api's: refused, later. */
    Hype__ApiSignal__Envelope none = HYPE__API_SIGNAL__ENVELOPE__INIT;
    Heard bad = {0};
    api_signal_request(&f.api, &none, 0, on_answer, &bad);
    ASSERT_EQ(bad.calls, 0);
    ASSERT_TRUE(wait_for(&bad.calls, 1));
    ASSERT_EQ(bad.code, HYPE__ERROR__CODE__CODE_INTERNAL);
    ASSERT_TRUE(fixture_close(&f));
}

TEST(events_and_what_no_module_serves) {
    Fixture f;
    ASSERT_OK(fixture_open(&f, true));
    ASSERT_TRUE(wait_linked(&f));
    Hype__ApiSignal__Event ev = HYPE__API_SIGNAL__EVENT__INIT;
    ev.kind = HYPE__API_SIGNAL__EVENT_KIND__EVENT_PRESENCE;
    ev.json = "{}";
    ASSERT_OK(api_signal_send_event(f.api.signal, &ev));
    ASSERT_TRUE(wait_for(&f.sig.events, 1));
    ASSERT_EQ(f.sig.last_kind, HYPE__API_SIGNAL__EVENT_KIND__EVENT_PRESENCE);
    /* hype-signal asks what is its own to answer: nobody here serves it. */
    ASSERT_OK(ipc_peer_request(f.sig.peer, &user_sessions(1)->base, 0, signal_reply, &f.sig));
    ASSERT_TRUE(wait_for(&f.sig.replies, 1));
    ASSERT_EQ(f.sig.reply_code, HYPE__ERROR__CODE__CODE_UNKNOWN_BODY);
    ASSERT_EQ(api_signal_stats(f.api.signal).served, 0);
    ASSERT_TRUE(fixture_close(&f));
}

TEST(without_hype_signal_a_clean_error_later) {
    Fixture f;
    ASSERT_OK(fixture_open(&f, false));
    ASSERT_FALSE(api_signal_linked(f.api.signal));
    Heard h = {0};
    api_signal_request(&f.api, user_sessions(42), 0, on_answer, &h);
    ASSERT_EQ(h.calls, 0);
    ASSERT_TRUE(wait_for(&h.calls, 1));
    ASSERT_EQ(h.code, HYPE__ERROR__CODE__CODE_UNAVAILABLE);
    ASSERT_STREQ(h.message, "hype-signal is not linked");
    Hype__ApiSignal__Event ev = HYPE__API_SIGNAL__EVENT__INIT;
    ASSERT_EQ(api_signal_send_event(f.api.signal, &ev), -ENOTCONN);
    /* Asked and never answered when hype-api stops: dropped without a callback, nothing leaks. */
    Heard never = {0};
    api_signal_request(&f.api, user_sessions(42), 0, on_answer, &never);
    ASSERT_TRUE(fixture_close(&f));
    ASSERT_EQ(never.calls, 0);
}

TEST_MAIN()
