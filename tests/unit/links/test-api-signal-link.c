/* Unit tests of the api-signal link with both of its real ends in one process, on one loop:
 * hype-api's (api-signal, api-events, the modules' handlers) and hype-signal's (signal-ipc and
 * the session registry). What goes over signal.sock is what the daemons send each other; the
 * database is not needed for the answers asked here. */
#include <event2/event.h>
#include <unistd.h>

#include "api-events.h"
#include "api-server.h"
#include "api-signal.h"
#include "hype-log.h"
#include "hype-time.h"
#include "signal-bus.h"
#include "signal-ipc.h"
#include "signal-session.h"
#include "test.h"

static struct event_base *base;

typedef struct Heard {
    int calls, events, api_ready;
    Hype__Error__Code code;
    char text[64];
    uint32_t sessions;
    bool alive;
} Heard;

/* ---- hype-signal's end ---- */

static void on_event(const Hype__ApiSignal__Event *ev, void *userdata) {
    Heard *h = userdata;
    h->events++;
    snprintf(h->text, sizeof(h->text), "%s %s", ipc_event_kind_name(ev->kind), ev->json);
}

static void on_api_ready(void *userdata) {
    ((Heard *)userdata)->api_ready++;
}

static void on_signal_asked(const Hype__ApiSignal__Envelope *result, const Hype__Error *error,
                            void *userdata) {
    Heard *h = userdata;
    h->calls++;
    h->code = error ? error->code : 0;
    snprintf(h->text, sizeof(h->text), "%s", error ? error->message : "");
    if (result && result->body_case == HYPE__API_SIGNAL__ENVELOPE__BODY_GATEWAY_SESSION_RESULT)
        h->alive = result->gateway_session_result->alive;
}

/* ---- hype-api's end ---- */

static void on_api_asked(const Hype__ApiSignal__Envelope *result, const Hype__Error *error,
                         void *userdata) {
    Heard *h = userdata;
    h->calls++;
    h->code = error ? error->code : 0;
    if (result)
        h->sessions = result->user_sessions_result->sessions;
}

static void turn(void) {
    struct timeval tv = {0, 10000};
    event_base_loopexit(base, &tv);
    event_base_dispatch(base);
}

static bool wait_for(int *counter, int target) {
    for (int i = 0; i < 500 && *counter < target; i++)
        turn();
    return *counter >= target;
}

typedef struct Fixture {
    char dir[64], path[96];
    /* hype-signal */
    SignalConfig cfg;
    Bus *bus;
    SignalIpc *ipc;
    SessionRegistry *sessions;
    Heard signal_heard;
    /* hype-api */
    Api api;
} Fixture;

static int fixture_open(Fixture *f) {
    memset(f, 0, sizeof(*f));
    log_set_max_level(LOG_ERR);
    base = event_base_new();
    if (!test_socket_dir("hype-link", "signal.sock", f->dir, f->path))
        return -errno;
    int r = bus_new(&f->bus);
    if (r == 0)
        r = signal_ipc_new(base, f->path, on_event, on_api_ready, &f->signal_heard, &f->ipc);
    if (r == 0)
        r = signal_ipc_listen(f->ipc);
    if (r == 0)
        r = sessions_new(base, &f->cfg, f->bus, f->ipc, &f->sessions);
    f->api.base = base;
    if (r == 0)
        r = revocations_new(&f->api.revoked);
    if (r == 0)
        r = api_signal_new(&f->api, f->path, &f->api.signal);
    if (r == 0)
        r = api_events_new(&f->api, &f->api.events);
    if (r == 0)
        api_signal_start(f->api.signal);
    return r;
}

/* Each end has the other's Hello. */
static bool wait_linked(Fixture *f) {
    for (int i = 0; i < 500 && !(api_signal_linked(f->api.signal) && f->signal_heard.api_ready);
         i++)
        turn();
    return api_signal_linked(f->api.signal) && f->signal_heard.api_ready;
}

static void fixture_close(Fixture *f) {
    api_events_free(f->api.events);
    api_signal_free(f->api.signal);
    revocations_free(f->api.revoked);
    sessions_free(f->sessions);
    signal_ipc_free(f->ipc);
    bus_free(f->bus);
    rmdir(f->dir);
    event_base_free(base);
    log_set_max_level(LOG_INFO);
}

