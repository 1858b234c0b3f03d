/* hype-http-server: an HTTP/1.1 server on libevent bufferevents (keep-alive, limits, timeouts, JSON
 * errors). */
#include "hype-http-server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hype-log.h"
#include "hype-time.h"
#include "hype-list.h"

#define LISTENERS_MAX 4
#define LINGER_MS 3000               /* after an error, keep discarding input this long... */
#define LINGER_MAX_BYTES (64u << 20) /* ...or this much, so the client can read our answer */
#define REQUEST_LINE_MAX (8192 + 64)
#define OUTPUT_HIGH (1024 * 1024) /* stop taking pipelined requests while more is unsent */

typedef enum ConnState {
    CONN_HEAD,     /* waiting for (more of) a request head */
    CONN_BODY,     /* reading the body of req */
    CONN_HANDLING, /* req is with the handler */
    CONN_CLOSING,  /* flushing the last response, then close */
    CONN_UPGRADED, /* handed over to another protocol: only the bookkeeping is left to free */
} ConnState;

typedef struct HttpConn HttpConn;

struct HttpRequest {
    HttpServer *srv;
    HttpConn *conn; /* NULL once orphaned */
    Arena *arena;
    HttpRequestHead head;
    struct evbuffer *body;
    const char *body_data;
    size_t body_len;
    int64_t body_left; /* Content-Length framing: bytes still to read */
    HttpChunkedDecoder chunked;
    struct evbuffer *headers; /* extra response headers */
    uint64_t start_usec;
    /* Local requests (no connection): where the response goes, and the client's address. */
    http_local_reply_cb local_cb;
    void *local_userdata;
    char local_peer[INET6_ADDRSTRLEN];
};

struct HttpConn {
    HttpServer *srv;
    HttpConn *prev, *next;
    struct bufferevent *bev;
    struct event *timer;
    ConnState state;
    HttpRequest *req;
    bool processing; /* inside process_input: replies must not re-enter it */
    bool lingering;  /* error answered: discard input until EOF or the linger timer */
    size_t discarded;
    bool got_bytes; /* since the last response: switches idle to header timeout */
    char peer[INET6_ADDRSTRLEN];
};

struct HttpServer {
    struct event_base *base;
    HttpServerOptions opts;
    http_handler handler;
    void *userdata;
    struct evconnlistener *listeners[LISTENERS_MAX];
    size_t n_listeners;
    uint16_t port;
    HttpConn *conns;
    size_t n_conns;
    bool shutting_down;
    void (*drained_cb)(void *);
    void *drained_userdata;
    struct event *drained_ev;
    time_t date_sec;
    char date[64];
};

static void process_input(HttpConn *c);

