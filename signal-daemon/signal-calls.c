/* signal-calls: seed 004's 1:1 calls while they live: ringing the callee's sessions, answering,
 * relaying offers, answers and candidates between the two participants only, the ring timeout,
 * and ending a call whose participant went away. hype-api records every change (CallUpdate). */
#include "signal-calls.h"

#include <errno.h>
#include <event2/event.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hype-id.h"
#include "hype-json.h"
#include "hype-log.h"
#include "hype-macro.h"
#include "hype-strmap.h"
#include "hype-time.h"

#define RETRY_MS 1000 /* a change hype-api could not record (absent, busy) is asked again */

typedef enum Side { SIDE_CALLER, SIDE_CALLEE } Side;

typedef Hype__ApiSignal__CallUpdate__Action Action;
#define ACTION(x) HYPE__API_SIGNAL__CALL_UPDATE__ACTION__ACTION_##x
#define STATE(x) HYPE__API_SIGNAL__CALL__STATE__STATE_##x

typedef struct LiveCall {
    Calls *calls;
    uint64_t id;
    uint64_t user[2]; /* by Side */
    Hype__ApiSignal__Call__State state;
    char *incoming; /* call:incoming's data, for callee sessions that start while it rings */
    /* The session holding each side (by Side; "" while none does): the callee's that accepted,
     * the caller's that relayed first. Relays to a side go there only. */
    char holder[2][SESSION_ID_LEN + 1];
    bool answering;      /* an accept or reject is with hype-api */
    Action retry;        /* what the timer asks again (0: the timer is the ring timeout) */
    uint64_t retry_user; /* ... for whom */
    struct event *timer;
} LiveCall;

struct Calls {
    struct event_base *base;
    const SignalConfig *cfg;
    SessionRegistry *sessions;
    Gateway *gw;
    SignalIpc *ipc;
    StrMap *by_id;   /* call id -> LiveCall */
    StrMap *by_user; /* each participant's user id -> its LiveCall */
};

/* ---- the live table ---- */

static LiveCall *find(const Calls *c, uint64_t call_id) {
    char key[ID_STRING_MAX];
    return strmap_get(c->by_id, id_to_string(call_id, key));
}

static LiveCall *find_by_user(const Calls *c, uint64_t user_id) {
    char key[ID_STRING_MAX];
    return strmap_get(c->by_user, id_to_string(user_id, key));
}

static void live_free(LiveCall *lc) {
    if (lc->timer)
        event_free(lc->timer);
    free(lc->incoming);
    free(lc);
}

/* Forgets lc (hype-api says it is over, or never knew it). */
static void live_drop(Calls *c, LiveCall *lc) {
    char key[ID_STRING_MAX];
    strmap_remove(c->by_id, id_to_string(lc->id, key));
    for (int side = 0; side < 2; side++)
        if (find_by_user(c, lc->user[side]) == lc)
            strmap_remove(c->by_user, id_to_string(lc->user[side], key));
    live_free(lc);
}

static void on_timer(evutil_socket_t fd, short what, void *userdata);

/* 0, -EEXIST when the call is known already, or -ENOMEM. A participant's entry left from a call
 * whose end never reached us is replaced: hype-api just let the user into a new call. */
static int live_add(Calls *c, const Hype__ApiSignal__Call *call, const char *incoming,
                    LiveCall **ret) {
    if (find(c, call->call_id))
        return -EEXIST;
    LiveCall *lc = calloc(1, sizeof(*lc));
    if (!lc)
        return -ENOMEM;
    *lc = (LiveCall){.calls = c,
                     .id = call->call_id,
                     .user = {call->caller_id, call->callee_id},
                     .state = STATE(RINGING),
                     .incoming = strdup(incoming ? incoming : "{}")};
    lc->timer = evtimer_new(c->base, on_timer, lc);
    char key[ID_STRING_MAX];
    if (!lc->incoming || !lc->timer || strmap_put(c->by_id, id_to_string(lc->id, key), lc) < 0) {
        live_free(lc);
        return -ENOMEM;
    }
    for (int side = 0; side < 2; side++) {
        LiveCall *stale = find_by_user(c, lc->user[side]);
        if (stale)
            live_drop(c, stale);
        if (strmap_put(c->by_user, id_to_string(lc->user[side], key), lc) < 0) {
            live_drop(c, lc);
            return -ENOMEM;
        }
    }
    *ret = lc;
    return 0;
}

