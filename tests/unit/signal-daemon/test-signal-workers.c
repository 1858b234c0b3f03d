/* Unit tests for signal-daemon/signal-workers: hype-signal's registry of media workers against fake
 * workers on the same loop: registration and what is refused, loads, placement (the pure rule and
 * the registry's pick), requests to a worker, notices, and workers that go. */
#include <event2/event.h>
#include <stdlib.h>
#include <unistd.h>

#include "hype-ipc-event.h"
#include "hype-log.h"
#include "signal-workers.h"
#include "loop-wait.h"
#include "test.h"

#define BODY(x) HYPE__SIGNAL_MEDIA__ENVELOPE__BODY_##x

static struct event_base *base;

/* ---- placement, the pure rule ---- */

static WorkerInfo info(uint32_t id, uint32_t transports, uint32_t max) {
    WorkerInfo w = {.id = id, .max_transports = max};
    w.load.transports = transports;
    return w;
}

TEST(less_loaded_is_fewer_transports_for_the_capacity_then_the_lower_id) {
    WorkerInfo a = info(2, 0, 10), b = info(1, 1, 10);
    ASSERT_TRUE(workers_less_loaded(&a, &b));
    ASSERT_FALSE(workers_less_loaded(&b, &a));
    /* 5 of 10 is less loaded than 3 of 4, though it has more transports. */
    a = info(1, 5, 10), b = info(2, 3, 4);
    ASSERT_TRUE(workers_less_loaded(&a, &b));
    ASSERT_FALSE(workers_less_loaded(&b, &a));
    /* The same share: the lower id. */
    a = info(3, 2, 10), b = info(7, 1, 5);
    ASSERT_TRUE(workers_less_loaded(&a, &b));
    ASSERT_FALSE(workers_less_loaded(&b, &a));
    ASSERT_FALSE(workers_less_loaded(&a, &a));
    /* No capacity at all loses to any capacity. */
    a = info(1, 0, 0), b = info(2, 9, 10);
    ASSERT_FALSE(workers_less_loaded(&a, &b));
    ASSERT_TRUE(workers_less_loaded(&b, &a));
    /* Large numbers do not overflow. */
    a = info(1, 4000000000u, 4000000001u), b = info(2, 4000000001u, 4000000002u);
    ASSERT_TRUE(workers_less_loaded(&a, &b));
}

/* ---- fake workers ---- */

typedef struct Fake {
    IpcPeer *peer;
    int hellos, closes, replies, asked;
    uint32_t code; /* of the last reply: 0 for a result */
    bool answer;   /* answer RouterCreate (else leave it waiting) */
} Fake;

static int fake_message(IpcPeer *p, const ProtobufCMessage *msg, void *ud) {
    Fake *f = ud;
    const Hype__SignalMedia__Envelope *env = ipc_signal_media(msg);
    if (env->body_case != BODY(ROUTER_CREATE))
        return -EOPNOTSUPP;
    f->asked++;
    if (f->answer) {
        Hype__SignalMedia__RouterCreateResult res = HYPE__SIGNAL_MEDIA__ROUTER_CREATE_RESULT__INIT;
        Hype__SignalMedia__Envelope r = HYPE__SIGNAL_MEDIA__ENVELOPE__INIT;
        r.body_case = BODY(ROUTER_CREATE_RESULT);
        r.router_create_result = &res;
        ipc_peer_reply(p, env->id, &r.base);
    }
    return 0;
}

static void fake_hello(IpcPeer *p, const Hype__Hello *h, void *ud) {
    ((Fake *)ud)->hellos++;
}

static void fake_close(IpcPeer *p, int error, void *ud) {
    Fake *f = ud;
    f->closes++;
    f->peer = ipc_peer_free(p);
}

static const IpcPeerCallbacks fake_cbs = {fake_message, fake_hello, fake_close};

static void fake_reply(IpcPeer *p, const ProtobufCMessage *reply, int error, void *ud) {
    Fake *f = ud;
    f->replies++;
    f->code = error == -EREMOTEIO ? ipc_signal_media(reply)->error->code : error ? 999 : 0;
}

