/* Unit tests for common/hype-ipc-server: a listening Unix socket of the api-signal link on a
 * libevent base, with clients on the same loop: who may link (roles, how many), requests to the
 * handler table, one-way frames, Hellos and departures to the owner, and a stale socket file. */
#include <event2/event.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "hype-ipc-event.h"
#include "hype-ipc-server.h"
#include "hype-log.h"
#include "ipc-envelopes.h"
#include "loop-wait.h"
#include "test.h"

static struct event_base *base;

typedef struct Owner {
    int hellos, frames, closes, served;
    IpcPeer *last_hello;
    char last_frame[32];
} Owner;

static void on_hello(IpcPeer *p, const Hype__Hello *hello, void *ud) {
    Owner *o = ud;
    o->hellos++;
    o->last_hello = p;
}

static void on_frame(IpcPeer *p, const ProtobufCMessage *env, void *ud) {
    Owner *o = ud;
    o->frames++;
    snprintf(o->last_frame, sizeof(o->last_frame), "%s", ipc_api_signal(env)->event->json);
}

static void on_close(IpcPeer *p, int error, void *ud) {
    ((Owner *)ud)->closes++;
}

static void echo(void *ud, IpcCall *call, const ProtobufCMessage *request) {
    ((Owner *)ud)->served++;
    ipc_serve_reply(call, &ipc_test_result(ipc_api_signal(request)->api_call->body)->base);
}

static const IpcServerCallbacks server_cbs = {on_hello, on_frame, on_close};

/* ---- clients ---- */

typedef struct Client {
    IpcPeer *peer;
    int hellos, closes, replies;
    int error;
    uint32_t code;
    char json[32];
} Client;

static void c_hello(IpcPeer *p, const Hype__Hello *h, void *ud) {
    ((Client *)ud)->hellos++;
}

static void c_close(IpcPeer *p, int error, void *ud) {
    Client *c = ud;
    c->closes++;
    c->peer = ipc_peer_free(p);
}

static void c_reply(IpcPeer *p, const ProtobufCMessage *reply, int error, void *ud) {
    Client *c = ud;
    c->replies++;
    c->error = error;
    ipc_test_read_reply(reply, error, c->json, sizeof(c->json), &c->code);
}

static const IpcPeerCallbacks client_cbs = {NULL, c_hello, c_close};

static int client_connect(Client *c, const char *path, Hype__Role role) {
    IpcPeerOptions o = {.link = &ipc_link_api_signal, .role = role, .instance = "client"};
    return ipc_peer_connect_unix(base, path, &o, &client_cbs, c, &c->peer);
}

/* Runs the loop until *counter reaches target (5 s at most: a failure, not a measure). */
static bool wait_for(int *counter, int target) {
    return loop_wait(base, counter, target);
}

typedef struct Fixture {
    char dir[64], path[96];
    IpcServer *server;
    Owner owner;
} Fixture;

static int fixture_open(Fixture *f, size_t max_peers) {
    memset(f, 0, sizeof(*f));
    log_set_max_level(LOG_CRIT); /* peers refused and dropped by design */
    base = event_base_new();
    if (!test_socket_dir("hype-ipc-server", "test.sock", f->dir, f->path))
        return -errno;
    IpcServerOptions opts = {
        .link = &ipc_link_api_signal,
        .role = HYPE__ROLE__ROLE_SIGNAL,
        .instance = "server",
        .roles = IPC_ROLE_BIT(HYPE__ROLE__ROLE_API),
        .max_peers = max_peers,
    };
    int r = ipc_server_new(base, f->path, &opts, &server_cbs, &f->owner, &f->server);
    if (r == 0)
        r = ipc_server_serve(f->server, HYPE__API_SIGNAL__ENVELOPE__BODY_API_CALL, echo, &f->owner);
    if (r == 0)
        r = ipc_server_listen(f->server);
    return r;
}

static bool fixture_close(Fixture *f) {
    f->server = ipc_server_free(f->server);
    bool gone = access(f->path, F_OK) < 0; /* the socket file goes with it */
    rmdir(f->dir);
    int left = event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED);
    event_base_free(base);
    log_set_max_level(LOG_INFO);
    return gone && left == 0;
}