static Side side_of(const LiveCall *lc, uint64_t user_id) {
    return lc->user[SIDE_CALLER] == user_id ? SIDE_CALLER : SIDE_CALLEE;
}

/* ---- sending ---- */

/* Sends type with data to user_id's sessions (all but skip), or only to its session holding
 * the call's side when there is one. Returns the number of recipients. */
static size_t send_side(LiveCall *lc, Side side, const char *type, json_object *data,
                        const Session *skip) {
    Calls *c = lc->calls;
    OutEvent *ev = out_event_new(type, json_serialize(data, NULL));
    if (!ev)
        return 0;
    size_t sent = 0;
    if (lc->holder[side][0]) {
        size_t n;
        Sub *const *subs = sessions_of_user(c->sessions, lc->user[side], &n);
        for (size_t i = 0; i < n; i++) {
            Session *s = subs[i]->owner;
            if (s != skip && strcmp(s->id, lc->holder[side]) == 0 &&
                (s->state == SESSION_READY || s->state == SESSION_DETACHED)) {
                session_send(s, ev);
                sent++;
                break;
            }
        }
    } else {
        char key[BUS_KEY_MAX];
        sent = sessions_publish_one(c->sessions, bus_key(key, sizeof(key), 'u', lc->user[side]), ev,
                                    skip);
    }
    out_event_unref(ev);
    return sent;
}

/* {callId, <field>: <user id>} */
static json_object *call_about(const LiveCall *lc, const char *field, uint64_t user_id) {
    json_object *d = json_object_new_object();
    char id[ID_STRING_MAX];
    json_object_object_add(d, "callId", json_object_new_string(id_to_string(lc->id, id)));
    if (field)
        json_object_object_add(d, field, json_object_new_string(id_to_string(user_id, id)));
    return d;
}

/* ---- asking hype-api ---- */

static void fill_update(Hype__ApiSignal__CallUpdate *q, Hype__ApiSignal__Envelope *env,
                        uint64_t call_id, uint64_t user_id, Action action) {
    q->call_id = call_id;
    q->user_id = user_id;
    q->action = action;
    env->body_case = HYPE__API_SIGNAL__ENVELOPE__BODY_CALL_UPDATE;
    env->call_update = q;
}

typedef struct SystemUpdate {
    Calls *calls;
    uint64_t call_id, user_id;
    Action action;
} SystemUpdate;

static void system_update(Calls *c, uint64_t call_id, uint64_t user_id, Action action);

/* An end hype-signal asked for itself. Done: call:ended follows from hype-api. Refused: the call
 * is over or answered meanwhile (the reply or event about that is ours already). Not asked: again
 * in a while, so that a call is never left open in the database for want of a link. */
static void on_system_update(const Hype__ApiSignal__Envelope *result, const Hype__Error *error,
                             void *userdata) {
    SystemUpdate *u = userdata;
    LiveCall *lc = find(u->calls, u->call_id);
    if (error && lc) {
        if (error->code == HYPE__ERROR__CODE__CODE_UNAVAILABLE ||
            error->code == HYPE__ERROR__CODE__CODE_TIMEOUT) {
            log_warning("call %" PRIu64 ": cannot record its end now (%s), retrying", u->call_id,
                        error->message);
            lc->retry = u->action;
            lc->retry_user = u->user_id;
            timer_arm_ms(lc->timer, RETRY_MS);
        } else if (error->code == HYPE__ERROR__CODE__CODE_NOT_FOUND)
            live_drop(u->calls, lc);
    }
    free(u);
}

static void system_update(Calls *c, uint64_t call_id, uint64_t user_id, Action action) {
    SystemUpdate *u = malloc(sizeof(*u));
    if (!u) {
        log_error("call %" PRIu64 ": out of memory recording its end", call_id);
        return;
    }
    *u = (SystemUpdate){c, call_id, user_id, action};
    Hype__ApiSignal__CallUpdate q = HYPE__API_SIGNAL__CALL_UPDATE__INIT;
    Hype__ApiSignal__Envelope env = HYPE__API_SIGNAL__ENVELOPE__INIT;
    fill_update(&q, &env, call_id, user_id, action);
    signal_ipc_request(c->ipc, &env, on_system_update, u);
}

/* Nobody answered in CALL_RING_TIMEOUT (or a change is to be asked again). */
static void on_timer(evutil_socket_t fd, short what, void *userdata) {
    LiveCall *lc = userdata;
    if (lc->retry)
        system_update(lc->calls, lc->id, lc->retry_user, lc->retry);
    else if (lc->answering) /* the callee's answer is with hype-api: it decides, or we do later */
        timer_arm_ms(lc->timer, RETRY_MS);
    else if (lc->state == STATE(RINGING))
        system_update(lc->calls, lc->id, lc->user[SIDE_CALLEE], ACTION(MISS));
}

