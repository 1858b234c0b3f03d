/* hype-ipc-server: a listening Unix socket on a libevent base serving the peers of one link:
 * accepts them (a bounded number, of the roles expected), answers their requests from a handler
 * table and hands its owner their Hellos, one-way frames and departures. */
#include "hype-ipc-server.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "hype-ipc-event.h"
#include "hype-log.h"

#define MAX_PEERS_DEFAULT 8

struct IpcServer {
    struct event_base *base;
    char *path;
    char instance[64];
    IpcServerOptions opts; /* instance points at our copy */
    IpcServerCallbacks cbs;
    void *userdata;
    struct evconnlistener *listener;
    IpcPeer **peers; /* opts.max_peers slots */
    IpcServe *serve;
};

int ipc_server_serve(IpcServer *server, uint32_t body, ipc_handler fn, void *userdata) {
    return ipc_serve_add(server->serve, body, fn, userdata);
}

static size_t slot_of(const IpcServer *server, const IpcPeer *peer) {
    size_t slot = 0;
    while (slot < server->opts.max_peers && server->peers[slot] != peer)
        slot++;
    return slot;
}

/* ---- a peer's callbacks ---- */

static int on_message(IpcPeer *peer, const ProtobufCMessage *env, void *userdata) {
    IpcServer *server = userdata;
    if (ipc_envelope_id(server->opts.link, env))
        return ipc_serve_dispatch(server->serve, peer, env);
    if (server->cbs.on_frame)
        server->cbs.on_frame(peer, env, server->userdata);
    return 0;
}

static void on_hello(IpcPeer *peer, const Hype__Hello *hello, void *userdata) {
    IpcServer *server = userdata;
    if (server->cbs.on_hello)
        server->cbs.on_hello(peer, hello, server->userdata);
}

static void on_close(IpcPeer *peer, int error, void *userdata) {
    IpcServer *server = userdata;
    ipc_serve_peer_gone(server->serve, peer);
    if (server->cbs.on_close)
        server->cbs.on_close(peer, error, server->userdata);
    size_t slot = slot_of(server, peer);
    if (slot < server->opts.max_peers)
        server->peers[slot] = NULL;
    ipc_peer_free(peer);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len,
                      void *userdata) {
    IpcServer *server = userdata;
    size_t slot = slot_of(server, NULL);
    if (slot == server->opts.max_peers) {
        log_warning("refusing an IPC connection on %s: %zu peers already", server->path,
                    server->opts.max_peers);
        close(fd);
        return;
    }
    static const IpcPeerCallbacks cbs = {on_message, on_hello, on_close};
    IpcPeerOptions opts = {
        .link = server->opts.link,
        .role = server->opts.role,
        .instance = server->opts.instance,
    };
    int r = ipc_peer_new(server->base, fd, &opts, &cbs, server, &server->peers[slot]);
    if (r == 0 && server->opts.roles)
        r = ipc_peer_expect_roles(server->peers[slot], server->opts.roles);
    if (r < 0) {
        log_warning("cannot set up an IPC connection on %s", server->path);
        server->peers[slot] = ipc_peer_free(server->peers[slot]);
    }
}

/* ---- lifecycle ---- */

int ipc_server_new(struct event_base *base, const char *path, const IpcServerOptions *opts,
                   const IpcServerCallbacks *cbs, void *userdata, IpcServer **ret) {
    if (!opts->link)
        return -EINVAL;
    IpcServer *server = calloc(1, sizeof(*server));
    if (!server)
        return -ENOMEM;
    server->base = base;
    server->opts = *opts;
    if (!server->opts.max_peers)
        server->opts.max_peers = MAX_PEERS_DEFAULT;
    snprintf(server->instance, sizeof(server->instance), "%s",
             opts->instance ? opts->instance : "");
    server->opts.instance = server->instance;
    server->cbs = *cbs;
    server->userdata = userdata;
    server->path = strdup(path);
    server->peers = calloc(server->opts.max_peers, sizeof(*server->peers));
    int r = server->path && server->peers ? ipc_serve_new(opts->link, &server->serve) : -ENOMEM;
    if (r < 0) {
        ipc_server_free(server);
        return r;
    }
    *ret = server;
    return 0;
}

int ipc_server_listen(IpcServer *server) {
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    if (strlen(server->path) >= sizeof(sun.sun_path))
        return -ENAMETOOLONG;
    strcpy(sun.sun_path, server->path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    /* A socket file left by a previous run (crash, SIGKILL) would make bind fail. */
    unlink(server->path);
    mode_t old = umask(0117);
    int r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
    umask(old);
    if (r < 0 || listen(fd, 16) < 0) {
        r = -errno;
        close(fd);
        return r;
    }
    server->listener = evconnlistener_new(server->base, on_accept, server,
                                          LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
    if (!server->listener) {
        close(fd);
        return -ENOMEM;
    }
    return 0;
}

IpcServer *ipc_server_free(IpcServer *server) {
    if (!server)
        return NULL;
    if (server->listener) {
        evconnlistener_free(server->listener);
        unlink(server->path);
    }
    for (size_t i = 0; server->peers && i < server->opts.max_peers; i++)
        ipc_peer_free(server->peers[i]);
    ipc_serve_free(server->serve);
    free(server->peers);
    free(server->path);
    free(server);
    return NULL;
}

const char *ipc_server_path(const IpcServer *server) {
    return server->path;
}

uint64_t ipc_server_served(const IpcServer *server) {
    return ipc_serve_count(server->serve);
}