TEST(serves_requests_hears_frames_and_departures) {
    Fixture f;
    ASSERT_OK(fixture_open(&f, 0));
    ASSERT_STREQ(ipc_server_path(f.server), f.path);
    ASSERT_EQ(ipc_server_serve(f.server, HYPE__API_SIGNAL__ENVELOPE__BODY_API_CALL, echo, NULL),
              -EEXIST);
    Client c = {0};
    ASSERT_OK(client_connect(&c, f.path, HYPE__ROLE__ROLE_API));
    ASSERT_TRUE(wait_for(&f.owner.hellos, 1));
    ASSERT_TRUE(wait_for(&c.hellos, 1));
    ASSERT_OK(ipc_peer_request(c.peer, &ipc_test_request("ping")->base, 0, c_reply, &c));
    ASSERT_TRUE(wait_for(&c.replies, 1));
    ASSERT_EQ(c.error, 0);
    ASSERT_STREQ(c.json, "ping");
    ASSERT_OK(ipc_peer_request(c.peer, ipc_test_unserved(), 0, c_reply, &c));
    ASSERT_TRUE(wait_for(&c.replies, 2));
    ASSERT_EQ(c.code, HYPE__ERROR__CODE__CODE_UNKNOWN_BODY);
    ASSERT_OK(ipc_peer_send(c.peer, ipc_test_event("told")));
    ASSERT_TRUE(wait_for(&f.owner.frames, 1));
    ASSERT_STREQ(f.owner.last_frame, "told");
    ASSERT_EQ(f.owner.served, 1);
    ASSERT_EQ_U(ipc_server_served(f.server), 1);
    c.peer = ipc_peer_free(c.peer);
    ASSERT_TRUE(wait_for(&f.owner.closes, 1));
    ASSERT_TRUE(fixture_close(&f));
}

TEST(only_the_expected_roles_and_so_many_peers) {
    Fixture f;
    ASSERT_OK(fixture_open(&f, 2));
    Client wrong = {0};
    ASSERT_OK(client_connect(&wrong, f.path, HYPE__ROLE__ROLE_MEDIA));
    ASSERT_TRUE(wait_for(&wrong.closes, 1));
    ASSERT_EQ(f.owner.hellos, 0);
    ASSERT_TRUE(wait_for(&f.owner.closes, 1)); /* the owner hears of it too */
    Client a = {0}, b = {0}, extra = {0};
    ASSERT_OK(client_connect(&a, f.path, HYPE__ROLE__ROLE_API));
    ASSERT_OK(client_connect(&b, f.path, HYPE__ROLE__ROLE_API));
    ASSERT_TRUE(wait_for(&f.owner.hellos, 2));
    ASSERT_OK(client_connect(&extra, f.path, HYPE__ROLE__ROLE_API));
    ASSERT_TRUE(wait_for(&extra.closes, 1)); /* a third is closed at once */
    ASSERT_EQ(f.owner.hellos, 2);
    /* A slot that frees is taken again. */
    a.peer = ipc_peer_free(a.peer);
    ASSERT_TRUE(wait_for(&f.owner.closes, 2));
    Client again = {0};
    ASSERT_OK(client_connect(&again, f.path, HYPE__ROLE__ROLE_API));
    ASSERT_TRUE(wait_for(&f.owner.hellos, 3));
    ASSERT_TRUE(wait_for(&again.hellos, 1));
    /* Freeing the server closes the peers it holds, without telling its owner. */
    int closes = f.owner.closes;
    f.server = ipc_server_free(f.server);
    ASSERT_EQ(f.owner.closes, closes);
    ASSERT_TRUE(wait_for(&b.closes, 1));
    ASSERT_TRUE(wait_for(&again.closes, 1));
    ASSERT_TRUE(fixture_close(&f));
}

TEST(a_stale_socket_file_is_replaced) {
    char dir[] = "/tmp/hype-ipc-server-XXXXXX", path[96];
    ASSERT_NOT_NULL(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/stale.sock", dir);
    /* What a killed daemon leaves: a socket file nobody listens on. */
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
    ASSERT_OK(bind(fd, (struct sockaddr *)&sun, sizeof(sun)));
    close(fd);
    base = event_base_new();
    IpcServerOptions opts = {.link = &ipc_link_api_signal, .role = HYPE__ROLE__ROLE_SIGNAL};
    Owner o = {0};
    IpcServer *server = NULL;
    ASSERT_OK(ipc_server_new(base, path, &opts, &server_cbs, &o, &server));
    ASSERT_OK(ipc_server_listen(server));
    Client c = {0};
    ASSERT_OK(client_connect(&c, path, HYPE__ROLE__ROLE_MEDIA)); /* roles 0: any */
    ASSERT_TRUE(wait_for(&o.hellos, 1));
    ipc_peer_free(c.peer);
    ipc_server_free(server);
    event_base_free(base);
    rmdir(dir);
    /* Too long a path for a Unix socket: said, not truncated. */
    char longpath[200];
    memset(longpath, 'x', sizeof(longpath) - 1);
    longpath[0] = '/';
    longpath[sizeof(longpath) - 1] = '\0';
    base = event_base_new();
    ASSERT_OK(ipc_server_new(base, longpath, &opts, &server_cbs, &o, &server));
    ASSERT_EQ(ipc_server_listen(server), -ENAMETOOLONG);
    ipc_server_free(server);
    event_base_free(base);
}

TEST_MAIN()
