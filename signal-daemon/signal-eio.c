/* signal-eio: Engine.IO v4 sockets: the HTTP long-polling transport, WebSocket, the upgrade
 * between them, and the server-driven heartbeat. */
#include "signal-eio.h"

#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "hype-base64.h"
#include "hype-http-parser.h"
#include "hype-log.h"
#include "hype-strmap.h"
#include "signal-eio-packet.h"
#include "hype-time.h"

struct EioServer {
    SignalHttp *http;
    EioCallbacks cbs;
    void *userdata;
    StrMap *sockets; /* by sid */
    EioSocket *dead; /* closed, freed from the loop (never under a caller's feet) */
    struct event *reaper;
};

struct EioSocket {
    EioServer *srv;
    char sid[24];
    char peer[48];
    bool websocket;      /* the transport in use: WebSocket (else long-polling) */
    WsConn *ws;          /* the WebSocket, once in use */
    WsConn *probe;       /* a WebSocket being probed for the upgrade */
    bool upgrading;      /* probe answered: polls get noop until the client sends "5" */
    EioBuf queue;        /* long-polling: packets waiting for a GET */
    size_t output_limit; /* unsent bytes allowed, in queue or in the WebSocket's output */
    HttpRequest *poll;   /* the GET parked until there is something to send */
    struct event *timer; /* next ping, or the pong deadline */
    bool awaiting_pong;
    bool closed;
    const char *closing; /* why it will close from the timer (never under a sender's feet) */
    void *userdata;
    EioSocket *next_dead;
};

static void socket_close(EioSocket *e, const char *reason, char poll_answer);

/* ---- HTTP answers ---- */

static void add_cors(EioServer *srv, HttpRequest *req) {
    const char *origin = http_request_header(req, "Origin");
    if (origin && signal_config_origin_allowed(srv->http->cfg, origin)) {
        http_response_header(req, "Access-Control-Allow-Origin", origin);
        http_response_header(req, "Access-Control-Allow-Credentials", "true");
        http_response_header(req, "Vary", "Origin");
    } else
        http_response_header(req, "Access-Control-Allow-Origin", "*");
}

static void reply_text(EioServer *srv, HttpRequest *req, const char *text, size_t len) {
    add_cors(srv, req);
    http_reply(req, 200, "text/plain; charset=UTF-8", text, len);
}

/* Engine.IO's own error shape, {"code":n,"message":...}, as its clients expect. */
static void reply_eio_error(EioServer *srv, HttpRequest *req, int code, const char *message) {
    char body[160];
    int n = snprintf(body, sizeof(body), "{\"code\":%d,\"message\":\"%s\"}", code, message);
    add_cors(srv, req);
    http_reply(req, 400, "application/json", body, (size_t)n);
}

/* ---- sending ---- */

static void flush_poll(EioSocket *e) {
    if (!e->poll || e->queue.len == 0)
        return;
    HttpRequest *req = e->poll;
    e->poll = NULL;
    reply_text(e->srv, req, e->queue.data, e->queue.len);
    e->queue.len = 0;
}

/* Closes e from the loop, soon: a send that finds the client over its budget, or the WebSocket
 * that went away while a message was being handled, must not free what the caller is using. */
static void close_later(EioSocket *e, const char *reason) {
    if (e->closed || e->closing)
        return;
    e->closing = reason;
    evtimer_del(e->timer);
    struct timeval now = {0, 0};
    evtimer_add(e->timer, &now);
}

static int send_packet(EioSocket *e, EioType type, bool binary, const char *data, size_t len) {
    if (e->closed || e->closing)
        return -EPIPE;
    if (e->websocket) {
        if (binary)
            return ws_conn_send(e->ws, false, data, len);
        char t = (char)('0' + type);
        return ws_conn_send2(e->ws, true, &t, 1, data, len);
    }
    /* Long-polling: a client that stops polling cannot make the queue grow without bound. */
    if (e->queue.len > e->output_limit) {
        close_later(e, "client too slow: output limit reached");
        return -ENOBUFS;
    }
    if (eio_buf_append_packet(&e->queue, type, binary, data, len) < 0)
        return -ENOMEM;
    flush_poll(e);
    return 0;
}

int eio_send(EioSocket *e, bool binary, const char *data, size_t len) {
    return send_packet(e, EIO_MESSAGE, binary, data, len);
}

/* ---- heartbeat ---- */

static void arm(EioSocket *e, uint32_t ms) {
    if (e->closing)
        return; /* the timer is due now, to close it */
    timer_arm_ms(e->timer, ms);
}