/* ---- ops ---- */

/* The live call data names that the session's user is in; NULL after failing the op. */
static LiveCall *op_call(Calls *c, Session *s, json_object *data, OpReply reply) {
    json_object *v = json_get(data, "callId");
    uint64_t id = 0;
    if (json_object_is_type(v, json_type_int))
        id = (uint64_t)json_object_get_int64(v);
    else if (json_object_is_type(v, json_type_string) &&
             id_parse(json_object_get_string(v), &id) < 0)
        id = 0;
    if (!v) {
        gateway_fail(s, reply, HYPE__ERROR__CODE__CODE_BAD_REQUEST, "callId is required", NULL);
        return NULL;
    }
    LiveCall *lc = id ? find(c, id) : NULL;
    if (!lc ||
        (lc->user[SIDE_CALLER] != s->who.user_id && lc->user[SIDE_CALLEE] != s->who.user_id)) {
        gateway_fail(s, reply, HYPE__ERROR__CODE__CODE_NOT_FOUND, "Call not found", NULL);
        return NULL;
    }
    return lc;
}

typedef struct Answer {
    Calls *calls;
    uint64_t call_id;
    Action action;
    OpReply reply;
} Answer;

static void gone(LiveCall *lc, Side side);

static void answered(Session *s, LiveCall *lc, Action action) {
    Calls *c = lc->calls;
    json_object *d = call_about(lc, "calleeId", lc->user[SIDE_CALLEE]);
    if (action == ACTION(REJECT)) {
        send_side(lc, SIDE_CALLER, "call:reject", d, NULL);
        json_object_put(d);
        return; /* call:ended follows from hype-api */
    }
    lc->state = STATE(ACTIVE);
    evtimer_del(lc->timer);
    snprintf(lc->holder[SIDE_CALLEE], sizeof(lc->holder[0]), "%s", s->id);
    send_side(lc, SIDE_CALLER, "call:accept", d, NULL);
    json_object_put(d);
    json_object *elsewhere = call_about(lc, NULL, 0);
    OutEvent *ev = out_event_new("call:accepted_elsewhere", json_serialize(elsewhere, NULL));
    char key[BUS_KEY_MAX];
    if (ev)
        sessions_publish_one(c->sessions, bus_key(key, sizeof(key), 'u', lc->user[SIDE_CALLEE]), ev,
                             s);
    out_event_unref(ev);
    json_object_put(elsewhere);
    if (s->state == SESSION_CLOSED) /* it ended while hype-api recorded its answer */
        gone(lc, SIDE_CALLEE);
}

static void on_answered(Session *s, const Hype__ApiSignal__Envelope *result,
                        const Hype__Error *error, void *userdata) {
    Answer *a = userdata;
    LiveCall *lc = find(a->calls, a->call_id);
    if (lc)
        lc->answering = false;
    OpOutcome o = {0};
    json_object *data = NULL;
    if (error)
        o = (OpOutcome){.code = error->code, .message = error->message};
    else {
        const Hype__ApiSignal__Call *call = result->call_update_result->call;
        if (call && call->json)
            json_parse_strict(call->json, strlen(call->json), 16, &data, NULL);
        if (lc)
            answered(s, lc, a->action);
        o = (OpOutcome){.data = data};
    }
    gateway_op_end(s, a->reply, &o);
    json_object_put(data);
    free(a);
}

/* Asks hype-api to record s's action on lc; the op ends with its answer. */
static void ask(Calls *c, Session *s, LiveCall *lc, Action action, OpReply reply) {
    if (!gateway_op_begin(c->gw, s, reply))
        return;
    Answer *a = malloc(sizeof(*a));
    if (!a) {
        gateway_op_end(
            s, reply,
            &(OpOutcome){.code = ipc_error_from_errno(-ENOMEM), .message = "Out of memory"});
        return;
    }
    *a = (Answer){c, lc->id, action, reply};
    if (action == ACTION(ACCEPT) || action == ACTION(REJECT))
        lc->answering = true;
    Hype__ApiSignal__CallUpdate q = HYPE__API_SIGNAL__CALL_UPDATE__INIT;
    Hype__ApiSignal__Envelope env = HYPE__API_SIGNAL__ENVELOPE__INIT;
    fill_update(&q, &env, lc->id, s->who.user_id, action);
    session_request(s, &env, on_answered, a);
}

