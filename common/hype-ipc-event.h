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

/*
 * Asking a peer that may be absent (hype-api's link to hype-signal, hype-signal's to hype-api):
 * an IpcAsker gives each request its outcome exactly once, never from inside ipc_ask: the peer's
 * result or Error, or one of ours when the peer did not answer: CODE_UNAVAILABLE (no peer, or it
 * went) and CODE_TIMEOUT, saying the message given to ipc_asker_new; CODE_TOO_LARGE (over
 * IPC_FRAME_MAX); CODE_INTERNAL (a body that is no request of the link, a reply of another body).
 */
typedef struct IpcAsker IpcAsker;
/* result, or error: exactly one is non-NULL, borrowed for the call. result is an Envelope of the
 * peer's link whose body is the request's result. Both NULL only from ipc_asker_free: dropped,
 * free what userdata holds and touch nothing else. */
typedef void (*ipc_ask_cb)(const ProtobufCMessage *result, const Hype__Error *error,
                           void *userdata);

/* unavailable is borrowed (a literal): what our CODE_UNAVAILABLE says. */
int ipc_asker_new(struct event_base *base, const char *unavailable, IpcAsker **ret);
/* Requests still waiting are dropped: their callbacks run once with result and error NULL (the
 * owner is stopping). Free the peers first, then the asker. NULL-safe; returns NULL. */
IpcAsker *ipc_asker_free(IpcAsker *asker);
/* Sends request to peer (NULL: there is none now) with timeout_ms (0: the peer's). cb may be NULL
 * (nobody waits for the answer). */
void ipc_ask(IpcAsker *asker, IpcPeer *peer, ProtobufCMessage *request, uint32_t timeout_ms,
             ipc_ask_cb cb, void *userdata);

/*
 * For a module whose callers get a callback typed for its link (signal_ipc_request,
 * api_signal_request, workers_request): their callback travels as typed (converted to
 * ipc_typed_fn, and back by relay, which calls it: C11 6.3.2.3p8), so the module needs no
 * allocation of its own per request. relay runs as ipc_ask's callbacks do, except for requests
 * dropped by ipc_asker_free, and when typed is NULL (nobody waits for the answer).
 */
typedef void (*ipc_typed_fn)(void);
typedef void (*ipc_relay_cb)(const ProtobufCMessage *result, const Hype__Error *error,
                             ipc_typed_fn typed, void *userdata);
void ipc_ask_typed(IpcAsker *asker, IpcPeer *peer, ProtobufCMessage *request, uint32_t timeout_ms,
                   ipc_relay_cb relay, ipc_typed_fn typed, void *userdata);

typedef struct IpcAskerStats {
    uint64_t asked;      /* every ipc_ask */
    uint64_t unanswered; /* ... completed by us, not by the peer (absent, gone, timed out) */
} IpcAskerStats;
IpcAskerStats ipc_asker_stats(const IpcAsker *asker);
