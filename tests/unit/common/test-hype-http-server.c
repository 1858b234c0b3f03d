/* Unit tests for common/hype-http-server: the server on its loop in a thread, raw sockets as client. */
#include <arpa/inet.h>
#include <event2/event.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hype-http-server.h"
#include "test.h"

static struct event_base *base;
static HttpServer *srv;
static uint16_t port;
static int orphaned_replies;

static void reply_later(evutil_socket_t fd, short what, void *arg) {
    HttpRequest *req = arg;
    if (http_request_is_orphaned(req))
        orphaned_replies++;
    http_reply(req, 200, "text/plain", "later", 5);
}

static void handler(HttpRequest *req, void *ud) {
    const char *path = http_request_path(req);
    if (strcmp(path, "/quit") == 0) {
        http_reply(req, 200, NULL, "", 0);
        event_base_loopbreak(base);
        return;
    }
    if (strcmp(path, "/later") == 0) {
        struct timeval tv = {0, 50000};
        event_base_once(base, -1, EV_TIMEOUT, reply_later, req, &tv);
        return;
    }
    size_t len;
    const char *body = http_request_body(req, &len);
    char *out = arena_printf(http_request_arena(req), "%s %s %zu:%s", http_method_name(http_request_method(req)),
                             path, len, body);
    http_response_header(req, "X-Test", "yes");
    http_reply(req, 200, "text/plain", out, strlen(out));
}

static void *server_main(void *arg) {
    event_base_dispatch(base);
    return NULL;
}

static pthread_t start_server(void) {
    base = event_base_new();
    HttpServerOptions o = {.max_header_size = 1024, .max_body_size = 4096, .header_timeout_ms = 300,
                           .body_timeout_ms = 300, .idle_timeout_ms = 1000};
    http_server_new(base, &o, handler, NULL, &srv);
    http_server_bind(srv, "127.0.0.1", 0);
    port = http_server_port(srv);
    pthread_t t;
    pthread_create(&t, NULL, server_main, NULL);
    return t;
}

