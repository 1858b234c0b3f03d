/* hype-ws: RFC 6455 framing and the opening handshake's checks; pure, no I/O. */
#include "hype-ws.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <string.h>
#include <strings.h>

#include "hype-base64.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

static bool opcode_known(uint8_t op) {
    return op <= WS_OP_BINARY || (op >= WS_OP_CLOSE && op <= WS_OP_PONG);
}

static int refuse(uint16_t *ret_close) {
    *ret_close = WS_CLOSE_PROTOCOL_ERROR;
    return -EPROTO;
}

int ws_frame_header_parse(const uint8_t *buf, size_t len, WsFrameHeader *h, uint16_t *ret_close) {
    if (len < 2)
        return 0;
    h->fin = buf[0] & 0x80;
    h->opcode = buf[0] & 0x0F;
    h->masked = buf[1] & 0x80;
    /* Fail fast on the first two bytes, so a bad frame is refused before its length arrives. */
    if ((buf[0] & 0x70) || !opcode_known(h->opcode) || !h->masked)
        return refuse(ret_close);
    bool control = h->opcode & 0x8;
    uint8_t len7 = buf[1] & 0x7F;
    if (control && (!h->fin || len7 > WS_CONTROL_MAX))
        return refuse(ret_close);
    size_t need = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + 4;
    if (len < need)
        return 0;
    size_t p = 2;
    if (len7 == 126) {
        h->payload_len = (uint64_t)buf[2] << 8 | buf[3];
        p += 2;
    } else if (len7 == 127) {
        if (buf[2] & 0x80)
            return refuse(ret_close);
        h->payload_len = 0;
        for (int i = 0; i < 8; i++)
            h->payload_len = h->payload_len << 8 | buf[2 + i];
        p += 8;
    } else
        h->payload_len = len7;
    memcpy(h->mask, buf + p, 4);
    h->header_len = need;
    return (int)need;
}

size_t ws_frame_header_encode(uint8_t *out, uint8_t opcode, bool fin, uint64_t len,
                              const uint8_t *mask) {
    size_t p = 0;
    out[p++] = (uint8_t)((fin ? 0x80 : 0) | (opcode & 0x0F));
    uint8_t mbit = mask ? 0x80 : 0;
    if (len < 126)
        out[p++] = mbit | (uint8_t)len;
    else if (len <= 0xFFFF) {
        out[p++] = mbit | 126;
        out[p++] = (uint8_t)(len >> 8);
        out[p++] = (uint8_t)len;
    } else {
        out[p++] = mbit | 127;
        for (int i = 7; i >= 0; i--)
            out[p++] = (uint8_t)(len >> (8 * i));
    }
    if (mask) {
        memcpy(out + p, mask, 4);
        p += 4;
    }
    return p;
}

void ws_mask_apply(uint8_t *data, size_t n, const uint8_t mask[4], uint64_t offset) {
    size_t i = 0;
    unsigned k = (unsigned)(offset & 3);
    /* Align to the mask, then XOR a word at a time: this runs over every received byte. */
    while (i < n && k != 0) {
        data[i++] ^= mask[k];
        k = (k + 1) & 3;
    }
    uint32_t m32;
    memcpy(&m32, mask, 4);
    uint64_t m64 = (uint64_t)m32 << 32 | m32;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, data + i, 8);
        v ^= m64;
        memcpy(data + i, &v, 8);
    }
    for (k = 0; i < n; i++, k++)
        data[i] ^= mask[k & 3];
}

bool ws_close_code_receivable(uint16_t code) {
    if (code >= 3000 && code <= 4999)
        return true;
    switch (code) {
    case 1000:
    case 1001:
    case 1002:
    case 1003:
    case 1007:
    case 1008:
    case 1009:
    case 1010:
    case 1011: return true;
    default: return false;
    }
}

bool ws_header_has_token(const char *value, const char *token) {
    size_t tlen = strlen(token);
    const char *p = value;
    while (p && *p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *end = p;
        while (*end && *end != ',')
            end++;
        const char *last = end;
        while (last > p && (last[-1] == ' ' || last[-1] == '\t'))
            last--;
        if ((size_t)(last - p) == tlen && strncasecmp(p, token, tlen) == 0)
            return true;
        p = end;
    }
    return false;
}

int ws_accept_key(const char *client_key, char *accept) {
    char buf[128];
    size_t klen = strlen(client_key);
    if (klen + sizeof(WS_GUID) > sizeof(buf))
        return -EINVAL;
    memcpy(buf, client_key, klen);
    memcpy(buf + klen, WS_GUID, sizeof(WS_GUID) - 1);
    uint8_t digest[20];
    if (gnutls_hash_fast(GNUTLS_DIG_SHA1, buf, klen + sizeof(WS_GUID) - 1, digest) < 0)
        return -EIO;
    base64_encode(accept, digest, sizeof(digest));
    return 0;
}

int ws_handshake_check(const HttpRequestHead *head, char *accept, const char **ret_reason) {
    if (head->method != HTTP_GET) {
        *ret_reason = "WebSocket handshake must be a GET request";
        return 405;
    }
    const char *upgrade = http_head_header(head, "Upgrade");
    const char *connection = http_head_header(head, "Connection");
    if (!upgrade || !ws_header_has_token(upgrade, "websocket") || !connection ||
        !ws_header_has_token(connection, "upgrade")) {
        *ret_reason = "Expected \"Upgrade: websocket\" and \"Connection: Upgrade\"";
        return 400;
    }
    if (head->version_minor < 1) {
        *ret_reason = "WebSocket requires HTTP/1.1";
        return 400;
    }
    const char *version = http_head_header(head, "Sec-WebSocket-Version");
    if (!version || strcmp(version, "13") != 0) {
        *ret_reason = "Unsupported Sec-WebSocket-Version (13 is supported)";
        return 426;
    }
    const char *key = http_head_header(head, "Sec-WebSocket-Key");
    uint8_t nonce[20];
    if (!key || strlen(key) != 24 || base64_decode(nonce, sizeof(nonce), key, 24) != 16) {
        *ret_reason = "Sec-WebSocket-Key must be 16 bytes in base64";
        return 400;
    }
    if (ws_accept_key(key, accept) < 0) {
        *ret_reason = "Cannot compute Sec-WebSocket-Accept";
        return 500;
    }
    return 0;
}
