/* hype-ipc-peer: the IPC peer protocol (Hello, requests with timeouts, replies, events) on no
 * event loop: bytes in, frames out; a loop binding moves the bytes and arms one timer. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hype-ipc.h"

/*
 * An IpcPeer is one end of a connected stream (Unix or TCP) speaking DESIGN.md §2 on one link
 * (IpcPeerOptions.link: hype-ipc-api-signal.h, hype-ipc-signal-media.h). It is the same object
 * whichever loop runs it and whichever link it speaks: a binding creates it (hype-ipc-event.h:
 * ipc_peer_new on a libevent base; hype-ipc-glib.h: ipc_gpeer_new on a GMainContext) and the
 * owner then uses the ipc_peer_* calls below, which know no loop. Envelopes go in and out as
 * their ProtobufCMessage base (&env.base); what the peer hands its owner is an Envelope of its
 * link, which the link's header turns back into its type.
 *
 * On creation the peer queues our Hello; the first frame it receives must be the peer's Hello
 * with the same IPC_PROTOCOL_VERSION (and, if ipc_peer_expect_roles was called, one of those
 * roles), or the peer is dropped. Afterwards:
 *   - a frame with reply_to != 0 completes the pending request with that id (its callback runs
 *     once, with the reply envelope); a reply to no pending request is ignored;
 *   - any other frame goes to on_message; if on_message returns -EOPNOTSUPP and the frame was a
 *     request (id != 0), the peer answers Error{CODE_UNKNOWN_BODY} itself;
 *   - a request not answered within its timeout completes with reply == NULL and -ETIMEDOUT;
 *   - on EOF, a socket error or a protocol error (oversize frame, garbage) the peer logs one line
 *     naming the peer and the reason, fails every pending request with -ECONNRESET, calls
 *     on_close once, and must then be freed by the owner (ipc_peer_free) — not from inside
 *     on_close's caller stack: on_close may free it, the peer defers its own teardown.
 * Output is bounded: if more than max_output bytes are queued unsent (a peer that does not read),
 * the peer is dropped the same way with error -ENOBUFS.
 *
 * The owner may call ipc_peer_free from inside any callback (on_message, on_hello, on_close, a
 * reply callback): no callback of any kind runs after that, and the memory goes when the
 * outermost call into the peer returns. Freeing a peer that still has pending requests drops
 * them without calling their callbacks (the owner is tearing down what they would report to).
 * Single-threaded: every call and callback happens on the thread that runs the binding's loop.
 */
typedef struct IpcPeer IpcPeer;

typedef struct IpcPeerCallbacks {
    /* A frame that is not a reply: an Envelope of the peer's link, borrowed for the call. */
    int (*on_message)(IpcPeer *peer, const ProtobufCMessage *env, void *userdata);
    /* The peer's Hello arrived (hello borrowed). */
    void (*on_hello)(IpcPeer *peer, const Hype__Hello *hello, void *userdata);
    /* The connection is gone; error is 0 on clean EOF. */
    void (*on_close)(IpcPeer *peer, int error, void *userdata);
} IpcPeerCallbacks;

/*
 * A request's outcome, exactly once (reply borrowed for the call):
 *   0            reply's body is the request's result (the link's pairs);
 *   -EREMOTEIO   reply is an Error (ipc_envelope_error): the peer refused or failed;
 *   -EBADMSG     reply has another body (a peer that does not keep the link's pairs);
 *   -ETIMEDOUT   no reply within the request's timeout (reply NULL);
 *   -ECONNRESET  the connection went first (reply NULL).
 */
typedef void (*ipc_reply_cb)(IpcPeer *peer, const ProtobufCMessage *reply, int error,
                             void *userdata);

/* A bit per Hype__Role, for ipc_peer_expect_roles. */
#define IPC_ROLE_BIT(role) (1u << (role))

typedef struct IpcPeerOptions {
    const IpcLink *link;         /* what the stream carries (required) */
    Hype__Role role;             /* ours, announced in Hello */
    const char *instance;        /* ours (copied, at most 63 bytes kept) */
    uint32_t request_timeout_ms; /* 0 = 5000; what ipc_peer_request's timeout 0 means */
    size_t max_output;           /* 0 = 16 MiB */
    size_t max_frame;            /* 0 = IPC_FRAME_MAX; the limit on frames we receive */
} IpcPeerOptions;

IpcPeer *ipc_peer_free(IpcPeer *peer); /* NULL-safe; returns NULL */

/* Accept the peer's Hello only from these roles (IPC_ROLE_BIT()s; 0, the default: any role);
 * another role drops the peer with -EPROTO. Call right after creation, before the loop runs:
 * -EALREADY once the Hello is in. */
int ipc_peer_expect_roles(IpcPeer *peer, uint32_t roles);

/*
 * Sending: env is an Envelope of the peer's link (else -EINVAL); its id and reply_to are
 * overwritten. Each returns -ECONNRESET once closed, -EMSGSIZE over IPC_FRAME_MAX (the peer stays
 * up), -ENOBUFS when it dropped the peer.
 */
/* One-way frame (id 0). */
int ipc_peer_send(IpcPeer *peer, ProtobufCMessage *env);
/* Request: env's body must be one of the link's requests (else -EINVAL). Assigns a fresh nonzero
 * id and arms the timeout (timeout_ms; 0: the peer's request_timeout_ms); cb runs exactly once if
 * this returns 0 (unless the owner frees the peer first), never if it returns an error. */
