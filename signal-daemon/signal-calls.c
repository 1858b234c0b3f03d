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
#include "hype-list.h"
#include "hype-log.h"
#include "hype-macro.h"
#include "hype-strmap.h"
#include "hype-time.h"

#define RETRY_MS 1000 /* a change hype-api could not record (absent, busy) is asked again */
/* What one side may relay: a participant cannot flood the other's connection off (WS_OUTPUT_LIMIT
 * would close it) with signaling. Offers with every candidate are a few KiB. */
#define RELAY_MAX_BYTES (64 * 1024)
#define RELAY_PER_SECOND 50

typedef enum Side { SIDE_CALLER, SIDE_CALLEE } Side;

typedef Hype__ApiSignal__CallUpdate__Action Action;
#define ACTION(x) HYPE__API_SIGNAL__CALL_UPDATE__ACTION__ACTION_##x
#define STATE(x) HYPE__API_SIGNAL__CALL__STATE__STATE_##x
#define CODE(x) HYPE__ERROR__CODE__CODE_##x

typedef struct LiveCall {
    Calls *calls;
    uint64_t id;
    uint64_t user[2]; /* by Side */
    Hype__ApiSignal__Call__State state;
    char *incoming; /* call:incoming's data, for callee sessions that start while it rings */
    /* The session holding each side (by Side; "" while none does): the callee's that accepted,
     * the caller's that relayed first. Relays to a side go there only. */
    char holder[2][SESSION_ID_LEN + 1];
    bool answering;              /* an accept or reject is with hype-api */
    struct event *ring;          /* CALL_RING_TIMEOUT */
    struct event *retry;         /* asks hype-api again what it could not record */
    Action retry_action;         /* ... this */
    uint64_t retry_user;         /* ... for this participant */
    uint64_t relay_window_ms[2]; /* by Side: the second relays are counted in */
    unsigned relays[2];
} LiveCall;

/* A request to hype-api still unanswered: freed with the module if it never is (hype-signal
 * stopping drops it without its callback). */
typedef struct Asking {
    struct Asking *prev, *next;
    Calls *calls;
    uint64_t call_id, user_id;
    Action action;
    OpReply reply; /* an op's (reply.done may be NULL: a raw client's) */
    bool for_op;
} Asking;

struct Calls {
    struct event_base *base;
    const SignalConfig *cfg;
    SessionRegistry *sessions;
    Gateway *gw;
    SignalIpc *ipc;
    StrMap *by_id;   /* call id -> LiveCall */
    StrMap *by_user; /* each participant's user id -> its LiveCall */
    Asking *asking;
    struct SyncIds *syncing;
    struct event *sync_retry; /* a CallsSync hype-api could not answer */
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
    if (lc->ring)
        event_free(lc->ring);
    if (lc->retry)
        event_free(lc->retry);
    free(lc->incoming);
    free(lc);
}

/* Forgets lc (it is over). */
static void live_drop(Calls *c, LiveCall *lc) {
    char key[ID_STRING_MAX];
    strmap_remove(c->by_id, id_to_string(lc->id, key));
    for (int side = 0; side < 2; side++)
        if (find_by_user(c, lc->user[side]) == lc)
            strmap_remove(c->by_user, id_to_string(lc->user[side], key));
    live_free(lc);
}

