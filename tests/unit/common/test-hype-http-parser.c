/* Unit tests for common/hype-http-parser. */
#include <stdlib.h>

#include "hype-http-parser.h"
#include "test.h"

static HttpRequestHead head;
static int status;
static const char *reason;

/* Parses a copy of text; returns the parser's result. */
static int parse(const char *text) {
    static char buf[32768];
    size_t n = strlen(text);
    memcpy(buf, text, n + 1);
    status = 0;
    return http_parse_head(buf, n, &head, &status, &reason);
}

TEST(head_length) {
    ASSERT_EQ(http_head_length("GET / HTTP/1.1\r\nHost: x\r\n\r\nBODY", 31), 27);
    ASSERT_EQ(http_head_length("GET / HTTP/1.1\nHost: x\n\n", 24), 24);
    ASSERT_EQ(http_head_length("GET / HTTP/1.1\r\nHost: x\r\n", 25), 0);
}

TEST(simple_get) {
    ASSERT_EQ(parse("GET /api/users?limit=5&x=%20y HTTP/1.1\r\nHost: localhost\r\nX-Thing:  spaced value \t\r\n\r\n"), 0);
    ASSERT_EQ(head.method, HTTP_GET);
    ASSERT_STREQ(head.path, "/api/users");
    ASSERT_STREQ(head.query, "limit=5&x=%20y");
    ASSERT_EQ(head.version_minor, 1);
    ASSERT_STREQ(http_head_header(&head, "host"), "localhost");
    ASSERT_STREQ(http_head_header(&head, "X-THING"), "spaced value");
    ASSERT_NULL(http_head_header(&head, "Missing"));
    ASSERT_TRUE(head.keep_alive);
    ASSERT_EQ(head.content_length, -1);
    ASSERT_FALSE(head.chunked);
}

TEST(post_and_framing) {
    ASSERT_EQ(parse("POST /x HTTP/1.1\r\nContent-Length: 42\r\nExpect: 100-continue\r\n\r\n"), 0);
    ASSERT_EQ(head.content_length, 42);
    ASSERT_TRUE(head.expect_continue);
    ASSERT_EQ(parse("POST /x HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n"), 0);
    ASSERT_TRUE(head.chunked);
    ASSERT_EQ(parse("POST /x HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n"), 0);
    ASSERT_EQ(head.content_length, 5);
}

