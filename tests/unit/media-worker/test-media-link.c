/* Unit tests for media-worker/media-link: the worker's link on a GLib main loop against a fake
 * hype-signal (an IpcServer on a libevent base the same loop runs every millisecond): waiting
 * for it, registering, being refused and retrying, serving what it asks from the table, loads,
 * and what happens when it goes or the worker stops. */
#include <event2/event.h>
#include <glib.h>
#include <stdlib.h>
#include <unistd.h>

#include "hype-ipc-server.h"
#include "hype-log.h"
#include "media-link.h"
#include "loop-wait-glib.h"
#include "test.h"

#define BODY(x) HYPE__SIGNAL_MEDIA__ENVELOPE__BODY_##x

static GMainContext *ctx;
static GMainLoop *loop;
static struct event_base *base;

/* ---- a fake hype-signal ---- */

typedef struct Signal {
    IpcServer *server;
    IpcPeer *worker; /* the last to say Hello */
    int registered, refused, loads, closes, replies, closed_transports;
    Hype__Error__Code refuse; /* answer WorkerRegister with this instead */
    uint32_t worker_id, min_port, max_port, max_transports, load_transports;
    char announced_ip[64];
    uint32_t reply_code; /* of the last reply to our request */
} Signal;

static void on_register(void *ud, IpcCall *call, const ProtobufCMessage *msg) {
    Signal *s = ud;
    const Hype__SignalMedia__WorkerRegister *q = ipc_signal_media(msg)->worker_register;
    if (s->refuse) {
        s->refused++;
        ipc_serve_reply_error(call, s->refuse, "worker 7 is linked already (pid 1)");
        return;
    }
    s->registered++;
    s->worker_id = q->worker_id;
    s->min_port = q->min_port;
    s->max_port = q->max_port;
    s->max_transports = q->max_transports;
    snprintf(s->announced_ip, sizeof(s->announced_ip), "%s", q->announced_ip);
    Hype__SignalMedia__WorkerRegisterResult res = HYPE__SIGNAL_MEDIA__WORKER_REGISTER_RESULT__INIT;
    Hype__SignalMedia__Envelope env = HYPE__SIGNAL_MEDIA__ENVELOPE__INIT;
    env.body_case = BODY(WORKER_REGISTER_RESULT);
    env.worker_register_result = &res;
    ipc_serve_reply(call, &env.base);
}

static void s_hello(IpcPeer *p, const Hype__Hello *h, void *ud) {
    ((Signal *)ud)->worker = p;
}

static void s_frame(IpcPeer *p, const ProtobufCMessage *msg, void *ud) {
    Signal *s = ud;
    const Hype__SignalMedia__Envelope *env = ipc_signal_media(msg);
    if (env->body_case == BODY(WORKER_LOAD)) {
        s->loads++;
        s->load_transports = env->worker_load->transports;
    }
    if (env->body_case == BODY(TRANSPORT_STATE))
        s->closed_transports++;
}

static void s_close(IpcPeer *p, int error, void *ud) {
    Signal *s = ud;
    s->closes++;
    if (s->worker == p)
        s->worker = NULL;
}

static void s_reply(IpcPeer *p, const ProtobufCMessage *reply, int error, void *ud) {
    Signal *s = ud;
    s->replies++;
    s->reply_code = error == -EREMOTEIO ? ipc_signal_media(reply)->error->code : error ? 999 : 0;
}

static int signal_start(Signal *s, const char *path) {
    static const IpcServerCallbacks cbs = {s_hello, s_frame, s_close};
    IpcServerOptions o = {
        .link = &ipc_link_signal_media,
        .role = HYPE__ROLE__ROLE_SIGNAL,
        .instance = "signal",
        .roles = IPC_ROLE_BIT(HYPE__ROLE__ROLE_MEDIA),
    };
    int r = ipc_server_new(base, path, &o, &cbs, s, &s->server);
    if (r == 0)
        r = ipc_server_serve(s->server, BODY(WORKER_REGISTER), on_register, s);
    return r < 0 ? r : ipc_server_listen(s->server);
}

static int ask_router_create(Signal *s) {
    Hype__SignalMedia__RouterCreate q = HYPE__SIGNAL_MEDIA__ROUTER_CREATE__INIT;
    q.router_id = 42;
    Hype__SignalMedia__Envelope env = HYPE__SIGNAL_MEDIA__ENVELOPE__INIT;
    env.body_case = BODY(ROUTER_CREATE);
    env.router_create = &q;
    return ipc_peer_request(s->worker, &env.base, 0, s_reply, s);
}

/* ---- the worker's modules ---- */

typedef struct Module {
    int served, drops, drop_sends, load_calls;
    uint64_t router_id;
    MediaLinkState last_state;
    int states, registrations;
} Module;

