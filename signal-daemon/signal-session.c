/* signal-session: client sessions and their registry: authentication, subscriptions, numbered
 * events with a bounded replay buffer, detaching on a dropped connection and resuming, fan-out,
 * and the hooks and per-session slots features keep their state in. */
#include "signal-session.h"

#include <errno.h>
#include <event2/event.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "hype-id.h"
#include "hype-json.h"
#include "hype-list.h"
#include "hype-log.h"
#include "hype-time.h"
#include "hype-ws.h"
#include "hype-ipc-error.h"
#include "signal-ipc.h"

#define RING_MIN 8

typedef struct Feature {
    const SessionHooks *hooks;
    void *userdata;
} Feature;

struct SessionRegistry {
    struct event_base *base;
    const SignalConfig *cfg;
    Bus *bus;
    SignalIpc *ipc;
    Session *sessions;     /* every session, any state */
    struct CallCtx *calls; /* questions to hype-api for sessions, unanswered */
    Feature features[SESSION_FEATURES_MAX];
    size_t n_features;
    SessionStats counts; /* the counters (the gauges are computed when asked) */
    uint32_t mark_gen;   /* fan-out dedup generation */
    Session **scratch;   /* fan-out copy of a topic's subscribers */
    size_t scratch_cap;
};

/* ---- events ---- */

OutEvent *out_event_new(const char *type, const char *data_json) {
    OutEvent *ev = calloc(1, sizeof(*ev));
    if (!ev)
        return NULL;
    ev->refs = 1;
    ev->type = strdup(type);
    ev->data = strdup(data_json && *data_json ? data_json : "null");
    char ts[JSON_TIME_MAX];
    json_format_time_ms(time_wall_ms(), ts);
    json_object *t = json_object_new_string(type);
    int n = ev->type && ev->data
                ? asprintf(&ev->tail, "\"type\":%s,\"data\":%s,\"timestamp\":\"%s\"}",
                           json_object_to_json_string_ext(t, JSON_C_TO_STRING_PLAIN), ev->data, ts)
                : -1;
    json_object_put(t);
    if (n < 0) {
        ev->tail = NULL;
        out_event_unref(ev);
        return NULL;
    }
    ev->tail_len = (size_t)n;
    ev->bytes = sizeof(*ev) + strlen(ev->type) + strlen(ev->data) + ev->tail_len;
    return ev;
}

OutEvent *out_event_ref(OutEvent *ev) {
    ev->refs++;
    return ev;
}

void out_event_unref(OutEvent *ev) {
    if (!ev || --ev->refs > 0)
        return;
    free(ev->type);
    free(ev->data);
    free(ev->tail);
    free(ev);
}

/* ---- the replay ring ---- */

static void ring_clear(Session *s) {
    for (size_t i = 0; i < s->ring.count; i++)
        out_event_unref(s->ring.events[(s->ring.start + i) % s->ring.cap]);
    free(s->ring.seqs);
    free(s->ring.events);
    memset(&s->ring, 0, sizeof(s->ring));
}

static void ring_drop_oldest(Session *s) {
    OutEvent *ev = s->ring.events[s->ring.start];
    s->ring.bytes -= ev->bytes;
    out_event_unref(ev);
    s->ring.start = (s->ring.start + 1) % s->ring.cap;
    s->ring.count--;
}

