/* hype-ipc-glib: an IPC peer on a GLib main context: moves bytes between its socket and the
 * loop-free peer protocol (hype-ipc-peer.h) and arms its timer. */
#pragma once

#include <glib.h>

#include "hype-ipc-peer.h"

/*
 * The GLib twin of hype-ipc-event.h, for processes whose loop is a GMainContext (hype-media:
 * libnice needs one). Only the constructors differ: the peer is the same IpcPeer, driven by the
 * same ipc_peer_* calls with the same contract (hype-ipc-peer.h), so code written against an
 * IpcPeer works on either loop.
 *
 * Not part of libhype-common.a: the Makefile builds it into its own archive, linked only by what
 * runs GLib, so the libevent daemons never load GLib.
 *
 * The peer is one GSource on ctx (NULL: the global default context) watching the socket, whose
 * ready time is the earliest request deadline. Single-threaded: create, use and free the peer on
 * the thread that iterates ctx; all callbacks run there, at G_PRIORITY_DEFAULT.
 */

/* Takes ownership of fd (made non-blocking, close-on-exec; closed on failure). */
int ipc_gpeer_new(GMainContext *ctx, int fd, const IpcPeerOptions *opts,
                  const IpcPeerCallbacks *cbs, void *userdata, IpcPeer **ret);

/* Connects to a Unix socket path and wraps it; -ENOENT, -ECONNREFUSED, -EAGAIN are returned
 * here, as by ipc_peer_connect_unix. */
int ipc_gpeer_connect_unix(GMainContext *ctx, const char *path, const IpcPeerOptions *opts,
                           const IpcPeerCallbacks *cbs, void *userdata, IpcPeer **ret);
