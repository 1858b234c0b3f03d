/* ortc-random: the deterministic "random" source of test-signal-ortc and ortc-tool, so that the
 * consumer parameters mediasoup-client accepted in gen-ortc.py are the ones the tests rebuild. */
#pragma once

#include <stdint.h>

typedef struct OrtcRandom {
    uint32_t next;
} OrtcRandom;

/* Seeded per consumer (its mid's number): SSRCs must differ within a recv transport. */
#define ORTC_RANDOM_INIT(seed)                                                                     \
    { 0x1e240000u + (uint32_t)(seed)*0x00100000u }

static inline uint32_t ortc_random_next(void *userdata) {
    OrtcRandom *r = userdata;
    return r->next += 0x01010101u;
}