static int fake_connect(Fake *f, const char *path, Hype__Role role) {
    IpcPeerOptions o = {.link = &ipc_link_signal_media, .role = role, .instance = "media-test"};
    return ipc_peer_connect_unix(base, path, &o, &fake_cbs, f, &f->peer);
}

static const char *announced_ip = "192.0.2.1";

static int fake_register(Fake *f, uint32_t id, uint32_t min, uint32_t max, uint32_t cap) {
    Hype__SignalMedia__WorkerRegister q = HYPE__SIGNAL_MEDIA__WORKER_REGISTER__INIT;
    q.worker_id = id;
    q.min_port = min;
    q.max_port = max;
    q.max_transports = cap;
    q.announced_ip = (char *)announced_ip;
    Hype__SignalMedia__Envelope env = HYPE__SIGNAL_MEDIA__ENVELOPE__INIT;
    env.body_case = BODY(WORKER_REGISTER);
    env.worker_register = &q;
    return ipc_peer_request(f->peer, &env.base, 0, fake_reply, f);
}

static int fake_load(Fake *f, uint32_t transports, uint64_t dropped_srtp) {
    Hype__SignalMedia__WorkerLoad load = HYPE__SIGNAL_MEDIA__WORKER_LOAD__INIT;
    load.transports = transports;
    load.dropped_srtp = dropped_srtp;
    Hype__SignalMedia__Envelope env = HYPE__SIGNAL_MEDIA__ENVELOPE__INIT;
    env.body_case = BODY(WORKER_LOAD);
    env.worker_load = &load;
    return ipc_peer_send(f->peer, &env.base);
}

/* ---- what hype-signal's features hear ---- */

typedef struct Heard {
    int calls, gone, notices;
    uint32_t code, gone_id, count_at_gone, speaking_producer;
} Heard;

static Workers *registry;

static void on_result(const Hype__SignalMedia__Envelope *result, const Hype__Error *error,
                      void *ud) {
    Heard *h = ud;
    h->calls++;
    h->code = error ? error->code : 0;
}

static void on_gone(void *ud, const WorkerInfo *w) {
    Heard *h = ud;
    h->gone++;
    h->gone_id = w->id;
    h->count_at_gone = (uint32_t)workers_count(registry);
}

static void on_speaking(void *ud, const WorkerInfo *w, const Hype__SignalMedia__Envelope *env) {
    Heard *h = ud;
    h->notices++;
    h->speaking_producer = (uint32_t)env->speaking->producer_id;
}

/* Runs the loop until *counter reaches target (5 s at most: a failure, not a measure). */
static bool wait_for(int *counter, int target) {
    return loop_wait(base, counter, target);
}

/* Runs the loop until the registry has n workers. */
static bool wait_count(size_t n) {
    for (int i = 0; i < 500 && workers_count(registry) != n; i++)
        loop_spin(base);
    return workers_count(registry) == n;
}

typedef struct Fixture {
    char dir[64], path[96];
} Fixture;

static int fixture_open(Fixture *f) {
    memset(f, 0, sizeof(*f));
    log_set_max_level(LOG_CRIT); /* workers refused and gone by design */
    base = event_base_new();
    if (!test_socket_dir("hype-workers", "media.sock", f->dir, f->path))
        return -errno;
    int r = workers_new(base, f->path, &registry);
    return r < 0 ? r : workers_listen(registry);
}

static bool fixture_close(Fixture *f) {
    registry = workers_free(registry);
    rmdir(f->dir);
    int left = event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED);
    event_base_free(base);
    log_set_max_level(LOG_INFO);
    return left == 0;
}

/* ---- the tests ---- */

