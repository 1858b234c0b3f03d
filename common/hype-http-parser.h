/* hype-http-parser: HTTP/1.1 request-head parsing and chunked-body decoding; pure, no I/O. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HTTP_MAX_HEADERS 64

typedef enum HttpMethod {
    HTTP_METHOD_UNKNOWN = 0,
    HTTP_GET,
    HTTP_HEAD,
    HTTP_POST,
    HTTP_PUT,
    HTTP_PATCH,
    HTTP_DELETE,
    HTTP_OPTIONS,
} HttpMethod;

typedef struct HttpHeader {
    const char *name;  /* NUL-terminated, as received (compare case-insensitively) */
    const char *value; /* NUL-terminated, leading/trailing whitespace removed */
} HttpHeader;

typedef struct HttpRequestHead {
    HttpMethod method;
    const char *method_name; /* as received */
    const char *target;      /* request-target as received ("/a/b?x=1") */
    const char *path;        /* target up to '?', still percent-encoded */
    const char *query;       /* after '?', or NULL */
    int version_minor;       /* HTTP/1.<minor>: 0 or 1 */
    HttpHeader headers[HTTP_MAX_HEADERS];
    size_t n_headers;
    /* Derived from the headers: */
    int64_t content_length; /* -1 when absent */
    bool chunked;           /* Transfer-Encoding: chunked */
    bool keep_alive;        /* HTTP/1.1 unless "Connection: close"; 1.0 only with keep-alive */
    bool expect_continue;   /* Expect: 100-continue */
    bool upgrade;           /* Connection: upgrade + Upgrade header present */
} HttpRequestHead;

/*
 * Finds the end of a request head ("\r\n\r\n"; bare "\n\n" is also accepted) in buf[0..len).
 * Returns the head length including the blank line, 0 when not complete yet.
 */
size_t http_head_length(const char *buf, size_t len);

/*
 * Parses a complete head IN PLACE (buf is modified: NULs are written; every pointer in head
 * points into buf). Returns 0, or a negative errno with *ret_status set to the HTTP status to
 * answer and *ret_reason to a short static message:
 *   400 malformed request line, header line, obs-fold, bad Content-Length (non-digits, several
 *       different values), both Content-Length and Transfer-Encoding, control characters;
 *   414 request-target over 8 KiB;   431 more than HTTP_MAX_HEADERS headers;
 *   501 a Transfer-Encoding other than "chunked";   505 a version other than HTTP/1.0 or 1.1.
 */
int http_parse_head(char *buf, size_t len, HttpRequestHead *head, int *ret_status,
                    const char **ret_reason);

/* Case-insensitive lookup; NULL when absent. */
const char *http_head_header(const HttpRequestHead *head, const char *name);

/*
 * Chunked transfer-coding decoder (RFC 9112 §7.1): chunk extensions ignored, trailers skipped.
 * Feed any number of bytes; decoded data is written to out (compacted in place is allowed:
 * out may equal in). Returns the number of input bytes consumed (>= 0) and adds the decoded
 * byte count to *out_len; sets d->done once the last chunk and trailers are through.
 * -EBADMSG on malformed input; -EFBIG once the decoded total would exceed d->max_size.
 */
typedef struct HttpChunkedDecoder {
    int state;
    uint64_t chunk_left;
    uint64_t total;
    uint64_t max_size;
    unsigned line_len; /* bytes of the current size/trailer line, bounded */
    bool done;
} HttpChunkedDecoder;

void http_chunked_init(HttpChunkedDecoder *d, uint64_t max_size);
ssize_t http_chunked_feed(HttpChunkedDecoder *d, const char *in, size_t n, char *out,
                          size_t *out_len);

/*
 * Percent-decodes src[0..n) into dst (at least n+1 bytes), NUL-terminated. In query mode '+'
 * becomes a space. Returns the decoded length, or -EINVAL on a bad escape or a decoded NUL.
 */
ssize_t http_percent_decode(char *dst, const char *src, size_t n, bool query_mode);

/*
 * Looks up the first occurrence of name in a raw query string ("a=1&b=x%20y"); decodes its value
 * into dst (size bytes). Returns the decoded length, -ENOENT when absent, -EINVAL when the value
 * is badly encoded, -ENOBUFS when it does not fit. "a" and "a=" both give "".
 */
ssize_t http_query_get(const char *query, const char *name, char *dst, size_t size);

const char *http_status_reason(int status); /* "OK", "Not Found", ... "" when unknown */
const char *http_method_name(HttpMethod m);
