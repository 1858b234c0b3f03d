/* Unit tests for api-daemon/api-ratelimit. */
#include <stdio.h>

#include "api-ratelimit.h"
#include "test.h"

TEST(window_counts_and_resets) {
    RateLimiter *rl;
    ASSERT_EQ(ratelimit_new(100, &rl), 0);
    for (int i = 0; i < 5; i++) {
        RateDecision d = ratelimit_hit(rl, "auth", "ip:1.2.3.4", 5, 60000, 1000 + i);
        ASSERT_TRUE(d.allowed);
        ASSERT_EQ(d.remaining, 4 - i);
        ASSERT_EQ(d.reset_ms, 61000);
    }
    RateDecision d = ratelimit_hit(rl, "auth", "ip:1.2.3.4", 5, 60000, 2000);
    ASSERT_FALSE(d.allowed);
    ASSERT_EQ(d.remaining, 0);
    /* Other keys and other buckets have their own counts. */
    ASSERT_TRUE(ratelimit_hit(rl, "auth", "ip:5.6.7.8", 5, 60000, 2000).allowed);
    ASSERT_TRUE(ratelimit_hit(rl, "api", "ip:1.2.3.4", 5, 60000, 2000).allowed);
    /* A new window starts when the old one ends. */
    d = ratelimit_hit(rl, "auth", "ip:1.2.3.4", 5, 60000, 61000);
    ASSERT_TRUE(d.allowed);
    ASSERT_EQ(d.remaining, 4);
    ASSERT_EQ(d.reset_ms, 121000);
    ratelimit_free(rl);
}

TEST(memory_is_bounded_and_reused) {
    RateLimiter *rl;
    ASSERT_EQ(ratelimit_new(1000, &rl), 0);
    char key[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "ip:10.0.%d.%d", i / 256, i % 256);
        ASSERT_TRUE(ratelimit_hit(rl, "api", key, 1, 1000, 0).allowed);
    }
    ASSERT_EQ(ratelimit_entries(rl), 1000);
    /* Full of live entries: new clients are let through, not tracked. */
    ASSERT_TRUE(ratelimit_hit(rl, "api", "ip:fresh", 1, 1000, 500).allowed);
    ASSERT_EQ(ratelimit_overflows(rl), 1);
    /* Once windows expired, their slots serve new clients. */
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "ip:172.16.%d.%d", i / 256, i % 256);
        ASSERT_TRUE(ratelimit_hit(rl, "api", key, 1, 1000, 5000).allowed);
        ASSERT_FALSE(ratelimit_hit(rl, "api", key, 1, 1000, 5000).allowed);
    }
    ASSERT_EQ(ratelimit_entries(rl), 1000);
    ASSERT_EQ(ratelimit_overflows(rl), 1);
    ratelimit_free(rl);
}

TEST_MAIN()