static void serve_router_create(void *ud, IpcCall *call, const ProtobufCMessage *msg) {
    Module *m = ud;
    m->served++;
    m->router_id = ipc_signal_media(msg)->router_create->router_id;
    Hype__SignalMedia__RouterCreateResult res = HYPE__SIGNAL_MEDIA__ROUTER_CREATE_RESULT__INIT;
    Hype__SignalMedia__Envelope env = HYPE__SIGNAL_MEDIA__ENVELOPE__INIT;
    env.body_case = BODY(ROUTER_CREATE_RESULT);
    env.router_create_result = &res;
    ipc_serve_reply(call, &env.base);
}

static MediaLink *the_link; /* for on_drop */

/* What the worker held closes, and tells hype-signal so when it still can. */
static void on_drop(void *ud) {
    Module *m = ud;
    m->drops++;
    Hype__SignalMedia__TransportState st = HYPE__SIGNAL_MEDIA__TRANSPORT_STATE__INIT;
    st.transport_id = 9;
    st.ice = HYPE__SIGNAL_MEDIA__TRANSPORT_STATE__ICE__ICE_CLOSED;
    Hype__SignalMedia__Envelope env = HYPE__SIGNAL_MEDIA__ENVELOPE__INIT;
    env.body_case = BODY(TRANSPORT_STATE);
    env.transport_state = &st;
    m->drop_sends += media_link_send(the_link, &env) == 0;
}

static void on_load(void *ud, Hype__SignalMedia__WorkerLoad *load) {
    Module *m = ud;
    m->load_calls++;
    load->transports += 3;
}

static void on_state(void *ud, MediaLinkState state, const char *detail) {
    Module *m = ud;
    m->states++;
    m->last_state = state;
    m->registrations += state == MEDIA_LINK_REGISTERED;
}

/* ---- running the loop until something happened ---- */

static bool wait_for(int *counter, int target) {
    return loop_wait_glib(ctx, loop, base, counter, target);
}

/* ---- fixture ---- */

typedef struct Fixture {
    char dir[64], path[96];
    MediaConfig cfg;
    MediaLink *link;
    Module module;
} Fixture;

static int fixture_open(Fixture *f) {
    memset(f, 0, sizeof(*f));
    log_set_max_level(LOG_CRIT); /* links refused and lost by design */
    ctx = g_main_context_new();
    loop = g_main_loop_new(ctx, FALSE);
    base = event_base_new();
    if (!test_socket_dir("hype-media-link", "media.sock", f->dir, f->path))
        return -errno;
    f->cfg = (MediaConfig){
        .media_socket = f->path,
        .worker_id = 7,
        .workers = 8,
        .slice_min = 10070,
        .slice_max = 10079,
        .max_transports = 10,
        .announced_ip = "198.51.100.4",
    };
    int r = media_link_new(ctx, &f->cfg, on_state, &f->module, &f->link);
    the_link = f->link;
    if (r == 0)
        r = media_link_serve(f->link, BODY(ROUTER_CREATE), serve_router_create, &f->module);
    if (r == 0)
        r = media_link_on_drop(f->link, on_drop, &f->module);
    if (r == 0)
        r = media_link_on_load(f->link, on_load, &f->module);
    return r;
}

static void fixture_close(Fixture *f) {
    f->link = media_link_free(f->link);
    unlink(f->path);
    rmdir(f->dir);
    event_base_free(base);
    g_main_loop_unref(loop);
    g_main_context_unref(ctx);
    log_set_max_level(LOG_INFO);
}

/* ---- the tests ---- */

TEST(waits_for_hype_signal_then_registers_reports_load_and_serves) {
    Fixture f;
    ASSERT_OK(fixture_open(&f));
    ASSERT_EQ(media_link_serve(f.link, BODY(ROUTER_CREATE), serve_router_create, NULL), -EEXIST);
    ASSERT_EQ(media_link_serve(f.link, BODY(WORKER_LOAD), serve_router_create, NULL), -EINVAL);
    media_link_start(f.link); /* nobody listens yet */
    ASSERT_EQ(media_link_state(f.link), MEDIA_LINK_WAITING);
    ASSERT_TRUE(wait_for(&f.module.states, 1)); /* said once, however many attempts */
    Signal s = {0};
    ASSERT_OK(signal_start(&s, f.path));
    ASSERT_TRUE(wait_for(&s.registered, 1));
    ASSERT_EQ(s.worker_id, 7);
    ASSERT_EQ(s.min_port, 10070);
    ASSERT_EQ(s.max_port, 10079);
    ASSERT_EQ(s.max_transports, 10);
    ASSERT_STREQ(s.announced_ip, "198.51.100.4");
    ASSERT_TRUE(wait_for(&s.loads, 1)); /* at once */
    ASSERT_EQ(f.module.registrations, 1);
    ASSERT_EQ(s.load_transports, 3); /* the modules' counters */
    ASSERT_EQ(media_link_state(f.link), MEDIA_LINK_REGISTERED);
    ASSERT_EQ(f.module.last_state, MEDIA_LINK_REGISTERED);
    /* What hype-signal asks goes to the table; what nobody serves is answered for us. */
    ASSERT_OK(ask_router_create(&s));
    ASSERT_TRUE(wait_for(&s.replies, 1));
    ASSERT_EQ(s.reply_code, 0);
    ASSERT_EQ(f.module.served, 1);
    ASSERT_EQ_U(f.module.router_id, 42);
    Hype__SignalMedia__RouterClose q = HYPE__SIGNAL_MEDIA__ROUTER_CLOSE__INIT;
    Hype__SignalMedia__Envelope env = HYPE__SIGNAL_MEDIA__ENVELOPE__INIT;
    env.body_case = BODY(ROUTER_CLOSE);
    env.router_close = &q;
    ASSERT_OK(ipc_peer_request(s.worker, &env.base, 0, s_reply, &s));
    ASSERT_TRUE(wait_for(&s.replies, 2));
    ASSERT_EQ(s.reply_code, HYPE__ERROR__CODE__CODE_UNKNOWN_BODY);
    /* Notices go while registered. */
    Hype__SignalMedia__Speaking sp = HYPE__SIGNAL_MEDIA__SPEAKING__INIT;
    Hype__SignalMedia__Envelope note = HYPE__SIGNAL_MEDIA__ENVELOPE__INIT;
    note.body_case = BODY(SPEAKING);
    note.speaking = &sp;
    ASSERT_OK(media_link_send(f.link, &note));
    ASSERT_EQ(f.module.drops, 0);
    s.server = ipc_server_free(s.server);
    fixture_close(&f);
}