static void on_ring_timeout(evutil_socket_t fd, short what, void *userdata);
static void on_retry(evutil_socket_t fd, short what, void *userdata);

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
    lc->ring = evtimer_new(c->base, on_ring_timeout, lc);
    lc->retry = evtimer_new(c->base, on_retry, lc);
    char key[ID_STRING_MAX];
    if (!lc->incoming || !lc->ring || !lc->retry ||
        strmap_put(c->by_id, id_to_string(lc->id, key), lc) < 0) {
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

/* Sends type with data to every session of user_id but skip. */
static void send_user(Calls *c, uint64_t user_id, const char *type, json_object *data,
                      const Session *skip) {
    OutEvent *ev = out_event_new(type, json_serialize(data, NULL));
    char key[BUS_KEY_MAX];
    if (ev)
        sessions_publish_one(c->sessions, bus_key(key, sizeof(key), 'u', user_id), ev, skip);
    out_event_unref(ev);
}

/* Relays type with data to a side: to its session holding the call once there is one, else to
 * every session of its user. */
static void send_side(LiveCall *lc, Side side, const char *type, json_object *data) {
    Calls *c = lc->calls;
    if (!lc->holder[side][0]) {
        send_user(c, lc->user[side], type, data, NULL);
        return;
    }
    size_t n;
    Sub *const *subs = sessions_of_user(c->sessions, lc->user[side], &n);
    for (size_t i = 0; i < n; i++) {
        Session *s = subs[i]->owner;
        if (strcmp(s->id, lc->holder[side]) == 0 &&
            (s->state == SESSION_READY || s->state == SESSION_DETACHED)) {
            OutEvent *ev = out_event_new(type, json_serialize(data, NULL));
            if (ev)
                session_send(s, ev);
            out_event_unref(ev);
            return;
        }
    }
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

/* ---- learning what hype-api knows ---- */

/*
 * hype-api says lc ended without its call:ended reaching us (the link was down, or an account
 * was deleted): both users hear it now, as hype-api would have told them, and we forget it.
 * call is the call as REST shows it, or NULL when hype-api has no such call of theirs any more.
 */
static void tell_ended(Calls *c, LiveCall *lc, json_object *call) {
    json_object *d = call_about(lc, NULL, 0);
    bool active = lc->state == STATE(ACTIVE);
    json_object_object_add(d, "status",
                           call ? json_object_get(json_get(call, "status"))
                                : json_object_new_string(active ? "ended" : "cancelled"));
    json_object_object_add(d, "reason",
                           call ? json_object_get(json_get(call, "endReason"))
                                : json_object_new_string("account_deleted"));
    json_object_object_add(d, "endedBy", call ? json_object_get(json_get(call, "endedBy")) : NULL);
    json_object_object_add(d, "endedAt", call ? json_object_get(json_get(call, "endedAt")) : NULL);
    for (int side = 0; side < 2; side++)
        send_user(c, lc->user[side], "call:ended", d, NULL);
    json_object_put(d);
    live_drop(c, lc);
}

/* The callee answered (here, or in a request whose answer we lost): the caller's sessions hear
 * it, the callee's other sessions stop ringing. accepting: the session that did, or NULL. */
static void went_active(LiveCall *lc, Session *accepting) {
    Calls *c = lc->calls;
    lc->state = STATE(ACTIVE);
    evtimer_del(lc->ring);
    if (accepting)
        snprintf(lc->holder[SIDE_CALLEE], sizeof(lc->holder[0]), "%s", accepting->id);
    json_object *d = call_about(lc, "calleeId", lc->user[SIDE_CALLEE]);
    send_user(c, lc->user[SIDE_CALLER], "call:accept", d, NULL);
    json_object_put(d);
    json_object *elsewhere = call_about(lc, NULL, 0);
    send_user(c, lc->user[SIDE_CALLEE], "call:accepted_elsewhere", elsewhere, accepting);
    json_object_put(elsewhere);
}

/* What hype-api answered about lc that we did not ask to change, or that did not change: make
 * ours the same. Returns false when lc is gone. */
static bool reconcile(Calls *c, LiveCall *lc, const Hype__ApiSignal__Call *call) {
    if (call->state == STATE(OVER)) {
        json_object *obj = NULL;
        if (call->json)
            json_parse_strict(call->json, strlen(call->json), 16, &obj, NULL);
        tell_ended(c, lc, obj);
        json_object_put(obj);
        return false;
    }
    if (call->state == STATE(ACTIVE) && lc->state == STATE(RINGING))
        went_active(lc, NULL);
    return true;
}

/* ---- asking hype-api ---- */

static void ask(Calls *c, Asking *a, Session *s);

static Asking *asking_new(Calls *c, uint64_t call_id, uint64_t user_id, Action action) {
    Asking *a = calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    *a = (Asking){.calls = c, .call_id = call_id, .user_id = user_id, .action = action};
    LIST_PREPEND(c->asking, a);
    return a;
}

static void asking_free(Asking *a) {
    LIST_REMOVE(a->calls->asking, a);
    free(a);
}

static bool retryable(const Hype__Error *error) {
    return error->code == CODE(UNAVAILABLE) || error->code == CODE(TIMEOUT);
}

static void retry_later(LiveCall *lc, Action action, uint64_t user_id, const Hype__Error *error) {
    /* A change still to be recorded (an end) tells us the call's state too: it stays. */
    if (action == ACTION(CHECK) && evtimer_pending(lc->retry, NULL))
        return;
    log_warning("call %" PRIu64 ": hype-api did not answer (%s), asking again", lc->id,
                error->message);
    lc->retry_action = action;
    lc->retry_user = user_id;
    timer_arm_ms(lc->retry, RETRY_MS);
}

/* What hype-signal asked for itself (the ring timeout, a participant gone, a check): the call is
 * made the same as hype-api's; not asked: again in a while, so that a call is never left open in
 * the database, nor here, for want of a link. */
static void on_system_answer(const Hype__ApiSignal__Envelope *result, const Hype__Error *error,
                             void *userdata) {
    Asking *a = userdata;
    Calls *c = a->calls;
    LiveCall *lc = find(c, a->call_id);
    if (lc && result)
        reconcile(c, lc, result->call_update_result->call);
    else if (lc && error->code == CODE(NOT_FOUND))
        tell_ended(c, lc, NULL);
    else if (lc && retryable(error))
        retry_later(lc, a->action, a->user_id, error);
    asking_free(a);
}

static void ask_system(Calls *c, LiveCall *lc, uint64_t user_id, Action action) {
    Asking *a = asking_new(c, lc->id, user_id, action);
    if (!a) {
        log_error("call %" PRIu64 ": out of memory asking hype-api", lc->id);
        return;
    }
    ask(c, a, NULL);
}

static void on_retry(evutil_socket_t fd, short what, void *userdata) {
    LiveCall *lc = userdata;
    ask_system(lc->calls, lc, lc->retry_user, lc->retry_action);
}

/* Nobody answered in CALL_RING_TIMEOUT. */
static void on_ring_timeout(evutil_socket_t fd, short what, void *userdata) {
    LiveCall *lc = userdata;
    if (lc->answering) /* the callee's answer is with hype-api: it decides, or we do later */
        timer_arm_ms(lc->ring, RETRY_MS);
    else if (lc->state == STATE(RINGING))
        ask_system(lc->calls, lc, lc->user[SIDE_CALLEE], ACTION(MISS));
}

/* A side's session holding the call, or its last session, ended: the call is over. */
static void gone(LiveCall *lc, Side side) {
    ask_system(lc->calls, lc, lc->user[side], ACTION(DISCONNECT));
}

/* ---- ops ---- */

/* What a participant's action that changed nothing tells it. */
static void fail_unchanged(Session *s, OpReply reply, const Hype__ApiSignal__Call *call) {
    gateway_op_end(s, reply,
                   &(OpOutcome){.code = CODE(CONFLICT),
                                .message = call->state == STATE(OVER) ? "Call has already ended"
                                                                      : "Call is not ringing"});
}

/* The session's own action on the call: its op ends with hype-api's answer. */
static void on_op_answer(Session *s, const Hype__ApiSignal__Envelope *result,
                         const Hype__Error *error, void *userdata) {
    Asking *a = userdata;
    Calls *c = a->calls;
    LiveCall *lc = find(c, a->call_id);
    if (lc && (a->action == ACTION(ACCEPT) || a->action == ACTION(REJECT)))
        lc->answering = false;
    if (error) {
        gateway_op_end(s, a->reply, &(OpOutcome){.code = error->code, .message = error->message});
        if (lc && error->code == CODE(NOT_FOUND))
            tell_ended(c, lc, NULL);
        else if (lc && retryable(error)) /* it may have been recorded all the same */
            retry_later(lc, ACTION(CHECK), a->user_id, error);
        asking_free(a);
        return;
    }
    const Hype__ApiSignal__CallUpdateResult *u = result->call_update_result;
    if (!u->changed) {
        fail_unchanged(s, a->reply, u->call);
        if (lc)
            reconcile(c, lc, u->call);
        asking_free(a);
        return;
    }
    json_object *data = NULL;
    if (u->call->json)
        json_parse_strict(u->call->json, strlen(u->call->json), 16, &data, NULL);
    if (lc && a->action == ACTION(ACCEPT)) {
        went_active(lc, s->state == SESSION_CLOSED ? NULL : s);
        if (s->state == SESSION_CLOSED) /* it ended while hype-api recorded its answer */
            gone(lc, SIDE_CALLEE);
    } else if (lc && a->action == ACTION(REJECT)) {
        json_object *d = call_about(lc, "calleeId", lc->user[SIDE_CALLEE]);
        send_user(c, lc->user[SIDE_CALLER], "call:reject", d, NULL); /* call:ended follows */
        json_object_put(d);
    }
    gateway_op_end(s, a->reply, &(OpOutcome){.data = data});
    json_object_put(data);
    asking_free(a);
}

/* Sends a's CallUpdate: on the session's behalf (s), or hype-signal's own (s NULL). */
static void ask(Calls *c, Asking *a, Session *s) {
    Hype__ApiSignal__CallUpdate q = HYPE__API_SIGNAL__CALL_UPDATE__INIT;
    q.call_id = a->call_id;
    q.user_id = a->user_id;
    q.action = a->action;
    Hype__ApiSignal__Envelope env = HYPE__API_SIGNAL__ENVELOPE__INIT;
    env.body_case = HYPE__API_SIGNAL__ENVELOPE__BODY_CALL_UPDATE;
    env.call_update = &q;
    if (s)
        session_request(s, &env, on_op_answer, a);
    else
        signal_ipc_request(c->ipc, &env, on_system_answer, a);
}

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
        gateway_fail(s, reply, CODE(BAD_REQUEST), "callId is required", NULL);
        return NULL;
    }
    LiveCall *lc = id ? find(c, id) : NULL;
    if (!lc ||
        (lc->user[SIDE_CALLER] != s->who.user_id && lc->user[SIDE_CALLEE] != s->who.user_id)) {
        gateway_fail(s, reply, CODE(NOT_FOUND), "Call not found", NULL);
        return NULL;
    }
    return lc;
}