static void on_timer(evutil_socket_t fd, short what, void *userdata) {
    EioSocket *e = userdata;
    if (e->closing) {
        socket_close(e, e->closing, '1');
        return;
    }
    if (e->awaiting_pong) {
        socket_close(e, "ping timeout", '1');
        return;
    }
    e->awaiting_pong = true;
    send_packet(e, EIO_PING, false, "", 0);
    if (!e->closed)
        arm(e, e->srv->http->ws_opts.ping_timeout_ms);
}

static void got_pong(EioSocket *e) {
    if (!e->awaiting_pong || e->closing)
        return; /* closing: the timer is due now to close it, and must stay so */
    e->awaiting_pong = false;
    evtimer_del(e->timer);
    arm(e, e->srv->http->ws_opts.ping_interval_ms);
}

/* ---- lifecycle ---- */

static void on_reap(evutil_socket_t fd, short what, void *userdata) {
    EioServer *srv = userdata;
    while (srv->dead) {
        EioSocket *e = srv->dead;
        srv->dead = e->next_dead;
        eio_buf_free(&e->queue);
        event_free(e->timer);
        free(e);
    }
}

/* poll_answer: what a parked GET gets ('6' noop when the client asked to close, '1' when we
 * close it). */
static void socket_close(EioSocket *e, const char *reason, char poll_answer) {
    if (e->closed)
        return;
    e->closed = true;
    EioServer *srv = e->srv;
    strmap_remove(srv->sockets, e->sid);
    evtimer_del(e->timer);
    if (e->poll) {
        HttpRequest *req = e->poll;
        e->poll = NULL;
        reply_text(srv, req, &poll_answer, 1);
    }
    WsConn *conns[2] = {e->ws, e->probe};
    e->ws = e->probe = NULL;
    for (int i = 0; i < 2; i++)
        if (conns[i]) {
            ws_conn_set_userdata(conns[i], NULL);
            if (ws_conn_is_open(conns[i]))
                ws_conn_close(conns[i], 1000, reason);
        }
    if (srv->cbs.on_close)
        srv->cbs.on_close(e, reason, srv->userdata);
    e->next_dead = srv->dead;
    srv->dead = e;
    event_active(srv->reaper, EV_TIMEOUT, 0);
}

void eio_close(EioSocket *e, const char *reason) {
    socket_close(e, reason, '1');
}

static EioSocket *socket_new(EioServer *srv, const char *peer) {
    EioSocket *e = calloc(1, sizeof(*e));
    uint8_t rnd[15];
    if (!e || getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
        free(e);
        return NULL;
    }
    base64url_encode(e->sid, rnd, sizeof(rnd));
    e->srv = srv;
    e->output_limit = srv->http->cfg->output_limit;
    snprintf(e->peer, sizeof(e->peer), "%s", peer);
    e->timer = evtimer_new(srv->http->base, on_timer, e);
    if (!e->timer || strmap_put(srv->sockets, e->sid, e) < 0) {
        if (e->timer)
            event_free(e->timer);
        free(e);
        return NULL;
    }
    arm(e, srv->http->ws_opts.ping_interval_ms);
    return e;
}

static char *open_packet(EioServer *srv, const EioSocket *e, bool can_upgrade) {
    char *out = NULL;
    if (asprintf(&out,
                 "0{\"sid\":\"%s\",\"upgrades\":%s,\"pingInterval\":%u,\"pingTimeout\":%u,"
                 "\"maxPayload\":%zu}",
                 e->sid, can_upgrade ? "[\"websocket\"]" : "[]",
                 srv->http->ws_opts.ping_interval_ms, srv->http->ws_opts.ping_timeout_ms,
                 srv->http->ws_opts.max_message) < 0)
        return NULL;
    return out;
}

/* ---- packets from the client, whatever the transport ---- */

/* Returns -ECONNRESET once the socket is closed (stop handling what follows). */
static int handle_packet(EioSocket *e, const EioPacket *p) {
    EioServer *srv = e->srv;
    if (e->closed || e->closing)
        return -ECONNRESET; /* what follows a refusal is not handled */
    switch (p->type) {
    case EIO_MESSAGE:
        if (srv->cbs.on_message)
            srv->cbs.on_message(e, p->binary, p->data, p->len, srv->userdata);
        break;
    case EIO_PONG: got_pong(e); break;
    case EIO_CLOSE: socket_close(e, "client close", '6'); break;
    case EIO_NOOP: break;
    default: /* open, ping, upgrade are not the client's to send here */
        socket_close(e, "protocol error", '1');
        break;
    }
    return e->closed || e->closing ? -ECONNRESET : 0;
}

/* ---- WebSocket transport and upgrade ---- */

static void complete_upgrade(EioSocket *e);

static int replay_queued(const EioPacket *p, void *userdata) {
    EioSocket *e = userdata;
    return send_packet(e, p->type, p->binary, p->data, p->len) < 0 ? -EPIPE : 0;
}

