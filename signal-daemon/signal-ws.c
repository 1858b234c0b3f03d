/* signal-ws: server-side WebSocket connections on bufferevents (RFC 6455 after the 101), and the
 * hub of one loop's connections: their shared output stage and counters. */
#include "signal-ws.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#include "hype-utf8.h"
#include "hype-ws.h"
#include "hype-time.h"
#include "hype-list.h"

#define MSG_KEEP_MAX 4096 /* a larger reassembly buffer is freed after its message */
#define LINGER_MS 2000    /* after our close frame: how long we wait for the peer's EOF */

typedef enum WsState {
    WS_OPEN,
    WS_FINISHING, /* close frame queued: flush it, shut our side, discard input until EOF */
} WsState;

/*
 * Output does not go through the bufferevent: it would arm and disarm write readiness (two
 * epoll_ctl calls) for every message. Frames are staged instead (see "staging" below) and every
 * connection that got some is written once, with one writev, after this loop iteration's
 * callbacks have run; only what the kernel does not take waits in out, with write_ev armed until
 * it drains. Both are created on first need, so idle connections do not carry them.
 */
struct WsConn {
    WsHub *hub;
    WsConn *prev, *next; /* the hub's connections, open or finishing */
    struct bufferevent *bev;
    evutil_socket_t fd; /* -1 for a socketless bufferevent (the fuzz target's pairs) */
    struct evbuffer *out;
    struct event *write_ev;
    int32_t stage_first, stage_last; /* this connection's staged segments, -1: none */
    uint32_t stage_slot;             /* its place in the stage's dirty list while it has some */
    size_t staged;                   /* bytes staged */
    bool broken;                     /* a write failed: ends like EOF, from the loop */
    struct event *timer;
    WsConnOptions opts;
    WsConnCallbacks cbs;
    void *userdata;
    WsState state;
    bool shut_wr;
    bool peer_closed; /* the close handshake was the peer's (a valid close frame came first) */
    uint64_t last_rx_ms;
    /* A fragmented message being reassembled. */
    bool in_message;
    bool message_text;
    Utf8State utf8;
    uint8_t *msg;
    size_t msg_len, msg_cap;
};

static void arm_timer(WsConn *ws, uint32_t ms) {
    timer_arm_ms(ws->timer, ms);
}

static void on_writable(evutil_socket_t fd, short what, void *arg);

static size_t out_pending(const WsConn *ws) {
    if (ws->fd < 0)
        return evbuffer_get_length(bufferevent_get_output(ws->bev));
    return ws->staged + (ws->out ? evbuffer_get_length(ws->out) : 0);
}

/* The connection cannot be written to any more: it ends like EOF, from the timer (never under
 * a caller's feet). */
static void mark_broken(WsConn *ws) {
    ws->broken = true;
    evtimer_del(ws->timer);
    struct timeval now = {0, 0};
    evtimer_add(ws->timer, &now);
}

/* ---- staging ----
 *
 * One event fanned out to N connections costs N writes whether it is written at once or staged;
 * k events that arrive together (the loop fell behind: a burst of IPC frames, many clients
 * speaking at once) cost N writes instead of kN, so a busy gateway gets cheaper per delivery
 * instead of slower. The staged bytes of every connection of a hub share one buffer, so staging
 * allocates nothing per frame once the buffer has grown, and idle connections carry nothing for
 * it.
 */
#define STAGE_FLUSH_AT (8u << 20) /* staged bytes that force a flush before the loop's turn */
#define STAGE_KEEP (1u << 20)     /* buffer capacity kept between flushes */
#define STAGE_IOV 64              /* segments per writev */

typedef struct StageSeg {
    uint32_t off, len;
    int32_t next; /* the connection's next segment, -1: last */
} StageSeg;

typedef struct Stage {
    struct event *flush_ev;
    uint8_t *buf;
    size_t len, cap;
    StageSeg *segs;
    size_t nsegs, segs_cap;
    WsConn **dirty; /* connections with staged segments; NULL where one was freed */
    size_t ndirty, dirty_cap;
} Stage;

/* Every connection of one loop, with what they share: the stage and the counters. */
struct WsHub {
    struct event_base *base;
    WsConn *conns;
    size_t count;
    WsStats stats;
    Stage stage;
};

static void count_close(WsHub *hub, uint16_t code) {
    for (size_t i = 0; i < WS_STATS_CODES; i++)
        if (ws_stats_codes[i] == code) {
            hub->stats.closed[i]++;
            return;
        }
    hub->stats.closed_other++;
}

