/* hype-base64: base64url without padding (JWT) and standard padded base64 (WebSocket, Engine.IO).
 */
#include "hype-base64.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

static const char url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char std_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t encode(char *dst, const void *src, size_t n, const char *alphabet, bool pad) {
    const uint8_t *s = src;
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        dst[o++] = alphabet[v >> 18];
        dst[o++] = alphabet[(v >> 12) & 63];
        dst[o++] = alphabet[(v >> 6) & 63];
        dst[o++] = alphabet[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)s[i] << 16;
        dst[o++] = alphabet[v >> 18];
        dst[o++] = alphabet[(v >> 12) & 63];
        if (pad) {
            dst[o++] = '=';
            dst[o++] = '=';
        }
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
        dst[o++] = alphabet[v >> 18];
        dst[o++] = alphabet[(v >> 12) & 63];
        dst[o++] = alphabet[(v >> 6) & 63];
        if (pad)
            dst[o++] = '=';
    }
    dst[o] = '\0';
    return o;
}

size_t base64url_encode(char *dst, const void *src, size_t n) {
    return encode(dst, src, n, url_alphabet, false);
}

size_t base64_encode(char *dst, const void *src, size_t n) {
    return encode(dst, src, n, std_alphabet, true);
}

static int value_of(char c, bool url) {
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == (url ? '-' : '+'))
        return 62;
    if (c == (url ? '_' : '/'))
        return 63;
    return -1;
}

static ssize_t decode(void *dst, size_t dstlen, const char *src, size_t n, bool url) {
    uint8_t *d = dst;
    if (n % 4 == 1)
        return -EINVAL;
    size_t need = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
    if (need > dstlen)
        return -ENOBUFS;
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int v = value_of(src[i], url);
        if (v < 0)
            return -EINVAL;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            d[o++] = (uint8_t)(acc >> bits);
        }
    }
    /* Canonical encodings leave the unused low bits zero; anything else is a different text
     * for the same bytes, which a signature check must not accept. */
    if (acc & ((1u << bits) - 1))
        return -EINVAL;
    return (ssize_t)o;
}

ssize_t base64url_decode(void *dst, size_t dstlen, const char *src, size_t n) {
    return decode(dst, dstlen, src, n, true);
}

ssize_t base64_decode(void *dst, size_t dstlen, const char *src, size_t n) {
    /* Padded input comes in whole quads; strip the '=' (at most two) and decode the rest. */
    if (n % 4)
        return -EINVAL;
    size_t pad = 0;
    while (pad < 2 && n > pad && src[n - 1 - pad] == '=')
        pad++;
    return decode(dst, dstlen, src, n - pad, false);
}
