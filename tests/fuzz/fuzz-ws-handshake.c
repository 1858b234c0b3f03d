/* fuzz-ws-handshake: WebSocket opening-handshake checks on arbitrary request heads. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hype-ws.h"

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
        char accept[WS_ACCEPT_LEN + 1];
        int r = ws_handshake_check(&head, accept, &reason);
        if (r == 0 && strlen(accept) != WS_ACCEPT_LEN)
            abort();
        const char *conn = http_head_header(&head, "Connection");
        if (conn)
            ws_header_has_token(conn, "upgrade");
    }
    free(buf);
    return 0;
}
