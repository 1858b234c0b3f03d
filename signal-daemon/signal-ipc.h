/* signal-ipc: hype-signal's end of signal.sock: accepts hype-api, receives its events, and
 * relays API calls for clients to it. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "hype.pb-c.h"

struct event_base;
typedef struct SignalIpc SignalIpc;

typedef void (*ipc_event_cb)(const Hype__Event *ev, void *userdata);
/* status and body of the HTTP answer; 503 with a JSON error when hype-api is not connected or
 * did not answer in time. body is borrowed for the call. */
typedef void (*api_result_cb)(int status, const char *body, void *userdata);

/* on_api_ready (may be NULL) runs each time a hype-api connection says Hello. */
int signal_ipc_new(struct event_base *base, const char *path, ipc_event_cb on_event,
                   void (*on_api_ready)(void *userdata), void *userdata, SignalIpc **ret);
/* Binds the Unix socket (a stale file from a previous run is replaced), mode 0660. */
int signal_ipc_listen(SignalIpc *ipc);
SignalIpc *signal_ipc_free(SignalIpc *ipc);

bool signal_ipc_api_connected(const SignalIpc *ipc);
/*
 * Asks hype-api to serve method target with body, authorized as authorization ("Bearer ..."), for
 * the client at client_address. cb runs exactly once, never before this returns.
 */
void signal_ipc_api_call(SignalIpc *ipc, const char *method, const char *target,
                         const char *authorization, const char *body, const char *client_address,
                         api_result_cb cb, void *userdata);

typedef struct SignalIpcStats {
    uint64_t events, calls, calls_failed;
} SignalIpcStats;
SignalIpcStats signal_ipc_stats(const SignalIpc *ipc);
