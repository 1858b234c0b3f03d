/* api-ratelimit: fixed-window request counters per client key (IP or user) and bucket, bounded in
 * memory. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Each (bucket, key) pair counts requests in the current window of window_ms; a request over
 * limit is refused until the window ends. Windows are aligned per pair (they start with the
 * pair's first request), so a burst cannot straddle two windows to double the limit.
 * At most max_entries pairs are tracked; expired ones are reused first, and when every entry
 * is live the request is allowed (fail open) and counted in overflows, so a flood of fresh
 * addresses cannot grow memory.
 */
typedef struct RateLimiter RateLimiter;

typedef struct RateDecision {
    bool allowed;
    uint32_t limit, remaining;
    int64_t reset_ms; /* when the window ends (wall clock, ms) */
} RateDecision;

int ratelimit_new(size_t max_entries, RateLimiter **ret);
RateLimiter *ratelimit_free(RateLimiter *rl);

/* key is any short string ("ip:127.0.0.1", "user:123"); bucket names the limit ("auth"). */
RateDecision ratelimit_hit(RateLimiter *rl, const char *bucket, const char *key, uint32_t limit,
                           uint32_t window_ms, int64_t now_ms);
size_t ratelimit_entries(const RateLimiter *rl);
uint64_t ratelimit_overflows(const RateLimiter *rl);