/* Grows lazily up to RESUME_BUFFER, so sessions that get no events cost nothing. */
static void ring_push(Session *s, uint64_t seq, OutEvent *ev) {
    size_t max = (size_t)s->reg->cfg->resume_buffer;
    if (s->ring.count == s->ring.cap && s->ring.cap < max) {
        size_t cap = s->ring.cap ? s->ring.cap * 2 : RING_MIN;
        if (cap > max)
            cap = max;
        uint64_t *seqs = malloc(cap * sizeof(*seqs));
        OutEvent **events = malloc(cap * sizeof(*events));
        if (seqs && events) {
            for (size_t i = 0; i < s->ring.count; i++) {
                seqs[i] = s->ring.seqs[(s->ring.start + i) % s->ring.cap];
                events[i] = s->ring.events[(s->ring.start + i) % s->ring.cap];
            }
            free(s->ring.seqs);
            free(s->ring.events);
            s->ring.seqs = seqs;
            s->ring.events = events;
            s->ring.cap = cap;
            s->ring.start = 0;
        } else {
            free(seqs);
            free(events);
        }
    }
    if (s->ring.cap == 0)
        return;
    if (s->ring.count == s->ring.cap) /* full: the oldest goes */
        ring_drop_oldest(s);
    size_t at = (s->ring.start + s->ring.count) % s->ring.cap;
    s->ring.seqs[at] = seq;
    s->ring.events[at] = out_event_ref(ev);
    s->ring.count++;
    s->ring.bytes += ev->bytes;
    /* What is kept for a resume counts like what waits to be sent: at most WS_OUTPUT_LIMIT (and
     * the newest event), however large the events someone sends this session. A client further
     * behind than that resyncs over REST. */
    while (s->ring.bytes > s->reg->cfg->output_limit && s->ring.count > 1)
        ring_drop_oldest(s);
}

/* Whether every event after last_seq is still in the ring. */
static bool ring_covers(const Session *s, uint64_t last_seq) {
    if (last_seq > s->seq)
        return false;
    if (last_seq == s->seq)
        return true;
    return s->ring.count > 0 && s->ring.seqs[s->ring.start] <= last_seq + 1;
}

/* ---- lifecycle ---- */

Session *session_ref(Session *s) {
    s->refs++;
    return s;
}

void session_unref(Session *s) {
    if (--s->refs > 0)
        return;
    SessionRegistry *reg = s->reg;
    LIST_REMOVE(reg->sessions, s);
    ring_clear(s);
    if (s->timer)
        event_free(s->timer);
    for (size_t i = 0; i < reg->n_features; i++)
        if (s->slots[i] && reg->features[i].hooks->free_state)
            reg->features[i].hooks->free_state(s->slots[i]);
    free(s);
}

bool session_is_live(const Session *s) {
    return s->state == SESSION_READY && s->conn;
}

static void arm(Session *s, uint64_t ms) {
    timer_arm_ms(s->timer, ms);
}

Sub *const *sessions_of_user(SessionRegistry *reg, uint64_t user_id, size_t *n) {
    char key[BUS_KEY_MAX];
    return bus_subscribers(reg->bus, bus_key(key, sizeof(key), 'u', user_id), n);
}

size_t sessions_user_count(SessionRegistry *reg, uint64_t user_id) {
    size_t n, count = 0;
    Sub *const *subs = sessions_of_user(reg, user_id, &n);
    for (size_t i = 0; i < n; i++) {
        const Session *o = subs[i]->owner;
        count += o->state == SESSION_READY || o->state == SESSION_DETACHED;
    }
    return count;
}

int sessions_register(SessionRegistry *reg, const SessionHooks *hooks, void *userdata,
                      unsigned *ret_slot) {
    if (reg->n_features == SESSION_FEATURES_MAX)
        return -E2BIG;
    if (ret_slot)
        *ret_slot = (unsigned)reg->n_features;
    reg->features[reg->n_features++] = (Feature){hooks, userdata};
    return 0;
}

/* The end of a session: what features hold for it (their end hooks, if it had started), then its
 * topics. */
static void session_end(Session *s) {
    if (s->state == SESSION_CLOSED)
        return;
    bool was_ready = s->state == SESSION_READY || s->state == SESSION_DETACHED;
    s->state = SESSION_CLOSED;
    evtimer_del(s->timer);
    for (size_t i = 0; was_ready && i < s->reg->n_features; i++)
        if (s->reg->features[i].hooks->end)
            s->reg->features[i].hooks->end(s, s->reg->features[i].userdata);
    bus_unsubscribe_all(s->reg->bus, &s->subs);
    ring_clear(s);
    session_unref(s);
}

