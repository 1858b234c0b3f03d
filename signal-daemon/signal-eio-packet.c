/* signal-eio-packet: Engine.IO v4 packets and HTTP long-polling payloads; pure, no I/O. */
#include "signal-eio-packet.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hype-base64.h"

int eio_parse_text(const char *frame, size_t len, EioPacket *ret) {
    if (len == 0 || frame[0] < '0' || frame[0] > '6')
        return -EBADMSG;
    *ret = (EioPacket){(EioType)(frame[0] - '0'), false, frame + 1, len - 1};
    return 0;
}

int eio_parse_payload(const char *body, size_t len, char *scratch,
                      int (*fn)(const EioPacket *p, void *userdata), void *userdata) {
    int count = 0;
    size_t pos = 0, room = len;
    while (pos <= len) {
        const char *start = body + pos;
        const char *sep = memchr(start, EIO_SEPARATOR, len - pos);
        size_t n = sep ? (size_t)(sep - start) : len - pos;
        EioPacket p;
        if (n > 0 && start[0] == 'b') {
            ssize_t dn = base64_decode(scratch, room, start + 1, n - 1);
            if (dn < 0)
                return -EBADMSG;
            p = (EioPacket){EIO_MESSAGE, true, scratch, (size_t)dn};
            scratch += dn;
            room -= (size_t)dn;
        } else if (eio_parse_text(start, n, &p) < 0)
            return -EBADMSG;
        int r = fn(&p, userdata);
        if (r < 0)
            return r;
        count++;
        pos += n + 1;
    }
    return count;
}

static int reserve(EioBuf *b, size_t more) {
    if (b->len + more + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d)
        return -ENOMEM;
    b->data = d;
    b->cap = cap;
    return 0;
}

int eio_buf_append_packet(EioBuf *b, EioType type, bool binary, const char *data, size_t len) {
    size_t need = 2 + (binary ? BASE64_ENCODED_LEN(len) : len); /* separator, type or 'b' */
    if (reserve(b, need) < 0)
        return -ENOMEM;
    if (b->len)
        b->data[b->len++] = EIO_SEPARATOR;
    if (binary) {
        b->data[b->len++] = 'b';
        b->len += base64_encode(b->data + b->len, data, len);
    } else {
        b->data[b->len++] = (char)('0' + type);
        memcpy(b->data + b->len, data, len);
        b->len += len;
    }
    b->data[b->len] = '\0';
    return 0;
}

void eio_buf_free(EioBuf *b) {
    free(b->data);
    *b = (EioBuf){0};
}
