/* Unit tests for signal-daemon/signal-events: handlers by event kind in their phases (before
 * delivery, instead of it, after it, in the order they registered), permission changes with the
 * server they are about, and kinds the shared table does not name. */
#include "hype-log.h"
#include "signal-bus.h"
#include "signal-events.h"
#include "test.h"

typedef struct Log {
    char text[256];
    uint64_t servers[4];
    size_t n_servers;
} Log;

static Log log_;

static void note(const char *what, const Hype__ApiSignal__Event *ev, json_object *data) {
    const char *v = json_object_get_string(json_object_object_get(data, "v"));
    size_t len = strlen(log_.text);
    snprintf(log_.text + len, sizeof(log_.text) - len, "%s%s:%s", len ? " " : "", what,
             v ? v : "-");
}

static void on_before(void *userdata, const Hype__ApiSignal__Event *ev, json_object *data) {
    note("before", ev, data);
}
static void on_after1(void *userdata, const Hype__ApiSignal__Event *ev, json_object *data) {
    note("after1", ev, data);
}
static void on_after2(void *userdata, const Hype__ApiSignal__Event *ev, json_object *data) {
    note("after2", ev, data);
}
static void on_instead(void *userdata, const Hype__ApiSignal__Event *ev, json_object *data) {
    note("instead", ev, data);
}
static void on_permissions(void *userdata, uint64_t server_id) {
    log_.servers[log_.n_servers++] = server_id;
}

typedef struct Fixture {
    SignalConfig cfg;
    Bus *bus;
    SessionRegistry *sessions;
    Events *events;
} Fixture;

static int fixture_open(Fixture *f) {
    memset(f, 0, sizeof(*f));
    memset(&log_, 0, sizeof(log_));
    int r = bus_new(&f->bus);
    if (r == 0) /* no loop and no hype-api: nothing here makes a session */
        r = sessions_new(NULL, &f->cfg, f->bus, NULL, &f->sessions);
    if (r == 0)
        r = events_new(f->sessions, f->bus, &f->events);
    return r;
}

static void fixture_close(Fixture *f) {
    events_free(f->events);
    sessions_free(f->sessions);
    bus_free(f->bus);
}

/* Three kinds for the tests: X, Y and Z. */
#define X HYPE__API_SIGNAL__EVENT_KIND__EVENT_MESSAGE_REACTION
#define Y HYPE__API_SIGNAL__EVENT_KIND__EVENT_ROLE_CREATED
#define Z HYPE__API_SIGNAL__EVENT_KIND__EVENT_CHANNEL_UPDATED

static void dispatch(Fixture *f, Hype__ApiSignal__EventKind type,
                     Hype__ApiSignal__Event__TargetKind kind, uint64_t target, bool permissions,
                     uint64_t server_id) {
    Hype__ApiSignal__Event ev = HYPE__API_SIGNAL__EVENT__INIT;
    ev.kind = type;
    ev.json = (char *)"{\"v\":\"1\"}";
    ev.target_kind = kind;
    ev.target_id = target;
    ev.permissions_changed = permissions;
    ev.server_id = server_id;
    events_dispatch(f->events, &ev);
}

TEST(handlers_run_in_their_phase_in_registration_order) {
    Fixture f;
    ASSERT_OK(fixture_open(&f));
    /* Registered out of phase order on purpose. */
    ASSERT_OK(events_on(f.events, X, EVENT_AFTER, on_after1, NULL));
    ASSERT_OK(events_on(f.events, X, EVENT_BEFORE, on_before, NULL));
    ASSERT_OK(events_on(f.events, X, EVENT_AFTER, on_after2, NULL));
    dispatch(&f, X, HYPE__API_SIGNAL__EVENT__TARGET_KIND__TARGET_BROADCAST, 0, false, 0);
    ASSERT_STREQ(log_.text, "before:1 after1:1 after2:1");
    log_.text[0] = '\0';
    dispatch(&f, HYPE__API_SIGNAL__EVENT_KIND__EVENT_PRESENCE,
             HYPE__API_SIGNAL__EVENT__TARGET_KIND__TARGET_SERVER, 5, false, 0);
    ASSERT_STREQ(log_.text, "");
    fixture_close(&f);
}

TEST(an_event_handled_instead_runs_nothing_else) {
    Fixture f;
    ASSERT_OK(fixture_open(&f));
    ASSERT_OK(events_on(f.events, Y, EVENT_BEFORE, on_before, NULL));
    ASSERT_OK(events_on(f.events, Y, EVENT_INSTEAD, on_instead, NULL));
    ASSERT_OK(events_on_permissions_changed(f.events, on_permissions, NULL));
    dispatch(&f, Y, HYPE__API_SIGNAL__EVENT__TARGET_KIND__TARGET_SERVER, 5, true, 0);
    ASSERT_STREQ(log_.text, "instead:1");
    ASSERT_EQ(log_.n_servers, 0);
    /* hype-signal's own: a revocation for a user without sessions is simply over. */
    dispatch(&f, HYPE__API_SIGNAL__EVENT_KIND__EVENT_SESSION_REVOKED,
             HYPE__API_SIGNAL__EVENT__TARGET_KIND__TARGET_USER, 3, false, 0);
    fixture_close(&f);
}

TEST(permission_changes_name_their_server) {
    Fixture f;
    ASSERT_OK(fixture_open(&f));
    ASSERT_OK(events_on(f.events, Z, EVENT_AFTER, on_after1, NULL));
    ASSERT_OK(events_on_permissions_changed(f.events, on_permissions, NULL));
    dispatch(&f, Z, HYPE__API_SIGNAL__EVENT__TARGET_KIND__TARGET_SERVER, 7, true, 0);
    dispatch(&f, Z, HYPE__API_SIGNAL__EVENT__TARGET_KIND__TARGET_USER, 3, true, 9);
    dispatch(&f, Z, HYPE__API_SIGNAL__EVENT__TARGET_KIND__TARGET_USER, 3, true,
             0); /* no server: none */
    dispatch(&f, Z, HYPE__API_SIGNAL__EVENT__TARGET_KIND__TARGET_SERVER, 7, false, 0);
    ASSERT_EQ(log_.n_servers, 2);
    ASSERT_EQ_U(log_.servers[0], 7);
    ASSERT_EQ_U(log_.servers[1], 9);
    ASSERT_STREQ(log_.text, "after1:1 after1:1 after1:1 after1:1");
    fixture_close(&f);
}

TEST(kinds_are_the_shared_tables) {
    Fixture f;
    ASSERT_OK(fixture_open(&f));
    ASSERT_EQ(events_on(f.events, HYPE__API_SIGNAL__EVENT_KIND__EVENT_UNSPECIFIED, EVENT_AFTER,
                        on_after1, NULL),
              -EINVAL);
    ASSERT_EQ(events_on(f.events, (Hype__ApiSignal__EventKind)IPC_EVENT_KIND_END, EVENT_AFTER,
                        on_after1, NULL),
              -EINVAL);
    /* A kind of a newer hype-api is dropped: no handler runs, nothing is delivered. */
    ASSERT_OK(events_on_permissions_changed(f.events, on_permissions, NULL));
    log_set_max_level(LOG_ERR);
    dispatch(&f, (Hype__ApiSignal__EventKind)IPC_EVENT_KIND_END,
             HYPE__API_SIGNAL__EVENT__TARGET_KIND__TARGET_SERVER, 5, true, 0);
    log_set_max_level(LOG_INFO);
    ASSERT_EQ(log_.n_servers, 0);
    fixture_close(&f);
}

TEST_MAIN()
