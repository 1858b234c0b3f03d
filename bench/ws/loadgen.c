/* ws-loadgen: bench/ws's load generator: N WebSocket clients (hype, ws or socket.io dialect), a
 * fixed-rate HTTP poster, delivery latency, and the servers' CPU and RSS from /proc. */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hype-base64.h"
#include "hype-ws.h"

#define TICK_MS 10
#define SCRATCH_SIZE (256 * 1024)
#define MAX_PIDS 4
#define MAX_POSTERS 64
/* Every posted content starts "lg:<round>:<message>:<send time us>:", then padding. */
#define MARK "lg:"

/* ---- options ---- */

typedef enum Dialect { D_HYPE, D_WS, D_SIO } Dialect;
typedef enum Scenario { S_IDLE, S_FANOUT } Scenario;

typedef struct Watched {
    char name[32];
    int pid;
} Watched;

static struct {
    Dialect dialect;
    Scenario scenario;
    const char *label;
    struct sockaddr_in ws_addr, post_addr;
    const char *path;
    const char *token;
    const char *post_path;
    const char *post_token;
    const char *channel;
    unsigned connections;
    unsigned connect_rate; /* new connections per second */
    unsigned max_pending;  /* connections opened but not yet ready */
    unsigned join_batch;
    unsigned broadcast_max; /* hype's CHANNEL_BROADCAST_MAX: larger channels echo joins only */
    double rate;            /* messages per second */
    double duration, drain, settle, pause;
    unsigned rounds;
    unsigned size; /* content length */
    unsigned posters;
    double timeout;
    Watched pids[MAX_PIDS];
    int npids;
} opt = {
    .dialect = D_HYPE,
    .scenario = S_IDLE,
    .label = "",
    .channel = "1",
    .connections = 1000,
    .connect_rate = 2000,
    .max_pending = 256,
    .join_batch = 500,
    .broadcast_max = 1000,
    .rate = 20,
    .duration = 10,
    .drain = 10,
    .settle = 3,
    .pause = 1,
    .rounds = 3,
    .size = 64,
    .posters = 4,
    .timeout = 600,
};

/* ---- small helpers ---- */

static uint64_t mono_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t real_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("ws-loadgen: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

__attribute__((format(printf, 1, 2))) static void note(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "ws-loadgen[%s]: ", opt.label);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static uint64_t rng_state;

static uint64_t rng(void) {
    /* xorshift64*: masks and handshake keys need to vary, not to be secret. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

/* utime and stime of a process, in seconds (/proc/PID/stat fields 14 and 15). On loopback the
 * sender's system time also carries most of the receiving side of TCP, so both are reported. */
static int proc_times(int pid, double *user, double *sys) {
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    /* The command name may hold spaces and parentheses: fields resume after the last ')'. */
    char *p = strrchr(buf, ')');
    unsigned long ut, st;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    *user = (double)ut / (double)sysconf(_SC_CLK_TCK);
    *sys = (double)st / (double)sysconf(_SC_CLK_TCK);
    return 0;
}

static double proc_cpu_s(int pid) {
    double u, s;
    return proc_times(pid, &u, &s) < 0 ? -1 : u + s;
}

static double proc_sys_s(int pid) {
    double u, s;
    return proc_times(pid, &u, &s) < 0 ? -1 : s;
}

static long proc_rss_kib(int pid) {
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long kib = -1;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kib = strtol(line + 6, NULL, 10);
            break;
        }
    fclose(f);
    return kib;
}

/* ---- latency histogram: 64 sub-buckets per power of two, under 1.6% error ---- */

#define HIST_SUB 64
#define HIST_BUCKETS (HIST_SUB * 64)

typedef struct Hist {
    uint64_t count[HIST_BUCKETS];
    uint64_t n, max;
} Hist;

static unsigned hist_index(uint64_t v) {
    if (v < 2 * HIST_SUB)
        return (unsigned)v;
    unsigned msb = 63 - (unsigned)__builtin_clzll(v);
    unsigned shift = msb - 6;
    return (shift + 1) * HIST_SUB + (unsigned)(v >> shift) - HIST_SUB;
}

static uint64_t hist_value(unsigned idx) {
    if (idx < 2 * HIST_SUB)
        return idx;
    unsigned shift = idx / HIST_SUB - 1;
    uint64_t sub = idx % HIST_SUB + HIST_SUB;
    return (sub << shift) + ((1ULL << shift) >> 1); /* the bucket's middle */
}

static void hist_add(Hist *h, uint64_t v) {
    h->count[hist_index(v)]++;
    h->n++;
    if (v > h->max)
        h->max = v;
}

static uint64_t hist_quantile(const Hist *h, double q) {
    if (!h->n)
        return 0;
    uint64_t want = (uint64_t)(q * (double)h->n + 0.5), seen = 0;
    if (want < 1)
        want = 1;
    for (unsigned i = 0; i < HIST_BUCKETS; i++) {
        seen += h->count[i];
        if (seen >= want)
            return hist_value(i);
    }
    return h->max;
}

/* ---- WebSocket clients ---- */

typedef enum CState {
    C_IDLE,       /* not opened yet */
    C_CONNECTING, /* TCP connect in progress */
    C_HANDSHAKE,  /* upgrade request sent, waiting for the 101 */
    C_OPENING,    /* 101 seen; waiting for ready (hype) or the Socket.IO CONNECT answer */
    C_READY,
    C_JOINING,
    C_JOINED,
    C_CLOSED,
} CState;

typedef struct Conn {
    int fd;
    CState state;
    bool frag_text;
    struct event *rev, *wev;
    uint8_t *in; /* bytes of an incomplete frame (or handshake) carried over to the next read */
    uint32_t in_len, in_cap;
    uint8_t *out; /* what the kernel did not take yet */
    uint32_t out_len, out_cap;
    uint8_t *frag; /* a fragmented message being reassembled */
    uint32_t frag_len, frag_cap;
    char key[25];
} Conn;

static struct event_base *base;
static Conn *conns;
static uint8_t *scratch;

static struct {
    unsigned opened, failed, ready, joined, dropped, pending, join_sent, errors;
    uint64_t user_joined;  /* user_joined frames received (hype), confirmations included */
    uint64_t stray;        /* bench messages that arrived after their round was closed */
    uint16_t first_close;  /* close code of the first connection the server closed */
    char first_error[200]; /* the first error frame or failure reason */
} st;

/* The current fan-out round; deliveries of earlier rounds count as stray. Per message, the
 * first and last receipt tell the server's fan-out spread apart from the path up to it. */
typedef struct MsgTimes {
    uint64_t sent, first_rx, last_rx;
} MsgTimes;

static struct {
    unsigned round;
    bool open;
    uint64_t delivered, first_post_real, last_rx_real;
    uint64_t frame_bytes; /* of the delivered messages' frames, WebSocket headers included */
    Hist hist, post_rtt;
    MsgTimes *msgs;
    size_t nmsgs;
} rnd;

static void set_first_error(const char *what, const void *p, size_t n) {
    if (st.first_error[0])
        return;
    snprintf(st.first_error, sizeof(st.first_error), "%s%.*s", what, (int)(n > 120 ? 120 : n),
             (const char *)p);
    for (char *c = st.first_error; *c; c++)
        if (*c == ' ' || *c == '\n' || *c == '\r')
            *c = '_'; /* the result line stays one line of space-separated fields */
}

static void buf_append(uint8_t **buf, uint32_t *len, uint32_t *cap, const void *p, size_t n) {
    if (*len + n > *cap) {
        uint32_t c = *cap ? *cap : 256;
        while (c < *len + n)
            c *= 2;
        uint8_t *nb = realloc(*buf, c);
        if (!nb)
            die("out of memory");
        *buf = nb;
        *cap = c;
    }
    memcpy(*buf + *len, p, n);
    *len += (uint32_t)n;
}

static void conn_close(Conn *c, bool dropped) {
    if (c->state == C_CLOSED || c->state == C_IDLE)
        return;
    if (c->state < C_READY && st.pending)
        st.pending--;
    if (c->state < C_READY)
        st.failed++;
    else if (dropped)
        st.dropped++;
    if (c->state >= C_READY && st.ready)
        st.ready--;
    if (c->state == C_JOINED && st.joined)
        st.joined--;
    c->state = C_CLOSED;
    event_free(c->rev);
    event_free(c->wev);
    c->rev = c->wev = NULL;
    close(c->fd);
    c->fd = -1;
    free(c->in);
    free(c->out);
    free(c->frag);
    c->in = c->out = c->frag = NULL;
    c->in_len = c->in_cap = c->out_len = c->out_cap = c->frag_len = c->frag_cap = 0;
}

static void conn_write(Conn *c, const void *p, size_t n) {
    if (c->out_len == 0) {
        ssize_t w = write(c->fd, p, n);
        if (w == (ssize_t)n)
            return;
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            conn_close(c, true);
            return;
        }
        if (w > 0) {
            p = (const uint8_t *)p + w;
            n -= (size_t)w;
        }
        event_add(c->wev, NULL);
    }
    buf_append(&c->out, &c->out_len, &c->out_cap, p, n);
}