TEST(hype_api_asks_hype_signal_how_many_live_sessions_a_user_has) {
    Fixture f;
    ASSERT_OK(fixture_open(&f));
    ASSERT_TRUE(wait_linked(&f));
    Session s[2] = {{.state = SESSION_READY}, {.state = SESSION_DETACHED}};
    char key[BUS_KEY_MAX];
    for (int i = 0; i < 2; i++)
        bus_subscribe(f.bus, bus_key(key, sizeof(key), 'u', 42), &s[i], &s[i].subs);
    Hype__ApiSignal__UserSessions q = HYPE__API_SIGNAL__USER_SESSIONS__INIT;
    q.user_id = 42;
    Hype__ApiSignal__Envelope env = HYPE__API_SIGNAL__ENVELOPE__INIT;
    env.body_case = HYPE__API_SIGNAL__ENVELOPE__BODY_USER_SESSIONS;
    env.user_sessions = &q;
    Heard h = {0};
    api_signal_request(&f.api, &env, 0, on_api_asked, &h);
    ASSERT_TRUE(wait_for(&h.calls, 1));
    ASSERT_EQ(h.code, 0);
    ASSERT_EQ(h.sessions, 2);
    for (int i = 0; i < 2; i++)
        bus_unsubscribe_all(f.bus, &s[i].subs);
    fixture_close(&f);
}

TEST(events_go_by_kind_and_arrive_under_their_name) {
    Fixture f;
    ASSERT_OK(fixture_open(&f));
    ASSERT_TRUE(wait_linked(&f));
    json_object *data = json_object_new_object();
    json_object_object_add(data, "userId", json_object_new_string("42"));
    uint64_t server = 1;
    api_publish(&f.api, HYPE__API_SIGNAL__EVENT_KIND__EVENT_PRESENCE,
                HYPE__API_SIGNAL__EVENT__TARGET_KIND__TARGET_SERVER, &server, 1, data, false);
    json_object_put(data);
    ASSERT_TRUE(wait_for(&f.signal_heard.events, 1));
    ASSERT_STREQ(f.signal_heard.text, "presence {\"userId\":\"42\"}");
    ASSERT_EQ_U(api_events_stats(f.api.events).published, 1);
    fixture_close(&f);
}

TEST(hype_signal_asks_hype_api_which_answers_without_http) {
    Fixture f;
    ASSERT_OK(fixture_open(&f));
    ASSERT_TRUE(wait_linked(&f));
    /* A login session this process revoked: hype-api's modules answer before any query. */
    int64_t now = time_wall_ms();
    ASSERT_OK(revocations_add(f.api.revoked, 9, now + 60000, now));
    Hype__ApiSignal__ChannelAccess a = HYPE__API_SIGNAL__CHANNEL_ACCESS__INIT;
    a.user_id = 42;
    a.session_id = 9;
    a.channel_id = 5;
    Hype__ApiSignal__Envelope env = HYPE__API_SIGNAL__ENVELOPE__INIT;
    env.body_case = HYPE__API_SIGNAL__ENVELOPE__BODY_CHANNEL_ACCESS;
    env.channel_access = &a;
    Heard h = {0};
    signal_ipc_request(f.ipc, &env, on_signal_asked, &h);
    ASSERT_TRUE(wait_for(&h.calls, 1));
    ASSERT_EQ(h.code, HYPE__ERROR__CODE__CODE_UNAUTHENTICATED);
    ASSERT_STREQ(h.text, "Session has been revoked");
    Hype__ApiSignal__GatewaySession g = HYPE__API_SIGNAL__GATEWAY_SESSION__INIT;
    g.user_id = 42;
    g.session_id = 9;
    env.body_case = HYPE__API_SIGNAL__ENVELOPE__BODY_GATEWAY_SESSION;
    env.gateway_session = &g;
    Heard s = {.alive = true};
    signal_ipc_request(f.ipc, &env, on_signal_asked, &s);
    ASSERT_TRUE(wait_for(&s.calls, 1));
    ASSERT_EQ(s.code, 0);
    ASSERT_FALSE(s.alive);
    ASSERT_EQ_U(api_signal_stats(f.api.signal).served, 2);
    fixture_close(&f);
}

TEST_MAIN()