static void on_timer(evutil_socket_t fd, short what, void *userdata) {
    Session *s = userdata;
    if (s->state == SESSION_AUTHENTICATING) {
        s->reg->counts.auth_failed++;
        if (s->conn)
            s->transport->close(s, WS_CLOSE_UNAUTHORIZED, "Authentication required");
        return;
    }
    if (s->state == SESSION_DETACHED)
        session_end(s); /* not resumed in time */
}

Session *session_new(SessionRegistry *reg, const SessionTransport *transport, void *conn,
                     const char *peer) {
    Session *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->timer = evtimer_new(reg->base, on_timer, s);
    uint8_t rnd[SESSION_ID_LEN / 2];
    if (!s->timer || getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
        if (s->timer)
            event_free(s->timer);
        free(s);
        return NULL;
    }
    for (size_t i = 0; i < sizeof(rnd); i++)
        snprintf(s->id + 2 * i, 3, "%02x", rnd[i]);
    s->reg = reg;
    s->refs = 1;
    s->transport = transport;
    s->conn = conn;
    snprintf(s->peer, sizeof(s->peer), "%s", peer ? peer : "");
    LIST_PREPEND(reg->sessions, s);
    arm(s, reg->cfg->auth_timeout_ms);
    return s;
}

void session_connection_lost(Session *s, bool clean) {
    s->conn = NULL;
    if (s->state == SESSION_READY && !clean && !s->no_resume) {
        /* Resumable for a while: events keep going into the ring. */
        s->state = SESSION_DETACHED;
        evtimer_del(s->timer);
        arm(s, s->reg->cfg->resume_window_ms);
        return;
    }
    session_end(s);
}

/* ---- sending ---- */

void session_send(Session *s, OutEvent *ev) {
    if (s->state != SESSION_READY && s->state != SESSION_DETACHED)
        return;
    uint64_t seq = ++s->seq;
    ring_push(s, seq, ev);
    if (s->state == SESSION_READY && s->conn) {
        s->reg->counts.delivered++;
        s->transport->send_event(s, ev, seq);
    }
}

void session_send_now(Session *s, const char *type, const char *data_json) {
    if (!s->conn)
        return;
    OutEvent *ev = out_event_new(type, data_json);
    if (ev)
        s->transport->send_event(s, ev, 0);
    out_event_unref(ev);
}

size_t sessions_publish(SessionRegistry *reg, const char *const *keys, size_t n, OutEvent *ev,
                        const Session *skip) {
    uint32_t mark = ++reg->mark_gen;
    size_t sent = 0;
    for (size_t k = 0; k < n; k++) {
        size_t count;
        Sub *const *subs = bus_subscribers(reg->bus, keys[k], &count);
        if (count == 0)
            continue;
        /* Sending may close a session, which unsubscribes it: walk a copy. */
        if (count > reg->scratch_cap) {
            Session **grown = realloc(reg->scratch, count * sizeof(Session *));
            if (!grown)
                continue;
            reg->scratch = grown;
            reg->scratch_cap = count;
        }
        for (size_t i = 0; i < count; i++)
            reg->scratch[i] = subs[i]->owner;
        for (size_t i = 0; i < count; i++) {
            Session *s = reg->scratch[i];
            if (s->mark == mark || s == skip)
                continue;
            s->mark = mark;
            session_send(s, ev);
            sent++;
        }
    }
    return sent;
}

size_t sessions_publish_one(SessionRegistry *reg, const char *key, OutEvent *ev,
                            const Session *skip) {
    return sessions_publish(reg, &key, 1, ev, skip);
}

/* ---- asking hype-api on the session's behalf ---- */

typedef struct CallCtx {
    struct CallCtx *prev, *next; /* the registry's, until answered */
    Session *s;
    session_api_cb relayed;      /* a relayed REST call's */
    session_request_cb answered; /* a typed request's */
    void *userdata;
} CallCtx;

/* Every question hype-api answers for a session acts for its login session: CODE_UNAUTHENTICATED
 * means it is over (an event about it may have been lost while the link was down). */