/* Makes *p hold at least need elements of elem bytes, doubling from 64. */
static bool grow(void **p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap)
        return true;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    void *q = reallocarray(*p, c, elem);
    if (!q)
        return false;
    *p = q;
    *cap = c;
    return true;
}

/* Moves what the kernel did not take into out and waits for writability. */
static void keep_unsent(WsConn *ws, const struct iovec *iov, int n, size_t done) {
    if (!ws->out) {
        ws->out = evbuffer_new();
        ws->write_ev = event_new(bufferevent_get_base(ws->bev), ws->fd, EV_WRITE | EV_PERSIST,
                                 on_writable, ws);
        if (!ws->out || !ws->write_ev) {
            mark_broken(ws);
            return;
        }
    }
    for (int i = 0; i < n; i++) {
        size_t len = iov[i].iov_len;
        if (done >= len) {
            done -= len;
            continue;
        }
        evbuffer_add(ws->out, (const char *)iov[i].iov_base + done, len - done);
        done = 0;
    }
    event_add(ws->write_ev, NULL);
}

static void shut_when_flushed(WsConn *ws);

/* Writes a connection's staged segments, STAGE_IOV at a time, until done or the kernel
 * refuses; the rest goes to out. Never frees the connection (a failed write marks it). */
static void stage_write(WsConn *ws) {
    Stage *stage = &ws->hub->stage;
    int32_t seg = ws->stage_first;
    ws->stage_first = ws->stage_last = -1;
    ws->staged = 0;
    while (seg >= 0 && !ws->broken) {
        struct iovec iov[STAGE_IOV];
        int n = 0;
        size_t total = 0;
        for (; seg >= 0 && n < STAGE_IOV; seg = stage->segs[seg].next, n++) {
            iov[n] = (struct iovec){stage->buf + stage->segs[seg].off, stage->segs[seg].len};
            total += iov[n].iov_len;
        }
        ssize_t w = writev(ws->fd, iov, n);
        ws->hub->stats.writes++;
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            mark_broken(ws);
            return;
        }
        size_t done = w > 0 ? (size_t)w : 0;
        if (done < total) {
            keep_unsent(ws, iov, n, done);
            for (; seg >= 0 && !ws->broken; seg = stage->segs[seg].next) {
                struct iovec rest = {stage->buf + stage->segs[seg].off, stage->segs[seg].len};
                keep_unsent(ws, &rest, 1, 0);
            }
            return;
        }
    }
    if (ws->state == WS_FINISHING)
        shut_when_flushed(ws);
}

static void stage_flush(Stage *stage) {
    for (size_t i = 0; i < stage->ndirty; i++)
        if (stage->dirty[i])
            stage_write(stage->dirty[i]);
    stage->ndirty = stage->nsegs = stage->len = 0;
    if (stage->cap > STAGE_KEEP) { /* a burst's buffers are not kept */
        free(stage->buf);
        stage->buf = NULL;
        stage->cap = 0;
    }
    if (stage->segs_cap * sizeof(StageSeg) > STAGE_KEEP) {
        free(stage->segs);
        stage->segs = NULL;
        stage->segs_cap = 0;
    }
}

static void on_stage_flush(evutil_socket_t fd, short what, void *arg) {
    stage_flush(arg);
}

/* Copies iov[0..n) into the stage as a segment of ws (or onto the end of its last one); the
 * loop writes it after this turn. */
static void stage_append(WsConn *ws, const struct iovec *iov, int n, size_t total) {
    Stage *stage = &ws->hub->stage;
    if (total > UINT32_MAX || !grow((void **)&stage->buf, &stage->cap, stage->len + total, 1) ||
        !grow((void **)&stage->segs, &stage->segs_cap, stage->nsegs + 1, sizeof(StageSeg)) ||
        !grow((void **)&stage->dirty, &stage->dirty_cap, stage->ndirty + 1, sizeof(WsConn *))) {
        mark_broken(ws);
        return;
    }
    int32_t last = ws->stage_last;
    bool extend = last >= 0 && stage->segs[last].off + stage->segs[last].len == stage->len &&
                  stage->segs[last].len + total <= UINT32_MAX;
    for (int i = 0; i < n; i++) {
        if (!iov[i].iov_len) /* an empty payload may have no pointer */
            continue;
        memcpy(stage->buf + stage->len, iov[i].iov_base, iov[i].iov_len);
        stage->len += iov[i].iov_len;
    }
    ws->staged += total;
    if (extend) { /* the same connection again (a burst to one client): one longer segment */
        stage->segs[last].len += (uint32_t)total;
        return;
    }
    int32_t seg = (int32_t)stage->nsegs++;
    stage->segs[seg] = (StageSeg){(uint32_t)(stage->len - total), (uint32_t)total, -1};
    if (ws->stage_first < 0) {
        ws->stage_first = seg;
        ws->stage_slot = (uint32_t)stage->ndirty;
        stage->dirty[stage->ndirty++] = ws;
        event_active(stage->flush_ev, EV_TIMEOUT, 1);
    } else
        stage->segs[last].next = seg;
    ws->stage_last = seg;
}