/* A client frame: always masked (RFC 6455 §5.3). */
static void conn_send(Conn *c, uint8_t opcode, const void *payload, size_t n) {
    uint8_t frame[WS_HEADER_MAX + 512];
    uint64_t r = rng();
    uint8_t mask[4] = {(uint8_t)r, (uint8_t)(r >> 8), (uint8_t)(r >> 16), (uint8_t)(r >> 24)};
    if (n > 512)
        die("client frame too long");
    size_t h = ws_frame_header_encode(frame, opcode, true, n, mask);
    memcpy(frame + h, payload, n);
    ws_mask_apply(frame + h, n, mask, 0);
    conn_write(c, frame, h + n);
}

static void conn_send_text(Conn *c, const char *s) {
    conn_send(c, WS_OP_TEXT, s, strlen(s));
}

static void became_ready(Conn *c) {
    c->state = C_READY;
    st.pending--;
    st.ready++;
}

static void became_joined(Conn *c) {
    c->state = C_JOINED;
    st.joined++;
}

static void conn_join(Conn *c) {
    char buf[160];
    switch (opt.dialect) {
    case D_HYPE:
        snprintf(buf, sizeof(buf), "{\"type\":\"user_joined\",\"data\":{\"channelId\":\"%s\"}}",
                 opt.channel);
        break;
    case D_WS:
        snprintf(buf, sizeof(buf), "{\"type\":\"join\",\"data\":{\"channelId\":\"%s\"}}",
                 opt.channel);
        break;
    case D_SIO: snprintf(buf, sizeof(buf), "42[\"join\",\"%s\"]", opt.channel); break;
    }
    c->state = C_JOINING;
    st.join_sent++;
    conn_send_text(c, buf);
}

/* A bench message: one delivery for the round it belongs to. */
static void on_bench_message(const uint8_t *p, size_t n, uint64_t now_real) {
    const uint8_t *m = memmem(p, n, MARK, sizeof(MARK) - 1);
    if (!m)
        return;
    char *end;
    unsigned long r = strtoul((const char *)m + 3, &end, 10);
    if (*end != ':')
        return;
    unsigned long k = strtoul(end + 1, &end, 10);
    if (*end != ':')
        return;
    uint64_t sent = strtoull(end + 1, NULL, 10);
    if (!rnd.open || r != rnd.round || k >= rnd.nmsgs) {
        st.stray++;
        return;
    }
    rnd.delivered++;
    rnd.frame_bytes += n + (n < 126 ? 2 : n < 65536 ? 4 : 10);
    rnd.last_rx_real = now_real;
    hist_add(&rnd.hist, now_real > sent ? now_real - sent : 0);
    MsgTimes *t = &rnd.msgs[k];
    t->sent = sent;
    if (!t->first_rx)
        t->first_rx = now_real;
    t->last_rx = now_real;
}

