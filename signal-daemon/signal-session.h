/* signal-session: client sessions and their registry: authentication, subscriptions, numbered
 * events with a bounded replay buffer, detaching on a dropped connection and resuming, fan-out,
 * and the hooks and per-session slots features keep their state in. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hype-ipc-api-signal.h"
#include "signal-auth.h"
#include "signal-bus.h"
#include "signal-config.h"

struct event_base;
typedef struct SignalIpc SignalIpc;

/* Every session of the daemon, any state, and what they share (the bus, the link to hype-api). */
typedef struct SessionRegistry SessionRegistry;

/*
 * An event as clients receive it, shared by every recipient (refcounted): the raw protocol's
 * frame without its per-session sequence number ("tail"), and the parts other encodings need.
 */
typedef struct OutEvent {
    unsigned refs;
    char *type;
    char *data; /* JSON text */
    size_t tail_len;
    char *tail;   /* "\"type\":...,\"data\":...,\"timestamp\":\"...\"}" */
    size_t bytes; /* what it holds in memory (what a session keeping it is charged) */
} OutEvent;

OutEvent *out_event_new(const char *type, const char *data_json);
OutEvent *out_event_ref(OutEvent *ev);
void out_event_unref(OutEvent *ev);

typedef enum SessionState {
    SESSION_AUTHENTICATING, /* connected, no valid token yet */
    SESSION_READY,          /* authenticated and receiving events */
    SESSION_DETACHED,       /* connection lost: events buffered until resumed or expired */
    SESSION_CLOSED,         /* gone; freed once nothing references it */
} SessionState;

#define SESSION_ID_LEN 24 /* 12 random bytes in hex */
#define SESSION_FEATURES_MAX 8

typedef struct Session Session;

/* How a session's frames reach its client (the raw protocol, or Socket.IO). */
typedef struct SessionTransport {
    /* Sends ev numbered seq; false when the connection is gone or over its budget. */
    bool (*send_event)(Session *s, const OutEvent *ev, uint64_t seq);
    void (*close)(Session *s, uint16_t code, const char *reason);
    /* s took over the connection in s->conn (a resume): point the connection at s. */
    void (*rebind)(Session *s);
    /* hype-api accepted the session, just before "ready" or "resumed": lift the small output
     * budget of unauthenticated connections (and, for Socket.IO, answer CONNECT). */
    void (*authenticated)(Session *s);
} SessionTransport;

struct Session {
    SessionRegistry *reg;
    Session *prev, *next; /* the registry's list */
    unsigned refs;        /* pending API calls hold one each */
    SessionState state;
    char id[SESSION_ID_LEN + 1]; /* the resume handle clients present (hex) */
    Identity who;
    char peer[48]; /* client address */
    const SessionTransport *transport;
    void *conn; /* the transport's connection, NULL while detached */
    Sub *subs;  /* topics this session receives */
    uint64_t seq;
    struct {
        uint64_t *seqs;
        OutEvent **events;
        size_t cap, start, count;
        size_t bytes; /* of the events kept, at most WS_OUTPUT_LIMIT and the newest one */
    } ring;
    uint32_t mark;        /* fan-out dedup */
    bool no_resume;       /* ended on purpose (revoked): a lost connection ends the session */
    bool auth_pending;    /* hype-api is checking the token's login session */
    unsigned pending_ops; /* client ops waiting for hype-api (the gateway's, at most
                             WS_PENDING_OPS) */
    struct event *timer;  /* auth timeout, or detach expiry */
    /* What each feature keeps for this session, at the slot sessions_register gave it; NULL until
     * the feature puts something there, freed with its free_state when the session is freed. */
    void *slots[SESSION_FEATURES_MAX];
};

/*
 * What a feature does at the edges of every session's life, in the order features registered.
 * start: the session became ready (its client got "ready"; not again when it resumes).
 * end: a session that was ready ends (a clean close, a revocation, or a dropped connection whose
 * resume window passed); it still has its subscriptions, but receives nothing any more.
 * Either may be NULL; free_state (NULL: the feature keeps nothing) frees a non-NULL slot.
 */
typedef struct SessionHooks {
    void (*start)(Session *s, void *userdata);
    void (*end)(Session *s, void *userdata);
    void (*free_state)(void *state);
} SessionHooks;

/* base, cfg, bus and ipc are borrowed, and shared by every session. Serves hype-api's
 * UserSessions over ipc (NULL: no link, in tests). */
int sessions_new(struct event_base *base, const SignalConfig *cfg, Bus *bus, SignalIpc *ipc,
                 SessionRegistry **ret);
/* Frees every session at once (no hooks run, slots are freed), then the registry: at exit. */
SessionRegistry *sessions_free(SessionRegistry *reg);
/* Registers a feature (at most SESSION_FEATURES_MAX, at start; hooks is kept by reference) and
 * sets *ret_slot (may be NULL) to its index in every session's slots. */