/* Asks hype-api to record s's action on lc; the op ends with its answer. */
static void ask_for(Calls *c, Session *s, LiveCall *lc, Action action, OpReply reply) {
    if (!gateway_op_begin(c->gw, s, reply))
        return;
    Asking *a = asking_new(c, lc->id, s->who.user_id, action);
    if (!a) {
        gateway_op_end(
            s, reply,
            &(OpOutcome){.code = ipc_error_from_errno(-ENOMEM), .message = "Out of memory"});
        return;
    }
    a->reply = reply;
    a->for_op = true;
    if (action == ACTION(ACCEPT) || action == ACTION(REJECT))
        lc->answering = true;
    ask(c, a, s);
}

static void answer(Calls *c, Session *s, json_object *data, OpReply reply, Action action) {
    LiveCall *lc = op_call(c, s, data, reply);
    if (!lc)
        return;
    if (side_of(lc, s->who.user_id) != SIDE_CALLEE) {
        gateway_fail(s, reply, CODE(FORBIDDEN), "Only the callee can answer a call", NULL);
        return;
    }
    if (lc->state != STATE(RINGING) || lc->answering) {
        gateway_fail(s, reply, CODE(CONFLICT),
                     lc->answering ? "Call is being answered" : "Call is not ringing", NULL);
        return;
    }
    ask_for(c, s, lc, action, reply);
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
        ask_for(feature, s, lc, ACTION(END), reply);
}

