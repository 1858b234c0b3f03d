/* hype-http-parser: HTTP/1.1 request-head parsing and chunked-body decoding; pure, no I/O. */
#include "hype-http-parser.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#define TARGET_MAX 8192
#define CONTENT_LENGTH_DIGITS_MAX 18
#define CHUNK_LINE_MAX 4096

/* RFC 9110 tchar. */
static bool is_tchar(unsigned char c) {
    return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

size_t http_head_length(const char *buf, size_t len) {
    for (size_t i = 0; i + 1 < len; i++) {
        if (buf[i] != '\n')
            continue;
        if (buf[i + 1] == '\n')
            return i + 2;
        if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

static int fail(int status, const char *reason, int *ret_status, const char **ret_reason) {
    *ret_status = status;
    *ret_reason = reason;
    return -EBADMSG;
}

/* Cuts buf at the next line end; returns the line (NUL-terminated) and advances *p. */
static char *next_line(char **p, char *end) {
    char *line = *p, *nl = memchr(line, '\n', (size_t)(end - line));
    if (!nl)
        return NULL;
    *nl = '\0';
    if (nl > line && nl[-1] == '\r')
        nl[-1] = '\0';
    *p = nl + 1;
    return line;
}

static HttpMethod method_of(const char *m) {
    static const struct {
        const char *name;
        HttpMethod method;
    } table[] = {
        {"GET", HTTP_GET},         {"HEAD", HTTP_HEAD},   {"POST", HTTP_POST},
        {"PUT", HTTP_PUT},         {"PATCH", HTTP_PATCH}, {"DELETE", HTTP_DELETE},
        {"OPTIONS", HTTP_OPTIONS},
    };
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (strcmp(m, table[i].name) == 0)
            return table[i].method;
    return HTTP_METHOD_UNKNOWN;
}

static int parse_request_line(char *line, HttpRequestHead *h, int *st, const char **why) {
    char *sp1 = strchr(line, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (!sp1 || !sp2 || strchr(sp2 + 1, ' '))
        return fail(400, "Malformed request line", st, why);
    *sp1 = *sp2 = '\0';
    h->method_name = line;
    h->target = sp1 + 1;
    const char *version = sp2 + 1;
    for (const char *p = line; *p; p++)
        if (!is_tchar((unsigned char)*p))
            return fail(400, "Malformed request line", st, why);
    if (!*line || !*h->target)
        return fail(400, "Malformed request line", st, why);
    if (strlen(h->target) > TARGET_MAX)
        return fail(414, "Request URI too long", st, why);
    for (const char *p = h->target; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f)
            return fail(400, "Malformed request line", st, why);
    if (strncmp(version, "HTTP/", 5) != 0 || !isdigit((unsigned char)version[5]) ||
        version[6] != '.' || !isdigit((unsigned char)version[7]) || version[8])
        return fail(400, "Malformed request line", st, why);
    if (version[5] != '1' || (version[7] != '0' && version[7] != '1'))
        return fail(505, "HTTP version not supported", st, why);
    h->version_minor = version[7] - '0';
    h->method = method_of(line);
    return 0;
}

/* Absolute-form targets ("http://host/path") are reduced to their path. */
static int split_target(HttpRequestHead *h, int *st, const char **why) {
    char *t = (char *)h->target;
    if (strncasecmp(t, "http://", 7) == 0 || strncasecmp(t, "https://", 8) == 0) {
        char *path = strchr(strstr(t, "//") + 2, '/');
        t = path ? path : (char *)"/";
    }
    if (strcmp(t, "*") == 0 && h->method == HTTP_OPTIONS) {
        h->path = t;
        h->query = NULL;
        return 0;
    }
    if (t[0] != '/')
        return fail(400, "Malformed request target", st, why);
    char *q = strchr(t, '?');
    if (q)
        *q = '\0';
    h->path = t;
    h->query = q ? q + 1 : NULL;
    return 0;
}

static void trim(char **s) {
    char *p = *s;
    while (*p == ' ' || *p == '\t')
        p++;
    size_t n = strlen(p);
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        p[--n] = '\0';
    *s = p;
}

static int parse_header_line(char *line, HttpRequestHead *h, int *st, const char **why) {
    if (*line == ' ' || *line == '\t')
        return fail(400, "Obsolete header line folding", st, why);
    char *colon = strchr(line, ':');
    if (!colon || colon == line)
        return fail(400, "Malformed header line", st, why);
    for (char *p = line; p < colon; p++)
        if (!is_tchar((unsigned char)*p)) /* includes whitespace before the colon */
            return fail(400, "Malformed header line", st, why);
    *colon = '\0';
    char *value = colon + 1;
    for (char *p = value; *p; p++)
        if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
            return fail(400, "Malformed header value", st, why);
    trim(&value);
    if (h->n_headers == HTTP_MAX_HEADERS)
        return fail(431, "Request header fields too large", st, why);
    h->headers[h->n_headers++] = (HttpHeader){line, value};
    return 0;
}

/* Does the comma-separated list contain token (case-insensitively)? */
static bool list_has(const char *list, const char *token) {
    size_t n = strlen(token);
    for (const char *p = list; p && *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        size_t len = strcspn(p, ",");
        size_t t = len;
        while (t && (p[t - 1] == ' ' || p[t - 1] == '\t'))
            t--;
        if (t == n && strncasecmp(p, token, n) == 0)
            return true;
        p += len;
    }
    return false;
}

static int parse_content_length(const char *v, int64_t *ret) {
    size_t n = strlen(v);
    if (n == 0 || n > CONTENT_LENGTH_DIGITS_MAX || strspn(v, "0123456789") != n)
        return -EINVAL;
    int64_t x = 0;
    for (size_t i = 0; i < n; i++)
        x = x * 10 + (v[i] - '0');
    *ret = x;
    return 0;
}

static int derive_fields(HttpRequestHead *h, int *st, const char **why) {
    const char *te = NULL, *connection = NULL;
    h->content_length = -1;
    for (size_t i = 0; i < h->n_headers; i++) {
        const HttpHeader *hd = &h->headers[i];
        if (strcasecmp(hd->name, "Content-Length") == 0) {
            int64_t v;
            if (parse_content_length(hd->value, &v) < 0 ||
                (h->content_length >= 0 && v != h->content_length))
                return fail(400, "Invalid Content-Length", st, why);
            h->content_length = v;
        } else if (strcasecmp(hd->name, "Transfer-Encoding") == 0) {
            if (te)
                return fail(501, "Unsupported transfer encoding", st, why);
            te = hd->value;
        } else if (strcasecmp(hd->name, "Connection") == 0)
            connection = hd->value;
        else if (strcasecmp(hd->name, "Expect") == 0)
            h->expect_continue = strcasecmp(hd->value, "100-continue") == 0;
    }
    if (te) {
        if (strcasecmp(te, "chunked") != 0)
            return fail(501, "Unsupported transfer encoding", st, why);
        /* Both framings at once is the request-smuggling shape: refuse it. */
        if (h->content_length >= 0)
            return fail(400, "Both Content-Length and Transfer-Encoding", st, why);
        h->chunked = true;
    }
    h->keep_alive =
        h->version_minor == 1 ? !list_has(connection, "close") : list_has(connection, "keep-alive");
    h->upgrade = list_has(connection, "upgrade") && http_head_header(h, "Upgrade") != NULL;
    return 0;
}

int http_parse_head(char *buf, size_t len, HttpRequestHead *head, int *ret_status,
                    const char **ret_reason) {
    memset(head, 0, sizeof(*head));
    char *p = buf, *end = buf + len;
    /* RFC 9112 §2.2: ignore at least one empty line before the request line. */
    while (p < end && (*p == '\r' || *p == '\n'))
        p++;
    if (memchr(buf, '\0', len))
        return fail(400, "Malformed request", ret_status, ret_reason);
    char *line = next_line(&p, end);
    if (!line)
        return fail(400, "Malformed request", ret_status, ret_reason);
    int r = parse_request_line(line, head, ret_status, ret_reason);
    if (r == 0)
        r = split_target(head, ret_status, ret_reason);
    while (r == 0 && (line = next_line(&p, end)) && *line)
        r = parse_header_line(line, head, ret_status, ret_reason);
    if (r == 0)
        r = derive_fields(head, ret_status, ret_reason);
    return r;
}

const char *http_head_header(const HttpRequestHead *head, const char *name) {
    for (size_t i = 0; i < head->n_headers; i++)
        if (strcasecmp(head->headers[i].name, name) == 0)
            return head->headers[i].value;
    return NULL;
}

/* ---- chunked ---- */

enum {
    CH_SIZE,    /* hex digits */
    CH_EXT,     /* chunk extension, skipped up to the line end */
    CH_SIZE_LF, /* after CR of the size line */
    CH_DATA,
    CH_DATA_CR,
    CH_DATA_LF,
    CH_TRAILER, /* at the start of a trailer line (or the final empty line) */
    CH_TRAILER_LINE,
    CH_TRAILER_LF,
    CH_END_LF,
    CH_DONE,
};

void http_chunked_init(HttpChunkedDecoder *d, uint64_t max_size) {
    *d = (HttpChunkedDecoder){.state = CH_SIZE, .max_size = max_size};
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Ends the size line: zero means the last chunk, then trailers. */
static int size_line_done(HttpChunkedDecoder *d) {
    if (d->line_len == 0)
        return -EBADMSG; /* no digits */
    d->line_len = 0;
    d->state = d->chunk_left ? CH_DATA : CH_TRAILER;
    return 0;
}

static int step_size(HttpChunkedDecoder *d, char c) {
    int v = hex_value(c);
    if (v >= 0 && d->state == CH_SIZE) {
        if (d->chunk_left >> 60)
            return -EBADMSG; /* would overflow */
        d->chunk_left = d->chunk_left * 16 + (uint64_t)v;
        if (++d->line_len > 16)
            return -EBADMSG;
        if (d->total + d->chunk_left > d->max_size)
            return -EFBIG;
        return 0;
    }
    if (c == ';' || c == ' ' || c == '\t') {
        if (d->state == CH_SIZE && d->line_len == 0)
            return -EBADMSG;
        d->state = CH_EXT;
        return 0;
    }
    if (c == '\r') {
        d->state = CH_SIZE_LF;
        return 0;
    }
    if (c == '\n')
        return size_line_done(d);
    if (d->state == CH_EXT && (unsigned char)c >= 0x20 && d->line_len < CHUNK_LINE_MAX)
        return 0;
    return -EBADMSG;
}

static int step_trailer(HttpChunkedDecoder *d, char c) {
    switch (d->state) {
    case CH_TRAILER:
        if (c == '\r') {
            d->state = CH_END_LF;
            return 0;
        }
        if (c == '\n') {
            d->state = CH_DONE;
            return 0;
        }
        d->state = CH_TRAILER_LINE;
        d->line_len = 1;
        return 0;
    case CH_TRAILER_LINE:
        if (c == '\r')
            d->state = CH_TRAILER_LF;
        else if (c == '\n')
            d->state = CH_TRAILER;
        else if (++d->line_len > CHUNK_LINE_MAX)
            return -EBADMSG;
        return 0;
    case CH_TRAILER_LF:
        if (c != '\n')
            return -EBADMSG;
        d->state = CH_TRAILER;
        return 0;
    case CH_END_LF:
        if (c != '\n')
            return -EBADMSG;
        d->state = CH_DONE;
        return 0;
    default: return -EBADMSG;
    }
}

ssize_t http_chunked_feed(HttpChunkedDecoder *d, const char *in, size_t n, char *out,
                          size_t *out_len) {
    size_t i = 0;
    while (i < n && d->state != CH_DONE) {
        int r = 0;
        char c = in[i];
        switch (d->state) {
        case CH_DATA: {
            size_t take = n - i < d->chunk_left ? n - i : (size_t)d->chunk_left;
            memmove(out + *out_len, in + i, take);
            *out_len += take;
            d->total += take;
            d->chunk_left -= take;
            i += take;
            if (d->chunk_left == 0)
                d->state = CH_DATA_CR;
            continue;
        }
        case CH_SIZE:
        case CH_EXT: r = step_size(d, c); break;
        case CH_SIZE_LF: r = c == '\n' ? size_line_done(d) : -EBADMSG; break;
        case CH_DATA_CR:
            if (c == '\r')
                d->state = CH_DATA_LF;
            else if (c == '\n')
                d->state = CH_SIZE;
            else
                r = -EBADMSG;
            break;
        case CH_DATA_LF:
            if (c == '\n')
                d->state = CH_SIZE;
            else
                r = -EBADMSG;
            break;
        default: r = step_trailer(d, c); break;
        }
        if (r < 0)
            return r;
        i++;
    }
    d->done = d->state == CH_DONE;
    return (ssize_t)i;
}

/* ---- URLs ---- */

ssize_t http_percent_decode(char *dst, const char *src, size_t n, bool query_mode) {
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = src[i];
        if (c == '%') {
            if (i + 2 >= n) /* both hex digits must be there */
                return -EINVAL;
            int hi = hex_value(src[i + 1]), lo = hex_value(src[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return -EINVAL;
            dst[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && query_mode)
            dst[o++] = ' ';
        else if (c == '\0')
            return -EINVAL;
        else
            dst[o++] = c;
    }
    dst[o] = '\0';
    return (ssize_t)o;
}

ssize_t http_query_get(const char *query, const char *name, char *dst, size_t size) {
    size_t nlen = strlen(name);
    for (const char *p = query; p && *p;) {
        size_t len = strcspn(p, "&");
        const char *eq = memchr(p, '=', len);
        size_t klen = eq ? (size_t)(eq - p) : len;
        if (klen == nlen && memcmp(p, name, nlen) == 0) {
            const char *v = eq ? eq + 1 : p + len;
            size_t vlen = (size_t)(p + len - v);
            if (vlen + 1 > size)
                return -ENOBUFS;
            return http_percent_decode(dst, v, vlen, true);
        }
        p += len;
        if (*p == '&')
            p++;
    }
    return -ENOENT;
}

const char *http_status_reason(int status) {
    switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "";
    }
}

const char *http_method_name(HttpMethod m) {
    switch (m) {
    case HTTP_GET: return "GET";
    case HTTP_HEAD: return "HEAD";
    case HTTP_POST: return "POST";
    case HTTP_PUT: return "PUT";
    case HTTP_PATCH: return "PATCH";
    case HTTP_DELETE: return "DELETE";
    case HTTP_OPTIONS: return "OPTIONS";
    default: return "UNKNOWN";
    }
}
