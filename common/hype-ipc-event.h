/* hype-ipc-event: an IPC peer on a libevent bufferevent: Hello, requests with timeouts, replies,
 * events. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "hype-ipc.h"

struct event_base;

/*
 * An IpcPeer owns one connected stream socket (Unix or TCP). On creation it sends our Hello;
 * the first frame it receives must be the peer's Hello with the same IPC_PROTOCOL_VERSION, or the
 * peer is dropped. Afterwards:
 *   - a frame with reply_to != 0 completes the pending request with that id (its callback runs
 *     once, with the reply envelope);
 *   - any other frame goes to on_message; if on_message returns -EOPNOTSUPP and the frame was a
 *     request (id != 0), the peer answers Error{CODE_UNKNOWN_BODY} itself;
 *   - a request not answered within its timeout completes with env == NULL and error -ETIMEDOUT;
 *   - on EOF, a socket error or a protocol error (oversize frame, garbage) the peer logs one line
 *     naming the peer and the reason, fails every pending request with -ECONNRESET, calls
 *     on_close once, and must then be freed by the owner (ipc_peer_free) — not from inside
 *     on_close's caller stack: on_close may free it, the peer defers its own teardown.
 * Output is bounded: if more than max_output bytes are queued unsent (a peer that does not read),
 * the peer is dropped the same way with error -ENOBUFS.
 * Single-threaded; all callbacks run on base's loop.
 */
typedef struct IpcPeer IpcPeer;

typedef struct IpcPeerCallbacks {
    /* A frame that is not a reply. env is borrowed for the duration of the call. */
    int (*on_message)(IpcPeer *peer, const Hype__Envelope *env, void *userdata);
    /* The peer's Hello arrived (hello borrowed). */
    void (*on_hello)(IpcPeer *peer, const Hype__Hello *hello, void *userdata);
    /* The connection is gone; error is 0 on clean EOF. */
    void (*on_close)(IpcPeer *peer, int error, void *userdata);
} IpcPeerCallbacks;

/* reply == NULL on error (-ETIMEDOUT, -ECONNRESET). reply is borrowed. */
typedef void (*ipc_reply_cb)(IpcPeer *peer, const Hype__Envelope *reply, int error, void *userdata);

typedef struct IpcPeerOptions {
    Hype__Role role;             /* ours, announced in Hello */
    const char *instance;        /* ours */
    uint32_t request_timeout_ms; /* 0 = 5000 */
    size_t max_output;           /* 0 = 16 MiB */
    size_t max_frame;            /* 0 = IPC_FRAME_MAX */
} IpcPeerOptions;

/* Takes ownership of fd (made non-blocking, close-on-exec). */
int ipc_peer_new(struct event_base *base, int fd, const IpcPeerOptions *opts,
                 const IpcPeerCallbacks *cbs, void *userdata, IpcPeer **ret);
IpcPeer *ipc_peer_free(IpcPeer *peer); /* NULL-safe; returns NULL */

/* Connects to a Unix socket path (non-blocking connect) and wraps it. */
int ipc_peer_connect_unix(struct event_base *base, const char *path, const IpcPeerOptions *opts,
                          const IpcPeerCallbacks *cbs, void *userdata, IpcPeer **ret);

/* One-way frame (id 0). env->id and reply_to are overwritten. */
int ipc_peer_send(IpcPeer *peer, Hype__Envelope *env);
/* Request: assigns a fresh nonzero id, arms the timeout; cb runs exactly once. */
int ipc_peer_request(IpcPeer *peer, Hype__Envelope *env, ipc_reply_cb cb, void *userdata);
/* Reply to request (sets reply_to = request->id). */
int ipc_peer_reply(IpcPeer *peer, const Hype__Envelope *request, Hype__Envelope *reply);
/* Reply with Error{code, message}. */
int ipc_peer_reply_error(IpcPeer *peer, const Hype__Envelope *request, Hype__Error__Code code,
                         const char *message);

bool ipc_peer_is_ready(const IpcPeer *peer);            /* Hello received and not closed */
const Hype__Hello *ipc_peer_hello(const IpcPeer *peer); /* NULL before it arrived */
size_t ipc_peer_pending_requests(const IpcPeer *peer);
/* Bytes queued for the peer and not yet written (at most max_output: more drops the peer). */
size_t ipc_peer_output_pending(const IpcPeer *peer);
