/* signal-ws: server-side WebSocket connections on bufferevents (RFC 6455 after the 101), and the
 * hub of one loop's connections: their shared output stage and counters. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct bufferevent;

/*
 * A WsConn reads frames, reassembles fragmented messages, validates UTF-8 of text messages
 * (also across fragments), answers pings, runs the close handshake and the heartbeat, and bounds
 * both directions: a message over max_message closes with 1009, more than output_limit unsent
 * bytes closes with 1008 (a client that does not read cannot grow our memory).
 *
 * Lifetime: on_close runs once, as soon as the connection stops being open (a close frame either
 * way, a protocol violation, a dead peer, EOF), with the close code (1006 when the TCP connection
 * dropped without one). The owner must forget the WsConn then; it finishes the close handshake
 * and frees itself. Everything runs on its hub's loop.
 */
typedef struct WsConn WsConn;
/*
 * Every connection of one event loop: the list (for a shutdown and for metrics), the counters,
 * and the stage their frames wait in until the loop iteration's callbacks have run (then each
 * connection is written once). Made by whoever owns the loop, before its first connection.
 */
typedef struct WsHub WsHub;

typedef struct WsConnCallbacks {
    /* A whole message; data is NUL-terminated (not counted in len) and borrowed for the call. */
    void (*on_message)(WsConn *ws, bool text, const char *data, size_t len, void *userdata);
    void (*on_close)(WsConn *ws, uint16_t code, void *userdata);
} WsConnCallbacks;

typedef struct WsConnOptions {
    size_t max_message;        /* 0 = 1 MiB */
    size_t output_limit;       /* 0 = 1 MiB */
    uint32_t ping_interval_ms; /* 0 = no pings and no liveness check */
    uint32_t ping_timeout_ms;  /* no frame at all for interval + timeout: the peer is dead */
} WsConnOptions;

int ws_hub_new(struct event_base *base, WsHub **ret);
/* Frees every connection of the hub at once (no on_close), then the hub: at exit. */
WsHub *ws_hub_free(WsHub *hub);
/* Connections that exist (open or finishing their close), for metrics and leak checks. */
size_t ws_hub_count(const WsHub *hub);
/* Starts the close handshake of every open connection (SIGTERM: 1001). */
void ws_hub_close_all(WsHub *hub, uint16_t code, const char *reason);

/* Takes ownership of bev, on hub's loop (any bytes already in its input are read first). */
int ws_conn_new(WsHub *hub, struct bufferevent *bev, const WsConnOptions *opts,
                const WsConnCallbacks *cbs, void *userdata, WsConn **ret);

/*
 * Queues one unfragmented message. -EPIPE once the connection is closing; -ENOBUFS when more than
 * the output limit is still unsent, after which the connection closes with 1008 (on_close runs
 * first). Pongs and pings count against the same limit: a peer that pings without reading is
 * closed the same way.
 */
int ws_conn_send(WsConn *ws, bool text, const void *data, size_t len);
/* The same for a message made of two pieces (a per-recipient head and a shared body). */
int ws_conn_send2(WsConn *ws, bool text, const void *a, size_t alen, const void *b, size_t blen);
/* Starts the close handshake with code and a short reason (on_close runs at once). */
void ws_conn_close(WsConn *ws, uint16_t code, const char *reason);

void ws_conn_set_userdata(WsConn *ws, void *userdata);
/* Changes the output limit from now on (an unauthenticated connection gets a small one). */
void ws_conn_set_output_limit(WsConn *ws, size_t limit);
/* Whether the peer started the close handshake (its close frame came before ours): a client
 * that says goodbye, not one that vanished or that we closed. */
bool ws_conn_closed_by_peer(const WsConn *ws);
bool ws_conn_is_open(const WsConn *ws);
size_t ws_conn_output_pending(const WsConn *ws);

/* The hub's counters since it started, for /metrics. closed[i] counts closes with code
 * ws_stats_codes[i]. */
#define WS_STATS_CODES 10
extern const uint16_t ws_stats_codes[WS_STATS_CODES];
typedef struct WsStats {
    uint64_t messages_in, messages_out;
    uint64_t writes; /* writev calls for staged frames: messages_out / writes is the batching */
    uint64_t closed[WS_STATS_CODES];
    uint64_t closed_other;
} WsStats;
const WsStats *ws_hub_stats(const WsHub *hub);