static void answer(Calls *c, Session *s, json_object *data, OpReply reply, Action action) {
    LiveCall *lc = op_call(c, s, data, reply);
    if (!lc)
        return;
    if (side_of(lc, s->who.user_id) != SIDE_CALLEE) {
        gateway_fail(s, reply, HYPE__ERROR__CODE__CODE_FORBIDDEN,
                     "Only the callee can answer a call", NULL);
        return;
    }
    if (lc->state != STATE(RINGING) || lc->answering) {
        gateway_fail(s, reply, HYPE__ERROR__CODE__CODE_CONFLICT,
                     lc->answering ? "Call is being answered" : "Call is not ringing", NULL);
        return;
    }
    ask(c, s, lc, action, reply);
}

static void op_accept(void *feature, Session *s, json_object *data, OpReply reply) {
    answer(feature, s, data, reply, ACTION(ACCEPT));
}

static void op_reject(void *feature, Session *s, json_object *data, OpReply reply) {
    answer(feature, s, data, reply, ACTION(REJECT));
}

static void op_end(void *feature, Session *s, json_object *data, OpReply reply) {
    LiveCall *lc = op_call(feature, s, data, reply);
    if (lc)
        ask(feature, s, lc, ACTION(END), reply);
}

/* webrtc:*: the data as it came, with "from", to the other side. The session becomes its side's
 * holder (the callee's is the one that accepted). */
static void relay(Calls *c, Session *s, const char *type, const char *field, json_object *data,
                  OpReply reply) {
    LiveCall *lc = op_call(c, s, data, reply);
    if (!lc)
        return;
    if (!json_object_is_type(data, json_type_object) || !json_get(data, field)) {
        char message[64];
        snprintf(message, sizeof(message), "%s needs {callId, %s}", type, field);
        gateway_fail(s, reply, HYPE__ERROR__CODE__CODE_BAD_REQUEST, message, NULL);
        return;
    }
    Side side = side_of(lc, s->who.user_id);
    if (lc->holder[side][0] && strcmp(lc->holder[side], s->id) != 0) {
        gateway_fail(s, reply, HYPE__ERROR__CODE__CODE_CONFLICT,
                     "The call is held by another session of yours", NULL);
        return;
    }
    if (side == SIDE_CALLER && !lc->holder[side][0])
        snprintf(lc->holder[side], sizeof(lc->holder[0]), "%s", s->id);
    json_object *out = json_object_new_object();
    json_object_object_foreach(data, key, value) {
        json_object_object_add(out, key, json_object_get(value));
    }
    char id[ID_STRING_MAX];
    json_object_object_add(out, "callId", json_object_new_string(id_to_string(lc->id, id)));
    json_object_object_add(out, "from", json_object_new_string(id_to_string(s->who.user_id, id)));
    send_side(lc, side == SIDE_CALLER ? SIDE_CALLEE : SIDE_CALLER, type, out, NULL);
    json_object_put(out);
    gateway_succeed(s, reply, NULL);
}

static void op_offer(void *feature, Session *s, json_object *data, OpReply reply) {
    relay(feature, s, "webrtc:offer", "sdp", data, reply);
}

static void op_answer(void *feature, Session *s, json_object *data, OpReply reply) {
    relay(feature, s, "webrtc:answer", "sdp", data, reply);
}

static void op_candidate(void *feature, Session *s, json_object *data, OpReply reply) {
    relay(feature, s, "webrtc:ice-candidate", "candidate", data, reply);
}

static const GatewayOp ops[] = {
    {"call:accept", op_accept, OP_REQUIRES_READY},
    {"call:reject", op_reject, OP_REQUIRES_READY},
    {"call:end", op_end, OP_REQUIRES_READY},
    {"webrtc:offer", op_offer, OP_REQUIRES_READY},
    {"webrtc:answer", op_answer, OP_REQUIRES_READY},
    {"webrtc:ice-candidate", op_candidate, OP_REQUIRES_READY},
};

/* ---- sessions ---- */

/* A side's session holding the call, or its last session, ended: the call is over. */
static void gone(LiveCall *lc, Side side) {
    system_update(lc->calls, lc->id, lc->user[side], ACTION(DISCONNECT));
}