TEST(hype_signal_going_drops_what_the_worker_holds_and_it_registers_again) {
    Fixture f;
    ASSERT_OK(fixture_open(&f));
    Signal s = {0};
    ASSERT_OK(signal_start(&s, f.path));
    media_link_start(f.link);
    ASSERT_TRUE(wait_for(&s.registered, 1));
    s.server = ipc_server_free(s.server); /* hype-signal stops */
    ASSERT_TRUE(wait_for(&f.module.drops, 1));
    ASSERT_EQ(f.module.drop_sends, 0); /* nobody to tell */
    ASSERT_EQ(media_link_state(f.link), MEDIA_LINK_WAITING);
    Hype__SignalMedia__Speaking sp = HYPE__SIGNAL_MEDIA__SPEAKING__INIT;
    Hype__SignalMedia__Envelope note = HYPE__SIGNAL_MEDIA__ENVELOPE__INIT;
    note.body_case = BODY(SPEAKING);
    note.speaking = &sp;
    ASSERT_EQ(media_link_send(f.link, &note), -ENOTCONN);
    /* The next one: the worker comes back by itself. */
    Signal again = {0};
    ASSERT_OK(signal_start(&again, f.path));
    ASSERT_TRUE(wait_for(&f.module.registrations, 2));
    ASSERT_EQ(again.registered, 1);
    ASSERT_EQ(f.module.drops, 1);
    ASSERT_EQ(media_link_state(f.link), MEDIA_LINK_REGISTERED);
    /* Stopping: the drop hooks run once more, requests are refused from now on, nothing
     * reconnects. */
    media_link_stop(f.link);
    ASSERT_EQ(f.module.drops, 2);
    ASSERT_EQ(f.module.drop_sends, 1); /* told while stopping */
    ASSERT_TRUE(wait_for(&again.closed_transports, 1));
    ASSERT_EQ(media_link_state(f.link), MEDIA_LINK_STOPPED);
    ASSERT_OK(ask_router_create(&again));
    ASSERT_TRUE(wait_for(&again.replies, 1));
    ASSERT_EQ(again.reply_code, HYPE__ERROR__CODE__CODE_UNAVAILABLE);
    ASSERT_EQ(f.module.served, 0);
    ASSERT_EQ(media_link_output_pending(f.link), 0);
    f.link = media_link_free(f.link);
    ASSERT_TRUE(wait_for(&again.closes, 1));
    again.server = ipc_server_free(again.server);
    fixture_close(&f);
}

TEST(a_refused_worker_keeps_trying_until_hype_signal_accepts_it) {
    Fixture f;
    ASSERT_OK(fixture_open(&f));
    Signal s = {.refuse = HYPE__ERROR__CODE__CODE_CONFLICT};
    ASSERT_OK(signal_start(&s, f.path));
    media_link_start(f.link);
    ASSERT_TRUE(wait_for(&s.refused, 3)); /* 100, 200, 400 ms apart */
    ASSERT_EQ(media_link_state(f.link), MEDIA_LINK_WAITING);
    ASSERT_EQ(f.module.drops, 0); /* it never held anything */
    s.refuse = 0;
    ASSERT_TRUE(wait_for(&f.module.registrations, 1));
    ASSERT_EQ(s.registered, 1);
    ASSERT_EQ(media_link_state(f.link), MEDIA_LINK_REGISTERED);
    s.server = ipc_server_free(s.server);
    fixture_close(&f);
}

TEST_MAIN()
