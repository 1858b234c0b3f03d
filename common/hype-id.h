/* hype-id: time-ordered 64-bit IDs (snowflake layout), rendered as decimal strings. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Layout (Discord's): 42 bits of milliseconds since HYPE_EPOCH_MS, 5 bits node, 5 bits process,
 * 12 bits sequence. The top bit stays 0 so every ID fits PostgreSQL's signed bigint.
 * IDs from one generator strictly increase, also when the wall clock steps back (the generator
 * keeps its last timestamp and borrows from the future until the clock catches up) and when more
 * than 4096 IDs are asked for within one millisecond.
 */
#define HYPE_EPOCH_MS 1704067200000LL /* 2024-01-01T00:00:00Z */
#define ID_STRING_MAX 21              /* 20 digits + NUL */

typedef struct IdGenerator {
    unsigned node, process; /* 0..31 each */
    int64_t last_ms;        /* relative to HYPE_EPOCH_MS */
    unsigned sequence;
} IdGenerator;

/* -EINVAL if node or process > 31. */
int id_generator_init(IdGenerator *g, unsigned node, unsigned process);
/* Uses the realtime clock. */
uint64_t id_next(IdGenerator *g);
/* Same, with the clock supplied (milliseconds since the Unix epoch): for tests. */
uint64_t id_next_at(IdGenerator *g, int64_t now_ms);

/* Milliseconds since the Unix epoch at which id was made. */
int64_t id_timestamp_ms(uint64_t id);

/* Writes the decimal form; returns buf. */
char *id_to_string(uint64_t id, char buf[ID_STRING_MAX]);
/* Strict: 1-19 ASCII digits, no sign, no leading zero, value in 1..INT64_MAX (0 is never an id).
 * Returns 0 or -EINVAL. */
int id_parse(const char *s, uint64_t *ret);
bool id_is_valid_string(const char *s);

/* A comma-separated list of decimal ids as PostgreSQL's string_agg renders them ("1,2,3"; NULL or
 * "" for none): at most how many it holds (to size ids), then ids parsed into ids[0..max): how
 * many. Not validated: it comes from the database. */
size_t id_list_count(const char *text);
size_t id_list_parse(const char *text, uint64_t *ids, size_t max);
