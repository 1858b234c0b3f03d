/* hype-ws: RFC 6455 framing and the opening handshake's checks; pure, no I/O. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hype-http-parser.h"

typedef enum WsOpcode {
    WS_OP_CONTINUATION = 0x0,
    WS_OP_TEXT = 0x1,
    WS_OP_BINARY = 0x2,
    WS_OP_CLOSE = 0x8,
    WS_OP_PING = 0x9,
    WS_OP_PONG = 0xA,
} WsOpcode;

/* Close codes (RFC 6455 §7.4.1) and the application range Hype uses (4000-4999). */
enum {
    WS_CLOSE_NORMAL = 1000,
    WS_CLOSE_GOING_AWAY = 1001,
    WS_CLOSE_PROTOCOL_ERROR = 1002,
    WS_CLOSE_UNSUPPORTED_DATA = 1003,
    WS_CLOSE_NO_STATUS = 1005, /* never sent: "the close frame had no code" */
    WS_CLOSE_ABNORMAL = 1006,  /* never sent: "the connection dropped without a close frame" */
    WS_CLOSE_INVALID_PAYLOAD = 1007,
    WS_CLOSE_POLICY_VIOLATION = 1008,
    WS_CLOSE_MESSAGE_TOO_BIG = 1009,
    WS_CLOSE_INTERNAL_ERROR = 1011,
    WS_CLOSE_UNAUTHORIZED = 4001,
};

#define WS_CONTROL_MAX 125
#define WS_HEADER_MAX 14 /* 2 + 8 extended length + 4 mask */
#define WS_ACCEPT_LEN 28 /* base64 of a SHA-1 digest */

typedef struct WsFrameHeader {
    bool fin;
    uint8_t opcode;
    bool masked;
    uint8_t mask[4];
    uint64_t payload_len;
    size_t header_len;
} WsFrameHeader;

/*
 * Parses a frame header from buf[0..len) as a server reads it. Returns the header length when it
 * is complete, 0 when more bytes are needed, or -EPROTO with *ret_close set to the close code for
 * a frame the server must refuse: reserved bits set (no extension is negotiated), an unknown
 * opcode, a fragmented or over-125-byte control frame, an unmasked frame (1002 for each), or a
 * 64-bit length with its top bit set (1002). Payload limits are the caller's (1009).
 */
int ws_frame_header_parse(const uint8_t *buf, size_t len, WsFrameHeader *h, uint16_t *ret_close);

/*
 * Writes a frame header for a payload of len bytes into out (WS_HEADER_MAX bytes), with the
 * shortest length encoding; mask == NULL for server frames. Returns the header length.
 */
size_t ws_frame_header_encode(uint8_t *out, uint8_t opcode, bool fin, uint64_t len,
                              const uint8_t *mask);

/* XORs data with the mask; offset is the position of data[0] within the frame's payload. */
void ws_mask_apply(uint8_t *data, size_t n, const uint8_t mask[4], uint64_t offset);

/* Whether a close code may appear in a received close frame (RFC 6455 §7.4). */
bool ws_close_code_receivable(uint16_t code);

/*
 * Checks a WebSocket opening handshake (RFC 6455 §4.2.1). Returns 0 and writes the
 * Sec-WebSocket-Accept value (WS_ACCEPT_LEN chars + NUL) to accept, or the HTTP status to
 * answer with *ret_reason set: 405 a method other than GET, 400 missing "Upgrade: websocket" or
 * "Connection: upgrade", HTTP/1.0, a Sec-WebSocket-Key that is not 16 bytes in base64;
 * 426 a Sec-WebSocket-Version other than 13 (answer with "Sec-WebSocket-Version: 13").
 */
int ws_handshake_check(const HttpRequestHead *head, char *accept, const char **ret_reason);

/* Sec-WebSocket-Accept for a client key: base64(SHA-1(key + RFC 6455 GUID)). */
int ws_accept_key(const char *client_key, char *accept);

/* Whether a comma-separated header value holds token (case-insensitive), e.g. "keep-alive,
 * Upgrade". */
bool ws_header_has_token(const char *value, const char *token);