TEST(connection_semantics) {
    ASSERT_EQ(parse("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"), 0);
    ASSERT_FALSE(head.keep_alive);
    ASSERT_EQ(parse("GET / HTTP/1.0\r\n\r\n"), 0);
    ASSERT_FALSE(head.keep_alive);
    ASSERT_EQ(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"), 0);
    ASSERT_TRUE(head.keep_alive);
    ASSERT_EQ(parse("GET /ws HTTP/1.1\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n"), 0);
    ASSERT_TRUE(head.upgrade);
    ASSERT_TRUE(head.keep_alive);
    ASSERT_EQ(parse("GET /ws HTTP/1.1\r\nConnection: Upgrade\r\n\r\n"), 0);
    ASSERT_FALSE(head.upgrade);
}

TEST(targets) {
    ASSERT_EQ(parse("GET http://example.com/a/b?c=1 HTTP/1.1\r\n\r\n"), 0);
    ASSERT_STREQ(head.path, "/a/b");
    ASSERT_STREQ(head.query, "c=1");
    ASSERT_EQ(parse("OPTIONS * HTTP/1.1\r\n\r\n"), 0);
    ASSERT_STREQ(head.path, "*");
    ASSERT_EQ(parse("GET relative HTTP/1.1\r\n\r\n"), -EBADMSG);
    ASSERT_EQ(status, 400);
}

static void expect_status(const char *text, int want) {
    if (parse(text) != -EBADMSG || status != want)
        TEST_FAIL_("expected %d for %.60s, got status %d", want, text, status);
}

TEST(rejections) {
    expect_status("GARBAGE\r\n\r\n", 400);
    expect_status("GET  / HTTP/1.1\r\n\r\n", 400);
    expect_status("G(T / HTTP/1.1\r\n\r\n", 400);
    expect_status("GET / HTTP/1.1 extra\r\n\r\n", 400);
    expect_status("GET / HTTX/1.1\r\n\r\n", 400);
    expect_status("GET / HTTP/2.0\r\n\r\n", 505);
    expect_status("GET / HTTP/1.2\r\n\r\n", 505);
    expect_status("GET / HTTP/1.1\r\nNo-Colon\r\n\r\n", 400);
    expect_status("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", 400);
    expect_status("GET / HTTP/1.1\r\nName : x\r\n\r\n", 400);
    expect_status("GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", 400);
    expect_status("GET / HTTP/1.1\r\nA: b\x01\r\n\r\n", 400);
    expect_status("GET /a\x7f HTTP/1.1\r\n\r\n", 400);
    expect_status("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400);
    expect_status("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400);
    expect_status("POST / HTTP/1.1\r\nContent-Length: 1e3\r\n\r\n", 400);
    expect_status("POST / HTTP/1.1\r\nContent-Length: 9999999999999999999\r\n\r\n", 400);
    expect_status("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
    expect_status("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501);
    char big[10000] = "GET /";
    memset(big + 5, 'a', 8300);
    strcpy(big + 8305, " HTTP/1.1\r\n\r\n");
    expect_status(big, 414);
    char many[8192] = "GET / HTTP/1.1\r\n";
    for (int i = 0; i < HTTP_MAX_HEADERS + 1; i++)
        sprintf(many + strlen(many), "X-%d: v\r\n", i);
    strcat(many, "\r\n");
    expect_status(many, 431);
}

/* Decodes a chunked body fed in pieces of step bytes; returns the decoded text or NULL. */
static const char *dechunk(const char *in, size_t step, int *error) {
    static char out[1024];
    HttpChunkedDecoder d;
    http_chunked_init(&d, 100);
    size_t len = strlen(in), off = 0, out_len = 0;
    *error = 0;
    while (off < len && !d.done) {
        size_t n = len - off < step ? len - off : step;
        ssize_t used = http_chunked_feed(&d, in + off, n, out, &out_len);
        if (used < 0) {
            *error = (int)used;
            return NULL;
        }
        off += (size_t)used;
    }
    out[out_len] = '\0';
    return d.done ? out : NULL;
}

TEST(chunked) {
    const char *body = "5;name=val\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n";
    int e;
    for (size_t step = 1; step <= strlen(body); step++) {
        const char *got = dechunk(body, step, &e);
        if (!got || strcmp(got, "hello world") != 0)
            TEST_FAIL_("step %zu: %s (error %d)", step, got ? got : "(null)", e);
    }
    ASSERT_STREQ(dechunk("A\r\n0123456789\r\n0\r\n\r\n", 3, &e), "0123456789");
    ASSERT_NULL(dechunk("5\r\nhelloXX0\r\n\r\n", 4, &e));
    ASSERT_EQ(e, -EBADMSG);
    ASSERT_NULL(dechunk("zz\r\n", 4, &e));
    ASSERT_EQ(e, -EBADMSG);
    ASSERT_NULL(dechunk("\r\n", 4, &e));
    ASSERT_EQ(e, -EBADMSG);
    ASSERT_NULL(dechunk("FFFFFFFFFFFFFFFFFF\r\n", 4, &e));
    ASSERT_NULL(dechunk("65\r\n", 4, &e)); /* 101 bytes > max 100 */
    ASSERT_EQ(e, -EFBIG);
    ASSERT_NULL(dechunk("3\r\nabc\r\n", 4, &e)); /* incomplete: no last chunk */
    ASSERT_EQ(e, 0);
}

TEST(percent_decoding_and_queries) {
    char out[64];
    ASSERT_EQ(http_percent_decode(out, "a%20b%2Fc", 9, false), 5);
    ASSERT_STREQ(out, "a b/c");
    ASSERT_EQ(http_percent_decode(out, "a+b", 3, false), 3);
    ASSERT_STREQ(out, "a+b");
    ASSERT_EQ(http_percent_decode(out, "a+b", 3, true), 3);
    ASSERT_STREQ(out, "a b");
    ASSERT_EQ(http_percent_decode(out, "%zz", 3, false), -EINVAL);
    ASSERT_EQ(http_percent_decode(out, "%2", 2, false), -EINVAL);
    ASSERT_EQ(http_percent_decode(out, "%00", 3, false), -EINVAL);
    ASSERT_EQ(http_query_get("limit=10&q=a%20b&limit=20", "limit", out, sizeof(out)), 2);
    ASSERT_STREQ(out, "10");
    ASSERT_EQ(http_query_get("limit=10&q=a%20b", "q", out, sizeof(out)), 3);
    ASSERT_STREQ(out, "a b");
    ASSERT_EQ(http_query_get("a&b=", "a", out, sizeof(out)), 0);
    ASSERT_EQ(http_query_get("a&b=", "b", out, sizeof(out)), 0);
    ASSERT_EQ(http_query_get("a=1", "ab", out, sizeof(out)), -ENOENT);
    ASSERT_EQ(http_query_get("a=%zz", "a", out, sizeof(out)), -EINVAL);
    ASSERT_EQ(http_query_get("a=0123456789", "a", out, 4), -ENOBUFS);
    ASSERT_EQ(http_query_get(NULL, "a", out, sizeof(out)), -ENOENT);
}

TEST(names) {
    ASSERT_STREQ(http_status_reason(413), "Content Too Large");
    ASSERT_STREQ(http_method_name(HTTP_DELETE), "DELETE");
}

TEST_MAIN()