static const char *date_header(HttpServer *srv) {
    time_t now = time(NULL);
    if (now != srv->date_sec) {
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(srv->date, sizeof(srv->date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
        srv->date_sec = now;
    }
    return srv->date;
}

/* ---- requests ---- */

static HttpRequest *request_free(HttpRequest *req) {
    if (!req)
        return NULL;
    arena_free(req->arena);
    if (req->body)
        evbuffer_free(req->body);
    if (req->headers)
        evbuffer_free(req->headers);
    free(req);
    return NULL;
}

static HttpRequest *request_new(HttpConn *c) {
    HttpRequest *req = calloc(1, sizeof(*req));
    if (!req)
        return NULL;
    req->srv = c->srv;
    req->conn = c;
    req->arena = arena_new();
    req->body = evbuffer_new();
    req->headers = evbuffer_new();
    if (!req->arena || !req->body || !req->headers)
        return request_free(req);
    return req;
}

/* ---- connections ---- */

static void on_drained(evutil_socket_t fd, short what, void *arg) {
    HttpServer *srv = arg;
    if (srv->drained_cb)
        srv->drained_cb(srv->drained_userdata);
}

static void check_drained(HttpServer *srv) {
    /* Deferred: the callback may free the server, which must not happen under our feet. */
    if (srv->shutting_down && srv->n_conns == 0 && srv->drained_ev)
        event_active(srv->drained_ev, EV_TIMEOUT, 0);
}

static void conn_free(HttpConn *c) {
    HttpServer *srv = c->srv;
    if (c->req) {
        if (c->state == CONN_HANDLING)
            c->req->conn = NULL; /* orphaned: freed when the handler replies */
        else
            request_free(c->req);
    }
    LIST_REMOVE(srv->conns, c);
    srv->n_conns--;
    if (c->bev)
        bufferevent_free(c->bev);
    event_free(c->timer);
    free(c);
    check_drained(srv);
}

static void arm_timer(HttpConn *c, uint32_t ms) {
    timer_arm_ms(c->timer, ms);
}

/* Writes a complete response to the connection's output. */
static void write_response(HttpConn *c, int status, const char *content_type, const char *body,
                           size_t len, struct evbuffer *extra, bool head_only, bool keep_alive) {
    struct evbuffer *out = bufferevent_get_output(c->bev);
    HttpServer *srv = c->srv;
    evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\nDate: %s\r\n", status, http_status_reason(status),
                        date_header(srv));
    if (srv->opts.server_name)
        evbuffer_add_printf(out, "Server: %s\r\n", srv->opts.server_name);
    if (content_type)
        evbuffer_add_printf(out, "Content-Type: %s\r\n", content_type);
    bool no_body = status == 204 || status == 304 || (status >= 100 && status < 200);
    if (!no_body)
        evbuffer_add_printf(out, "Content-Length: %zu\r\n", len);
    evbuffer_add_printf(out, "Connection: %s\r\n", keep_alive ? "keep-alive" : "close");
    if (extra)
        evbuffer_add_buffer(out, extra);
    evbuffer_add(out, "\r\n", 2);
    if (!head_only && !no_body && len)
        evbuffer_add(out, body, len);
}

/* Closes once the output is flushed (on_write does it). */
static void conn_close_after_flush(HttpConn *c) {
    c->state = CONN_CLOSING;
    evtimer_del(c->timer);
    bufferevent_disable(c->bev, EV_READ);
    /* A peer that never reads would keep us forever: bound the flush. */
    arm_timer(c, c->srv->opts.body_timeout_ms);
    if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
        conn_free(c);
}

/* An error the server answers itself: JSON body, then close. */
static void conn_error(HttpConn *c, int status, const char *reason) {
    char body[256];
    int n = snprintf(body, sizeof(body), "{\"success\":false,\"error\":\"%s\"}", reason);
    if (c->req && c->state != CONN_HANDLING)
        c->req = request_free(c->req);
    write_response(c, status, "application/json", body, (size_t)n, NULL, false, false);
    /* Closing at once would reset a client still sending its body, and it would never see this
     * answer. Discard its input for a while instead; the write side shuts once flushed. */
    c->state = CONN_CLOSING;
    c->lingering = true;
    evbuffer_drain(bufferevent_get_input(c->bev),
                   evbuffer_get_length(bufferevent_get_input(c->bev)));
    arm_timer(c, LINGER_MS);
}

static void dispatch(HttpConn *c) {
    HttpRequest *req = c->req;
    evbuffer_add(req->body, "", 1); /* NUL-terminate for handlers that want a C string */
    req->body_len = evbuffer_get_length(req->body) - 1;
    req->body_data = (const char *)evbuffer_pullup(req->body, -1);
    c->state = CONN_HANDLING;
    evtimer_del(c->timer);
    req->start_usec = time_mono_usec();
    c->srv->handler(req, c->srv->userdata);
}

/* Head complete: parse it and decide how the body is framed. Returns false when c was closed. */
static bool start_request(HttpConn *c, struct evbuffer *in, size_t head_len) {
    HttpServer *srv = c->srv;
    c->req = request_new(c);
    char *buf = c->req ? arena_alloc(c->req->arena, head_len + 1) : NULL;
    if (!buf) {
        conn_error(c, 503, "Out of memory");
        return false;
    }
    evbuffer_remove(in, buf, head_len);
    buf[head_len] = '\0';
    int status = 0;
    const char *reason = NULL;
    HttpRequest *req = c->req;
    if (http_parse_head(buf, head_len, &req->head, &status, &reason) < 0) {
        conn_error(c, status, reason);
        return false;
    }
    if (req->head.content_length > (int64_t)srv->opts.max_body_size) {
        /* Answer at once, without reading (or asking for) the body. */
        conn_error(c, 413, "Request body too large");
        return false;
    }
    if (req->head.chunked)
        http_chunked_init(&req->chunked, srv->opts.max_body_size);
    req->body_left = req->head.content_length > 0 ? req->head.content_length : 0;
    bool has_body = req->head.chunked || req->body_left > 0;
    if (has_body && req->head.expect_continue && req->head.version_minor == 1)
        evbuffer_add(bufferevent_get_output(c->bev), "HTTP/1.1 100 Continue\r\n\r\n", 25);
    c->state = CONN_BODY;
    arm_timer(c, srv->opts.body_timeout_ms);
    return true;
}

/* Moves body bytes from the input; true when the body is complete. -1: c was closed. */
static int read_body(HttpConn *c, struct evbuffer *in) {
    HttpRequest *req = c->req;
    if (!req->head.chunked) {
        size_t avail = evbuffer_get_length(in);
        size_t take = avail < (size_t)req->body_left ? avail : (size_t)req->body_left;
        evbuffer_remove_buffer(in, req->body, take);
        req->body_left -= (int64_t)take;
        return req->body_left == 0;
    }
    size_t avail = evbuffer_get_length(in);
    if (avail == 0)
        return 0;
    char *data = (char *)evbuffer_pullup(in, (ssize_t)avail);
    size_t out_len = 0;
    /* Decoded bytes never outrun consumed ones, so decoding in place is safe. */
    ssize_t used = http_chunked_feed(&req->chunked, data, avail, data, &out_len);
    if (used < 0) {
        conn_error(c, used == -EFBIG ? 413 : 400,
                   used == -EFBIG ? "Request body too large" : "Malformed chunked body");
        return -1;
    }
    evbuffer_add(req->body, data, out_len);
    evbuffer_drain(in, (size_t)used);
    return req->chunked.done;
}

static void process_input(HttpConn *c) {
    struct evbuffer *in = bufferevent_get_input(c->bev);
    HttpServer *srv = c->srv;
    c->processing = true;
    for (;;) {
        if (c->state == CONN_HEAD) {
            size_t avail = evbuffer_get_length(in);
            if (avail == 0 || evbuffer_get_length(bufferevent_get_output(c->bev)) > OUTPUT_HIGH)
                break;
            if (!c->got_bytes) {
                c->got_bytes = true;
                arm_timer(c, srv->opts.header_timeout_ms);
            }
            size_t peek =
                avail < srv->opts.max_header_size + 4 ? avail : srv->opts.max_header_size + 4;
            size_t head_len =
                http_head_length((const char *)evbuffer_pullup(in, (ssize_t)peek), peek);
            if (head_len == 0 && avail > srv->opts.max_header_size) {
                const char *data = (const char *)evbuffer_pullup(in, (ssize_t)peek);
                bool long_line =
                    !memchr(data, '\n', peek < REQUEST_LINE_MAX ? peek : REQUEST_LINE_MAX);
                if (long_line && peek >= REQUEST_LINE_MAX)
                    conn_error(c, 414, "Request URI too long");
                else
                    conn_error(c, 431, "Request header fields too large");
                return;
            }
            if (head_len == 0)
                break;
            if (head_len > srv->opts.max_header_size + 4) {
                conn_error(c, 431, "Request header fields too large");
                return;
            }
            if (!start_request(c, in, head_len))
                return;
        }
        if (c->state == CONN_BODY) {
            int done = read_body(c, in);
            if (done < 0)
                return;
            if (!done)
                break;
            /* A synchronous reply that closes leaves c in CLOSING with its response still
             * unsent, so c stays valid until on_write frees it. */
            dispatch(c);
            if (c->state == CONN_UPGRADED) {
                conn_free(c);
                return;
            }
            if (c->state == CONN_CLOSING)
                return;
            continue;
        }
        break;
    }
    c->processing = false;
}

static void on_read(struct bufferevent *bev, void *arg) {
    HttpConn *c = arg;
    if (c->lingering) {
        struct evbuffer *in = bufferevent_get_input(bev);
        c->discarded += evbuffer_get_length(in);
        evbuffer_drain(in, evbuffer_get_length(in));
        if (c->discarded > LINGER_MAX_BYTES)
            conn_free(c);
        return;
    }
    if (c->state == CONN_HEAD || c->state == CONN_BODY)
        process_input(c);
}

static void on_write(struct bufferevent *bev, void *arg) {
    HttpConn *c = arg;
    if (c->state == CONN_CLOSING) {
        if (evbuffer_get_length(bufferevent_get_output(bev)) != 0)
            return;
        if (!c->lingering)
            conn_free(c);
        else /* the answer is out: tell the client, and wait for its EOF */
            shutdown(bufferevent_getfd(bev), SHUT_WR);
        return;
    }
    /* Output drained below the mark: pipelined requests may go on. */
    if (c->state == CONN_HEAD && !c->processing)
        process_input(c);
}

static void on_event(struct bufferevent *bev, short what, void *arg) {
    HttpConn *c = arg;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
        conn_free(c);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg) {
    HttpConn *c = arg;
    if (c->state == CONN_CLOSING || (c->state == CONN_HEAD && !c->got_bytes)) {
        conn_free(c); /* idle keep-alive connection, or a peer that does not read */
        return;
    }
    if (c->state == CONN_HEAD || c->state == CONN_BODY)
        conn_error(c, 408, "Request timeout");
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                      int socklen, void *arg) {
    HttpServer *srv = arg;
    HttpConn *c = calloc(1, sizeof(*c));
    if (!c) {
        close(fd);
        return;
    }
    c->srv = srv;
    c->bev = bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
    c->timer = evtimer_new(srv->base, on_timeout, c);
    if (!c->bev || !c->timer) {
        if (c->bev)
            bufferevent_free(c->bev);
        else
            close(fd);
        free(c);
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr, c->peer, sizeof(c->peer));
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)sa)->sin6_addr, c->peer, sizeof(c->peer));
    LIST_PREPEND(srv->conns, c);
    srv->n_conns++;
    bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
    /* Bound what one client can make us buffer before we look at it. */
    bufferevent_setwatermark(c->bev, EV_READ, 0, srv->opts.max_header_size + 256 * 1024);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    if (srv->n_conns > srv->opts.max_connections) {
        conn_error(c, 503, "Too many connections");
        return;
    }
    arm_timer(c, srv->opts.header_timeout_ms);
}