/* Queues iov[0..n) behind whatever waits: staged, or in out while the kernel is full. */
static void out_write(WsConn *ws, const struct iovec *iov, int n) {
    if (ws->broken)
        return;
    if (ws->fd < 0) {
        for (int i = 0; i < n; i++)
            evbuffer_add(bufferevent_get_output(ws->bev), iov[i].iov_base, iov[i].iov_len);
        return;
    }
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += iov[i].iov_len;
    if (ws->hub->stage.len + total > STAGE_FLUSH_AT)
        stage_flush(&ws->hub->stage); /* may leave ws with unsent bytes in out, or broken */
    if (ws->broken)
        return;
    if (ws->out && evbuffer_get_length(ws->out) > 0)
        keep_unsent(ws, iov, n, 0);
    else
        stage_append(ws, iov, n, total);
}

static void conn_free(WsConn *ws) {
    WsHub *hub = ws->hub;
    LIST_REMOVE(hub->conns, ws);
    if (ws->stage_first >= 0)
        hub->stage.dirty[ws->stage_slot] = NULL;
    if (ws->write_ev) /* before the descriptor closes with the bufferevent */
        event_free(ws->write_ev);
    if (ws->out)
        evbuffer_free(ws->out);
    bufferevent_free(ws->bev);
    event_free(ws->timer);
    free(ws->msg);
    free(ws);
    hub->count--;
}

/* Control frames and our own messages: the header and payload straight into the output. */
static void queue_frame(WsConn *ws, uint8_t opcode, const void *data, size_t len) {
    uint8_t hdr[WS_HEADER_MAX];
    struct iovec iov[2] = {{hdr, ws_frame_header_encode(hdr, opcode, true, len, NULL)},
                           {(void *)data, len}};
    out_write(ws, iov, 2);
}

/* Once our close frame is out, a FIN tells the peer; its EOF (or the linger timer) ends it. */
static void shut_when_flushed(WsConn *ws) {
    if (!ws->shut_wr && out_pending(ws) == 0) {
        ws->shut_wr = true;
        shutdown(ws->fd, SHUT_WR);
    }
}

/* Leaves the open state: the close frame goes out, the owner hears of it, we linger. */
static void finish(WsConn *ws, uint16_t code, const char *reason, bool send_close) {
    if (ws->state != WS_OPEN)
        return;
    ws->state = WS_FINISHING;
    if (send_close) {
        uint8_t payload[WS_CONTROL_MAX];
        size_t n = 0;
        if (code != WS_CLOSE_NO_STATUS) {
            payload[0] = (uint8_t)(code >> 8);
            payload[1] = (uint8_t)code;
            size_t rlen = reason ? strlen(reason) : 0;
            if (rlen > WS_CONTROL_MAX - 2)
                rlen = WS_CONTROL_MAX - 2;
            if (rlen)
                memcpy(payload + 2, reason, rlen);
            n = 2 + rlen;
        }
        queue_frame(ws, WS_OP_CLOSE, payload, n);
    }
    ws->in_message = false;
    /* The timer now bounds the whole shutdown, also against a peer that never reads. */
    evtimer_del(ws->timer);
    arm_timer(ws, LINGER_MS);
    shut_when_flushed(ws);
    count_close(ws->hub, code);
    if (ws->cbs.on_close)
        ws->cbs.on_close(ws, code, ws->userdata);
}

static void fail(WsConn *ws, uint16_t code, const char *reason) {
    finish(ws, code, reason, true);
}

/*
 * Every byte queued for the peer counts against its output limit, control frames included (a
 * client that pings and never reads would otherwise grow our memory with pongs). Judged on what
 * is already waiting, so one message larger than the limit still goes to a client that keeps up;
 * memory stays under the limit plus one message, plus our close frame. Over it, the connection
 * stops being read and closes with 1008.
 */
