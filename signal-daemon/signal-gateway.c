/* signal-gateway: what every client op goes through, whatever its transport and its feature: the
 * op registry features fill, dispatch (with what each op requires), "auth", and outcomes. */
#include "signal-gateway.h"

#include <errno.h>
#include <stdlib.h>

#include "hype-json.h"
#include "hype-macro.h"
#include "hype-strmap.h"

struct Gateway {
    const SignalConfig *cfg;
    StrMap *ops; /* type -> Registered */
};

typedef struct Registered {
    const GatewayOp *op;
    void *feature;
} Registered;

/* ---- outcomes ---- */

json_object *gateway_error_json(const OpOutcome *o) {
    json_object *d = json_object_new_object();
    if (o->extra) {
        json_object_object_foreach(o->extra, k, v) json_object_object_add(d, k, json_object_get(v));
    }
    json_object_object_add(d, "code", json_object_new_int(ipc_error_http_status(o->code)));
    json_object_object_add(d, "message", json_object_new_string(o->message));
    return d;
}

/* Every op ends here, exactly once: the caller's done (a Socket.IO ack) hears the outcome, or,
 * without one, a failure becomes an "error" frame. */
void gateway_finish(Session *s, OpReply reply, const OpOutcome *o) {
    if (reply.done) {
        reply.done(s, o, reply.userdata);
    } else if (o->code) {
        json_object *d = gateway_error_json(o);
        session_send_now(s, "error", json_serialize(d, NULL));
        json_object_put(d);
    }
}

void gateway_fail(Session *s, OpReply reply, Hype__Error__Code code, const char *message,
                  json_object *extra) {
    gateway_finish(s, reply, &(OpOutcome){.code = code, .message = message, .extra = extra});
}

void gateway_fail_errno(Session *s, OpReply reply, int error, const char *message) {
    gateway_fail(s, reply, ipc_error_from_errno(error), message, NULL);
}

void gateway_succeed(Session *s, OpReply reply, json_object *data) {
    gateway_finish(s, reply, &(OpOutcome){.data = data});
}

bool gateway_op_begin(Gateway *gw, Session *s, OpReply reply) {
    if (s->pending_ops >= (unsigned)gw->cfg->pending_ops) {
        gateway_fail(s, reply, HYPE__ERROR__CODE__CODE_TOO_MANY,
                     "Too many requests waiting for an answer: wait for them", NULL);
        return false;
    }
    s->pending_ops++;
    return true;
}

void gateway_op_end(Session *s, OpReply reply, const OpOutcome *o) {
    s->pending_ops--;
    gateway_finish(s, reply, o);
}

void gateway_op_end_api(Session *s, OpReply reply, Hype__Error__Code code, json_object *root,
                        const char *what, json_object *extra) {
    OpOutcome o = {.data = json_get(root, "data")};
    if (code) {
        const char *e = json_object_get_string(json_get(root, "error"));
        o = (OpOutcome){.code = code, .message = e ? e : what, .extra = extra};
        if (json_get(root, "details"))
            json_object_object_add(extra, "details", json_object_get(json_get(root, "details")));
    }
    gateway_op_end(s, reply, &o);
}

/* ---- the registry and dispatch ---- */

int gateway_register(Gateway *gw, const GatewayOp *ops, size_t n, void *feature) {
    for (size_t i = 0; i < n; i++) {
        if (strmap_get(gw->ops, ops[i].type))
            return -EEXIST;
        Registered *r = malloc(sizeof(*r));
        if (!r)
            return -ENOMEM;
        *r = (Registered){&ops[i], feature};
        if (strmap_put(gw->ops, ops[i].type, r) < 0) {
            free(r);
            return -ENOMEM;
        }
    }
    return 0;
}

void gateway_handle(Gateway *gw, Session *s, const char *type, json_object *data, OpReply reply) {
    const Registered *r = strmap_get(gw->ops, type);
    /* Until it is ready a session learns nothing, not even which ops exist. */
    if ((!r || r->op->requires == OP_REQUIRES_READY) && s->state != SESSION_READY) {
        gateway_fail(s, reply, HYPE__ERROR__CODE__CODE_UNAUTHENTICATED,
                     "Not authenticated yet: send auth first", NULL);
        return;
    }
    if (!r) {
        json_object *extra = json_object_new_object();
        json_object_object_add(extra, "type", json_object_new_string(type));
        gateway_fail(s, reply, HYPE__ERROR__CODE__CODE_BAD_REQUEST, "Unknown event type", extra);
        json_object_put(extra);
        return;
    }
    r->op->handler(r->feature, s, data, reply);
}

/* ---- auth ---- */

static void op_auth(void *feature, Session *s, json_object *data, OpReply reply) {
    const char *token = json_object_get_string(json_get(data, "token"));
    const char *resume = json_object_get_string(json_get(data, "sessionId"));
    json_object *seq = json_get(data, "seq");
    const char *error = NULL;
    Hype__Error__Code code = session_authenticate(
        s, token, resume, seq ? (uint64_t)json_object_get_int64(seq) : 0, &error);
    if (code)
        gateway_fail(s, reply, code, error, NULL);
    else
        gateway_succeed(s, reply, NULL); /* what follows is "ready", or a 4001 close */
}

static const GatewayOp auth_ops[] = {
    {"auth", op_auth, OP_REQUIRES_NOTHING},
};

static void free_registered(const char *key, void *value, void *userdata) {
    free(value);
}

Gateway *gateway_free(Gateway *gw) {
    if (!gw)
        return NULL;
    if (gw->ops) {
        strmap_foreach(gw->ops, free_registered, NULL);
        strmap_free(gw->ops);
    }
    free(gw);
    return NULL;
}

int gateway_new(const SignalConfig *cfg, Gateway **ret) {
    Gateway *gw = calloc(1, sizeof(*gw));
    if (!gw)
        return -ENOMEM;
    gw->cfg = cfg;
    int r = strmap_new(&gw->ops);
    if (r == 0)
        r = gateway_register(gw, auth_ops, ELEMENTSOF(auth_ops), NULL);
    if (r < 0) {
        gateway_free(gw);
        return r;
    }
    *ret = gw;
    return 0;
}
