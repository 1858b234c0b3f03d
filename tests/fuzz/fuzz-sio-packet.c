/* fuzz-sio-packet: Engine.IO packets and long-polling payloads, and Socket.IO packets, as
 * clients send them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "signal-eio-packet.h"
#include "signal-sio-packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check_packet(const EioPacket *p, void *userdata) {
    if (p->type > EIO_NOOP || (p->binary && p->type != EIO_MESSAGE))
        abort();
    SioPacket s;
    if (!p->binary && p->type == EIO_MESSAGE && sio_parse(p->data, p->len, &s) == 0) {
        char *again = sio_encode(s.type, s.attachments, s.nsp, s.has_ack ? (int64_t)s.ack_id : -1,
                                 s.payload ? json_object_to_json_string(s.payload) : NULL);
        SioPacket t;
        /* What we encode from a valid packet parses back to the same header. */
        if (again && (sio_parse(again, strlen(again), &t) < 0 || t.type != s.type ||
                      t.attachments != s.attachments || strcmp(t.nsp, s.nsp) != 0 ||
                      t.has_ack != s.has_ack || t.ack_id != s.ack_id))
            abort();
        if (again)
            sio_packet_done(&t);
        free(again);
        sio_packet_done(&s);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1), *scratch = malloc(size + 1);
    if (!text || !scratch)
        abort();
    memcpy(text, data, size);
    text[size] = '\0';
    eio_parse_payload(text, size, scratch, check_packet, NULL);
    EioPacket p;
    if (eio_parse_text(text, size, &p) == 0)
        check_packet(&p, NULL);
    SioPacket s;
    if (sio_parse(text, size, &s) == 0)
        sio_packet_done(&s);
    EioBuf b = {0};
    eio_buf_append_packet(&b, EIO_MESSAGE, true, text, size);
    eio_buf_append_packet(&b, EIO_MESSAGE, false, "x", 1);
    if (eio_parse_payload(b.data, b.len, scratch, check_packet, NULL) != 2)
        abort(); /* our own encoding always parses back */
    eio_buf_free(&b);
    free(text);
    free(scratch);
    return 0;
}
