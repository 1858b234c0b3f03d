/* hype-base64: base64url without padding (JWT) and standard padded base64 (WebSocket, Engine.IO).
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Characters needed to encode n bytes, without the terminating NUL. */
#define BASE64URL_ENCODED_LEN(n) (((n) / 3) * 4 + (((n) % 3) ? ((n) % 3) + 1 : 0))
/* Upper bound of bytes decoded from n characters. */
#define BASE64URL_DECODED_MAX(n) (((n) / 4) * 3 + 2)

/* Writes BASE64URL_ENCODED_LEN(n) characters plus a NUL to dst; returns the characters written. */
size_t base64url_encode(char *dst, const void *src, size_t n);

/* Decodes n characters (no padding, no whitespace; a length of 4k+1 or a character outside the
 * alphabet or non-zero trailing bits is -EINVAL). Returns the bytes written, or -ENOBUFS when
 * dstlen is too small. */
ssize_t base64url_decode(void *dst, size_t dstlen, const char *src, size_t n);

/* Standard base64 with '=' padding (RFC 4648 §4), as Sec-WebSocket-Accept and Engine.IO use. */
#define BASE64_ENCODED_LEN(n) (((n) + 2) / 3 * 4)
size_t base64_encode(char *dst, const void *src, size_t n);
/* Padded input only (length a multiple of 4); same errors as base64url_decode. */
ssize_t base64_decode(void *dst, size_t dstlen, const char *src, size_t n);
