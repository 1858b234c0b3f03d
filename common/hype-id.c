/* hype-id: time-ordered 64-bit IDs (snowflake layout), rendered as decimal strings. */
#include "hype-id.h"
#include "hype-time.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SEQUENCE_BITS 12
#define PROCESS_BITS 5
#define NODE_BITS 5
#define SEQUENCE_MAX ((1u << SEQUENCE_BITS) - 1)

int id_generator_init(IdGenerator *g, unsigned node, unsigned process) {
    if (node > 31 || process > 31)
        return -EINVAL;
    *g = (IdGenerator){.node = node, .process = process, .last_ms = -1};
    return 0;
}

uint64_t id_next_at(IdGenerator *g, int64_t now_ms) {
    int64_t t = now_ms - HYPE_EPOCH_MS;
    if (t < 0)
        t = 0;
    if (t > g->last_ms) {
        g->last_ms = t;
        g->sequence = 0;
    } else if (g->sequence < SEQUENCE_MAX) {
        /* Same millisecond, or the clock stepped back: keep counting on the last timestamp. */
        g->sequence++;
    } else {
        /* 4096 IDs in one millisecond: borrow the next one rather than repeat. */
        g->last_ms++;
        g->sequence = 0;
    }
    return (uint64_t)g->last_ms << (SEQUENCE_BITS + PROCESS_BITS + NODE_BITS) |
           (uint64_t)g->node << (SEQUENCE_BITS + PROCESS_BITS) |
           (uint64_t)g->process << SEQUENCE_BITS | g->sequence;
}

uint64_t id_next(IdGenerator *g) {
    return id_next_at(g, time_wall_ms());
}

int64_t id_timestamp_ms(uint64_t id) {
    return (int64_t)(id >> (SEQUENCE_BITS + PROCESS_BITS + NODE_BITS)) + HYPE_EPOCH_MS;
}

char *id_to_string(uint64_t id, char buf[ID_STRING_MAX]) {
    snprintf(buf, ID_STRING_MAX, "%" PRIu64, id);
    return buf;
}

int id_parse(const char *s, uint64_t *ret) {
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 19 || s[0] == '0')
        return -EINVAL;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -EINVAL;
        v = v * 10 + (uint64_t)(s[i] - '0'); /* 19 digits cannot overflow 64 bits */
    }
    if (v > INT64_MAX)
        return -EINVAL;
    *ret = v;
    return 0;
}

bool id_is_valid_string(const char *s) {
    uint64_t v;
    return id_parse(s, &v) == 0;
}

size_t id_list_count(const char *text) {
    if (!text || !*text)
        return 0;
    size_t n = 1; /* one id per comma, plus one */
    for (const char *p = text; *p; p++)
        n += *p == ',';
    return n;
}

size_t id_list_parse(const char *text, uint64_t *ids, size_t max) {
    size_t n = 0;
    for (const char *p = text; p && *p && n < max;) {
        char *end;
        ids[n++] = strtoull(p, &end, 10);
        p = *end == ',' ? end + 1 : end;
    }
    return n;
}