/* The value of the first top-level "type" (hype and ws frames put it before "data"). */
static bool type_is(const uint8_t *p, size_t n, const char *type) {
    static const char key[] = "\"type\":\"";
    const uint8_t *t = memmem(p, n, key, sizeof(key) - 1);
    if (!t)
        return false;
    t += sizeof(key) - 1;
    size_t tl = strlen(type);
    return (size_t)(p + n - t) > tl && memcmp(t, type, tl) == 0 && t[tl] == '"';
}

static void on_text(Conn *c, const uint8_t *p, size_t n, uint64_t now_real) {
    if (opt.dialect == D_SIO) {
        /* Engine.IO: one digit of packet type; "4" carries a Socket.IO packet. */
        if (n == 1 && p[0] == '2') {
            conn_send_text(c, "3");
        } else if (n >= 1 && p[0] == '0' && c->state == C_OPENING) {
            conn_send_text(c, "40");
        } else if (n >= 2 && p[0] == '4' && p[1] == '0' && c->state == C_OPENING) {
            became_ready(c);
        } else if (n >= 2 && p[0] == '4' && p[1] == '2') {
            if (n > 11 && memcmp(p + 2, "[\"message\"", 10) == 0)
                on_bench_message(p, n, now_real);
            else if (c->state == C_JOINING && n > 10 && memcmp(p + 2, "[\"joined\"", 9) == 0)
                became_joined(c);
        } else if (n >= 2 && p[0] == '4' && (p[1] == '4' || p[1] == '1')) {
            set_first_error("socket.io:", p, n);
            st.errors++;
            conn_close(c, true);
        }
        return;
    }
    if (type_is(p, n, "message")) {
        on_bench_message(p, n, now_real);
    } else if (opt.dialect == D_HYPE && type_is(p, n, "user_joined")) {
        /* Every subscriber sees every join, and only subscribers do: a connection's first
         * user_joined after asking means it is subscribed, whichever session it names (they
         * all share one account). */
        st.user_joined++;
        if (c->state == C_JOINING)
            became_joined(c);
    } else if (c->state == C_OPENING && opt.dialect == D_HYPE && type_is(p, n, "ready")) {
        became_ready(c);
    } else if (c->state == C_JOINING && opt.dialect == D_WS && type_is(p, n, "joined")) {
        became_joined(c);
    } else if (type_is(p, n, "error") || type_is(p, n, "invalid_session")) {
        st.errors++;
        set_first_error("error_frame:", p, n);
    }
}

/* Parses frames from p[0..n); returns how many bytes were consumed. */
static size_t parse_frames(Conn *c, uint8_t *p, size_t n) {
    size_t off = 0;
    uint64_t now_real = real_us();
    while (c->state != C_CLOSED && n - off >= 2) {
        uint8_t *f = p + off;
        size_t avail = n - off, hl = 2;
        bool fin = f[0] & 0x80;
        uint8_t op = f[0] & 0x0f;
        uint64_t len = f[1] & 0x7f;
        if (f[1] & 0x80) {
            set_first_error("masked_server_frame", "", 0);
            conn_close(c, true);
            break;
        }
        if (len == 126) {
            if (avail < 4)
                break;
            len = (uint64_t)f[2] << 8 | f[3];
            hl = 4;
        } else if (len == 127) {
            if (avail < 10)
                break;
            len = 0;
            for (int i = 0; i < 8; i++)
                len = len << 8 | f[2 + i];
            hl = 10;
        }
        if (len > (64u << 20)) {
            set_first_error("frame_too_big", "", 0);
            conn_close(c, true);
            break;
        }
        if (avail < hl + len)
            break;
        uint8_t *pl = f + hl;
        off += hl + (size_t)len;
        switch (op) {
        case WS_OP_PING: conn_send(c, WS_OP_PONG, pl, (size_t)len); break;
        case WS_OP_PONG: break;
        case WS_OP_CLOSE:
            if (!st.first_close)
                st.first_close = len >= 2 ? (uint16_t)(pl[0] << 8 | pl[1]) : 1005;
            conn_close(c, true);
            break;
        case WS_OP_TEXT:
        case WS_OP_BINARY:
            if (fin) {
                if (op == WS_OP_TEXT)
                    on_text(c, pl, (size_t)len, now_real);
            } else {
                c->frag_len = 0;
                c->frag_text = op == WS_OP_TEXT;
                buf_append(&c->frag, &c->frag_len, &c->frag_cap, pl, (size_t)len);
            }
            break;
        case WS_OP_CONTINUATION:
            buf_append(&c->frag, &c->frag_len, &c->frag_cap, pl, (size_t)len);
            if (fin && c->frag_text)
                on_text(c, c->frag, c->frag_len, now_real);
            if (fin && c->frag)
                c->frag_len = 0;
            break;
        default: set_first_error("bad_opcode", "", 0); conn_close(c, true);
        }
    }
    return off;
}

/* The 101 answer: status and Sec-WebSocket-Accept; returns the header length, 0 for "more". */
static size_t parse_handshake(Conn *c, uint8_t *p, size_t n) {
    uint8_t *end = memmem(p, n, "\r\n\r\n", 4);
    if (!end) {
        if (n > 16384) {
            set_first_error("handshake_too_long", "", 0);
            conn_close(c, false);
        }
        return 0;
    }
    size_t hl = (size_t)(end - p) + 4;
    char head[4096];
    size_t cl = hl < sizeof(head) - 1 ? hl : sizeof(head) - 1;
    memcpy(head, p, cl);
    head[cl] = 0;
    char accept[WS_ACCEPT_LEN + 1];
    const char *a = strcasestr(head, "\r\nsec-websocket-accept:");
    bool ok = strncmp(head, "HTTP/1.1 101", 12) == 0 && a && ws_accept_key(c->key, accept) == 0;
    if (ok) {
        a += 23;
        while (*a == ' ')
            a++;
        ok = strncmp(a, accept, WS_ACCEPT_LEN) == 0;
    }
    if (!ok) {
        set_first_error("handshake:", head, cl);
        conn_close(c, false);
        return 0;
    }
    c->state = C_OPENING;
    if (opt.dialect == D_WS)
        became_ready(c); /* the ws peer has nothing more to say before the first join */
    return hl;
}

