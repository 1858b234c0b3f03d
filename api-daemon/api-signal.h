/* api-signal: hype-api's end of the api-signal link (signal.sock): connects to hype-signal and
 * keeps reconnecting, serves what hype-signal asks, asks hype-signal, and carries events. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "api-db.h"
#include "hype-arena.h"
#include "hype-ipc-api-signal.h"

typedef struct Api Api;
typedef struct ApiSignal ApiSignal;

/*
 * The link connects to socket_path ("off": never) and reconnects with a growing delay (100 ms
 * up to 2 s) whenever hype-signal is absent or goes away; the API works either way. The
 * handlers of every module (ApiModule.signal_handlers) are gathered here: -EEXIST when two
 * serve one body.
 */
int api_signal_new(Api *api, const char *socket_path, ApiSignal **ret);
void api_signal_start(ApiSignal *link);
/* Requests to hype-signal still unanswered are dropped without their callbacks (hype-api is
 * stopping). */
ApiSignal *api_signal_free(ApiSignal *link);

bool api_signal_linked(const ApiSignal *link); /* hype-signal connected and said Hello */

typedef struct ApiSignalStats {
    uint64_t connected; /* 1 while linked */
    uint64_t calls;     /* client actions hype-signal relayed (ApiCall) */
    uint64_t served;    /* hype-signal's other requests */
} ApiSignalStats;
ApiSignalStats api_signal_stats(const ApiSignal *link);

/* ---- serving hype-signal ---- */

/*
 * One request of hype-signal being served. Its handler (or what it starts: a query, another
 * request) ends it exactly once with api_signal_reply or api_signal_reply_error, at once or
 * later; that frees the call and its arena. A reply to a hype-signal that went away meanwhile
 * is dropped. request is borrowed for the handler's call only: copy what is needed later.
 */
typedef struct ApiSignalCall ApiSignalCall;
typedef void (*api_signal_handler)(Api *api, ApiSignalCall *call,
                                   const Hype__ApiSignal__Envelope *request);

/* What a module serves (ApiModule.signal_handlers): the request body it answers. */
typedef struct ApiSignalHandler {
    Hype__ApiSignal__Envelope__BodyCase body;
    api_signal_handler handler;
} ApiSignalHandler;

/* An arena that lives until the reply, for what the handler keeps meanwhile. */
Arena *api_signal_call_arena(ApiSignalCall *call);
/* The Api, for a database callback that has only the call. */
Api *api_signal_call_api(const ApiSignalCall *call);
/* reply's body must be the request's result (the link's pairs). */
void api_signal_reply(ApiSignalCall *call, Hype__ApiSignal__Envelope *reply);
void api_signal_reply_error(ApiSignalCall *call, Hype__Error__Code code, const char *message);
/* When res failed, logs it (context names the step), answers CODE_INTERNAL (a database error) or
 * CODE_UNAVAILABLE (saturated or unreachable) and returns true. */
bool api_signal_reply_db_failed(ApiSignalCall *call, const DbResult *res, const char *context);
/* db_query() for a call: when the query cannot even be queued, answers for it (as above) and cb
 * never runs. */
void api_signal_db_query(ApiSignalCall *call, const DbStatement *stmt, const char *const *params,
                         db_callback cb, void *userdata, const char *what);

/* ---- asking hype-signal ---- */

/*
 * The outcome of a request to hype-signal, exactly once, never from inside api_signal_request
 * (unless out of memory): result (its body the request's result) or error (hype-signal's Error,
 * or ours, ipc_ask's: CODE_UNAVAILABLE "hype-signal is not linked" when it is not or the link
 * went, CODE_TIMEOUT when it did not answer in time). Exactly one is non-NULL, borrowed for the
 * call.
 * An error becomes what a REST client sees with ipc_error_http_status (hype-ipc-error.h).
 */
typedef void (*api_signal_reply_cb)(const Hype__ApiSignal__Envelope *result,
                                    const Hype__Error *error, void *userdata);
/* request's body must be one of the link's requests of hype-api (UserSessions...); timeout_ms 0:
 * 5 s. */
void api_signal_request(Api *api, Hype__ApiSignal__Envelope *request, uint32_t timeout_ms,
                        api_signal_reply_cb cb, void *userdata);

/* ---- events (api-events.c publishes them) ---- */

/* One-way: 0 once queued for hype-signal, -ENOTCONN when it is not linked, or the peer's error
 * (-ENOBUFS: it does not read, and the link was dropped). */
int api_signal_send_event(ApiSignal *link, Hype__ApiSignal__Event *ev);
