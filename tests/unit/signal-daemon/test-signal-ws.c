/* Unit tests for signal-daemon/signal-ws's output path on real sockets: staged frames leave in
 * order, once per connection per loop turn, behind whatever the kernel refused, and across the
 * forced flush of a full stage. */
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "signal-ws.h"
#include "test.h"

typedef struct Pair {
    struct event_base *base;
    WsHub *hub;
    WsConn *ws;
    int peer; /* the client's end, non-blocking */
    bool closed;
    uint16_t close_code;
} Pair;

static void on_close(WsConn *ws, uint16_t code, void *userdata) {
    Pair *p = userdata;
    p->closed = true;
    p->close_code = code;
}

static int pair_open(Pair *p, int sndbuf, size_t output_limit) {
    memset(p, 0, sizeof(*p));
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        return -errno;
    if (sndbuf) {
        setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
        setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &sndbuf, sizeof(sndbuf));
    }
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    p->peer = sv[1];
    p->base = event_base_new();
    struct bufferevent *bev = bufferevent_socket_new(p->base, sv[0], BEV_OPT_CLOSE_ON_FREE);
    WsConnOptions opts = {.output_limit = output_limit};
    WsConnCallbacks cbs = {.on_close = on_close};
    int r = ws_hub_new(p->base, &p->hub);
    return r < 0 ? r : ws_conn_new(p->hub, bev, &opts, &cbs, p, &p->ws);
}

static void pair_close(Pair *p) {
    ws_hub_free(p->hub);
    event_base_free(p->base);
    close(p->peer);
}

/* Runs the loop and reads the client's end until want bytes came or nothing moves any more. */
static size_t pump(Pair *p, uint8_t *buf, size_t want) {
    size_t got = 0;
    for (int idle = 0; got < want && idle < 50;) {
        event_base_loop(p->base, EVLOOP_NONBLOCK);
        ssize_t r = read(p->peer, buf + got, want - got);
        if (r > 0) {
            got += (size_t)r;
            idle = 0;
        } else {
            idle++;
            usleep(1000);
        }
    }
    return got;
}

/* Parses the unmasked server frames in buf: their payloads must be "<prefix><i>" padded with
 * 'x' to their length, for i = first, first + 1, ... Returns how many there were, or -1. */
static long check_frames(const uint8_t *buf, size_t len, long first, const char *prefix) {
    size_t off = 0;
    long i = first;
    char want[32];
    while (off < len) {
        if (len - off < 2 || buf[off] != 0x81)
            return -1;
        size_t plen = buf[off + 1] & 0x7f, hl = 2;
        if (plen == 126) {
            plen = (size_t)buf[off + 2] << 8 | buf[off + 3];
            hl = 4;
        } else if (plen == 127) {
            plen = 0;
            for (int k = 0; k < 8; k++)
                plen = plen << 8 | buf[off + 2 + k];
            hl = 10;
        }
        if (off + hl + plen > len)
            return -1;
        int n = snprintf(want, sizeof(want), "%s%ld", prefix, i);
        if (plen < (size_t)n || memcmp(buf + off + hl, want, (size_t)n) != 0)
            return -1;
        off += hl + plen;
        i++;
    }
    return i - first;
}

static char *message(size_t len, const char *prefix, long i) {
    char *m = malloc(len + 1);
    memset(m, 'x', len);
    int n = snprintf(m, len + 1, "%s%ld", prefix, i);
    if ((size_t)n < len)
        m[n] = 'x';
    return m;
}

TEST(burst_in_one_turn_leaves_in_one_write) {
    Pair p;
    ASSERT_OK(pair_open(&p, 0, 0));
    uint8_t buf[8192];
    pump(&p, buf, 1); /* nothing was queued yet: no bytes */
    uint64_t writes = ws_hub_stats(p.hub)->writes;
    for (long i = 0; i < 100; i++) {
        char *m = message(20, "m", i);
        ASSERT_EQ(ws_conn_send(p.ws, true, m, 20), 0);
        free(m);
    }
    ASSERT_EQ(ws_conn_output_pending(p.ws), 100 * 22); /* staged, counted against the limit */
    size_t got = pump(&p, buf, 100 * 22);
    ASSERT_EQ(got, 100 * 22);
    ASSERT_EQ(check_frames(buf, got, 0, "m"), 100);
    ASSERT_EQ_U(ws_hub_stats(p.hub)->writes - writes, 1);
    ASSERT_EQ(ws_conn_output_pending(p.ws), 0);
    pair_close(&p);
}

TEST(frames_wait_behind_what_the_kernel_refused) {
    Pair p;
    ASSERT_OK(pair_open(&p, 4096, 64u << 20));
    /* Turn after turn of large messages to a client that reads far less than it gets: the
     * kernel fills, the rest waits in the connection, and each new message must go behind it
     * even when the client has just made room (the new one is staged before the loop turns). */
    enum { N = 40, LEN = 60000 }; /* 4-byte headers */
    size_t total = (size_t)N * (LEN + 4), got = 0;
    uint8_t *buf = malloc(total);
    for (long i = 0; i < N; i++) {
        char *m = message(LEN, "big", i);
        ASSERT_EQ(ws_conn_send(p.ws, true, m, LEN), 0);
        free(m);
        ssize_t r = read(p.peer, buf + got, 8192);
        got += r > 0 ? (size_t)r : 0;
        event_base_loop(p.base, EVLOOP_NONBLOCK);
    }
    ASSERT_GT(ws_conn_output_pending(p.ws), 0);
    got += pump(&p, buf + got, total - got);
    ASSERT_EQ(got, total);
    ASSERT_EQ(check_frames(buf, got, 0, "big"), N);
    ASSERT_FALSE(p.closed);
    free(buf);
    pair_close(&p);
}

TEST(a_full_stage_is_flushed_in_order_within_the_turn) {
    Pair p;
    ASSERT_OK(pair_open(&p, 4096, 64u << 20));
    /* 9.6 MB in one turn: past the stage's bound, so it is written mid-turn; what the kernel
     * refuses then must stay ahead of what is queued after it. */
    enum { N = 160, LEN = 60000 };
    for (long i = 0; i < N; i++) {
        char *m = message(LEN, "f", i);
        ASSERT_EQ(ws_conn_send(p.ws, true, m, LEN), 0);
        free(m);
    }
    size_t total = (size_t)N * (LEN + 4), got = 0;
    uint8_t *buf = malloc(total);
    /* The client makes room before the loop turns: the rest must still come in order. */
    ssize_t r = read(p.peer, buf, 8192);
    got += r > 0 ? (size_t)r : 0;
    got += pump(&p, buf + got, total - got);
    ASSERT_EQ(got, total);
    ASSERT_EQ(check_frames(buf, got, 0, "f"), N);
    free(buf);
    pair_close(&p);
}

TEST(a_client_that_does_not_read_is_closed_at_the_output_limit) {
    Pair p;
    ASSERT_OK(pair_open(&p, 4096, 256 * 1024));
    char *m = message(16384, "s", 0);
    int r = 0;
    for (int i = 0; i < 200 && r == 0; i++) {
        r = ws_conn_send(p.ws, true, m, 16384);
        event_base_loop(p.base, EVLOOP_NONBLOCK);
    }
    free(m);
    ASSERT_EQ(r, -ENOBUFS);
    ASSERT_TRUE(p.closed);
    ASSERT_EQ(p.close_code, 1008);
    ASSERT_LE(ws_conn_output_pending(p.ws), 256 * 1024 + 16384 + 256);
    pair_close(&p);
}

TEST_MAIN()