static size_t consume(Conn *c, uint8_t *p, size_t n) {
    size_t off = 0;
    if (c->state == C_HANDSHAKE) {
        off = parse_handshake(c, p, n);
        if (off == 0)
            return 0;
    }
    if (c->state == C_CLOSED)
        return n;
    return off + parse_frames(c, p + off, n - off);
}

static void on_read(evutil_socket_t fd, short what, void *arg) {
    Conn *c = arg;
    /* A few reads per wakeup, then let the other connections have the loop. */
    for (int i = 0; i < 4 && c->state != C_CLOSED; i++) {
        ssize_t r = read(fd, scratch, SCRATCH_SIZE);
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (r <= 0) {
            if (!st.first_close)
                st.first_close = 1006;
            conn_close(c, true);
            return;
        }
        if (c->in_len == 0) {
            size_t used = consume(c, scratch, (size_t)r);
            if (c->state != C_CLOSED && used < (size_t)r)
                buf_append(&c->in, &c->in_len, &c->in_cap, scratch + used, (size_t)r - used);
        } else {
            buf_append(&c->in, &c->in_len, &c->in_cap, scratch, (size_t)r);
            size_t used = consume(c, c->in, c->in_len);
            if (c->state != C_CLOSED) {
                memmove(c->in, c->in + used, c->in_len - used);
                c->in_len -= (uint32_t)used;
            }
        }
        if (r < SCRATCH_SIZE)
            return;
    }
}

static void send_upgrade(Conn *c) {
    uint8_t raw[16];
    uint64_t a = rng(), b = rng();
    memcpy(raw, &a, 8);
    memcpy(raw + 8, &b, 8);
    base64_encode(c->key, raw, sizeof(raw));
    char req[4096];
    int n =
        snprintf(req, sizeof(req),
                 "GET %s HTTP/1.1\r\nHost: %s:%u\r\nUpgrade: websocket\r\nConnection: "
                 "Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
                 opt.path, inet_ntoa(opt.ws_addr.sin_addr), ntohs(opt.ws_addr.sin_port), c->key);
    c->state = C_HANDSHAKE;
    conn_write(c, req, (size_t)n);
}

static void on_writable(evutil_socket_t fd, short what, void *arg) {
    Conn *c = arg;
    if (c->state == C_CONNECTING) {
        int err = 0;
        socklen_t el = sizeof(err);
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
        if (err) {
            set_first_error("connect:", strerror(err), strlen(strerror(err)));
            conn_close(c, false);
            return;
        }
        event_del(c->wev);
        event_add(c->rev, NULL);
        send_upgrade(c);
        return;
    }
    ssize_t w = write(fd, c->out, c->out_len);
    if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        conn_close(c, true);
        return;
    }
    if (w > 0) {
        memmove(c->out, c->out + w, c->out_len - (size_t)w);
        c->out_len -= (uint32_t)w;
    }
    if (c->out_len == 0)
        event_del(c->wev);
}

static void conn_open(Conn *c) {
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        set_first_error("socket:", strerror(errno), strlen(strerror(errno)));
        st.failed++;
        c->state = C_CLOSED;
        return;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->rev = event_new(base, c->fd, EV_READ | EV_PERSIST, on_read, c);
    c->wev = event_new(base, c->fd, EV_WRITE | EV_PERSIST, on_writable, c);
    st.opened++;
    st.pending++;
    c->state = C_CONNECTING;
    if (connect(c->fd, (struct sockaddr *)&opt.ws_addr, sizeof(opt.ws_addr)) < 0 &&
        errno != EINPROGRESS) {
        set_first_error("connect:", strerror(errno), strlen(strerror(errno)));
        conn_close(c, false);
        return;
    }
    event_add(c->wev, NULL);
}

/* ---- the HTTP poster: a few keep-alive connections, one request in flight on each ---- */

typedef struct Poster {
    struct bufferevent *bev;
    uint64_t sent_us;
    bool busy, connected;
    int status;
    bool in_body;
    size_t body_left;
    long content_length;
} Poster;

static Poster posters[MAX_POSTERS];
static struct { uint64_t sent, ok, failed, stalled; } post;

static void poster_reset(Poster *p) {
    if (p->bev)
        bufferevent_free(p->bev);
    if (p->busy)
        post.failed++;
    memset(p, 0, sizeof(*p));
}

static void poster_done(Poster *p) {
    if (p->status == 201) {
        post.ok++;
        hist_add(&rnd.post_rtt, mono_us() - p->sent_us);
    } else {
        post.failed++;
        char what[32];
        snprintf(what, sizeof(what), "post_status_%d", p->status);
        set_first_error(what, "", 0);
    }
    p->busy = false;
    p->in_body = false;
    p->status = 0;
}

static void poster_read(struct bufferevent *bev, void *arg) {
    Poster *p = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    for (;;) {
        if (p->in_body) {
            size_t have = evbuffer_get_length(in);
            size_t take = have < p->body_left ? have : p->body_left;
            evbuffer_drain(in, take);
            p->body_left -= take;
            if (p->body_left)
                return;
            poster_done(p);
            continue;
        }
        size_t n;
        char *line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF);
        if (!line)
            return;
        if (p->status == 0) {
            if (sscanf(line, "HTTP/1.%*d %d", &p->status) != 1)
                p->status = -1;
            p->content_length = -1;
        } else if (n == 0) {
            if (p->content_length < 0) {
                /* Every server here answers with a length; anything else is a bench bug. */
                set_first_error("post_without_content_length", "", 0);
                free(line);
                poster_reset(p);
                return;
            }
            p->in_body = true;
            p->body_left = (size_t)p->content_length;
        } else if (strncasecmp(line, "content-length:", 15) == 0) {
            p->content_length = strtol(line + 15, NULL, 10);
        }
        free(line);
    }
}