static bool over_limit(WsConn *ws) {
    if (out_pending(ws) <= ws->opts.output_limit)
        return false;
    fail(ws, WS_CLOSE_POLICY_VIOLATION, "client too slow: output limit reached");
    return true;
}

static void deliver(WsConn *ws, bool text, uint8_t *data, size_t len) {
    ws->hub->stats.messages_in++;
    if (ws->cbs.on_message)
        ws->cbs.on_message(ws, text, (const char *)data, len, ws->userdata);
}

static void handle_close_frame(WsConn *ws, const uint8_t *p, size_t len) {
    if (len == 0) {
        ws->peer_closed = true;
        finish(ws, WS_CLOSE_NO_STATUS, NULL, true);
        return;
    }
    uint16_t code = len >= 2 ? (uint16_t)(p[0] << 8 | p[1]) : 0;
    if (len == 1 || !ws_close_code_receivable(code)) {
        fail(ws, WS_CLOSE_PROTOCOL_ERROR, "invalid close code");
        return;
    }
    if (!utf8_is_valid(p + 2, len - 2)) {
        fail(ws, WS_CLOSE_INVALID_PAYLOAD, "close reason is not UTF-8");
        return;
    }
    ws->peer_closed = true;
    finish(ws, code, NULL, true); /* echo the code, as RFC 6455 §5.5.1 suggests */
}

static int append_fragment(WsConn *ws, const uint8_t *p, size_t len) {
    if (!grow((void **)&ws->msg, &ws->msg_cap, ws->msg_len + len + 1, 1))
        return -ENOMEM;
    memcpy(ws->msg + ws->msg_len, p, len);
    ws->msg_len += len;
    ws->msg[ws->msg_len] = '\0';
    return 0;
}

/*
 * A data frame (text, binary or continuation) with its payload unmasked in place. in_place:
 * p[len] is ours to borrow, so a message in one frame is delivered without a copy.
 */
static void handle_data_frame(WsConn *ws, const WsFrameHeader *h, uint8_t *p, size_t len,
                              bool in_place) {
    bool text = h->opcode == WS_OP_CONTINUATION ? ws->message_text : h->opcode == WS_OP_TEXT;
    if (h->opcode != WS_OP_CONTINUATION)
        ws->utf8 = 0;
    if (text && (!utf8_feed(&ws->utf8, p, len) || (h->fin && !utf8_state_complete(ws->utf8)))) {
        fail(ws, WS_CLOSE_INVALID_PAYLOAD, "text message is not UTF-8");
        return;
    }
    if (h->fin && !ws->in_message && in_place) {
        uint8_t saved = p[len];
        p[len] = '\0';
        deliver(ws, text, p, len);
        p[len] = saved;
        return;
    }
    if (append_fragment(ws, p, len) < 0) {
        fail(ws, WS_CLOSE_INTERNAL_ERROR, "out of memory");
        return;
    }
    if (!ws->in_message) {
        ws->in_message = true;
        ws->message_text = text;
    }
    if (h->fin) {
        ws->in_message = false;
        size_t n = ws->msg_len;
        ws->msg_len = 0;
        deliver(ws, text, ws->msg, n);
        if (ws->msg_cap > MSG_KEEP_MAX) { /* idle connections stay small */
            free(ws->msg);
            ws->msg = NULL;
            ws->msg_cap = 0;
        }
    }
}

/* Checks a data frame's place in the message sequence and its size. False when it failed. */
static bool data_frame_allowed(WsConn *ws, const WsFrameHeader *h) {
    if (h->opcode == WS_OP_CONTINUATION && !ws->in_message) {
        fail(ws, WS_CLOSE_PROTOCOL_ERROR, "continuation frame without a message");
        return false;
    }
    if (h->opcode != WS_OP_CONTINUATION && ws->in_message) {
        fail(ws, WS_CLOSE_PROTOCOL_ERROR, "new message inside a fragmented one");
        return false;
    }
    uint64_t total = (ws->in_message ? ws->msg_len : 0) + h->payload_len;
    if (total > ws->opts.max_message) {
        fail(ws, WS_CLOSE_MESSAGE_TOO_BIG, "message too big");
        return false;
    }
    return true;
}