TEST(workers_register_report_their_load_and_the_least_loaded_is_picked) {
    Fixture fx;
    ASSERT_OK(fixture_open(&fx));
    ASSERT_NULL(workers_pick(registry));
    Fake f[3] = {{0}};
    uint32_t ids[3] = {3, 1, 2};
    for (int i = 0; i < 3; i++) {
        ASSERT_OK(fake_connect(&f[i], fx.path, HYPE__ROLE__ROLE_MEDIA));
        ASSERT_TRUE(wait_for(&f[i].hellos, 1));
        ASSERT_OK(fake_register(&f[i], ids[i], 10000 + 10 * ids[i], 10009 + 10 * ids[i], 10));
        ASSERT_TRUE(wait_for(&f[i].replies, 1));
        ASSERT_EQ(f[i].code, 0);
    }
    ASSERT_EQ(workers_count(registry), 3);
    /* In id order, as registered. */
    const WorkerInfo *w = workers_first(registry);
    for (uint32_t id = 1; id <= 3; id++, w = workers_next(registry, w)) {
        ASSERT_NOT_NULL(w);
        ASSERT_EQ(w->id, id);
        ASSERT_EQ(w->min_port, 10000 + 10 * id);
        ASSERT_EQ(w->max_port, 10009 + 10 * id);
        ASSERT_EQ(w->max_transports, 10);
        ASSERT_EQ(w->pid, getpid());
        ASSERT_STREQ(w->announced_ip, "192.0.2.1");
    }
    ASSERT_NULL(w);
    /* All empty: the lowest id. */
    ASSERT_EQ(workers_pick(registry)->id, 1);
    /* Loads arrive: 1 has 4, 2 has 2, 3 has 10 of 10 (full, never picked). */
    ASSERT_OK(fake_load(&f[1], 4, 7));
    ASSERT_OK(fake_load(&f[2], 2, 0));
    ASSERT_OK(fake_load(&f[0], 10, 0));
    for (int i = 0; i < 500 && workers_find(registry, 3)->loads < 1; i++)
        loop_spin(base);
    ASSERT_EQ_U(workers_find(registry, 1)->load.dropped_srtp, 7);
    ASSERT_EQ_U(workers_find(registry, 1)->loads, 1);
    ASSERT_EQ(workers_pick(registry)->id, 2);
    ASSERT_OK(fake_load(&f[2], 9, 0));
    for (int i = 0; i < 500 && workers_find(registry, 2)->load.transports != 9; i++)
        loop_spin(base);
    ASSERT_EQ(workers_pick(registry)->id, 1);
    ASSERT_OK(fake_load(&f[1], 10, 0));
    ASSERT_OK(fake_load(&f[2], 10, 0));
    for (int i = 0; i < 500 && workers_find(registry, 2)->load.transports != 10; i++)
        loop_spin(base);
    ASSERT_NULL(workers_pick(registry)); /* everyone is full */
    ASSERT_EQ_U(workers_stats(registry).registered, 3);
    for (int i = 0; i < 3; i++)
        ipc_peer_free(f[i].peer);
    ASSERT_TRUE(wait_count(0));
    ASSERT_TRUE(fixture_close(&fx));
}

