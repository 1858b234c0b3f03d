/* signal-ipc: hype-signal's end of the api-signal link (signal.sock): accepts hype-api, receives
 * its events, asks it (typed requests, and client actions relayed as REST calls), and answers
 * what it asks (a table features fill). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "hype-ipc-api-signal.h"

struct event_base;
typedef struct SignalIpc SignalIpc;

typedef void (*ipc_event_cb)(const Hype__ApiSignal__Event *ev, void *userdata);

/* on_api_ready (may be NULL) runs each time a hype-api connection says Hello. */
int signal_ipc_new(struct event_base *base, const char *path, ipc_event_cb on_event,
                   void (*on_api_ready)(void *userdata), void *userdata, SignalIpc **ret);
/* Binds the Unix socket (a stale file from a previous run is replaced), mode 0660. */
int signal_ipc_listen(SignalIpc *ipc);
/* Requests to hype-api still unanswered are dropped without their callbacks (hype-signal is
 * stopping). */
SignalIpc *signal_ipc_free(SignalIpc *ipc);

bool signal_ipc_api_connected(const SignalIpc *ipc);

/* ---- asking hype-api ---- */

/*
 * The outcome of a request, exactly once, never from inside the call that made it: result (its
 * body the request's result) or error (hype-api's Error, or ours: CODE_UNAVAILABLE "API
 * temporarily unavailable" when hype-api is not connected, has too much unsent, or the link
 * went; CODE_TIMEOUT when it did not answer within 5 s). Exactly one is non-NULL, borrowed for
 * the call.
 */
typedef void (*signal_ipc_reply_cb)(const Hype__ApiSignal__Envelope *result,
                                    const Hype__Error *error, void *userdata);
/* request's body is one of the link's requests of hype-signal (GatewaySession...); cb may be
 * NULL (nobody waits for the answer). */
void signal_ipc_request(SignalIpc *ipc, Hype__ApiSignal__Envelope *request, signal_ipc_reply_cb cb,
                        void *userdata);

/*
 * A client action that is the REST API itself, relayed as the HTTP request it is (ApiCall):
 * method target with body, authorized as authorization ("Bearer ..."), for the client at
 * client_address. cb gets the answer's Error.Code (its HTTP status mapped at this boundary,
 * hype-ipc-error.h: CODE_UNSPECIFIED for 2xx) and JSON body (borrowed); when hype-api could not
 * be asked, CODE_UNAVAILABLE or CODE_TIMEOUT and a JSON error body. Exactly once, never before
 * this returns.
 */
typedef void (*api_result_cb)(Hype__Error__Code code, const char *body, void *userdata);
void signal_ipc_api_call(SignalIpc *ipc, const char *method, const char *target,
                         const char *authorization, const char *body, const char *client_address,
                         api_result_cb cb, void *userdata);

/* ---- answering hype-api ---- */

/*
 * One request of hype-api being served: its handler ends it exactly once with signal_ipc_reply
 * or signal_ipc_reply_error, at once or later, which frees it. A reply to a hype-api that went
 * away meanwhile is dropped. request is borrowed for the handler's call only. (It is the IpcCall
 * of hype-ipc-serve.h: signal.sock is served by the same code as every other listening link.)
 */
typedef struct IpcCall SignalIpcCall;
typedef void (*signal_ipc_handler)(void *userdata, SignalIpcCall *call,
                                   const Hype__ApiSignal__Envelope *request);
/* Registers fn for requests of body (one of the link's requests; at start): -EEXIST when taken,
 * -EINVAL for a body that is no request. Bodies nobody serves get Error{CODE_UNKNOWN_BODY}. */
int signal_ipc_serve(SignalIpc *ipc, Hype__ApiSignal__Envelope__BodyCase body,
                     signal_ipc_handler fn, void *userdata);
/* reply's body must be the request's result. */
void signal_ipc_reply(SignalIpcCall *call, Hype__ApiSignal__Envelope *reply);
void signal_ipc_reply_error(SignalIpcCall *call, Hype__Error__Code code, const char *message);

typedef struct SignalIpcStats {
    uint64_t events;       /* received from hype-api */
    uint64_t calls;        /* requests to hype-api, typed and relayed */
    uint64_t calls_failed; /* ... that it did not answer (absent, busy, timed out) */
    uint64_t served;       /* requests of hype-api answered */
} SignalIpcStats;
SignalIpcStats signal_ipc_stats(const SignalIpc *ipc);