/* Parses and handles every complete frame in the input. */
static void process_input(WsConn *ws) {
    struct evbuffer *in = bufferevent_get_input(ws->bev);
    while (ws->state == WS_OPEN) {
        size_t avail = evbuffer_get_length(in);
        size_t peek = avail < WS_HEADER_MAX ? avail : WS_HEADER_MAX;
        if (peek < 2)
            return;
        WsFrameHeader h;
        uint16_t code;
        int hl = ws_frame_header_parse(evbuffer_pullup(in, (ssize_t)peek), peek, &h, &code);
        if (hl < 0) {
            fail(ws, code, "protocol error");
            return;
        }
        bool control = h.opcode & 0x8;
        if (hl > 0 && !control && !data_frame_allowed(ws, &h))
            return;
        if (hl == 0 || avail - (size_t)hl < h.payload_len)
            return; /* the read watermark lets a whole allowed frame in */
        size_t frame_len = (size_t)hl + (size_t)h.payload_len;
        /* With a byte after the frame in the same region, a message can be NUL-terminated in
         * place; else it goes through the message buffer. */
        bool in_place = avail > frame_len;
        uint8_t *p = evbuffer_pullup(in, (ssize_t)(frame_len + in_place)) + hl;
        size_t len = (size_t)h.payload_len;
        ws_mask_apply(p, len, h.mask, 0);
        if (h.opcode == WS_OP_CLOSE)
            handle_close_frame(ws, p, len);
        else if (h.opcode == WS_OP_PING) {
            if (!over_limit(ws))
                queue_frame(ws, WS_OP_PONG, p, len);
        } else if (h.opcode != WS_OP_PONG)
            handle_data_frame(ws, &h, p, len, in_place);
        evbuffer_drain(in, frame_len);
    }
}

static void on_read(struct bufferevent *bev, void *arg) {
    WsConn *ws = arg;
    ws->last_rx_ms = time_mono_ms();
    if (ws->state == WS_OPEN) {
        process_input(ws);
        return;
    }
    struct evbuffer *in = bufferevent_get_input(bev);
    evbuffer_drain(in, evbuffer_get_length(in));
}

/* EOF, a socket error or a failed write: the peer is gone. */
static void conn_lost(WsConn *ws) {
    if (ws->state == WS_OPEN) {
        ws->state = WS_FINISHING; /* dropped without a close frame: nothing to send */
        count_close(ws->hub, WS_CLOSE_ABNORMAL);
        if (ws->cbs.on_close)
            ws->cbs.on_close(ws, WS_CLOSE_ABNORMAL, ws->userdata);
    }
    conn_free(ws);
}

static void on_event(struct bufferevent *bev, short what, void *arg) {
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
        conn_lost(arg);
}

/* For socketless bufferevents, whose output the bufferevent writes. */
static void on_bev_write(struct bufferevent *bev, void *arg) {
    WsConn *ws = arg;
    if (ws->state == WS_FINISHING)
        shut_when_flushed(ws);
}

static void on_writable(evutil_socket_t fd, short what, void *arg) {
    WsConn *ws = arg;
    if (evbuffer_write(ws->out, fd) < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
        errno != EINTR) {
        conn_lost(ws);
        return;
    }
    if (evbuffer_get_length(ws->out) > 0)
        return;
    event_del(ws->write_ev);
    if (ws->state == WS_FINISHING)
        shut_when_flushed(ws);
}

static void on_timer(evutil_socket_t fd, short what, void *arg) {
    WsConn *ws = arg;
    if (ws->broken) {
        conn_lost(ws);
        return;
    }
    if (ws->state == WS_FINISHING) {
        conn_free(ws); /* linger over: the peer neither read nor closed in time */
        return;
    }
    uint64_t silent = time_mono_ms() - ws->last_rx_ms;
    if (silent >= (uint64_t)ws->opts.ping_interval_ms + ws->opts.ping_timeout_ms) {
        fail(ws, WS_CLOSE_GOING_AWAY, "ping timeout");
        return;
    }
    if (over_limit(ws))
        return;
    queue_frame(ws, WS_OP_PING, NULL, 0);
    arm_timer(ws, ws->opts.ping_interval_ms);
}

