/* hype-ipc-serve: what one end of a link answers: a table of request handlers by body, and the
 * requests being served until their handler replies; on no event loop. */
#pragma once

#include <stdint.h>

#include "hype-ipc-peer.h"

/*
 * An end of a link that serves requests keeps one IpcServe for that link, whatever its loop and
 * however many peers it has (hype-ipc-server.h: the listening side on libevent; a GLib client
 * such as hype-media's link). Modules register what they serve at start; the owner's on_message
 * hands every request to ipc_serve_dispatch, and says when a peer goes (ipc_serve_peer_gone), so
 * that a reply never reaches another connection, or a later one, than the one that asked.
 * Single-threaded, like the peers.
 */
typedef struct IpcServe IpcServe;

/* One request being served: its handler ends it exactly once, at once or later, with
 * ipc_serve_reply or ipc_serve_reply_error, which free it. */
typedef struct IpcCall IpcCall;

/* request is an Envelope of the table's link (its link's header turns it back into its type),
 * borrowed for the call only. */
typedef void (*ipc_handler)(void *userdata, IpcCall *call, const ProtobufCMessage *request);

int ipc_serve_new(const IpcLink *link, IpcServe **ret);
/* Calls still unanswered outlive it: their replies are dropped. NULL-safe; returns NULL. */
IpcServe *ipc_serve_free(IpcServe *serve);

/* Registers fn for requests of body (at start): -EEXIST when taken, -EINVAL for a body that is no
 * request of the link. */
int ipc_serve_add(IpcServe *serve, uint32_t body, ipc_handler fn, void *userdata);

/* For the owner's on_message: env, a frame of peer with a nonzero id, goes to its handler.
 * Returns 0 when handed over (or answered CODE_UNAVAILABLE when out of memory), -EOPNOTSUPP
 * when nobody serves its body: return that from on_message, and the peer answers
 * Error{CODE_UNKNOWN_BODY}. */
int ipc_serve_dispatch(IpcServe *serve, IpcPeer *peer, const ProtobufCMessage *env);
/* peer is going (call it from on_close, before freeing it): replies to its calls are dropped. */
void ipc_serve_peer_gone(IpcServe *serve, IpcPeer *peer);

/* reply is an Envelope of the link whose body is the request's result. */
void ipc_serve_reply(IpcCall *call, ProtobufCMessage *reply);
void ipc_serve_reply_error(IpcCall *call, Hype__Error__Code code, const char *message);
/* The peer that asked, or NULL once it went. */
IpcPeer *ipc_serve_call_peer(const IpcCall *call);

/* Requests handed to handlers so far. */
uint64_t ipc_serve_count(const IpcServe *serve);