static void call_done(CallCtx *ctx, Hype__Error__Code code) {
    if (code == HYPE__ERROR__CODE__CODE_UNAUTHENTICATED &&
        (ctx->s->state == SESSION_READY || ctx->s->state == SESSION_DETACHED))
        session_revoke(ctx->s);
    LIST_REMOVE(ctx->s->reg->calls, ctx);
    session_unref(ctx->s);
    free(ctx);
}

static void on_api_result(Hype__Error__Code code, const char *body, void *userdata) {
    CallCtx *ctx = userdata;
    if (ctx->relayed)
        ctx->relayed(ctx->s, code, body, ctx->userdata);
    call_done(ctx, code);
}

void session_api_call(Session *s, const char *method, const char *target, const char *body,
                      session_api_cb cb, void *userdata) {
    CallCtx *ctx = malloc(sizeof(*ctx));
    char *bearer = auth_bearer_for(s->reg->cfg->jwt_access_secret, &s->who, time_wall_ms() / 1000);
    if (!ctx || !bearer) {
        free(ctx);
        free(bearer);
        if (cb)
            cb(s, HYPE__ERROR__CODE__CODE_UNAVAILABLE,
               "{\"success\":false,\"error\":\"Out of memory\"}", userdata);
        return;
    }
    *ctx = (CallCtx){.s = session_ref(s), .relayed = cb, .userdata = userdata};
    LIST_PREPEND(s->reg->calls, ctx);
    signal_ipc_api_call(s->reg->ipc, method, target, bearer, body, s->peer, on_api_result, ctx);
    explicit_bzero(bearer, strlen(bearer));
    free(bearer);
}

static void on_answer(const Hype__ApiSignal__Envelope *result, const Hype__Error *error,
                      void *userdata) {
    CallCtx *ctx = userdata;
    if (ctx->answered)
        ctx->answered(ctx->s, result, error, ctx->userdata);
    call_done(ctx, error ? error->code : HYPE__ERROR__CODE__CODE_UNSPECIFIED);
}

void session_request(Session *s, Hype__ApiSignal__Envelope *request, session_request_cb cb,
                     void *userdata) {
    CallCtx *ctx = malloc(sizeof(*ctx));
    if (!ctx) {
        Hype__Error oom = HYPE__ERROR__INIT;
        oom.code = HYPE__ERROR__CODE__CODE_UNAVAILABLE;
        oom.message = "Out of memory";
        if (cb)
            cb(s, NULL, &oom, userdata);
        return;
    }
    *ctx = (CallCtx){.s = session_ref(s), .answered = cb, .userdata = userdata};
    LIST_PREPEND(s->reg->calls, ctx);
    signal_ipc_request(s->reg->ipc, request, on_answer, ctx);
}

/* ---- authentication, ready, resume ---- */

static void send_ready(Session *s, const uint64_t *server_ids, size_t n) {
    json_object *d = json_object_new_object(), *user = json_object_new_object(),
                *servers = json_object_new_array();
    char uid[ID_STRING_MAX], sid[ID_STRING_MAX];
    for (size_t i = 0; i < n; i++)
        json_object_array_add(servers, json_object_new_string(id_to_string(server_ids[i], sid)));
    json_object_object_add(user, "id", json_object_new_string(id_to_string(s->who.user_id, uid)));
    json_object_object_add(user, "username", json_object_new_string(s->who.username));
    json_object_object_add(d, "sessionId", json_object_new_string(s->id));
    json_object_object_add(d, "user", user);
    json_object_object_add(d, "servers", servers);
    json_object_object_add(d, "heartbeatInterval",
                           json_object_new_int64((int64_t)s->reg->cfg->ping_interval_ms));
    json_object_object_add(d, "resumeWindow",
                           json_object_new_int64((int64_t)s->reg->cfg->resume_window_ms));
    session_send_now(s, "ready", json_serialize(d, NULL));
    json_object_put(d);
}

/* hype-api accepted the session: subscribe to each of the user's servers, then it is ready and
 * the features start it. */
