/* hype-utf8: strict UTF-8 validation (RFC 3629: no overlongs, no surrogates, <= U+10FFFF). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

bool utf8_is_valid(const void *s, size_t n);
/* Number of code points in valid UTF-8 text (what length limits count). */
size_t utf8_length(const char *s, size_t n);

/* Incremental validation across fragments (WebSocket text messages): state starts at 0;
 * utf8_feed returns false as soon as the bytes cannot be UTF-8; at the end of the message
 * utf8_state_complete(state) says whether a sequence is left unfinished. */
typedef uint32_t Utf8State;
bool utf8_feed(Utf8State *state, const void *s, size_t n);
static inline bool utf8_state_complete(Utf8State state) {
    return state == 0;
}