/* A callee session that starts while its call rings rings too. */
static void on_session_start(Session *s, void *userdata) {
    LiveCall *lc = find_by_user(userdata, s->who.user_id);
    if (!lc || lc->state != STATE(RINGING) || side_of(lc, s->who.user_id) != SIDE_CALLEE)
        return;
    OutEvent *ev = out_event_new("call:incoming", lc->incoming);
    if (ev)
        session_send(s, ev);
    out_event_unref(ev);
}

static void on_session_end(Session *s, void *userdata) {
    Calls *c = userdata;
    LiveCall *lc = find_by_user(c, s->who.user_id);
    if (!lc)
        return;
    Side side = side_of(lc, s->who.user_id);
    if (strcmp(lc->holder[side], s->id) == 0 ||
        sessions_user_count(c->sessions, s->who.user_id) == 0)
        gone(lc, side);
}

static const SessionHooks hooks = {.start = on_session_start, .end = on_session_end};

/* ---- hype-api ---- */

/* POST /api/calls recorded a ringing call: ring the callee. */
static void serve_ring(void *userdata, SignalIpcCall *call, const Hype__ApiSignal__Envelope *req) {
    Calls *c = userdata;
    const Hype__ApiSignal__Call *info = req->call_ring->call;
    if (!info || !info->call_id || !info->caller_id || !info->callee_id) {
        signal_ipc_reply_error(call, HYPE__ERROR__CODE__CODE_BAD_REQUEST, "CallRing needs a call");
        return;
    }
    LiveCall *lc;
    int r = live_add(c, info, req->call_ring->incoming_json, &lc);
    if (r < 0) {
        signal_ipc_reply_error(call, ipc_error_from_errno(r),
                               r == -EEXIST ? "Call rings already" : "Out of memory");
        return;
    }
    timer_arm_ms(lc->timer, c->cfg->call_ring_timeout_ms);
    OutEvent *ev = out_event_new("call:incoming", lc->incoming);
    char key[BUS_KEY_MAX];
    Hype__ApiSignal__CallRingResult res = HYPE__API_SIGNAL__CALL_RING_RESULT__INIT;
    if (ev)
        res.sessions = (uint32_t)sessions_publish_one(
            c->sessions, bus_key(key, sizeof(key), 'u', lc->user[SIDE_CALLEE]), ev, NULL);
    out_event_unref(ev);
    Hype__ApiSignal__Envelope env = HYPE__API_SIGNAL__ENVELOPE__INIT;
    env.body_case = HYPE__API_SIGNAL__ENVELOPE__BODY_CALL_RING_RESULT;
    env.call_ring_result = &res;
    signal_ipc_reply(call, &env);
}

/* hype-api recorded the end: forget the call; the event itself reaches both users. */
static void on_call_ended(void *userdata, const Hype__ApiSignal__Event *ev, json_object *data) {
    uint64_t id;
    const char *s = json_object_get_string(json_get(data, "callId"));
    LiveCall *lc = s && id_parse(s, &id) == 0 ? find(userdata, id) : NULL;
    if (lc)
        live_drop(userdata, lc);
}

/* ---- the module ---- */

int calls_new(struct event_base *base, const SignalConfig *cfg, SessionRegistry *sessions,
              Gateway *gw, Events *events, SignalIpc *ipc, Calls **ret) {
    Calls *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    *c = (Calls){.base = base, .cfg = cfg, .sessions = sessions, .gw = gw, .ipc = ipc};
    int r = strmap_new(&c->by_id);
    if (r == 0)
        r = strmap_new(&c->by_user);
    if (r == 0)
        r = sessions_register(sessions, &hooks, c, NULL);
    if (r == 0)
        r = gateway_register(gw, ops, ELEMENTSOF(ops), c);
    if (r == 0)
        r = events_on(events, HYPE__API_SIGNAL__EVENT_KIND__EVENT_CALL_ENDED, EVENT_BEFORE,
                      on_call_ended, c);
    if (r == 0 && ipc)
        r = signal_ipc_serve(ipc, HYPE__API_SIGNAL__ENVELOPE__BODY_CALL_RING, serve_ring, c);
    if (r < 0) {
        calls_free(c);
        return r;
    }
    *ret = c;
    return 0;
}

static void free_entry(const char *key, void *value, void *userdata) {
    live_free(value);
}

Calls *calls_free(Calls *c) {
    if (!c)
        return NULL;
    if (c->by_id)
        strmap_foreach(c->by_id, free_entry, NULL);
    strmap_free(c->by_id);
    strmap_free(c->by_user);
    free(c);
    return NULL;
}

size_t calls_live(const Calls *c) {
    return strmap_size(c->by_id);
}