static void become_ready(Session *s, const uint64_t *server_ids, size_t n) {
    char key[BUS_KEY_MAX];
    for (size_t i = 0; i < n; i++)
        bus_subscribe(s->reg->bus, bus_key(key, sizeof(key), 's', server_ids[i]), s, &s->subs);
    s->state = SESSION_READY;
    evtimer_del(s->timer);
    if (s->transport->authenticated)
        s->transport->authenticated(s);
    send_ready(s, server_ids, n);
    /* Sending "ready" may have ended the session (its connection over its budget): its end hooks
     * ran then, and its start hooks must not run after them. */
    for (size_t i = 0; i < s->reg->n_features && s->state != SESSION_CLOSED; i++)
        if (s->reg->features[i].hooks->start)
            s->reg->features[i].hooks->start(s, s->reg->features[i].userdata);
}

static Session *find_detached(SessionRegistry *reg, const char *id, uint64_t user_id) {
    for (Session *s = reg->sessions; s; s = s->next)
        if (s->state == SESSION_DETACHED && s->who.user_id == user_id && strcmp(s->id, id) == 0)
            return s;
    return NULL;
}

/* Moves the connection of fresh (which never got ready) onto old, and replays. */
static void resume(Session *fresh, Session *old, uint64_t last_seq) {
    old->transport = fresh->transport;
    old->conn = fresh->conn;
    old->who = fresh->who; /* the same user; relayed calls now carry the token just checked */
    snprintf(old->peer, sizeof(old->peer), "%s", fresh->peer);
    old->transport->rebind(old);
    fresh->conn = NULL;
    session_end(fresh);
    old->state = SESSION_READY;
    evtimer_del(old->timer);
    if (old->transport->authenticated)
        old->transport->authenticated(old);
    size_t replayed = 0;
    for (size_t i = 0; i < old->ring.count && old->conn; i++) {
        size_t at = (old->ring.start + i) % old->ring.cap;
        if (old->ring.seqs[at] <= last_seq)
            continue;
        old->transport->send_event(old, old->ring.events[at], old->ring.seqs[at]);
        replayed++;
    }
    char data[160];
    snprintf(data, sizeof(data), "{\"sessionId\":\"%s\",\"seq\":%" PRIu64 ",\"replayed\":%zu}",
             old->id, old->seq, replayed);
    session_send_now(old, "resumed", data);
    old->reg->counts.resumed++;
}

/* What the client asked for besides authenticating, kept while hype-api checks the session. */
typedef struct AuthCtx {
    char resume_id[SESSION_ID_LEN + 1]; /* "" for a fresh session */
    uint64_t last_seq;
} AuthCtx;

/* Refuses the session: 4001 when its login session is over, else 1013 (try again). */
static void refuse(Session *s, bool revoked, const char *why) {
    s->reg->counts.auth_failed++;
    if (revoked)
        s->transport->close(s, WS_CLOSE_UNAUTHORIZED, why && *why ? why : "Session revoked");
    else
        s->transport->close(s, 1013, "Try again later: the API is unavailable");
}

static void on_session_checked(Session *s, const Hype__ApiSignal__Envelope *result,
                               const Hype__Error *error, void *userdata) {
    AuthCtx ctx = *(AuthCtx *)userdata;
    free(userdata);
    s->auth_pending = false;
    if (s->state != SESSION_AUTHENTICATING || !s->conn)
        return; /* closed meanwhile (auth timeout, revocation, the client left) */
    if (error) {
        refuse(s, error->code == HYPE__ERROR__CODE__CODE_UNAUTHENTICATED, error->message);
        return;
    }
    const Hype__ApiSignal__GatewaySessionResult *g = result->gateway_session_result;
    if (!g->alive) {
        refuse(s, true, "Session has been revoked");
        return;
    }
    if (ctx.resume_id[0]) {
        Session *old = find_detached(s->reg, ctx.resume_id, s->who.user_id);
        if (old && ring_covers(old, ctx.last_seq)) {
            resume(s, old, ctx.last_seq);
            return;
        }
        s->reg->counts.resume_failed++;
        session_send_now(s, "invalid_session",
                         "{\"resumable\":false,\"message\":\"Session cannot be resumed: "
                         "fetch what you missed over REST\"}");
        if (old)
            session_end(old); /* the new session takes over its user's presence */
    }
    become_ready(s, g->server_ids, g->n_server_ids);
}

