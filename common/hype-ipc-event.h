/* hype-ipc-event: an IPC peer on a libevent base: moves bytes between its socket and the
 * loop-free peer protocol (hype-ipc-peer.h) and arms its timer. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "hype-ipc-peer.h"

struct event_base;

/*
 * IpcPeer, its callbacks, options and every ipc_peer_* call after creation (send, request,
 * reply, reply_error, free, is_ready, hello, pending_requests, output_pending) are declared in
 * hype-ipc-peer.h with the peer's whole contract, the same on every loop: Hello first, request
 * ids and timeouts, Error{CODE_UNKNOWN_BODY} for requests on_message declines, one log line and
 * -ECONNRESET for every pending request when the connection goes, the max_output bound
 * (-ENOBUFS), and an owner that may free the peer from inside any callback.
 *
 * This binding watches the socket and one timer on base; all callbacks run on base's loop.
 * Single-threaded.
 */

/* Takes ownership of fd (made non-blocking, close-on-exec; closed on failure). */
int ipc_peer_new(struct event_base *base, int fd, const IpcPeerOptions *opts,
                 const IpcPeerCallbacks *cbs, void *userdata, IpcPeer **ret);

/* Connects to a Unix socket path (non-blocking connect) and wraps it. A Unix connect succeeds or
 * fails at once: -ENOENT, -ECONNREFUSED, -EAGAIN (backlog full) are returned here. */
int ipc_peer_connect_unix(struct event_base *base, const char *path, const IpcPeerOptions *opts,
                          const IpcPeerCallbacks *cbs, void *userdata, IpcPeer **ret);