/* Whether side may relay one more message now (RELAY_PER_SECOND). */
static bool relay_allowed(LiveCall *lc, Side side) {
    uint64_t now = time_mono_ms();
    if (now - lc->relay_window_ms[side] >= 1000) {
        lc->relay_window_ms[side] = now;
        lc->relays[side] = 0;
    }
    return ++lc->relays[side] <= RELAY_PER_SECOND;
}

/* 0 when s may relay data of type on lc, else a code with *message set. */
static Hype__Error__Code relay_check(LiveCall *lc, Session *s, const char *type, const char *field,
                                     json_object *data, char *message, size_t size) {
    Side side = side_of(lc, s->who.user_id);
    if (!json_object_is_type(data, json_type_object) || !json_get(data, field)) {
        snprintf(message, size, "%s needs {callId, %s}", type, field);
        return CODE(BAD_REQUEST);
    }
    if (lc->holder[side][0] && strcmp(lc->holder[side], s->id) != 0) {
        snprintf(message, size, "The call is held by another session of yours");
        return CODE(CONFLICT);
    }
    size_t len = 0;
    json_object_to_json_string_length(data, JSON_C_TO_STRING_PLAIN, &len);
    if (len > RELAY_MAX_BYTES) {
        snprintf(message, size, "%s is larger than %d bytes", type, RELAY_MAX_BYTES);
        return CODE(TOO_LARGE);
    }
    if (!relay_allowed(lc, side)) {
        snprintf(message, size, "More than %d signaling messages a second", RELAY_PER_SECOND);
        return CODE(TOO_MANY);
    }
    return 0;
}