static int connect_client(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    connect(fd, (struct sockaddr *)&sa, sizeof(sa));
    struct timeval tv = {3, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

/* Reads until the peer closes, the timeout hits, or want bytes of "marker" were seen. */
static size_t read_until(int fd, char *buf, size_t size, const char *marker, int count) {
    size_t n = 0;
    buf[0] = '\0';
    for (;;) {
        ssize_t r = recv(fd, buf + n, size - 1 - n, 0);
        if (r <= 0)
            break;
        n += (size_t)r;
        buf[n] = '\0';
        int seen = 0;
        for (const char *p = buf; marker && (p = strstr(p, marker)); p++)
            seen++;
        if (marker && seen >= count)
            break;
    }
    return n;
}

static bool closed_by_peer(int fd) {
    char c;
    return recv(fd, &c, 1, 0) == 0;
}

static const char *exchange(const char *request, const char *marker, int count) {
    static char buf[16384];
    int fd = connect_client();
    send(fd, request, strlen(request), 0);
    read_until(fd, buf, sizeof(buf), marker, count);
    close(fd);
    return buf;
}

static pthread_t server;

TEST(start) {
    signal(SIGPIPE, SIG_IGN);
    server = start_server();
    ASSERT_GT(port, 0);
}

TEST(get_and_post) {
    const char *r = exchange("GET /a?b=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", NULL, 0);
    ASSERT_TRUE(strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0);
    ASSERT_TRUE(strstr(r, "X-Test: yes\r\n") != NULL);
    ASSERT_TRUE(strstr(r, "Connection: close\r\n") != NULL);
    ASSERT_TRUE(strstr(r, "Content-Length: 9\r\n") != NULL);
    ASSERT_TRUE(strstr(r, "\r\n\r\nGET /a 0:") != NULL);
    r = exchange("POST /p HTTP/1.1\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello", NULL, 0);
    ASSERT_TRUE(strstr(r, "POST /p 5:hello") != NULL);
}

TEST(keep_alive_and_pipelining) {
    char buf[16384];
    int fd = connect_client();
    for (int i = 0; i < 3; i++) {
        send(fd, "GET /k HTTP/1.1\r\n\r\n", 19, 0);
        read_until(fd, buf, sizeof(buf), "GET /k 0:", 1);
        ASSERT_TRUE(strstr(buf, "Connection: keep-alive") != NULL);
    }
    const char *three = "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\nPOST /3 HTTP/1.1\r\nContent-Length: 2\r\n\r\nok";
    send(fd, three, strlen(three), 0);
    read_until(fd, buf, sizeof(buf), "HTTP/1.1 200", 3);
    char *a = strstr(buf, "GET /1"), *b = strstr(buf, "GET /2"), *c = strstr(buf, "POST /3 2:ok");
    ASSERT_TRUE(a && b && c && a < b && b < c);
    close(fd);
}

TEST(chunked_and_continue) {
    const char *r = exchange("POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                             "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", NULL, 0);
    ASSERT_TRUE(strstr(r, "POST /c 5:abcde") != NULL);
    char buf[4096];
    int fd = connect_client();
    const char *head = "POST /e HTTP/1.1\r\nContent-Length: 4\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n";
    send(fd, head, strlen(head), 0);
    read_until(fd, buf, sizeof(buf), "100 Continue\r\n\r\n", 1);
    ASSERT_TRUE(strncmp(buf, "HTTP/1.1 100 Continue\r\n\r\n", 25) == 0);
    send(fd, "body", 4, 0);
    read_until(fd, buf, sizeof(buf), NULL, 0);
    ASSERT_TRUE(strstr(buf, "POST /e 4:body") != NULL);
    close(fd);
}

TEST(limits_answer_json_and_close) {
    char buf[8192];
    int fd = connect_client();
    const char *head = "POST /big HTTP/1.1\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n";
    send(fd, head, strlen(head), 0);
    read_until(fd, buf, sizeof(buf), NULL, 0);
    ASSERT_TRUE(strncmp(buf, "HTTP/1.1 413 ", 13) == 0);
    ASSERT_TRUE(strstr(buf, "Content-Type: application/json") != NULL);
    ASSERT_TRUE(strstr(buf, "{\"success\":false,\"error\":\"Request body too large\"}") != NULL);
    ASSERT_TRUE(strstr(buf, "100 Continue") == NULL);
    close(fd);
    char big[2048] = "GET / HTTP/1.1\r\nX-Big: ";
    memset(big + strlen(big), 'a', 1500);
    const char *r = exchange(big, NULL, 0);
    ASSERT_TRUE(strncmp(r, "HTTP/1.1 431 ", 13) == 0);
    r = exchange("BROKEN\r\n\r\n", NULL, 0);
    ASSERT_TRUE(strncmp(r, "HTTP/1.1 400 ", 13) == 0);
    ASSERT_TRUE(strstr(r, "\"success\":false") != NULL);
    /* Chunked bodies are bounded by the same limit. */
    fd = connect_client();
    const char *ch = "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1001\r\n";
    send(fd, ch, strlen(ch), 0);
    read_until(fd, buf, sizeof(buf), NULL, 0);
    ASSERT_TRUE(strncmp(buf, "HTTP/1.1 413 ", 13) == 0);
    close(fd);
}

TEST(http10_head_and_deferred) {
    const char *r = exchange("GET /old HTTP/1.0\r\n\r\n", NULL, 0);
    ASSERT_TRUE(strstr(r, "Connection: close") != NULL);
    r = exchange("HEAD /h HTTP/1.1\r\nConnection: close\r\n\r\n", NULL, 0);
    ASSERT_TRUE(strstr(r, "Content-Length: 10\r\n") != NULL);
    ASSERT_TRUE(strstr(r, "\r\n\r\n")[4] == '\0'); /* no body */
    r = exchange("GET /later HTTP/1.1\r\nConnection: close\r\n\r\n", NULL, 0);
    ASSERT_TRUE(strstr(r, "\r\n\r\nlater") != NULL);
}

TEST(client_gone_before_deferred_reply) {
    int fd = connect_client();
    send(fd, "GET /later HTTP/1.1\r\n\r\n", 23, 0);
    usleep(10000);
    close(fd); /* the server must keep the request until its handler replies, then drop it */
    usleep(150000);
    ASSERT_EQ(orphaned_replies, 1);
}

TEST(header_timeout_and_idle) {
    char buf[1024];
    int fd = connect_client();
    send(fd, "GET / HTTP/1.1\r\n", 16, 0); /* never finishes the head */
    read_until(fd, buf, sizeof(buf), NULL, 0);
    ASSERT_TRUE(strncmp(buf, "HTTP/1.1 408 ", 13) == 0);
    close(fd);
    fd = connect_client(); /* says nothing at all: closed after the header timeout */
    ASSERT_TRUE(closed_by_peer(fd));
    close(fd);
}

TEST(stop) {
    exchange("GET /quit HTTP/1.1\r\nConnection: close\r\n\r\n", NULL, 0);
    pthread_join(server, NULL);
    http_server_free(srv);
    event_base_free(base);
}

TEST_MAIN()