Hype__Error__Code session_authenticate(Session *s, const char *token, const char *resume_id,
                                       uint64_t last_seq, const char **error) {
    SessionRegistry *reg = s->reg;
    if (s->state != SESSION_AUTHENTICATING || s->auth_pending) {
        *error = s->auth_pending ? "Authentication in progress" : "Already authenticated";
        return HYPE__ERROR__CODE__CODE_CONFLICT;
    }
    int r = token && *token ? auth_verify_access(reg->cfg->jwt_access_secret, token,
                                                 time_wall_ms() / 1000, &s->who)
                            : -ENOKEY;
    AuthCtx *ctx = r == 0 ? calloc(1, sizeof(*ctx)) : NULL;
    if (!ctx) {
        reg->counts.auth_failed++;
        *error = r < 0 ? auth_error_message(r) : "Try again later: out of memory";
        s->transport->close(s, r < 0 ? WS_CLOSE_UNAUTHORIZED : 1013, *error);
        return r < 0 ? HYPE__ERROR__CODE__CODE_UNAUTHENTICATED
                     : HYPE__ERROR__CODE__CODE_UNAVAILABLE;
    }
    /* Only a whole session id can name one (a longer one is no id of ours, not a prefix). */
    if (resume_id && *resume_id)
        snprintf(ctx->resume_id, sizeof(ctx->resume_id), "%s",
                 strlen(resume_id) == SESSION_ID_LEN ? resume_id : "-");
    ctx->last_seq = last_seq;
    /* Subscribed before asking, so a revocation that crosses the answer still closes it. */
    char key[BUS_KEY_MAX];
    bus_subscribe(reg->bus, bus_key(key, sizeof(key), 'u', s->who.user_id), s, &s->subs);
    s->auth_pending = true;
    Hype__ApiSignal__GatewaySession q = HYPE__API_SIGNAL__GATEWAY_SESSION__INIT;
    q.user_id = s->who.user_id;
    q.session_id = s->who.session_id;
    Hype__ApiSignal__Envelope env = HYPE__API_SIGNAL__ENVELOPE__INIT;
    env.body_case = HYPE__API_SIGNAL__ENVELOPE__BODY_GATEWAY_SESSION;
    env.gateway_session = &q;
    session_request(s, &env, on_session_checked, ctx);
    return HYPE__ERROR__CODE__CODE_UNSPECIFIED;
}

void session_revoke(Session *s) {
    if (s->state == SESSION_CLOSED)
        return;
    s->no_resume = true;
    if (s->conn)
        s->transport->close(s, WS_CLOSE_UNAUTHORIZED, "Session revoked");
    else
        session_connection_lost(s, true); /* detached: no resume either */
}

/* ---- after a gap in the link to hype-api ---- */

#define RECHECK_CHUNK 10000 /* session ids per question: ~100 KB, a tenth of a frame */

static void on_ended_listed(const Hype__ApiSignal__Envelope *result, const Hype__Error *error,
                            void *userdata) {
    SessionRegistry *reg = userdata;
    if (error) {
        log_warning("could not check live sessions after relinking to hype-api: %s (%s)",
                    error->message, ipc_error_name(error->code));
        return;
    }
    const Hype__ApiSignal__SessionsCheckResult *r = result->sessions_check_result;
    size_t ended = 0;
    for (size_t i = 0; i < r->n_ended; i++) {
        /* Revoking ends the session and changes the list: look again after each. */
        for (Session *s = reg->sessions; s;) {
            if (s->who.session_id == r->ended[i] && !s->no_resume &&
                (s->state == SESSION_READY || s->state == SESSION_DETACHED)) {
                session_revoke(s);
                ended++;
                s = reg->sessions;
            } else
                s = s->next;
        }
    }
    if (ended)
        log_info("ended %zu sessions whose login ended while hype-api was unlinked", ended);
}