static void on_ws_message(WsConn *ws, bool text, const char *data, size_t len, void *userdata) {
    EioSocket *e = userdata;
    if (!e || e->closing)
        return; /* the socket closed or is closing; this connection is finishing */
    if (ws == e->probe) {
        if (text && len == 6 && memcmp(data, "2probe", 6) == 0) {
            ws_conn_send(ws, true, "3probe", 6);
            e->upgrading = true;
            if (e->poll) { /* end the pending poll cleanly: the client moves on */
                HttpRequest *req = e->poll;
                e->poll = NULL;
                reply_text(e->srv, req, "6", 1);
            }
        } else if (text && len == 1 && data[0] == '5' && e->upgrading)
            complete_upgrade(e);
        else
            ws_conn_close(ws, 1002, "unexpected packet during the upgrade");
        return;
    }
    EioPacket p = {EIO_MESSAGE, true, data, len};
    if (text && eio_parse_text(data, len, &p) < 0) {
        socket_close(e, "invalid packet", '1');
        return;
    }
    handle_packet(e, &p);
}

static void complete_upgrade(EioSocket *e) {
    e->ws = e->probe;
    e->probe = NULL;
    e->websocket = true;
    e->upgrading = false;
    /* What was waiting for a poll now goes over the WebSocket, in order. */
    EioBuf queued = e->queue;
    e->queue = (EioBuf){0};
    if (queued.len) {
        char *scratch = malloc(queued.len + 1);
        if (scratch)
            eio_parse_payload(queued.data, queued.len, scratch, replay_queued, e);
        free(scratch);
    }
    eio_buf_free(&queued);
}

static void on_ws_close(WsConn *ws, uint16_t code, void *userdata) {
    EioSocket *e = userdata;
    if (!e)
        return;
    if (ws == e->probe) { /* the upgrade failed: carry on polling */
        e->probe = NULL;
        e->upgrading = false;
        return;
    }
    e->ws = NULL;
    close_later(e, "transport close");
}

static const WsConnCallbacks ws_cbs = {on_ws_message, on_ws_close};

static void open_websocket(EioServer *srv, HttpRequest *req) {
    char peer[48];
    snprintf(peer, sizeof(peer), "%s", http_request_peer_address(req));
    WsConn *ws = signal_http_accept_websocket(srv->http, req, &ws_cbs, NULL);
    if (!ws)
        return;
    EioSocket *e = socket_new(srv, peer);
    char *open = e ? open_packet(srv, e, false) : NULL;
    if (!open) {
        if (e)
            socket_close(e, "out of memory", '1');
        ws_conn_close(ws, 1011, "Out of memory");
        return;
    }
    e->websocket = true;
    e->ws = ws;
    ws_conn_set_userdata(ws, e);
    ws_conn_send(ws, true, open, strlen(open));
    free(open);
    if (srv->cbs.on_open)
        srv->cbs.on_open(e, srv->userdata);
}

static void probe_websocket(EioServer *srv, EioSocket *e, HttpRequest *req) {
    if (e->websocket || e->probe) {
        /* Already upgraded (or upgrading): this second WebSocket is accepted and closed at once,
         * which WebSocket clients report as a close rather than an error. */
        WsConn *ws = signal_http_accept_websocket(srv->http, req, &ws_cbs, NULL);
        if (ws)
            ws_conn_close(ws, 1008, "Session already has a WebSocket");
        return;
    }
    WsConn *ws = signal_http_accept_websocket(srv->http, req, &ws_cbs, e);
    if (ws) {
        ws_conn_set_output_limit(ws, e->output_limit);
        e->probe = ws;
    }
}

/* ---- long-polling transport ---- */

static void open_polling(EioServer *srv, HttpRequest *req) {
    EioSocket *e = socket_new(srv, http_request_peer_address(req));
    char *open = e ? open_packet(srv, e, true) : NULL;
    if (!open) {
        if (e)
            socket_close(e, "out of memory", '1');
        signal_http_error(req, 503, "Out of memory");
        return;
    }
    reply_text(srv, req, open, strlen(open));
    free(open);
    if (srv->cbs.on_open)
        srv->cbs.on_open(e, srv->userdata);
}

static void poll_get(EioServer *srv, EioSocket *e, HttpRequest *req) {
    if (e->poll) {
        /* Two polls at once: the protocol says the session is broken. */
        reply_eio_error(srv, req, 3, "Bad request");
        socket_close(e, "duplicate poll", '1');
        return;
    }
    if (e->upgrading) {
        reply_text(srv, req, "6", 1);
        return;
    }
    e->poll = req;
    flush_poll(e);
}

static int on_posted_packet(const EioPacket *p, void *userdata) {
    return handle_packet(userdata, p);
}

