/* signal-eio-packet: Engine.IO v4 packets and HTTP long-polling payloads; pure, no I/O. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef enum EioType {
    EIO_OPEN = 0,
    EIO_CLOSE = 1,
    EIO_PING = 2,
    EIO_PONG = 3,
    EIO_MESSAGE = 4,
    EIO_UPGRADE = 5,
    EIO_NOOP = 6,
} EioType;

#define EIO_SEPARATOR '\x1e' /* between packets of a long-polling payload */

typedef struct EioPacket {
    EioType type;
    bool binary;      /* a binary message (raw WebSocket frame, or "b"+base64 when polling) */
    const char *data; /* payload (for binary polling packets: decoded into the caller's buffer) */
    size_t len;
} EioPacket;

/*
 * A text WebSocket frame: "<type digit><data>". -EBADMSG when empty or the type is not 0-6.
 * Binary frames are always binary messages (no type byte) and need no parsing.
 */
int eio_parse_text(const char *frame, size_t len, EioPacket *ret);

/*
 * Splits a long-polling payload: calls fn for each packet, in order; "b<base64>" packets are
 * decoded into scratch (at least len bytes). Stops at the first invalid packet: -EBADMSG.
 * Returns the number of packets.
 */
int eio_parse_payload(const char *body, size_t len, char *scratch,
                      int (*fn)(const EioPacket *p, void *userdata), void *userdata);

/* Appends one packet as a long-polling payload element ("b" + base64 for binary) to out
 * (a growing buffer owned by the caller, see EioBuf). */
typedef struct EioBuf {
    char *data;
    size_t len, cap;
} EioBuf;
int eio_buf_append_packet(EioBuf *b, EioType type, bool binary, const char *data, size_t len);
void eio_buf_free(EioBuf *b);
