/* hype-http-server: an HTTP/1.1 server on libevent bufferevents (keep-alive, limits, timeouts, JSON
 * errors). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hype-arena.h"
#include "hype-http-parser.h"

struct event_base;
typedef void (*http_local_reply_cb)(int status, const char *content_type, const char *body,
                                    size_t len, void *userdata);

/*
 * Why not evhttp: it answers limit violations (413 and friends) with an HTML page we cannot
 * replace, and hype-signal needs the same parser for WebSocket upgrades and Engine.IO polling.
 *
 * One connection handles one request at a time (pipelined requests wait in the input buffer).
 * The server reads the head (max_header_size, header_timeout_ms), then the body (Content-Length
 * or chunked, at most max_body_size, body_timeout_ms), answers "Expect: 100-continue", and calls
 * the handler with a complete request. The handler answers now or later with http_reply();
 * the request stays valid until then even if the client goes away (http_request_is_orphaned
 * tells; the reply is then discarded). Errors the server detects itself (400, 408, 413, 414,
 * 431, 501, 505, 503 when max_connections is reached) are answered with
 *   {"success":false,"error":"<reason>"}  and Connection: close.
 * Single-threaded: everything runs on the loop of base.
 */
typedef struct HttpServer HttpServer;
typedef struct HttpRequest HttpRequest;

typedef void (*http_handler)(HttpRequest *req, void *userdata);

typedef struct HttpServerOptions {
    size_t max_header_size;     /* 0 = 16 KiB */
    size_t max_body_size;       /* 0 = 1 MiB */
    uint32_t header_timeout_ms; /* 0 = 10 s: whole head must arrive within */
    uint32_t body_timeout_ms;   /* 0 = 30 s */
    uint32_t idle_timeout_ms;   /* 0 = 60 s: keep-alive connection with no request */
    unsigned max_connections;   /* 0 = 10000 */
    const char *server_name;    /* "Server:" header; NULL = none */
} HttpServerOptions;

int http_server_new(struct event_base *base, const HttpServerOptions *opts, http_handler handler,
                    void *userdata, HttpServer **ret);
/* Binds and listens on address:port (IPv4 or IPv6 literal, or NULL for all); SO_REUSEADDR. */
int http_server_bind(HttpServer *srv, const char *address, uint16_t port);
/* Adopts an already-listening socket (socket activation). */
int http_server_listen_fd(HttpServer *srv, int fd);
/* The port actually bound (for port 0 in tests). */
uint16_t http_server_port(const HttpServer *srv);
/* Graceful shutdown: stop accepting; close idle keep-alive connections now and each busy one
 * right after its response; drained_cb runs once no connection is left. */
void http_server_shutdown(HttpServer *srv, void (*drained_cb)(void *), void *userdata);
/* Closes everything at once; pending requests become orphaned and are freed on reply. */
HttpServer *http_server_free(HttpServer *srv);
size_t http_server_connections(const HttpServer *srv);

/* Request accessors (valid until http_reply). */
const HttpRequestHead *http_request_head(const HttpRequest *req);
HttpMethod http_request_method(const HttpRequest *req);
const char *http_request_path(const HttpRequest *req);  /* raw, percent-encoded */
const char *http_request_query(const HttpRequest *req); /* raw, or NULL */
const char *http_request_header(const HttpRequest *req, const char *name);
/* The body, NUL-terminated (the NUL is not counted), "" when none. */
const char *http_request_body(const HttpRequest *req, size_t *ret_len);
const char *http_request_peer_address(const HttpRequest *req); /* "127.0.0.1", "::1" */
Arena *http_request_arena(HttpRequest *req);                   /* freed after the reply */
bool http_request_is_orphaned(const HttpRequest *req);
uint64_t
http_request_start_usec(const HttpRequest *req); /* monotonic, when the head was complete */

/* Adds a response header (copied). Content-Length, Connection and Date are the server's. */
int http_response_header(HttpRequest *req, const char *name, const char *value);
/*
 * Sends the response and ends the request: req must not be used afterwards. body is copied;
 * for HEAD requests it is not sent (Content-Length still is). content_type may be NULL.
 */
void http_reply(HttpRequest *req, int status, const char *content_type, const char *body,
                size_t len);

struct bufferevent;
/*
 * Switches protocols (101, "Upgrade: protocol", the headers added with http_response_header) and
 * hands the connection over: returns its bufferevent with no callbacks set, its input holding any
 * bytes that followed the request head, and the 101 queued in its output. The request ends and
 * the server forgets the connection. NULL when the client already went away.
 */
struct bufferevent *http_reply_upgrade(HttpRequest *req, const char *protocol);

/*
 * A request that did not arrive over a connection (hype-signal relaying a client's action over
 * IPC): the head is written out from method, target ("/api/x?y=1") and headers (name, value
 * pairs, NULL-terminated), parsed like a received one, and handed to the server's handler; the
 * handler's http_reply() goes to cb (synchronously or later) instead of a socket. peer is the
 * client address the handler sees. Returns 0 once dispatched, or -errno when the head or body
 * is refused (-EBADMSG malformed, -EMSGSIZE over the server's limits); cb then never runs.
 */
int http_request_dispatch_local(HttpServer *srv, HttpMethod method, const char *target,
                                const char *const *headers, const char *body, size_t body_len,
                                const char *peer, http_local_reply_cb cb, void *userdata);