static void ask_ended(SessionRegistry *reg, uint64_t *ids, size_t n) {
    Hype__ApiSignal__SessionsCheck q = HYPE__API_SIGNAL__SESSIONS_CHECK__INIT;
    q.session_ids = ids;
    q.n_session_ids = n;
    Hype__ApiSignal__Envelope env = HYPE__API_SIGNAL__ENVELOPE__INIT;
    env.body_case = HYPE__API_SIGNAL__ENVELOPE__BODY_SESSIONS_CHECK;
    env.sessions_check = &q;
    signal_ipc_request(reg->ipc, &env, on_ended_listed, reg);
}

void sessions_recheck(SessionRegistry *reg) {
    uint64_t *ids = malloc(RECHECK_CHUNK * sizeof(*ids));
    size_t n = 0;
    if (!ids) {
        log_error("cannot check live sessions after relinking to hype-api: out of memory");
        return;
    }
    for (Session *s = reg->sessions; s; s = s->next) {
        if (s->state != SESSION_READY && s->state != SESSION_DETACHED)
            continue;
        ids[n++] = s->who.session_id;
        if (n == RECHECK_CHUNK) {
            ask_ended(reg, ids, n);
            n = 0;
        }
    }
    if (n)
        ask_ended(reg, ids, n);
    free(ids);
}

SessionStats sessions_stats(const SessionRegistry *reg) {
    SessionStats st = reg->counts;
    st.ready = st.authenticating = st.detached = 0;
    for (const Session *s = reg->sessions; s; s = s->next) {
        if (s->state == SESSION_READY)
            st.ready++;
        else if (s->state == SESSION_AUTHENTICATING)
            st.authenticating++;
        else if (s->state == SESSION_DETACHED)
            st.detached++;
    }
    return st;
}

void sessions_note_auth_failed(SessionRegistry *reg) {
    reg->counts.auth_failed++;
}

Session *sessions_list(const SessionRegistry *reg) {
    return reg->sessions;
}

/* hype-api asks how many live sessions a user has (whether a call can ring it now). */
static void serve_user_sessions(void *userdata, SignalIpcCall *call,
                                const Hype__ApiSignal__Envelope *request) {
    SessionRegistry *reg = userdata;
    Hype__ApiSignal__UserSessionsResult r = HYPE__API_SIGNAL__USER_SESSIONS_RESULT__INIT;
    r.sessions = (uint32_t)sessions_user_count(reg, request->user_sessions->user_id);
    Hype__ApiSignal__Envelope env = HYPE__API_SIGNAL__ENVELOPE__INIT;
    env.body_case = HYPE__API_SIGNAL__ENVELOPE__BODY_USER_SESSIONS_RESULT;
    env.user_sessions_result = &r;
    signal_ipc_reply(call, &env);
}

int sessions_new(struct event_base *base, const SignalConfig *cfg, Bus *bus, SignalIpc *ipc,
                 SessionRegistry **ret) {
    SessionRegistry *reg = calloc(1, sizeof(*reg));
    if (!reg)
        return -ENOMEM;
    *reg = (SessionRegistry){.base = base, .cfg = cfg, .bus = bus, .ipc = ipc};
    int r = ipc ? signal_ipc_serve(ipc, HYPE__API_SIGNAL__ENVELOPE__BODY_USER_SESSIONS,
                                   serve_user_sessions, reg)
                : 0;
    if (r < 0) {
        free(reg);
        return r;
    }
    *ret = reg;
    return 0;
}

SessionRegistry *sessions_free(SessionRegistry *reg) {
    if (!reg)
        return NULL;
    /* Unanswered questions go without their callbacks (hype-api's link drops them next). */
    while (reg->calls) {
        struct CallCtx *ctx = reg->calls;
        LIST_REMOVE(reg->calls, ctx);
        free(ctx);
    }
    while (reg->sessions) {
        Session *s = reg->sessions;
        ring_clear(s);
        bus_unsubscribe_all(reg->bus, &s->subs);
        s->refs = 1;
        session_unref(s);
    }
    free(reg->scratch);
    free(reg);
    return NULL;
}
