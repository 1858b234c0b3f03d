/* hype-ipc-server: a listening Unix socket on a libevent base serving the peers of one link:
 * accepts them (a bounded number, of the roles expected), answers their requests from a handler
 * table and hands its owner their Hellos, one-way frames and departures. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hype-ipc-serve.h"

struct event_base;
typedef struct IpcServer IpcServer;

/*
 * hype-signal's signal.sock (hype-api) and media.sock (the media workers) are each one IpcServer.
 * Every peer is an IpcPeer of the libevent binding (hype-ipc-event.h) with the peer's whole
 * contract (hype-ipc-peer.h): Hello first, and a peer whose Hello names a role not in
 * IpcServerOptions.roles is dropped. Requests (frames with an id) go to the handler registered
 * for their body (ipc_server_serve; replies with ipc_serve_reply, hype-ipc-serve.h), or are
 * answered Error{CODE_UNKNOWN_BODY}; one-way frames go to on_frame. Single-threaded: everything
 * runs on base's loop.
 */
typedef struct IpcServerCallbacks {
    /* A peer said Hello (hello borrowed). May be NULL. */
    void (*on_hello)(IpcPeer *peer, const Hype__Hello *hello, void *userdata);
    /* A one-way frame (id 0) of peer: an Envelope of the link, borrowed. May be NULL. */
    void (*on_frame)(IpcPeer *peer, const ProtobufCMessage *env, void *userdata);
    /* peer went (error 0 on a clean EOF; see hype-ipc-peer.h) and is freed when this returns;
     * replies to its requests are dropped. Not called by ipc_server_free. May be NULL. */
    void (*on_close)(IpcPeer *peer, int error, void *userdata);
} IpcServerCallbacks;

typedef struct IpcServerOptions {
    const IpcLink *link;  /* what the socket carries (required) */
    Hype__Role role;      /* ours, announced in Hello */
    const char *instance; /* ours */
    uint32_t roles;       /* IPC_ROLE_BIT()s of the peers accepted (0: any) */
    size_t max_peers;     /* connections at once (0: 8); more are closed with a log line */
} IpcServerOptions;

/* path and opts are copied; nothing listens yet. */
int ipc_server_new(struct event_base *base, const char *path, const IpcServerOptions *opts,
                   const IpcServerCallbacks *cbs, void *userdata, IpcServer **ret);
/* Binds the Unix socket (a stale file from a previous run is replaced), mode 0660. */
int ipc_server_listen(IpcServer *server);
/* Frees every peer (without on_close: the owner is stopping; what they were asked is dropped)
 * and removes the socket file. NULL-safe; returns NULL. */
IpcServer *ipc_server_free(IpcServer *server);

/* Registers fn for requests of body (one of the link's requests; at start): -EEXIST when taken,
 * -EINVAL for a body that is no request. */
int ipc_server_serve(IpcServer *server, uint32_t body, ipc_handler fn, void *userdata);

const char *ipc_server_path(const IpcServer *server);
/* Requests of peers handed to handlers so far. */
uint64_t ipc_server_served(const IpcServer *server);