/* ---- public API ---- */

int http_server_new(struct event_base *base, const HttpServerOptions *opts, http_handler handler,
                    void *userdata, HttpServer **ret) {
    HttpServer *srv = calloc(1, sizeof(*srv));
    if (!srv)
        return -ENOMEM;
    srv->base = base;
    srv->opts = *opts;
    srv->handler = handler;
    srv->userdata = userdata;
#define DEFAULT(field, value)                                                                      \
    if (!srv->opts.field)                                                                          \
    srv->opts.field = (value)
    DEFAULT(max_header_size, 16 * 1024);
    DEFAULT(max_body_size, 1024 * 1024);
    DEFAULT(header_timeout_ms, 10000);
    DEFAULT(body_timeout_ms, 30000);
    DEFAULT(idle_timeout_ms, 60000);
    DEFAULT(max_connections, 10000);
#undef DEFAULT
    srv->drained_ev = event_new(base, -1, 0, on_drained, srv);
    if (!srv->drained_ev) {
        free(srv);
        return -ENOMEM;
    }
    *ret = srv;
    return 0;
}

static void on_listener_error(struct evconnlistener *l, void *arg) {
    /* EMFILE and the like: libevent retries on the next readiness; say so once per burst. */
    log_warning_errno(errno, "accept() failed: %m");
}

