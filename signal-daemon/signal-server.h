/* signal-server: the hype-signal manager: owns the loop's parts (HTTP/WebSocket listener, client
 * connections) and their start and stop. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "hype-http-server.h"
#include "signal-config.h"
#include "signal-ws.h"

struct event_base;
struct event;
typedef struct Bus Bus;
typedef struct SignalIpc SignalIpc;
typedef struct Session Session;
typedef struct SioServer SioServer;
typedef struct EioServer EioServer;

/* Session counters kept across sessions (signal-session.h reads and fills them). */
typedef struct SessionCounters {
    size_t ready, authenticating, detached;
    uint64_t resumed, resume_failed, auth_failed, delivered;
} SessionCounters;

#define SESSION_END_HOOKS_MAX 8

typedef struct Signal {
    struct event_base *base;
    const SignalConfig *cfg;
    HttpServer *http;
    WsHub *hub; /* every WebSocket connection */
    WsConnOptions ws_opts;
    Bus *bus;
    SignalIpc *ipc;
    SioServer *sio;      /* /socket.io/ */
    EioServer *eio_echo; /* /engine.io/, conformance mode only */
    Session *sessions;   /* every session, any state */
    void (*session_end_hooks[SESSION_END_HOOKS_MAX])(Session *s); /* features' (sessions_on_end) */
    size_t n_session_end_hooks;
    SessionCounters session_counts;
    uint32_t mark_gen; /* fan-out dedup generation */
    Session **scratch; /* fan-out copy of a topic's subscribers */
    size_t scratch_cap;
    bool stopping;
    bool realtime_reset; /* stale voice/presence state cleared since start */
    int exit_code;
    struct event *sig_term, *sig_int, *drain_timer;
    uint64_t stop_deadline_ms;
} Signal;

/* Builds every part; nothing listens yet. */
int signal_new(const SignalConfig *cfg, Signal **ret);
/* Listens (socket activation fd "ws" or WS_PORT), sends READY=1, runs the loop until SIGTERM or
 * SIGINT has closed every session with 1001. Returns the exit code. */
int signal_run(Signal *sig);
Signal *signal_free(Signal *sig);

/*
 * Completes a WebSocket upgrade of req (handshake and origin checks; on failure the request is
 * answered with a JSON error and NULL is returned) and starts a WsConn with cbs/userdata.
 */
WsConn *signal_accept_websocket(Signal *sig, HttpRequest *req, const WsConnCallbacks *cbs,
                                void *userdata);
/* The JSON error every HTTP refusal uses: {"success":false,"error":message}. */
void signal_reply_error(HttpRequest *req, int status, const char *message);