TEST(duplicates_overlaps_bad_values_and_other_roles_are_refused) {
    Fixture fx;
    ASSERT_OK(fixture_open(&fx));
    Fake a = {0}, dup = {0}, overlap = {0}, bad = {0}, api = {0};
    ASSERT_OK(fake_connect(&a, fx.path, HYPE__ROLE__ROLE_MEDIA));
    ASSERT_OK(fake_register(&a, 1, 10000, 10049, 50));
    ASSERT_TRUE(wait_for(&a.replies, 1));
    ASSERT_EQ(a.code, 0);
    /* Registering again on the same link. */
    ASSERT_OK(fake_register(&a, 5, 20000, 20009, 10));
    ASSERT_TRUE(wait_for(&a.replies, 2));
    ASSERT_EQ(a.code, HYPE__ERROR__CODE__CODE_CONFLICT);
    /* The same id while it lives. */
    ASSERT_OK(fake_connect(&dup, fx.path, HYPE__ROLE__ROLE_MEDIA));
    ASSERT_OK(fake_register(&dup, 1, 20000, 20009, 10));
    ASSERT_TRUE(wait_for(&dup.replies, 1));
    ASSERT_EQ(dup.code, HYPE__ERROR__CODE__CODE_CONFLICT);
    /* Ports of a live worker's slice. */
    ASSERT_OK(fake_connect(&overlap, fx.path, HYPE__ROLE__ROLE_MEDIA));
    ASSERT_OK(fake_register(&overlap, 2, 10049, 10099, 10));
    ASSERT_TRUE(wait_for(&overlap.replies, 1));
    ASSERT_EQ(overlap.code, HYPE__ERROR__CODE__CODE_CONFLICT);
    /* Id 0, and a slice upside down. */
    ASSERT_OK(fake_connect(&bad, fx.path, HYPE__ROLE__ROLE_MEDIA));
    ASSERT_OK(fake_register(&bad, 0, 30000, 30009, 10));
    ASSERT_OK(fake_register(&bad, 4, 30009, 30000, 10));
    ASSERT_TRUE(wait_for(&bad.replies, 2));
    ASSERT_EQ(bad.code, HYPE__ERROR__CODE__CODE_BAD_REQUEST);
    /* An address that is no IP literal (it would reach candidates and metrics labels). */
    announced_ip = "x\"} 1\nfake_metric{";
    ASSERT_OK(fake_register(&bad, 4, 30000, 30009, 10));
    ASSERT_TRUE(wait_for(&bad.replies, 3));
    ASSERT_EQ(bad.code, HYPE__ERROR__CODE__CODE_BAD_REQUEST);
    announced_ip = "192.0.2.1";
    ASSERT_EQ(workers_count(registry), 1);
    ASSERT_EQ_U(workers_stats(registry).refused, 6);
    /* A refused worker's load is not the live one's. */
    ASSERT_OK(fake_load(&dup, 3, 0));
    /* Only media workers may link. */
    ASSERT_OK(fake_connect(&api, fx.path, HYPE__ROLE__ROLE_API));
    ASSERT_TRUE(wait_for(&api.closes, 1));
    ASSERT_EQ(workers_find(registry, 1)->load.transports, 0);
    /* Once the first goes, its id and ports are free. */
    a.peer = ipc_peer_free(a.peer);
    ASSERT_TRUE(wait_count(0));
    ASSERT_OK(fake_register(&dup, 1, 20000, 20009, 10));
    ASSERT_OK(fake_register(&overlap, 2, 10049, 10099, 10));
    ASSERT_TRUE(wait_for(&dup.replies, 2));
    ASSERT_TRUE(wait_for(&overlap.replies, 2));
    ASSERT_EQ(dup.code, 0);
    ASSERT_EQ(overlap.code, 0);
    ASSERT_EQ(workers_count(registry), 2);
    ipc_peer_free(dup.peer);
    ipc_peer_free(overlap.peer);
    ipc_peer_free(bad.peer);
    ASSERT_TRUE(wait_count(0));
    ASSERT_TRUE(fixture_close(&fx));
}

