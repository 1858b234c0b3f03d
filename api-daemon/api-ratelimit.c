/* api-ratelimit: fixed-window request counters per client key (IP or user) and bucket, bounded in
 * memory. */
#include "api-ratelimit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 96

typedef struct Entry {
    char key[KEY_MAX]; /* "bucket|key"; "" = free */
    int64_t window_end_ms;
    uint32_t count;
} Entry;

struct RateLimiter {
    Entry *slots;
    size_t cap; /* power of two, twice max_entries */
    size_t max_entries, used;
    uint64_t overflows;
    int64_t last_rebuild_ms;
};

static uint64_t hash(const char *s) {
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

int ratelimit_new(size_t max_entries, RateLimiter **ret) {
    RateLimiter *rl = calloc(1, sizeof(*rl));
    if (!rl)
        return -ENOMEM;
    rl->max_entries = max_entries ? max_entries : 100000;
    rl->cap = 16;
    while (rl->cap < rl->max_entries * 2)
        rl->cap *= 2;
    rl->slots = calloc(rl->cap, sizeof(Entry));
    if (!rl->slots) {
        free(rl);
        return -ENOMEM;
    }
    *ret = rl;
    return 0;
}

RateLimiter *ratelimit_free(RateLimiter *rl) {
    if (rl) {
        free(rl->slots);
        free(rl);
    }
    return NULL;
}

/* Linear probing. An expired entry met on the way may be taken over (it counts nothing), so the
 * table cleans itself as it is used and deletions never break probe chains. */
static Entry *find(RateLimiter *rl, const char *k, int64_t now_ms) {
    Entry *reusable = NULL;
    for (size_t i = hash(k) & (rl->cap - 1), n = 0; n < rl->cap; i = (i + 1) & (rl->cap - 1), n++) {
        Entry *e = &rl->slots[i];
        if (!e->key[0]) {
            if (reusable)
                return reusable;
            if (rl->used >= rl->max_entries)
                return NULL;
            rl->used++;
            return e;
        }
        if (strcmp(e->key, k) == 0)
            return e;
        if (!reusable && e->window_end_ms <= now_ms)
            reusable = e;
    }
    return reusable;
}

/* Rehashes the live entries into a clean table: expired ones off the new key's probe path
 * cannot be taken over in place, and clearing them one by one would break probe chains. */
static void rebuild(RateLimiter *rl, int64_t now_ms) {
    Entry *old = rl->slots;
    Entry *fresh = calloc(rl->cap, sizeof(Entry));
    if (!fresh)
        return; /* keep the full table: requests stay allowed, counted as overflows */
    rl->slots = fresh;
    rl->used = 0;
    for (size_t i = 0; i < rl->cap; i++)
        if (old[i].key[0] && old[i].window_end_ms > now_ms) {
            Entry *e = find(rl, old[i].key, now_ms);
            *e = old[i];
        }
    free(old);
}

RateDecision ratelimit_hit(RateLimiter *rl, const char *bucket, const char *key, uint32_t limit,
                           uint32_t window_ms, int64_t now_ms) {
    char k[KEY_MAX];
    snprintf(k, sizeof(k), "%s|%s", bucket, key);
    Entry *e = find(rl, k, now_ms);
    /* At most once a second: under a flood of fresh keys a rebuild per request would cost more
     * than the limiting saves. */
    if (!e && now_ms - rl->last_rebuild_ms >= 1000) {
        rl->last_rebuild_ms = now_ms;
        rebuild(rl, now_ms);
        e = find(rl, k, now_ms);
    }
    if (!e) {
        rl->overflows++;
        return (RateDecision){true, limit, limit, now_ms + window_ms};
    }
    if (strcmp(e->key, k) != 0 || e->window_end_ms <= now_ms) {
        snprintf(e->key, sizeof(e->key), "%s", k);
        e->window_end_ms = now_ms + window_ms;
        e->count = 0;
    }
    bool allowed = e->count < limit;
    if (allowed)
        e->count++;
    return (RateDecision){allowed, limit, limit - e->count, e->window_end_ms};
}

size_t ratelimit_entries(const RateLimiter *rl) {
    return rl->used;
}

uint64_t ratelimit_overflows(const RateLimiter *rl) {
    return rl->overflows;
}