/* webrtc:*: the data as it came, with "from", to the other side. The session becomes its side's
 * holder (the callee's is the one that accepted). */
static void relay(Calls *c, Session *s, const char *type, const char *field, json_object *data,
                  OpReply reply) {
    LiveCall *lc = op_call(c, s, data, reply);
    if (!lc)
        return;
    char message[96];
    Hype__Error__Code code = relay_check(lc, s, type, field, data, message, sizeof(message));
    if (code) {
        gateway_fail(s, reply, code, message, NULL);
        return;
    }
    Side side = side_of(lc, s->who.user_id);
    if (side == SIDE_CALLER && !lc->holder[side][0])
        snprintf(lc->holder[side], sizeof(lc->holder[0]), "%s", s->id);
    json_object *out = json_object_new_object();
    json_object_object_foreach(data, key, value) {
        json_object_object_add(out, key, json_object_get(value));
    }
    char id[ID_STRING_MAX];
    json_object_object_add(out, "callId", json_object_new_string(id_to_string(lc->id, id)));
    json_object_object_add(out, "from", json_object_new_string(id_to_string(s->who.user_id, id)));
    send_side(lc, side == SIDE_CALLER ? SIDE_CALLEE : SIDE_CALLER, type, out);
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

static void ring_reply_error(SignalIpcCall *call, int r) {
    signal_ipc_reply_error(call, ipc_error_from_errno(r),
                           r == -EEXIST ? "Call rings already" : "Out of memory");
}

/* POST /api/calls recorded a ringing call: ring the callee. */
static void serve_ring(void *userdata, SignalIpcCall *call, const Hype__ApiSignal__Envelope *req) {
    Calls *c = userdata;
    const Hype__ApiSignal__Call *info = req->call_ring->call;
    if (!info || !info->call_id || !info->caller_id || !info->callee_id) {
        signal_ipc_reply_error(call, CODE(BAD_REQUEST), "CallRing needs a call");
        return;
    }
    if (sessions_user_count(c->sessions, info->caller_id) == 0) {
        signal_ipc_reply_error(call, CODE(CONFLICT),
                               "Connect to the realtime gateway before placing a call");
        return;
    }
    LiveCall *lc;
    int r = live_add(c, info, req->call_ring->incoming_json, &lc);
    if (r < 0) {
        ring_reply_error(call, r);
        return;
    }
    timer_arm_ms(lc->ring, c->cfg->call_ring_timeout_ms);
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

/* ---- agreeing with hype-api on the live calls ---- */

/* A CallsSync with hype-api: the ids it asked about (freed with the module if unanswered). */
typedef struct SyncIds {
    struct SyncIds *prev, *next;
    Calls *calls;
    uint64_t *ids;
    size_t n;
} SyncIds;

static void collect_id(const char *key, void *value, void *userdata) {
    SyncIds *ids = userdata;
    ids->ids[ids->n++] = ((LiveCall *)value)->id;
}

static bool listed(const Hype__ApiSignal__CallsSyncResult *r, uint64_t id) {
    for (size_t i = 0; i < r->n_calls; i++)
        if (r->calls[i]->call_id == id)
            return true;
    return false;
}

static void sync_free(SyncIds *sent) {
    LIST_REMOVE(sent->calls->syncing, sent);
    free(sent->ids);
    free(sent);
}

static void on_synced(const Hype__ApiSignal__Envelope *result, const Hype__Error *error,
                      void *userdata) {
    SyncIds *sent = userdata;
    Calls *c = sent->calls;
    if (error) {
        if (retryable(error))
            timer_arm_ms(c->sync_retry, RETRY_MS);
        log_warning("could not agree with hype-api on the live calls: %s", error->message);
    } else {
        const Hype__ApiSignal__CallsSyncResult *r = result->calls_sync_result;
        for (size_t i = 0; i < r->n_calls; i++) {
            LiveCall *lc = find(c, r->calls[i]->call_id);
            if (lc)
                reconcile(c, lc, r->calls[i]);
        }
        /* What we asked about and hype-api has no more (an account deleted with it); calls rung
         * since we asked are not in the answer, and stay. */
        for (size_t i = 0; i < sent->n; i++) {
            LiveCall *lc = find(c, sent->ids[i]);
            if (lc && !listed(r, lc->id))
                tell_ended(c, lc, NULL);
        }
        if (r->ended)
            log_info("ended %" PRIu64 " calls hype-signal was not routing", r->ended);
    }
    sync_free(sent);
}

void calls_sync(Calls *c) {
    size_t n = strmap_size(c->by_id);
    SyncIds *sent = malloc(sizeof(*sent));
    uint64_t *ids = calloc(n + 1, sizeof(uint64_t));
    if (!sent || !ids) {
        free(sent);
        free(ids);
        timer_arm_ms(c->sync_retry, RETRY_MS);
        return;
    }
    *sent = (SyncIds){.calls = c, .ids = ids};
    LIST_PREPEND(c->syncing, sent);
    strmap_foreach(c->by_id, collect_id, sent);
    Hype__ApiSignal__CallsSync q = HYPE__API_SIGNAL__CALLS_SYNC__INIT;
    q.n_call_ids = sent->n;
    q.call_ids = sent->ids;
    Hype__ApiSignal__Envelope env = HYPE__API_SIGNAL__ENVELOPE__INIT;
    env.body_case = HYPE__API_SIGNAL__ENVELOPE__BODY_CALLS_SYNC;
    env.calls_sync = &q;
    signal_ipc_request(c->ipc, &env, on_synced, sent);
}

static void on_sync_retry(evutil_socket_t fd, short what, void *userdata) {
    Calls *c = userdata;
    if (signal_ipc_api_connected(c->ipc))
        calls_sync(c);
}

/* ---- the module ---- */

int calls_new(struct event_base *base, const SignalConfig *cfg, SessionRegistry *sessions,
              Gateway *gw, Events *events, SignalIpc *ipc, Calls **ret) {
    Calls *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    *c = (Calls){.base = base, .cfg = cfg, .sessions = sessions, .gw = gw, .ipc = ipc};
    c->sync_retry = evtimer_new(base, on_sync_retry, c);
    int r = c->sync_retry ? strmap_new(&c->by_id) : -ENOMEM;
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
    while (c->asking) /* their requests are dropped unanswered: hype-signal is stopping */
        asking_free(c->asking);
    while (c->syncing)
        sync_free(c->syncing);
    if (c->sync_retry)
        event_free(c->sync_retry);
    free(c);
    return NULL;
}

size_t calls_live(const Calls *c) {
    return strmap_size(c->by_id);
}