static void poll_post(EioServer *srv, EioSocket *e, HttpRequest *req) {
    size_t len;
    const char *body = http_request_body(req, &len);
    char *scratch = malloc(len + 1);
    if (!scratch) {
        signal_http_error(req, 503, "Out of memory");
        return;
    }
    int r = eio_parse_payload(body, len, scratch, on_posted_packet, e);
    free(scratch);
    if (r == -EBADMSG) {
        reply_eio_error(srv, req, 3, "Bad request");
        socket_close(e, "invalid packet", '1');
        return;
    }
    reply_text(srv, req, "ok", 2);
}

/* ---- requests ---- */

void eio_server_handle(EioServer *srv, HttpRequest *req) {
    const char *q = http_request_query(req);
    char eio[8], transport[16], sid[32];
    HttpMethod m = http_request_method(req);
    if (m == HTTP_OPTIONS) {
        add_cors(srv, req);
        http_response_header(req, "Access-Control-Allow-Methods", "GET, POST");
        http_response_header(req, "Access-Control-Allow-Headers", "Content-Type");
        http_reply(req, 204, NULL, NULL, 0);
        return;
    }
    if (!q || http_query_get(q, "EIO", eio, sizeof(eio)) < 0 || strcmp(eio, "4") != 0) {
        reply_eio_error(srv, req, 5, "Unsupported protocol version");
        return;
    }
    bool polling = http_query_get(q, "transport", transport, sizeof(transport)) >= 0 &&
                   strcmp(transport, "polling") == 0;
    if (!polling && strcmp(transport, "websocket") != 0) {
        reply_eio_error(srv, req, 0, "Transport unknown");
        return;
    }
    if (http_query_get(q, "sid", sid, sizeof(sid)) < 0) {
        if (polling && m == HTTP_GET)
            open_polling(srv, req);
        else if (!polling)
            open_websocket(srv, req);
        else
            reply_eio_error(srv, req, 2, "Bad handshake method");
        return;
    }
    EioSocket *e = strmap_get(srv->sockets, sid);
    if (!e) {
        reply_eio_error(srv, req, 1, "Session ID unknown");
        return;
    }
    if (!polling)
        probe_websocket(srv, e, req);
    else if (e->websocket) /* upgraded: polling is over for this sid */
        reply_eio_error(srv, req, 3, "Bad request");
    else if (m == HTTP_GET)
        poll_get(srv, e, req);
    else if (m == HTTP_POST)
        poll_post(srv, e, req);
    else
        reply_eio_error(srv, req, 2, "Bad request method");
}

/* ---- server ---- */

int eio_server_new(SignalHttp *http, const EioCallbacks *cbs, void *userdata, EioServer **ret) {
    EioServer *srv = calloc(1, sizeof(*srv));
    if (!srv)
        return -ENOMEM;
    srv->http = http;
    srv->cbs = *cbs;
    srv->userdata = userdata;
    srv->reaper = event_new(http->base, -1, 0, on_reap, srv);
    if (!srv->reaper || strmap_new(&srv->sockets) < 0) {
        eio_server_free(srv);
        return -ENOMEM;
    }
    *ret = srv;
    return 0;
}

static void close_one(const char *key, void *value, void *userdata) {
    EioSocket **list = userdata;
    EioSocket *e = value;
    e->next_dead = *list; /* collected first: closing changes the map */
    *list = e;
}

EioServer *eio_server_free(EioServer *srv) {
    if (!srv)
        return NULL;
    if (srv->sockets) {
        EioSocket *list = NULL;
        strmap_foreach(srv->sockets, close_one, &list);
        while (list) { /* on_close lets the owner free what it keeps for each */
            EioSocket *e = list;
            list = e->next_dead;
            socket_close(e, "server stopping", '1');
        }
    }
    if (srv->reaper) {
        on_reap(-1, 0, srv);
        event_free(srv->reaper);
    }
    strmap_free(srv->sockets);
    free(srv);
    return NULL;
}

size_t eio_server_sockets(const EioServer *srv) {
    return strmap_size(srv->sockets);
}

void eio_set_output_limit(EioSocket *e, size_t limit) {
    e->output_limit = limit;
    if (e->ws)
        ws_conn_set_output_limit(e->ws, limit);
    if (e->probe)
        ws_conn_set_output_limit(e->probe, limit);
}

void eio_set_userdata(EioSocket *e, void *userdata) {
    e->userdata = userdata;
}
void *eio_userdata(const EioSocket *e) {
    return e->userdata;
}
const char *eio_sid(const EioSocket *e) {
    return e->sid;
}
const char *eio_peer(const EioSocket *e) {
    return e->peer;
}
bool eio_is_websocket(const EioSocket *e) {
    return e->websocket;
}