static void poster_event(struct bufferevent *bev, short what, void *arg) {
    Poster *p = arg;
    if (what & BEV_EVENT_CONNECTED) {
        p->connected = true;
        int one = 1;
        setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        return;
    }
    /* An idle keep-alive connection the server closed is no failure; the next post reopens. */
    if (p->busy)
        set_first_error("poster_connection_lost", "", 0);
    poster_reset(p);
}

static void poster_send(Poster *p, unsigned round, uint64_t k) {
    if (!p->bev) {
        p->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
        bufferevent_setcb(p->bev, poster_read, NULL, poster_event, p);
        bufferevent_enable(p->bev, EV_READ | EV_WRITE);
        if (bufferevent_socket_connect(p->bev, (struct sockaddr *)&opt.post_addr,
                                       sizeof(opt.post_addr)) < 0) {
            poster_reset(p);
            post.failed++;
            return;
        }
    }
    char content[2100];
    int cl =
        snprintf(content, sizeof(content), MARK "%u:%" PRIu64 ":%" PRIu64 ":", round, k, real_us());
    while ((unsigned)cl < opt.size && cl < (int)sizeof(content) - 1)
        content[cl++] = 'x';
    content[cl] = 0;
    char body[2200];
    int bl = snprintf(body, sizeof(body), "{\"channelId\":\"%s\",\"content\":\"%s\"}", opt.channel,
                      content);
    struct evbuffer *out = bufferevent_get_output(p->bev);
    evbuffer_add_printf(out,
                        "POST %s HTTP/1.1\r\nHost: %s:%u\r\nContent-Type: application/json\r\n"
                        "Content-Length: %d\r\n",
                        opt.post_path, inet_ntoa(opt.post_addr.sin_addr),
                        ntohs(opt.post_addr.sin_port), bl);
    if (opt.post_token)
        evbuffer_add_printf(out, "Authorization: Bearer %s\r\n", opt.post_token);
    evbuffer_add_printf(out, "\r\n%s", body);
    p->busy = true;
    p->sent_us = mono_us();
    post.sent++;
    if (!rnd.first_post_real)
        rnd.first_post_real = real_us();
}

static unsigned posters_busy(void) {
    unsigned n = 0;
    for (unsigned i = 0; i < opt.posters; i++)
        n += posters[i].busy;
    return n;
}

/* ---- the run: phases driven by one timer ---- */

typedef enum Phase {
    P_CONNECT,
    P_SETTLE,
    P_JOIN,
    P_ROUND,
    P_DRAIN,
    P_PAUSE,
    P_DONE,
} Phase;

static struct {
    Phase phase;
    uint64_t start_us, phase_us, progress_us, connect_done_us, join_done_us;
    unsigned next_conn;
    double opened_budget;
    unsigned join_next;
    uint64_t posts_due;
    uint64_t last_progress_count;
    double cpu0[MAX_PIDS], sys0[MAX_PIDS], cpu_connect[MAX_PIDS];
    long rss0[MAX_PIDS], rss_ready[MAX_PIDS];
    uint64_t expected;
    unsigned joined_at_round;
} run;

static struct event *tick_ev;

static void set_phase(Phase p) {
    run.phase = p;
    run.phase_us = run.progress_us = mono_us();
    run.last_progress_count = 0; /* each phase counts its own kind of progress */
}

static void print_common(void) {
    static const char *dn[] = {"hype", "ws", "socketio"};
    printf("RESULT label=%s dialect=%s scenario=%s n=%u ready=%u failed=%u dropped=%u errors=%u",
           opt.label, dn[opt.dialect], opt.scenario == S_IDLE ? "idle" : "fanout", opt.connections,
           st.ready, st.failed, st.dropped, st.errors);
}

static void print_tail(void) {
    printf(" first_close=%u first_error=%s\n", st.first_close,
           st.first_error[0] ? st.first_error : "-");
    fflush(stdout);
}

static void report_idle(void) {
    print_common();
    printf(" connect_s=%.2f", (double)(run.connect_done_us - run.start_us) / 1e6);
    for (int i = 0; i < opt.npids; i++) {
        long rss = proc_rss_kib(opt.pids[i].pid);
        double cpu = proc_cpu_s(opt.pids[i].pid);
        printf(" rss0_%s_kib=%ld rss_%s_kib=%ld per_conn_%s_b=%.0f cpu_%s_s=%.3f", opt.pids[i].name,
               run.rss0[i], opt.pids[i].name, rss, opt.pids[i].name,
               st.ready ? (double)(rss - run.rss0[i]) * 1024.0 / st.ready : 0.0, opt.pids[i].name,
               cpu - run.cpu0[i]);
    }
    print_tail();
}

static void report_join(void) {
    print_common();
    printf(" round=0 joined=%u join_s=%.2f user_joined=%" PRIu64, st.joined,
           (double)(run.join_done_us - run.connect_done_us) / 1e6, st.user_joined);
    for (int i = 0; i < opt.npids; i++) {
        long rss = proc_rss_kib(opt.pids[i].pid);
        double cpu = proc_cpu_s(opt.pids[i].pid);
        printf(" rss0_%s_kib=%ld rss_%s_kib=%ld per_conn_%s_b=%.0f cpu_join_%s_s=%.3f",
               opt.pids[i].name, run.rss0[i], opt.pids[i].name, rss, opt.pids[i].name,
               st.joined ? (double)(rss - run.rss0[i]) * 1024.0 / st.joined : 0.0, opt.pids[i].name,
               cpu - run.cpu_connect[i]);
    }
    print_tail();
}

