/* signal-gateway: what every client op goes through, whatever its transport and its feature: the
 * op registry features fill, dispatch (with what each op requires), "auth", and outcomes. */
#pragma once

#include <json-c/json.h>
#include <stddef.h>

#include "hype-ipc-error.h"
#include "signal-config.h"
#include "signal-session.h"

typedef struct Gateway Gateway;

/* The outcome of one client op. Its code becomes the number clients see (the HTTP status of the
 * same failure, hype-ipc-error.h) only where it leaves: gateway_error_json. */
typedef struct OpOutcome {
    Hype__Error__Code code; /* 0 (CODE_UNSPECIFIED): done; else why it failed */
    const char *message;    /* why it failed */
    json_object *data;      /* done: what the op produced, or NULL (borrowed) */
    json_object *extra;     /* failed: more fields for the client (channelId, nonce, details), or
                               NULL (borrowed) */
} OpOutcome;
typedef void (*op_done_cb)(Session *s, const OpOutcome *o, void *userdata);

/* Where an op's outcome goes: done with userdata (a Socket.IO ack), or, when done is NULL, a
 * failure becomes an "error" frame {code, message, ...extra} and a success says nothing. */
typedef struct OpReply {
    op_done_cb done;
    void *userdata;
} OpReply;

/* What a session must be for an op to run; a session that is not gets CODE_UNAUTHENTICATED. */
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
 * One client op, whatever the transport: an unknown type is refused with CODE_BAD_REQUEST, an op
 * the session is not ready for with CODE_UNAUTHENTICATED. The outcome goes to reply once it is
 * known: at once, or when hype-api has answered (s may then be closed: look at s->conn).
 */
void gateway_handle(Gateway *gw, Session *s, const char *type, json_object *data, OpReply reply);

/* Ends an op with o (exactly once per op). */
void gateway_finish(Session *s, OpReply reply, const OpOutcome *o);
void gateway_fail(Session *s, OpReply reply, Hype__Error__Code code, const char *message,
                  json_object *extra);
/* The same for a negative errno met inside (-ENOMEM...): its code (ipc_error_from_errno). */
void gateway_fail_errno(Session *s, OpReply reply, int error, const char *message);
void gateway_succeed(Session *s, OpReply reply, json_object *data);
/* A failed outcome as clients see it: {...extra, "code", "message"} (a new object), code the
 * number of o->code (ipc_error_http_status): the one place hype-signal's ops meet it. */
json_object *gateway_error_json(const OpOutcome *o);

/*
 * An op about to wait for hype-api counts against the session's WS_PENDING_OPS, so that a client
 * that floods requests is refused (CODE_TOO_MANY) instead of queuing without bound on
 * signal.sock: false when it was refused (the op is over). Each op that started waiting ends
 * with gateway_op_end.
 */
bool gateway_op_begin(Gateway *gw, Session *s, OpReply reply);
void gateway_op_end(Session *s, OpReply reply, const OpOutcome *o);
/* Ends a waiting op with a relayed API call's answer (code: its status as a code; root: its
 * parsed body, or NULL): its "data" on success, else code, its "error" (or what) and extra (an
 * object, borrowed) with its "details" added. */
void gateway_op_end_api(Session *s, OpReply reply, Hype__Error__Code code, json_object *root,
                        const char *what, json_object *extra);