static int add_listener(HttpServer *srv, evutil_socket_t fd, bool owned) {
    if (srv->n_listeners == LISTENERS_MAX)
        return -E2BIG;
    unsigned flags =
        LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE | (owned ? LEV_OPT_CLOSE_ON_FREE : 0);
    evutil_make_socket_nonblocking(fd);
    struct evconnlistener *l = evconnlistener_new(srv->base, on_accept, srv, flags, 1024, fd);
    if (!l)
        return -ENOMEM;
    evconnlistener_set_error_cb(l, on_listener_error);
    srv->listeners[srv->n_listeners++] = l;
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
        srv->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                   : ((struct sockaddr_in *)&ss)->sin_port);
    return 0;
}

int http_server_bind(HttpServer *srv, const char *address, uint16_t port) {
    struct sockaddr_storage ss = {0};
    socklen_t len;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    if (!address || !*address)
        address = "0.0.0.0";
    if (inet_pton(AF_INET6, address, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        len = sizeof(*s6);
    } else if (inet_pton(AF_INET, address, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons(port);
        len = sizeof(*s4);
    } else
        return -EINVAL;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 1024) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    int r = add_listener(srv, fd, true);
    if (r < 0)
        close(fd);
    return r;
}

int http_server_listen_fd(HttpServer *srv, int fd) {
    return add_listener(srv, fd, true);
}

uint16_t http_server_port(const HttpServer *srv) {
    return srv->port;
}

size_t http_server_connections(const HttpServer *srv) {
    return srv->n_conns;
}

void http_server_shutdown(HttpServer *srv, void (*drained_cb)(void *), void *userdata) {
    srv->shutting_down = true;
    srv->drained_cb = drained_cb;
    srv->drained_userdata = userdata;
    for (size_t i = 0; i < srv->n_listeners; i++)
        evconnlistener_free(srv->listeners[i]);
    srv->n_listeners = 0;
    /* Idle connections go now; busy ones after their response (keep-alive is off from here). */
    for (HttpConn *c = srv->conns, *next; c; c = next) {
        next = c->next;
        if (c->state == CONN_HEAD && evbuffer_get_length(bufferevent_get_input(c->bev)) == 0)
            conn_free(c);
    }
    check_drained(srv);
}

HttpServer *http_server_free(HttpServer *srv) {
    if (!srv)
        return NULL;
    for (size_t i = 0; i < srv->n_listeners; i++)
        evconnlistener_free(srv->listeners[i]);
    srv->shutting_down = false; /* no drained callback while tearing down */
    while (srv->conns)
        conn_free(srv->conns);
    event_free(srv->drained_ev);
    free(srv);
    return NULL;
}

/* ---- request accessors and reply ---- */

const HttpRequestHead *http_request_head(const HttpRequest *req) {
    return &req->head;
}
HttpMethod http_request_method(const HttpRequest *req) {
    return req->head.method;
}
const char *http_request_path(const HttpRequest *req) {
    return req->head.path;
}
const char *http_request_query(const HttpRequest *req) {
    return req->head.query;
}
const char *http_request_header(const HttpRequest *req, const char *name) {
    return http_head_header(&req->head, name);
}
const char *http_request_body(const HttpRequest *req, size_t *ret_len) {
    if (ret_len)
        *ret_len = req->body_len;
    return req->body_data ? req->body_data : "";
}
const char *http_request_peer_address(const HttpRequest *req) {
    if (req->local_cb)
        return req->local_peer;
    return req->conn ? req->conn->peer : "";
}
Arena *http_request_arena(HttpRequest *req) {
    return req->arena;
}
bool http_request_is_orphaned(const HttpRequest *req) {
    return req->conn == NULL && !req->local_cb;
}

uint64_t http_request_start_usec(const HttpRequest *req) {
    return req->start_usec;
}

int http_response_header(HttpRequest *req, const char *name, const char *value) {
    return evbuffer_add_printf(req->headers, "%s: %s\r\n", name, value) < 0 ? -ENOMEM : 0;
}

void http_reply(HttpRequest *req, int status, const char *content_type, const char *body,
                size_t len) {
    if (req->local_cb) {
        req->local_cb(status, content_type, body, len, req->local_userdata);
        request_free(req);
        return;
    }
    HttpConn *c = req->conn;
    if (!c) { /* the client went away while the handler worked */
        request_free(req);
        return;
    }
    bool keep_alive = req->head.keep_alive && !c->srv->shutting_down;
    write_response(c, status, content_type, body, len, req->headers, req->head.method == HTTP_HEAD,
                   keep_alive);
    c->req = request_free(req);
    if (!keep_alive) {
        conn_close_after_flush(c);
        return;
    }
    c->state = CONN_HEAD;
    c->got_bytes = false;
    arm_timer(c, c->srv->opts.idle_timeout_ms);
    /* Inside process_input (a synchronous reply) the loop there goes on by itself. */
    if (!c->processing)
        process_input(c);
}

struct bufferevent *http_reply_upgrade(HttpRequest *req, const char *protocol) {
    HttpConn *c = req->conn;
    if (!c) {
        request_free(req);
        return NULL;
    }
    struct evbuffer *out = bufferevent_get_output(c->bev);
    evbuffer_add_printf(out,
                        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: %s\r\n"
                        "Connection: Upgrade\r\n",
                        protocol);
    evbuffer_add_buffer(out, req->headers);
    evbuffer_add(out, "\r\n", 2);
    struct bufferevent *bev = c->bev;
    c->bev = NULL;
    c->req = request_free(req);
    c->state = CONN_UPGRADED;
    bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
    bufferevent_setwatermark(bev, EV_READ, 0, 0);
    evtimer_del(c->timer);
    /* Inside process_input the connection is still in use: it frees itself on return. */
    if (!c->processing)
        conn_free(c);
    return bev;
}

int http_request_dispatch_local(HttpServer *srv, HttpMethod method, const char *target,
                                const char *const *headers, const char *body, size_t body_len,
                                const char *peer, http_local_reply_cb cb, void *userdata) {
    HttpRequest *req = calloc(1, sizeof(*req));
    if (!req)
        return -ENOMEM;
    req->srv = srv;
    req->arena = arena_new();
    req->body = evbuffer_new();
    req->headers = evbuffer_new();
    struct evbuffer *head = evbuffer_new();
    if (!req->arena || !req->body || !req->headers || !head) {
        if (head)
            evbuffer_free(head);
        request_free(req);
        return -ENOMEM;
    }
    /* Written out and parsed like a received head, so a local request means exactly what the
     * same bytes would over a connection. */
    evbuffer_add_printf(head, "%s %s HTTP/1.1\r\nHost: local\r\n", http_method_name(method),
                        target);
    for (size_t i = 0; headers && headers[i] && headers[i + 1]; i += 2)
        evbuffer_add_printf(head, "%s: %s\r\n", headers[i], headers[i + 1]);
    if (body_len)
        evbuffer_add_printf(head, "Content-Length: %zu\r\n", body_len);
    evbuffer_add(head, "\r\n", 2);
    size_t head_len = evbuffer_get_length(head);
    char *buf =
        head_len <= srv->opts.max_header_size ? arena_alloc(req->arena, head_len + 1) : NULL;
    int status = 431;
    const char *reason = "Request header fields too large";
    int r = buf ? 0 : -EMSGSIZE;
    if (buf) {
        evbuffer_remove(head, buf, head_len);
        buf[head_len] = '\0';
        r = http_parse_head(buf, head_len, &req->head, &status, &reason);
    }
    evbuffer_free(head);
    if (r == 0 && body_len > srv->opts.max_body_size) {
        r = -EMSGSIZE;
        status = 413;
        reason = "Request body too large";
    }
    if (r < 0) {
        request_free(req);
        return r;
    }
    req->local_cb = cb;
    req->local_userdata = userdata;
    snprintf(req->local_peer, sizeof(req->local_peer), "%s", peer ? peer : "");
    evbuffer_add(req->body, body ? body : "", body_len);
    evbuffer_add(req->body, "", 1);
    req->body_len = body_len;
    req->body_data = (const char *)evbuffer_pullup(req->body, -1);
    req->start_usec = time_mono_usec();
    srv->handler(req, srv->userdata);
    return 0;
}