int ipc_peer_request(IpcPeer *peer, ProtobufCMessage *env, uint32_t timeout_ms, ipc_reply_cb cb,
                     void *userdata);
/* Reply to the request whose id is request_id (sets reply_to); at once or later, as long as the
 * peer lives. */
int ipc_peer_reply(IpcPeer *peer, uint64_t request_id, ProtobufCMessage *reply);
/* Reply with Error{code, message}. */
int ipc_peer_reply_error(IpcPeer *peer, uint64_t request_id, Hype__Error__Code code,
                         const char *message);

const IpcLink *ipc_peer_link(const IpcPeer *peer);
bool ipc_peer_is_ready(const IpcPeer *peer);            /* Hello received and not closed */
const Hype__Hello *ipc_peer_hello(const IpcPeer *peer); /* NULL before it arrived */
size_t ipc_peer_pending_requests(const IpcPeer *peer);
/* Bytes queued for the peer and not yet written (at most max_output: more drops the peer). */
size_t ipc_peer_output_pending(const IpcPeer *peer);

/*
 * ---- Driving a peer: for loop bindings and tests, never for owners ----
 *
 * A binding owns the socket and one timer. It feeds what it reads (ipc_proto_feed, or
 * ipc_proto_read_fd), writes what ipc_proto_output_peek shows and drains it (or
 * ipc_proto_write_fd), calls ipc_proto_tick when its timer fires, reports EOF and socket errors
 * with ipc_proto_close, and implements these hooks, which the core calls from inside its own
 * calls (they must not call back into the peer; any of them may be NULL):
 */
#define IPC_NO_DEADLINE UINT64_MAX

typedef struct IpcProtoBinding {
    /* The monotonic clock in milliseconds: request deadlines are now_ms() + the timeout. */
    uint64_t (*now_ms)(void *data);
    /* The output went from empty to non-empty: watch the socket for writability. */
    void (*want_write)(void *data);
    /* Arm the one timer to call ipc_proto_tick at deadline_ms (monotonic), replacing any earlier
     * arming; IPC_NO_DEADLINE disarms it. Called when a new request's deadline is the earliest
     * and from ipc_proto_tick; a timer that fires with nothing overdue is harmless. */
    void (*set_deadline)(void *data, uint64_t deadline_ms);
    /* The peer closed: stop watching the socket and the timer; the socket may be closed now. */
    void (*closed)(void *data);
    /* The peer is being freed: release everything (including what closed() would have). */
    void (*destroy)(void *data);
} IpcProtoBinding;

/*
 * Creates a peer and queues our Hello (want_write runs before this returns). binding may be NULL
 * (tests, fuzzing): the clock is then CLOCK_MONOTONIC and no hook runs. binding_data is passed to
 * every hook; destroy() is its owner's last word. -EINVAL without opts->link, -ENOMEM. ret is not
 * written on failure, and destroy() is not called either: the binding cleans up after itself.
 */
int ipc_proto_new(const IpcPeerOptions *opts, const IpcPeerCallbacks *cbs, void *userdata,
                  const IpcProtoBinding *binding, void *binding_data, IpcPeer **ret);

/*
 * Every driving call below may run owner callbacks, and so may close or free the peer. They
 * return >= 0 while the peer is open after the call, else a negative errno (-ECONNRESET): the
 * peer is closed or freed and the binding must touch neither it nor its own state again in this
 * call (closed() or destroy() has already run). Not to be called from inside a callback.
 */

/* Bytes received, in pieces of any size: handles every whole frame among them, keeps the rest. */
int ipc_proto_feed(IpcPeer *peer, const void *data, size_t n);
/* Fails every request due at or before now_ms with -ETIMEDOUT, then re-arms set_deadline. */
int ipc_proto_tick(IpcPeer *peer, uint64_t now_ms);
/* EOF (error 0) or a socket error seen by the binding: logs, fails pending, calls on_close. */
int ipc_proto_close(IpcPeer *peer, int error, const char *why);

/* The earliest request deadline (ms), or IPC_NO_DEADLINE. */
uint64_t ipc_proto_next_deadline(const IpcPeer *peer);
/* The queued output: *ret_data and its length (0 when empty or closed). Valid until the next
 * call into the peer. */
size_t ipc_proto_output_peek(const IpcPeer *peer, const uint8_t **ret_data);
/* n bytes of the queued output were written. */
void ipc_proto_output_drain(IpcPeer *peer, size_t n);

/*
 * For bindings on a non-blocking stream socket (both of ours), so that they share one read and
 * one write path and the same log lines. ipc_proto_read_fd reads once (up to 64 KiB) and feeds
 * it; EOF and socket errors close the peer (0, and -ECONNRESET "socket error: ..."). Returns as
 * the driving calls above. ipc_proto_write_fd writes queued output until the socket would block
 * (MSG_NOSIGNAL: no SIGPIPE) and returns 1 while output remains, 0 when all is written (stop
 * watching for writability), < 0 when a socket error closed the peer.
 */
int ipc_proto_read_fd(IpcPeer *peer, int fd);
int ipc_proto_write_fd(IpcPeer *peer, int fd);

/* A non-blocking, close-on-exec socket connected to a Unix path (for the bindings' connect
 * calls): the fd, or -ENAMETOOLONG, or connect's error (-ENOENT, -ECONNREFUSED, -EAGAIN...). */
int ipc_proto_connect_unix(const char *path);
