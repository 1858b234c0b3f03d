/* fuzz-http-request: request-head parsing, header and query lookups, and chunked-body decoding. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hype-http-parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *buf = malloc(size + 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    size_t head_len = http_head_length(buf, size);
    HttpRequestHead head;
    int status;
    const char *reason;
    if (head_len && http_parse_head(buf, head_len, &head, &status, &reason) == 0) {
        http_head_header(&head, "Content-Type");
        http_head_header(&head, "Authorization");
        char value[256];
        if (head.query)
            http_query_get(head.query, "limit", value, sizeof(value));
        char path[8300];
        if (strlen(head.path) < sizeof(path))
            http_percent_decode(path, head.path, strlen(head.path), false);
    }
    /* Whatever follows the head, as a chunked body, in input-derived pieces. */
    size_t off = head_len ? head_len : 0, step = size ? (size_t)data[0] % 13 + 1 : 1;
    HttpChunkedDecoder d;
    http_chunked_init(&d, 1 << 20);
    char *out = malloc(size + 1);
    size_t out_len = 0;
    while (out && off < size && !d.done) {
        size_t n = size - off < step ? size - off : step;
        ssize_t used = http_chunked_feed(&d, buf + off, n, out, &out_len);
        if (used < 0)
            break;
        off += (size_t)used;
        if (used == 0)
            break;
    }
    free(out);
    free(buf);
    return 0;
}