int ws_conn_new(WsHub *hub, struct bufferevent *bev, const WsConnOptions *opts,
                const WsConnCallbacks *cbs, void *userdata, WsConn **ret) {
    WsConn *ws = calloc(1, sizeof(*ws));
    if (!ws)
        return -ENOMEM;
    ws->timer = evtimer_new(hub->base, on_timer, ws);
    if (!ws->timer) {
        free(ws);
        return -ENOMEM;
    }
    ws->hub = hub;
    hub->count++;
    LIST_PREPEND(hub->conns, ws);
    ws->bev = bev;
    ws->stage_first = ws->stage_last = -1;
    ws->opts = *opts;
    if (!ws->opts.max_message)
        ws->opts.max_message = 1u << 20;
    if (!ws->opts.output_limit)
        ws->opts.output_limit = 1u << 20;
    ws->cbs = *cbs;
    ws->userdata = userdata;
    ws->last_rx_ms = time_mono_ms();
    /* Let a whole frame of the largest allowed size in, and no more, before it is handled. */
    bufferevent_setwatermark(bev, EV_READ, 0, ws->opts.max_message + 2 * WS_HEADER_MAX);
    ws->fd = bufferevent_getfd(bev);
    bufferevent_setcb(bev, on_read, ws->fd < 0 ? on_bev_write : NULL, on_event, ws);
    if (ws->fd >= 0) {
        /* What the HTTP server queued (the 101) goes first, through the same path. */
        bufferevent_disable(bev, EV_WRITE);
        struct evbuffer *pending = bufferevent_get_output(bev);
        size_t len = evbuffer_get_length(pending);
        if (len) {
            struct iovec iov = {evbuffer_pullup(pending, -1), len};
            out_write(ws, &iov, 1);
            evbuffer_drain(pending, len);
        }
        bufferevent_enable(bev, EV_READ);
    } else
        bufferevent_enable(bev, EV_READ | EV_WRITE);
    if (ws->opts.ping_interval_ms)
        arm_timer(ws, ws->opts.ping_interval_ms);
    *ret = ws;
    return 0;
}

int ws_conn_send(WsConn *ws, bool text, const void *data, size_t len) {
    if (ws->state != WS_OPEN)
        return -EPIPE;
    if (over_limit(ws))
        return -ENOBUFS;
    queue_frame(ws, text ? WS_OP_TEXT : WS_OP_BINARY, data, len);
    ws->hub->stats.messages_out++;
    return 0;
}

int ws_conn_send2(WsConn *ws, bool text, const void *a, size_t alen, const void *b, size_t blen) {
    if (ws->state != WS_OPEN)
        return -EPIPE;
    if (over_limit(ws))
        return -ENOBUFS;
    uint8_t hdr[WS_HEADER_MAX];
    struct iovec iov[3] = {
        {hdr,
         ws_frame_header_encode(hdr, text ? WS_OP_TEXT : WS_OP_BINARY, true, alen + blen, NULL)},
        {(void *)a, alen},
        {(void *)b, blen},
    };
    out_write(ws, iov, 3);
    ws->hub->stats.messages_out++;
    return 0;
}

void ws_conn_close(WsConn *ws, uint16_t code, const char *reason) {
    finish(ws, code, reason, true);
}

void ws_conn_set_userdata(WsConn *ws, void *userdata) {
    ws->userdata = userdata;
}

void ws_conn_set_output_limit(WsConn *ws, size_t limit) {
    ws->opts.output_limit = limit ? limit : 1u << 20;
}

bool ws_conn_closed_by_peer(const WsConn *ws) {
    return ws->peer_closed;
}

bool ws_conn_is_open(const WsConn *ws) {
    return ws->state == WS_OPEN;
}

size_t ws_conn_output_pending(const WsConn *ws) {
    return out_pending(ws);
}

int ws_hub_new(struct event_base *base, WsHub **ret) {
    WsHub *hub = calloc(1, sizeof(*hub));
    if (!hub)
        return -ENOMEM;
    hub->base = base;
    hub->stage.flush_ev = event_new(base, -1, 0, on_stage_flush, &hub->stage);
    if (!hub->stage.flush_ev) {
        free(hub);
        return -ENOMEM;
    }
    *ret = hub;
    return 0;
}

WsHub *ws_hub_free(WsHub *hub) {
    if (!hub)
        return NULL;
    while (hub->conns)
        conn_free(hub->conns);
    event_free(hub->stage.flush_ev);
    free(hub->stage.buf);
    free(hub->stage.segs);
    free(hub->stage.dirty);
    free(hub);
    return NULL;
}

size_t ws_hub_count(const WsHub *hub) {
    return hub->count;
}

void ws_hub_close_all(WsHub *hub, uint16_t code, const char *reason) {
    for (WsConn *ws = hub->conns; ws; ws = ws->next)
        finish(ws, code, reason, true);
}

const WsStats *ws_hub_stats(const WsHub *hub) {
    return &hub->stats;
}

const uint16_t ws_stats_codes[WS_STATS_CODES] = {1000, 1001, 1002, 1003, 1006,
                                                 1007, 1008, 1009, 1011, 4001};