int sessions_register(SessionRegistry *reg, const SessionHooks *hooks, void *userdata,
                      unsigned *ret_slot);
/* The first session of the list (s->next the others), any state; NULL when there is none. */
Session *sessions_list(const SessionRegistry *reg);
/* The subscriptions of user_id's sessions to its user topic ("u:<id>"; each ->owner a Session),
 * from the moment they present a valid token: valid until a session of the user authenticates
 * or ends. */
Sub *const *sessions_of_user(SessionRegistry *reg, uint64_t user_id, size_t *n);
/* How many of user_id's sessions are live: ready, or detached and still resumable (those being
 * checked do not count). What hype-api's UserSessions is answered. */
size_t sessions_user_count(SessionRegistry *reg, uint64_t user_id);
/* A connection refused before it had a session (a Socket.IO CONNECT with a bad token) counts as
 * a failed authentication. */
void sessions_note_auth_failed(SessionRegistry *reg);

/* Creates a session for a new connection; it must authenticate within WS_AUTH_TIMEOUT. */
Session *session_new(SessionRegistry *reg, const SessionTransport *transport, void *conn,
                     const char *peer);
/*
 * Authenticates with an access token; resume_id/last_seq (resume_id NULL: none) ask to resume a
 * detached session. The token's signature and expiry are checked here, then hype-api is asked
 * (GatewaySession) whether its login session is still alive (logout, refresh-token reuse, a
 * blocked or deleted account end it) and for every server the user is in. On success the client
 * gets "ready" (or "resumed" and what it missed, or "invalid_session" then "ready" when it cannot
 * be resumed); a resume moves the connection onto the detached session (the transport's rebind).
 * A bad or revoked token closes with 4001; hype-api unreachable closes with 1013.
 * Returns 0 once the check is under way, or a code with *error set: CODE_CONFLICT when the
 * session is authenticated or being checked already, CODE_UNAUTHENTICATED for a bad token
 * (closing, 4001), CODE_UNAVAILABLE when out of memory (closing, 1013).
 */
Hype__Error__Code session_authenticate(Session *s, const char *token, const char *resume_id,
                                       uint64_t last_seq, const char **error);
/* The transport lost its connection (clean: the client closed it on purpose). */
void session_connection_lost(Session *s, bool clean);
/* Sends one event to this session (numbered, buffered for resume). */
void session_send(Session *s, OutEvent *ev);
/* A one-off frame that is not numbered (errors, acks). */
void session_send_now(Session *s, const char *type, const char *data_json);

Session *session_ref(Session *s);
void session_unref(Session *s);
bool session_is_live(const Session *s); /* READY with a connection */

/*
 * Asking hype-api on a session's behalf. Either way cb (may be NULL) runs exactly once, never
 * before the call returns (unless out of memory), also when the session has closed meanwhile (then
 * s->state is SESSION_CLOSED: free what userdata holds and do nothing else); the session is held
 * until then. An answer CODE_UNAUTHENTICATED means its login session is over: the session is
 * revoked (4001) once cb has run.
 */
/* A typed request (signal_ipc_request): result or error, as there. */
typedef void (*session_request_cb)(Session *s, const Hype__ApiSignal__Envelope *result,
                                   const Hype__Error *error, void *userdata);
void session_request(Session *s, Hype__ApiSignal__Envelope *request, session_request_cb cb,
                     void *userdata);
/* A client action that is the REST API itself (POST /api/messages...), relayed as method target
 * body with a token of the session's user (signal_ipc_api_call): the answer's code and body. */
typedef void (*session_api_cb)(Session *s, Hype__Error__Code code, const char *body,
                               void *userdata);
void session_api_call(Session *s, const char *method, const char *target, const char *body,
                      session_api_cb cb, void *userdata);

/* Fan-out: sends ev once to every live-or-detached session subscribed to any of keys, except
 * skip. Returns the number of recipients. */
size_t sessions_publish(SessionRegistry *reg, const char *const *keys, size_t n, OutEvent *ev,
                        const Session *skip);
/* The same for one topic key. */
size_t sessions_publish_one(SessionRegistry *reg, const char *key, OutEvent *ev,
                            const Session *skip);

/* Ends s because its login session is over: 4001 to a live connection, no resume. */
void session_revoke(Session *s);
/* After the link to hype-api was down (either side restarted): asks which login sessions of the
 * live ones ended meanwhile (SessionsCheck: a logout or a block whose event could not reach us)
 * and ends them. */
void sessions_recheck(SessionRegistry *reg);

/* Counts for /metrics: gauges computed now, counters since start. */
typedef struct SessionStats {
    size_t ready, authenticating, detached;
    uint64_t resumed, resume_failed, auth_failed, delivered;
} SessionStats;
SessionStats sessions_stats(const SessionRegistry *reg);
