/* signal-gateway: what every client op goes through, whatever its transport and its feature: the
 * op registry features fill, dispatch (with what each op requires), "auth", and outcomes. */
#pragma once

#include <json-c/json.h>
#include <stddef.h>

#include "signal-config.h"
#include "signal-session.h"

typedef struct Gateway Gateway;

/* The outcome of one client op. */
typedef struct OpOutcome {
    int code;            /* 0: done; else an HTTP-style status (400, 401, 403, 404, 429, 503...) */
    const char *message; /* why it failed */
    json_object *data;   /* done: what the op produced, or NULL (borrowed) */
    json_object *extra;  /* failed: more fields for the client (channelId, nonce, details), or
                            NULL (borrowed) */
} OpOutcome;
typedef void (*op_done_cb)(Session *s, const OpOutcome *o, void *userdata);

/* Where an op's outcome goes: done with userdata (a Socket.IO ack), or, when done is NULL, a
 * failure becomes an "error" frame {code, message, ...extra} and a success says nothing. */
typedef struct OpReply {
    op_done_cb done;
    void *userdata;
} OpReply;

/* What a session must be for an op to run; a session that is not gets 401. */
typedef enum OpRequires {
    OP_REQUIRES_READY,   /* authenticated (every feature's ops) */
    OP_REQUIRES_NOTHING, /* any session, also one still authenticating ("auth" itself) */
} OpRequires;

/* Handles one op of a feature: must end it exactly once (gateway_finish, gateway_fail,
 * gateway_succeed, gateway_op_end...), at once or later. data is borrowed for the call. */
typedef void (*op_handler)(void *feature, Session *s, json_object *data, OpReply reply);

typedef struct GatewayOp {
    const char *type; /* what clients send: the raw protocol's "type", a Socket.IO event name */
    op_handler handler;
    OpRequires requires;
} GatewayOp;

/* Registers "auth"; cfg is borrowed (WS_PENDING_OPS). */
int gateway_new(const SignalConfig *cfg, Gateway **ret);
Gateway *gateway_free(Gateway *gw);
/* Registers a feature's ops (ops is kept by reference: a static table); feature goes to each
 * handler. -EEXIST when a type is taken already. */
int gateway_register(Gateway *gw, const GatewayOp *ops, size_t n, void *feature);

/*
 * One client op, whatever the transport: an unknown type is refused with 400, an op the session
 * is not ready for with 401. The outcome goes to reply once it is known: at once, or when
 * hype-api has answered (s may then be closed: look at s->conn).
 */
void gateway_handle(Gateway *gw, Session *s, const char *type, json_object *data, OpReply reply);

/* Ends an op with o (exactly once per op). */
void gateway_finish(Session *s, OpReply reply, const OpOutcome *o);
void gateway_fail(Session *s, OpReply reply, int code, const char *message, json_object *extra);
void gateway_succeed(Session *s, OpReply reply, json_object *data);
/* A failed outcome as clients see it: {...extra, "code", "message"} (a new object). */
json_object *gateway_error_json(const OpOutcome *o);

/*
 * An op about to wait for hype-api counts against the session's WS_PENDING_OPS, so that a client
 * that floods requests is refused (429) instead of queuing without bound on signal.sock: false
 * when it was refused (the op is over). Each op that started waiting ends with gateway_op_end.
 */
bool gateway_op_begin(Gateway *gw, Session *s, OpReply reply);
void gateway_op_end(Session *s, OpReply reply, const OpOutcome *o);
/* Ends a waiting op with a relayed API call's answer (root: its parsed body, or NULL): its
 * "data" on 2xx, else its status, its "error" (or what) and extra (an object, borrowed) with its
 * "details" added. */
void gateway_op_end_api(Session *s, OpReply reply, int status, json_object *root, const char *what,
                        json_object *extra);