static void report_round(void) {
    /* Over the posting time, or longer when the last deliveries came after it (a server that
     * falls behind gets a lower rate, not a higher one). */
    double window = rnd.last_rx_real > rnd.first_post_real
                        ? (double)(rnd.last_rx_real - rnd.first_post_real) / 1e6
                        : 0;
    if (window < opt.duration)
        window = opt.duration;
    double dps = (double)rnd.delivered / window;
    /* Per message: latency to its first receipt, and how long the fan-out took from there. */
    Hist first = {0}, spread = {0};
    for (size_t i = 0; i < rnd.nmsgs; i++)
        if (rnd.msgs[i].first_rx) {
            MsgTimes *t = &rnd.msgs[i];
            hist_add(&first, t->first_rx > t->sent ? t->first_rx - t->sent : 0);
            hist_add(&spread, t->last_rx - t->first_rx);
        }
    print_common();
    printf(
        " round=%u joined=%u rate=%.1f duration=%.1f size=%u posted=%" PRIu64
        " post_failed=%" PRIu64 " post_stalled=%" PRIu64 " expected=%" PRIu64 " delivered=%" PRIu64
        " missing=%" PRId64 " stray=%" PRIu64 " window_s=%.3f deliveries_per_s=%.0f p50_us=%" PRIu64
        " p99_us=%" PRIu64 " max_us=%" PRIu64 " frame_b=%.0f",
        rnd.round, run.joined_at_round, opt.rate, opt.duration, opt.size, post.ok, post.failed,
        post.stalled, run.expected, rnd.delivered, (int64_t)run.expected - (int64_t)rnd.delivered,
        st.stray, window, dps, hist_quantile(&rnd.hist, 0.50), hist_quantile(&rnd.hist, 0.99),
        rnd.hist.max, rnd.delivered ? (double)rnd.frame_bytes / (double)rnd.delivered : 0.0);
    printf(" post_p50_us=%" PRIu64 " post_p99_us=%" PRIu64 " first_p50_us=%" PRIu64
           " spread_p50_us=%" PRIu64 " spread_p99_us=%" PRIu64,
           hist_quantile(&rnd.post_rtt, 0.5), hist_quantile(&rnd.post_rtt, 0.99),
           hist_quantile(&first, 0.5), hist_quantile(&spread, 0.5), hist_quantile(&spread, 0.99));
    for (int i = 0; i < opt.npids; i++) {
        double cpu = proc_cpu_s(opt.pids[i].pid) - run.cpu0[i];
        double sys = proc_sys_s(opt.pids[i].pid) - run.sys0[i];
        printf(" cpu_%s_s=%.3f sys_%s_s=%.3f per_cpu_s_%s=%.0f rss_%s_kib=%ld", opt.pids[i].name,
               cpu, opt.pids[i].name, sys, opt.pids[i].name,
               cpu > 0 ? (double)rnd.delivered / cpu : 0.0, opt.pids[i].name,
               proc_rss_kib(opt.pids[i].pid));
    }
    print_tail();
}

