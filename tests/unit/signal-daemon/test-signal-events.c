/* Unit tests for signal-daemon/signal-events: handlers by event type in their phases (before
 * delivery, instead of it, after it, in the order they registered), and permission changes with
 * the server they are about. */
#include "signal-bus.h"
#include "signal-events.h"
#include "test.h"

typedef struct Log {
    char text[256];
    uint64_t servers[4];
    size_t n_servers;
} Log;

static Log log_;

static void note(const char *what, const Hype__Event *ev, json_object *data) {
    const char *v = json_object_get_string(json_object_object_get(data, "v"));
    size_t len = strlen(log_.text);
    snprintf(log_.text + len, sizeof(log_.text) - len, "%s%s:%s", len ? " " : "", what,
             v ? v : "-");
}

static void on_before(void *userdata, const Hype__Event *ev, json_object *data) {
    note("before", ev, data);
}
static void on_after1(void *userdata, const Hype__Event *ev, json_object *data) {
    note("after1", ev, data);
}
static void on_after2(void *userdata, const Hype__Event *ev, json_object *data) {
    note("after2", ev, data);
}
static void on_instead(void *userdata, const Hype__Event *ev, json_object *data) {
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

static void dispatch(Fixture *f, const char *type, Hype__Event__TargetKind kind, uint64_t target,
                     bool permissions, uint64_t server_id) {
    Hype__Event ev = HYPE__EVENT__INIT;
    ev.type = (char *)type;
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
    ASSERT_OK(events_on(f.events, "x", EVENT_AFTER, on_after1, NULL));
    ASSERT_OK(events_on(f.events, "x", EVENT_BEFORE, on_before, NULL));
    ASSERT_OK(events_on(f.events, "x", EVENT_AFTER, on_after2, NULL));
    dispatch(&f, "x", HYPE__EVENT__TARGET_KIND__TARGET_BROADCAST, 0, false, 0);
    ASSERT_STREQ(log_.text, "before:1 after1:1 after2:1");
    log_.text[0] = '\0';
    dispatch(&f, "other", HYPE__EVENT__TARGET_KIND__TARGET_SERVER, 5, false, 0);
    ASSERT_STREQ(log_.text, "");
    fixture_close(&f);
}

TEST(an_event_handled_instead_runs_nothing_else) {
    Fixture f;
    ASSERT_OK(fixture_open(&f));
    ASSERT_OK(events_on(f.events, "y", EVENT_BEFORE, on_before, NULL));
    ASSERT_OK(events_on(f.events, "y", EVENT_INSTEAD, on_instead, NULL));
    ASSERT_OK(events_on_permissions_changed(f.events, on_permissions, NULL));
    dispatch(&f, "y", HYPE__EVENT__TARGET_KIND__TARGET_SERVER, 5, true, 0);
    ASSERT_STREQ(log_.text, "instead:1");
    ASSERT_EQ(log_.n_servers, 0);
    /* hype-signal's own: a revocation for a user without sessions is simply over. */
    dispatch(&f, "session_revoked", HYPE__EVENT__TARGET_KIND__TARGET_USER, 3, false, 0);
    fixture_close(&f);
}

TEST(permission_changes_name_their_server) {
    Fixture f;
    ASSERT_OK(fixture_open(&f));
    ASSERT_OK(events_on(f.events, "z", EVENT_AFTER, on_after1, NULL));
    ASSERT_OK(events_on_permissions_changed(f.events, on_permissions, NULL));
    dispatch(&f, "z", HYPE__EVENT__TARGET_KIND__TARGET_SERVER, 7, true, 0);
    dispatch(&f, "z", HYPE__EVENT__TARGET_KIND__TARGET_USER, 3, true, 9);
    dispatch(&f, "z", HYPE__EVENT__TARGET_KIND__TARGET_USER, 3, true, 0); /* no server: none */
    dispatch(&f, "z", HYPE__EVENT__TARGET_KIND__TARGET_SERVER, 7, false, 0);
    ASSERT_EQ(log_.n_servers, 2);
    ASSERT_EQ_U(log_.servers[0], 7);
    ASSERT_EQ_U(log_.servers[1], 9);
    ASSERT_STREQ(log_.text, "after1:1 after1:1 after1:1 after1:1");
    fixture_close(&f);
}

TEST_MAIN()
