/* media-link: hype-media's link to hype-signal (media.sock) on the GLib loop: connects and
 * reconnects, registers the worker, serves what hype-signal asks (a table modules fill), reports
 * the worker's load, and tells the modules when hype-signal is gone. */
#pragma once

#include <glib.h>
#include <stddef.h>

#include "hype-ipc-serve.h"
#include "hype-ipc-signal-media.h"
#include "media-config.h"

typedef struct MediaLink MediaLink;

typedef enum MediaLinkState {
    MEDIA_LINK_WAITING,    /* no registered link: hype-signal absent, gone, or refusing us */
    MEDIA_LINK_REGISTERED, /* linked and registered: hype-signal may place work here */
    MEDIA_LINK_STOPPED,    /* media_link_stop: for good */
} MediaLinkState;

/*
 * The worker holds one link at a time, to the hype-signal listening on cfg->media_socket. While it
 * is absent (not started yet, restarting) the link tries again after 100 ms, then twice as long
 * each time up to 2 s, for as long as it takes; the same after hype-signal goes or refuses the
 * registration (a live worker already has this id, or overlapping ports): the refused worker
 * keeps trying every 2 s, and registers as soon as the other is gone. Once registered it sends
 * WorkerLoad at once and every 2 s.
 *
 * on_state (may be NULL) hears every change of state, with a one-line detail for humans. cfg is
 * borrowed for the link's life. Single-threaded: everything runs on ctx's thread.
 */
typedef void (*media_link_state_cb)(void *userdata, MediaLinkState state, const char *detail);
int media_link_new(GMainContext *ctx, const MediaConfig *cfg, media_link_state_cb on_state,
                   void *userdata, MediaLink **ret);
/* Closes the link (no drop hooks: the worker is going). NULL-safe; returns NULL. */
MediaLink *media_link_free(MediaLink *link);

/* Connects now (and from then on whenever there is no link). */
void media_link_start(MediaLink *link);
/* For good: no more connecting; when registered, the drop hooks run (what the worker holds
 * closes, and what that tells hype-signal is queued), and later requests are refused
 * (CODE_UNAVAILABLE). The link stays open until freed, so that the queue can drain. */
void media_link_stop(MediaLink *link);
MediaLinkState media_link_state(const MediaLink *link);
/* Bytes queued for hype-signal and not yet written. */
size_t media_link_output_pending(const MediaLink *link);

/* ---- for the modules (routers, transports...), at start ---- */

/* Serve hype-signal's requests of body (RouterCreate...): fn ends each call with ipc_serve_reply
 * (an Envelope of the link whose body is the result) or ipc_serve_reply_error. A reply to a link
 * that went meanwhile is dropped. -EEXIST when taken, -EINVAL for a body that is no request. */
int media_link_serve(MediaLink *link, Hype__SignalMedia__Envelope__BodyCase body, ipc_handler fn,
                     void *userdata);

/* Everything the worker holds for hype-signal (routers, transports...) must close: hype-signal
 * is gone (the link is down already: nothing can be told), or the worker stops (the link is
 * still up: what the hooks send goes before it closes). In the order added; -ENOSPC past 8. */
typedef void (*media_link_drop_cb)(void *userdata);
int media_link_on_drop(MediaLink *link, media_link_drop_cb fn, void *userdata);

/* Add this module's counters to the WorkerLoad being sent (zeroed before the first hook).
 * -ENOSPC past 8. */
typedef void (*media_link_load_cb)(void *userdata, Hype__SignalMedia__WorkerLoad *load);
int media_link_on_load(MediaLink *link, media_link_load_cb fn, void *userdata);

/* Tells hype-signal (one-way: TransportState, Speaking). -ENOTCONN unless registered; else as
 * ipc_peer_send. */
int media_link_send(MediaLink *link, Hype__SignalMedia__Envelope *notice);
