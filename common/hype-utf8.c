/* hype-utf8: strict UTF-8 validation (RFC 3629: no overlongs, no surrogates, <= U+10FFFF). */
#include "hype-utf8.h"

#include <string.h>

/*
 * A DFA over the byte classes of RFC 3629's grammar. State 0 accepts; the other states say how
 * many continuation bytes are still due and which range the next one must fall in:
 *   1: one more 80..BF            2: two more 80..BF         3: three more 80..BF
 *   4: after E0, next A0..BF      5: after ED, next 80..9F   6: after F0, next 90..BF
 *   7: after F4, next 80..8F
 * REJECT is sticky.
 */
#define REJECT 8u

static uint32_t step(uint32_t state, uint8_t b) {
    switch (state) {
    case 0:
        if (b < 0x80)
            return 0;
        if (b >= 0xC2 && b <= 0xDF)
            return 1;
        if (b == 0xE0)
            return 4;
        if (b == 0xED)
            return 5;
        if (b >= 0xE1 && b <= 0xEF)
            return 2;
        if (b == 0xF0)
            return 6;
        if (b >= 0xF1 && b <= 0xF3)
            return 3;
        if (b == 0xF4)
            return 7;
        return REJECT; /* 80..C1 (continuation or overlong lead), F5..FF */
    case 1: return b >= 0x80 && b <= 0xBF ? 0 : REJECT;
    case 2: return b >= 0x80 && b <= 0xBF ? 1 : REJECT;
    case 3: return b >= 0x80 && b <= 0xBF ? 2 : REJECT;
    case 4: return b >= 0xA0 && b <= 0xBF ? 1 : REJECT;
    case 5: return b >= 0x80 && b <= 0x9F ? 1 : REJECT;
    case 6: return b >= 0x90 && b <= 0xBF ? 2 : REJECT;
    case 7: return b >= 0x80 && b <= 0x8F ? 2 : REJECT;
    default: return REJECT;
    }
}

bool utf8_feed(Utf8State *state, const void *s, size_t n) {
    const uint8_t *p = s, *end = p + n;
    uint32_t st = *state;
    while (p < end) {
        /* ASCII fast path, eight bytes at a time, only between sequences. */
        if (st == 0) {
            while (end - p >= 8) {
                uint64_t w;
                memcpy(&w, p, 8);
                if (w & 0x8080808080808080ULL)
                    break;
                p += 8;
            }
            if (p == end)
                break;
        }
        st = step(st, *p++);
        if (st == REJECT) {
            *state = REJECT;
            return false;
        }
    }
    *state = st;
    return true;
}

bool utf8_is_valid(const void *s, size_t n) {
    Utf8State st = 0;
    return utf8_feed(&st, s, n) && utf8_state_complete(st);
}

size_t utf8_length(const char *s, size_t n) {
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += ((uint8_t)s[i] & 0xC0) != 0x80;
    return count;
}
