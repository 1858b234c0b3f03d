/* signal-workers: hype-signal's registry of media workers (media.sock): accepts hype-media
 * processes, serves their WorkerRegister, keeps each one's port slice, capacity and last load,
 * notices those that go, places work on the least loaded, and asks a given worker. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hype-ipc-signal-media.h"

struct event_base;
typedef struct Workers Workers;

/* A live worker as it registered, and its last WorkerLoad. Borrowed: valid until the loop runs
 * again (a worker that goes is freed after its gone callbacks). */
typedef struct WorkerInfo {
    uint32_t id;  /* MEDIA_WORKER_ID: unique among live workers */
    uint32_t pid; /* from its Hello */
    uint32_t min_port, max_port;
    uint32_t max_transports;
    char announced_ip[64];
    /* Its last WorkerLoad (zeros until the first): the numbers only, no unknown fields. */
    Hype__SignalMedia__WorkerLoad load;
    uint64_t loads; /* WorkerLoads received */
} WorkerInfo;

/* path is MEDIA_SOCKET (copied); nothing listens yet. */
int workers_new(struct event_base *base, const char *path, Workers **ret);
/* Binds the Unix socket (a stale file from a previous run is replaced), mode 0660. */
int workers_listen(Workers *workers);
/* Closes every worker's link without gone callbacks (hype-signal is stopping); requests waiting
 * are dropped without theirs. NULL-safe; returns NULL. */
Workers *workers_free(Workers *workers);

/* ---- who is there ---- */

size_t workers_count(const Workers *workers); /* registered and linked */
/* The live workers in id order: for (w = workers_first(ws); w; w = workers_next(ws, w)). */
const WorkerInfo *workers_first(const Workers *workers);
const WorkerInfo *workers_next(const Workers *workers, const WorkerInfo *worker);
const WorkerInfo *workers_find(const Workers *workers, uint32_t id);

/* A worker went (its process ended or its link broke), or was never fully there: everything it
 * held is gone with it. Runs once per worker, after it stopped being pickable, in the order the
 * callbacks were added. -ENOSPC past 8 (they are added at start). */
typedef void (*workers_gone_cb)(void *userdata, const WorkerInfo *worker);
int workers_on_gone(Workers *workers, workers_gone_cb fn, void *userdata);

/* A worker's one-way notification (TransportState, Speaking; WorkerLoad is the registry's):
 * notice borrowed for the call. One callback per body: -EEXIST when taken, -EINVAL for a body
 * that is a request, a result or WorkerLoad. */
typedef void (*workers_notice_cb)(void *userdata, const WorkerInfo *worker,
                                  const Hype__SignalMedia__Envelope *notice);
int workers_on_notice(Workers *workers, Hype__SignalMedia__Envelope__BodyCase body,
                      workers_notice_cb fn, void *userdata);

/* ---- placing and asking ---- */

/* Whether a should be preferred to b for new work: fewer transports for its capacity
 * (transports / max_transports), ties to the lower id. */
bool workers_less_loaded(const WorkerInfo *a, const WorkerInfo *b);
/* The least loaded live worker with room for another transport (by its last WorkerLoad), or
 * NULL when there is none. */
const WorkerInfo *workers_pick(const Workers *workers);

/*
 * The outcome of a request, exactly once, never from inside the call that made it: result (its
 * body the request's result) or error (the worker's Error, or ours: CODE_UNAVAILABLE "media
 * worker unavailable" when no live worker has that id or it went before answering, CODE_TIMEOUT
 * after 5 s). Exactly one is non-NULL, borrowed for the call.
 */
typedef void (*workers_reply_cb)(const Hype__SignalMedia__Envelope *result,
                                 const Hype__Error *error, void *userdata);
/* request's body is one of the link's requests of hype-signal (RouterCreate...); cb may be NULL
 * (nobody waits for the answer). */
void workers_request(Workers *workers, uint32_t worker_id, Hype__SignalMedia__Envelope *request,
                     workers_reply_cb cb, void *userdata);

typedef struct WorkersStats {
    uint64_t registered; /* registrations accepted */
    uint64_t refused;    /* ... refused (a duplicate id, an overlapping port slice, bad values) */
    uint64_t gone;       /* registered workers that went */
    uint64_t requests;   /* asked of workers */
    uint64_t requests_failed; /* ... that no worker answered (absent, gone, timed out) */
} WorkersStats;
WorkersStats workers_stats(const Workers *workers);