static void finish(int code) {
    /* RST instead of FIN: no TIME_WAIT piles up across the bench's many runs on one address. */
    struct linger lg = {1, 0};
    for (unsigned i = 0; i < opt.connections; i++)
        if (conns[i].state != C_CLOSED && conns[i].state != C_IDLE) {
            setsockopt(conns[i].fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
            conn_close(&conns[i], false);
        }
    fflush(stdout);
    exit(code);
}

static void round_start(void) {
    memset(&rnd.hist, 0, sizeof(rnd.hist));
    memset(&rnd.post_rtt, 0, sizeof(rnd.post_rtt));
    rnd.nmsgs = (size_t)(opt.rate * opt.duration) + 2;
    free(rnd.msgs);
    rnd.msgs = calloc(rnd.nmsgs, sizeof(*rnd.msgs));
    if (!rnd.msgs)
        die("out of memory");
    rnd.round++;
    rnd.open = true;
    rnd.delivered = rnd.first_post_real = rnd.last_rx_real = rnd.frame_bytes = 0;
    memset(&post, 0, sizeof(post));
    run.posts_due = 0;
    run.joined_at_round = st.joined;
    for (int i = 0; i < opt.npids; i++) {
        run.cpu0[i] = proc_cpu_s(opt.pids[i].pid);
        run.sys0[i] = proc_sys_s(opt.pids[i].pid);
    }
    set_phase(P_ROUND);
}

static void tick_connect(uint64_t now) {
    run.opened_budget += opt.connect_rate * (TICK_MS / 1000.0);
    while (run.next_conn < opt.connections && run.opened_budget >= 1 &&
           st.pending < opt.max_pending) {
        conn_open(&conns[run.next_conn++]);
        run.opened_budget -= 1;
    }
    if (run.opened_budget > opt.max_pending)
        run.opened_budget = opt.max_pending; /* no burst after a stall */
    if (st.ready + st.failed + st.dropped > run.last_progress_count) {
        run.last_progress_count = st.ready + st.failed + st.dropped;
        run.progress_us = now;
    }
    bool all = run.next_conn == opt.connections && st.pending == 0;
    if (!all && now - run.progress_us > 15000000) {
        note("connect stalled: %u ready, %u pending, %u failed", st.ready, st.pending, st.failed);
        st.failed += st.pending;
        all = true;
    }
    if (!all)
        return;
    run.connect_done_us = now;
    note("%u ready, %u failed in %.2f s", st.ready, st.failed, (double)(now - run.start_us) / 1e6);
    for (int i = 0; i < opt.npids; i++) {
        run.cpu_connect[i] = proc_cpu_s(opt.pids[i].pid);
        run.rss_ready[i] = proc_rss_kib(opt.pids[i].pid);
    }
    set_phase(opt.scenario == S_IDLE ? P_SETTLE : P_JOIN);
}

/* user_joined frames that j joins produce on hype: the k-th joiner's reaches all k subscribers
 * while k <= broadcast_max, then only the joiner (its confirmation). */
static uint64_t storm_expected(uint64_t j) {
    uint64_t m = opt.broadcast_max ? opt.broadcast_max : j;
    uint64_t full = j < m ? j : m;
    return full * (full + 1) / 2 + (j - full);
}

/* Joins go in batches; hype's user_joined storm (every subscriber sees every join, O(N^2), up
 * to broadcast_max) is drained before the next batch so that neither side buffers more than a
 * batch's worth. */
static void tick_join(uint64_t now) {
    uint64_t j = st.join_sent;
    bool storm_drained = opt.dialect != D_HYPE || st.user_joined >= storm_expected(j) ||
                         now - run.progress_us > 5000000;
    bool batch_done = st.joined + st.dropped + st.errors >= st.join_sent;
    if (st.joined + st.user_joined > run.last_progress_count) {
        run.last_progress_count = st.joined + st.user_joined;
        run.progress_us = now;
    }
    if (batch_done && storm_drained) {
        unsigned sent = 0;
        while (run.join_next < opt.connections && sent < opt.join_batch) {
            Conn *c = &conns[run.join_next++];
            if (c->state == C_READY) {
                conn_join(c);
                sent++;
            }
        }
        if (sent) {
            run.progress_us = now;
            return;
        }
        if (opt.dialect == D_HYPE && st.user_joined != storm_expected(j))
            note("user_joined frames: %" PRIu64 " received, %" PRIu64 " expected", st.user_joined,
                 storm_expected(j));
        run.join_done_us = now;
        note("%u joined in %.2f s", st.joined, (double)(now - run.connect_done_us) / 1e6);
        report_join();
        set_phase(P_PAUSE);
        return;
    }
    if (now - run.progress_us > 30000000) {
        note("join stalled: %u joined of %u asked", st.joined, st.join_sent);
        run.join_next = opt.connections;
        st.errors += st.join_sent - st.joined;
    }
}

static void tick_round(uint64_t now) {
    double elapsed = (double)(now - run.phase_us) / 1e6;
    if (elapsed < opt.duration) {
        uint64_t due = (uint64_t)(elapsed * opt.rate) + 1;
        while (run.posts_due < due) {
            Poster *p = NULL;
            for (unsigned i = 0; i < opt.posters && !p; i++)
                if (!posters[i].busy)
                    p = &posters[i];
            if (!p) {
                post.stalled++; /* every poster busy: the server answers slower than the rate */
                break;
            }
            poster_send(p, rnd.round, run.posts_due);
            run.posts_due++;
        }
        return;
    }
    set_phase(P_DRAIN);
}

static void tick_drain(uint64_t now) {
    run.expected = post.ok * run.joined_at_round;
    bool answered = posters_busy() == 0;
    if (rnd.delivered > run.last_progress_count) {
        run.last_progress_count = rnd.delivered;
        run.progress_us = now;
    }
    if (answered && rnd.delivered >= run.expected) {
        /* Everything arrived: a little grace for duplicates, none expected. */
    } else if ((double)(now - run.progress_us) / 1e6 < opt.drain) {
        return;
    }
    rnd.open = false;
    report_round();
    set_phase(rnd.round < opt.rounds ? P_PAUSE : P_DONE);
}

static void on_tick(evutil_socket_t fd, short what, void *arg) {
    uint64_t now = mono_us();
    if ((double)(now - run.start_us) / 1e6 > opt.timeout) {
        note("timeout after %.0f s in phase %d", opt.timeout, run.phase);
        set_first_error("timeout", "", 0);
        print_common();
        printf(" timeout=1");
        print_tail();
        finish(3);
    }
    switch (run.phase) {
    case P_CONNECT: tick_connect(now); break;
    case P_SETTLE:
        /* Let allocators and the garbage collector settle before reading RSS. */
        if ((double)(now - run.phase_us) / 1e6 >= opt.settle) {
            report_idle();
            set_phase(P_DONE);
        }
        break;
    case P_JOIN: tick_join(now); break;
    case P_PAUSE:
        if ((double)(now - run.phase_us) / 1e6 >= opt.pause)
            round_start();
        break;
    case P_ROUND: tick_round(now); break;
    case P_DRAIN: tick_drain(now); break;
    case P_DONE: finish(st.failed || st.dropped ? 1 : 0); break;
    }
}

/* ---- command line ---- */

static void parse_addr(struct sockaddr_in *sa, const char *host, const char *port) {
    memset(sa, 0, sizeof(*sa));
    sa->sin_family = AF_INET;
    if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
        die("bad IPv4 address %s", host);
    char *end;
    long p = strtol(port, &end, 10);
    if (*end || p <= 0 || p > 65535)
        die("bad port %s", port);
    sa->sin_port = htons((uint16_t)p);
}

static void usage(void) {
    fputs("usage: ws-loadgen --dialect hype|ws|socketio --port P [options]\n"
          "  --scenario idle|fanout   idle: connect and measure RSS; fanout: join and post rounds\n"
          "  --connections N          WebSocket clients (1000)\n"
          "  --host A                 server IPv4 address (127.0.0.1)\n"
          "  --path P                 upgrade path (hype: /ws, ws: /, socketio: /socket.io/...)\n"
          "  --token T                hype access token (sent as ?token=)\n"
          "  --connect-rate R         new connections per second (2000)\n"
          "  --max-pending K          connections opened but not yet ready at once (256)\n"
          "  --channel C              channel or room to join (1)\n"
          "  --join-batch B           joins asked at once (500)\n"
          "  --broadcast-max M        hype's CHANNEL_BROADCAST_MAX (1000; 0: every join is "
          "broadcast)\n"
          "  --post-port P            HTTP port messages are posted to (the WebSocket port)\n"
          "  --post-path P            /api/messages (hype) or /publish\n"
          "  --post-token T           Authorization: Bearer for posts\n"
          "  --rate R                 messages per second (20)\n"
          "  --duration S             seconds of posting per round (10)\n"
          "  --rounds K               fan-out rounds (3)\n"
          "  --drain S                seconds without progress that end a round's wait (10)\n"
          "  --size B                 message content length (64)\n"
          "  --posters K              keep-alive HTTP connections for posting (4)\n"
          "  --settle S               idle: seconds between the last connect and the RSS reading "
          "(3)\n"
          "  --pid NAME:PID           a server process to read CPU and RSS of (repeatable)\n"
          "  --label L                run label, copied into the result lines\n"
          "  --timeout S              hard bound on the whole run (600)\n",
          stderr);
    exit(2);
}

static void parse_args(int argc, char **argv) {
    static const struct option lo[] = {
        {"dialect", 1, 0, 'd'},       {"scenario", 1, 0, 's'},     {"connections", 1, 0, 'n'},
        {"host", 1, 0, 'H'},          {"port", 1, 0, 'p'},         {"path", 1, 0, 'P'},
        {"token", 1, 0, 't'},         {"connect-rate", 1, 0, 'c'}, {"max-pending", 1, 0, 'm'},
        {"channel", 1, 0, 'C'},       {"join-batch", 1, 0, 'b'},   {"post-port", 1, 0, 'q'},
        {"post-path", 1, 0, 'Q'},     {"post-token", 1, 0, 'T'},   {"rate", 1, 0, 'r'},
        {"duration", 1, 0, 'D'},      {"rounds", 1, 0, 'R'},       {"drain", 1, 0, 'x'},
        {"size", 1, 0, 'z'},          {"posters", 1, 0, 'k'},      {"settle", 1, 0, 'S'},
        {"pid", 1, 0, 'i'},           {"label", 1, 0, 'l'},        {"timeout", 1, 0, 'o'},
        {"broadcast-max", 1, 0, 'B'}, {"help", 0, 0, 'h'},         {0, 0, 0, 0},
    };
    const char *host = "127.0.0.1", *port = NULL, *post_port = NULL;
    int ch;
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
        case 'd':
            if (strcmp(optarg, "hype") == 0)
                opt.dialect = D_HYPE;
            else if (strcmp(optarg, "ws") == 0)
                opt.dialect = D_WS;
            else if (strcmp(optarg, "socketio") == 0)
                opt.dialect = D_SIO;
            else
                die("unknown dialect %s", optarg);
            break;
        case 's':
            if (strcmp(optarg, "idle") == 0)
                opt.scenario = S_IDLE;
            else if (strcmp(optarg, "fanout") == 0)
                opt.scenario = S_FANOUT;
            else
                die("unknown scenario %s", optarg);
            break;
        case 'n': opt.connections = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'H': host = optarg; break;
        case 'p': port = optarg; break;
        case 'P': opt.path = optarg; break;
        case 't': opt.token = optarg; break;
        case 'c': opt.connect_rate = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'm': opt.max_pending = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'C': opt.channel = optarg; break;
        case 'b': opt.join_batch = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'B': opt.broadcast_max = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'q': post_port = optarg; break;
        case 'Q': opt.post_path = optarg; break;
        case 'T': opt.post_token = optarg; break;
        case 'r': opt.rate = strtod(optarg, NULL); break;
        case 'D': opt.duration = strtod(optarg, NULL); break;
        case 'R': opt.rounds = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'x': opt.drain = strtod(optarg, NULL); break;
        case 'z': opt.size = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'k': opt.posters = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'S': opt.settle = strtod(optarg, NULL); break;
        case 'i': {
            char *colon = strchr(optarg, ':');
            if (!colon || opt.npids == MAX_PIDS || colon - optarg >= 32)
                die("bad --pid %s (NAME:PID, at most %d)", optarg, MAX_PIDS);
            Watched *w = &opt.pids[opt.npids++];
            memcpy(w->name, optarg, (size_t)(colon - optarg));
            w->pid = atoi(colon + 1);
            if (proc_cpu_s(w->pid) < 0)
                die("no process %d", w->pid);
            break;
        }
        case 'l': opt.label = optarg; break;
        case 'o': opt.timeout = strtod(optarg, NULL); break;
        default: usage();
        }
    }
    if (!port || opt.connections == 0 || opt.connect_rate == 0 || opt.max_pending == 0 ||
        opt.join_batch == 0 || opt.rate <= 0 || opt.posters == 0 || opt.posters > MAX_POSTERS ||
        opt.size > 2000)
        usage();
    parse_addr(&opt.ws_addr, host, port);
    parse_addr(&opt.post_addr, host, post_port ? post_port : port);
    if (!opt.path) {
        static char hype_path[2048];
        switch (opt.dialect) {
        case D_HYPE:
            if (!opt.token)
                die("--dialect hype needs --token");
            snprintf(hype_path, sizeof(hype_path), "/ws?token=%s", opt.token);
            opt.path = hype_path;
            break;
        case D_WS: opt.path = "/"; break;
        case D_SIO: opt.path = "/socket.io/?EIO=4&transport=websocket"; break;
        }
    }
    if (!opt.post_path)
        opt.post_path = opt.dialect == D_HYPE ? "/api/messages" : "/publish";
    if (opt.dialect == D_HYPE && !opt.post_token)
        opt.post_token = opt.token;
}