TEST(requests_notices_and_workers_that_go) {
    Fixture fx;
    ASSERT_OK(fixture_open(&fx));
    Heard h = {0};
    ASSERT_OK(workers_on_gone(registry, on_gone, &h));
    ASSERT_OK(workers_on_notice(registry, BODY(SPEAKING), on_speaking, &h));
    ASSERT_EQ(workers_on_notice(registry, BODY(SPEAKING), on_speaking, &h), -EEXIST);
    ASSERT_EQ(workers_on_notice(registry, BODY(WORKER_LOAD), on_speaking, &h), -EINVAL);
    ASSERT_EQ(workers_on_notice(registry, BODY(ROUTER_CREATE), on_speaking, &h), -EINVAL);
    ASSERT_EQ(workers_on_notice(registry, BODY(ROUTER_CREATE_RESULT), on_speaking, &h), -EINVAL);
    Fake f = {.answer = true};
    ASSERT_OK(fake_connect(&f, fx.path, HYPE__ROLE__ROLE_MEDIA));
    ASSERT_OK(fake_register(&f, 4, 10000, 10009, 10));
    ASSERT_TRUE(wait_for(&f.replies, 1));

    Hype__SignalMedia__RouterCreate q = HYPE__SIGNAL_MEDIA__ROUTER_CREATE__INIT;
    q.router_id = 77;
    Hype__SignalMedia__Envelope env = HYPE__SIGNAL_MEDIA__ENVELOPE__INIT;
    env.body_case = BODY(ROUTER_CREATE);
    env.router_create = &q;
    Heard ok = {0}, absent = {0}, lost = {0};
    workers_request(registry, 4, &env, on_result, &ok);
    workers_request(registry, 9, &env, on_result, &absent);
    ASSERT_EQ(ok.calls + absent.calls, 0); /* never from inside the call */
    ASSERT_TRUE(wait_for(&ok.calls, 1));
    ASSERT_EQ(ok.code, 0);
    ASSERT_TRUE(wait_for(&absent.calls, 1));
    ASSERT_EQ(absent.code, HYPE__ERROR__CODE__CODE_UNAVAILABLE);

    Hype__SignalMedia__Speaking sp = HYPE__SIGNAL_MEDIA__SPEAKING__INIT;
    sp.producer_id = 5;
    sp.speaking = true;
    Hype__SignalMedia__Envelope note = HYPE__SIGNAL_MEDIA__ENVELOPE__INIT;
    note.body_case = BODY(SPEAKING);
    note.speaking = &sp;
    ASSERT_OK(ipc_peer_send(f.peer, &note.base));
    ASSERT_TRUE(wait_for(&h.notices, 1));
    ASSERT_EQ(h.speaking_producer, 5);

    /* The worker goes with a request unanswered: it fails, the gone hooks run once. */
    f.answer = false;
    workers_request(registry, 4, &env, on_result, &lost);
    ASSERT_TRUE(wait_for(&f.asked, 2));
    f.peer = ipc_peer_free(f.peer);
    ASSERT_TRUE(wait_for(&lost.calls, 1));
    ASSERT_EQ(lost.code, HYPE__ERROR__CODE__CODE_UNAVAILABLE);
    ASSERT_TRUE(wait_for(&h.gone, 1));
    ASSERT_EQ(h.gone_id, 4);
    ASSERT_EQ(h.count_at_gone, 0); /* no longer placeable when the hooks hear of it */
    ASSERT_NULL(workers_find(registry, 4));
    WorkersStats st = workers_stats(registry);
    ASSERT_EQ_U(st.gone, 1);
    ASSERT_EQ_U(st.requests, 3);
    ASSERT_EQ_U(st.requests_failed, 2);

    /* A worker that never registered goes: nobody hears of it. */
    Fake quiet = {0};
    ASSERT_OK(fake_connect(&quiet, fx.path, HYPE__ROLE__ROLE_MEDIA));
    ASSERT_TRUE(wait_for(&quiet.hellos, 1));
    quiet.peer = ipc_peer_free(quiet.peer);
    /* Requests waiting when hype-signal stops are dropped without their callbacks. */
    Fake slow = {0};
    ASSERT_OK(fake_connect(&slow, fx.path, HYPE__ROLE__ROLE_MEDIA));
    ASSERT_OK(fake_register(&slow, 1, 10000, 10009, 10));
    ASSERT_TRUE(wait_for(&slow.replies, 1));
    Heard dropped = {0};
    workers_request(registry, 1, &env, on_result, &dropped);
    ASSERT_TRUE(wait_for(&slow.asked, 1));
    registry = workers_free(registry);
    ASSERT_EQ(dropped.calls, 0);
    ASSERT_EQ(h.gone, 1);
    ASSERT_TRUE(wait_for(&slow.closes, 1));
    ASSERT_TRUE(fixture_close(&fx));
}

TEST_MAIN()
