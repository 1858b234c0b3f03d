/* signal-gateway: what clients ask of a session (auth, channel subscriptions, typing, messages,
 * voice states, the mesh relay), and the raw protocol's transport at / and /ws. */
#pragma once

#include <json-c/json.h>
#include <stdint.h>

#include "signal-session.h"

/* Upgrades req to the raw protocol: seed 000's {"type","data","timestamp"} frames (plus "seq"
 * on numbered events). ?token= authenticates at once; else an "auth" frame must come first. */
void gateway_accept_raw(Signal *sig, HttpRequest *req);
/* Registers the gateway's session end hooks (leaving channels and mesh rooms). */
int gateway_init(Signal *sig);

/* The outcome of one client op. */
typedef struct OpOutcome {
    int code;            /* 0: done; else an HTTP-style status (400, 401, 403, 404, 429, 503...) */
    const char *message; /* why it failed */
    json_object *data;   /* done: what the op produced, or NULL (borrowed) */
    json_object *extra;  /* failed: more fields for the client (channelId, nonce, details), or
                            NULL (borrowed) */
} OpOutcome;
typedef void (*op_done_cb)(Session *s, const OpOutcome *o, void *userdata);

/* A failed outcome as clients see it: {...extra, "code", "message"} (a new object). */
json_object *gateway_error_json(const OpOutcome *o);

/*
 * One client op, whatever the transport. done (NULL: none) runs exactly once with the outcome,
 * once it is known: at once, or when hype-api has answered (s may then be closed: look at
 * s->conn). Without done, a failure is sent as an "error" frame {code, message, ...extra}.
 */
void gateway_handle(Session *s, const char *type, json_object *data, op_done_cb done,
                    void *userdata);
/* Permissions changed in a server: every live subscription to its channels is checked again;
 * sessions that lost a channel are unsubscribed and told ("channel_access_revoked"). */
void gateway_recheck_server(Signal *sig, uint64_t server_id);