int main(int argc, char **argv) {
    parse_args(argc, argv);
    signal(SIGPIPE, SIG_IGN);
    /* Each client is a descriptor: take all the process may have. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        if (rl.rlim_cur < opt.connections + 64)
            die("RLIMIT_NOFILE %lu is too small for %u connections (raise ulimit -n)",
                (unsigned long)rl.rlim_cur, opt.connections);
    }
    if (getrandom(&rng_state, sizeof(rng_state), 0) != sizeof(rng_state) || !rng_state)
        rng_state = (uint64_t)real_us() | 1;
    conns = calloc(opt.connections, sizeof(*conns));
    scratch = malloc(SCRATCH_SIZE);
    base = event_base_new();
    if (!conns || !scratch || !base)
        die("out of memory");
    for (int i = 0; i < opt.npids; i++) {
        run.cpu0[i] = proc_cpu_s(opt.pids[i].pid);
        run.rss0[i] = proc_rss_kib(opt.pids[i].pid);
    }
    run.start_us = mono_us();
    set_phase(P_CONNECT);
    tick_ev = event_new(base, -1, EV_PERSIST, on_tick, NULL);
    struct timeval tv = {0, TICK_MS * 1000};
    event_add(tick_ev, &tv);
    event_base_dispatch(base);
    return 0;
}
