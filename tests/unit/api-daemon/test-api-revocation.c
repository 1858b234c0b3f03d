/* Unit tests for api-daemon/api-revocation. */
#include <errno.h>

#include "api-revocation.h"
#include "test.h"

TEST(add_and_contains) {
    Revocations *r = NULL;
    ASSERT_EQ(revocations_new(&r), 0);
    ASSERT_FALSE(revocations_contains(r, 42, 1000));
    ASSERT_EQ(revocations_add(r, 42, 2000, 1000), 0);
    ASSERT_TRUE(revocations_contains(r, 42, 1000));
    ASSERT_TRUE(revocations_contains(r, 42, 1999));
    ASSERT_FALSE(revocations_contains(r, 42, 2000)); /* every token of it has expired */
    ASSERT_FALSE(revocations_contains(r, 43, 1000));
    ASSERT_EQ(revocations_add(r, 0, 2000, 1000), -EINVAL);
    /* Adding again extends, never shortens. */
    ASSERT_EQ(revocations_add(r, 42, 5000, 1000), 0);
    ASSERT_EQ(revocations_add(r, 42, 3000, 1000), 0);
    ASSERT_TRUE(revocations_contains(r, 42, 4000));
    revocations_free(r);
}

TEST(grows_and_prunes) {
    Revocations *r = NULL;
    ASSERT_EQ(revocations_new(&r), 0);
    /* 100k sessions revoked over time, each remembered for 1000 ms: the table stays small. */
    for (uint64_t i = 1; i <= 100000; i++) {
        int64_t now = (int64_t)i;
        ASSERT_EQ(revocations_add(r, i * 7919, now + 1000, now), 0);
        ASSERT_TRUE(revocations_contains(r, i * 7919, now));
    }
    ASSERT_LT(revocations_count(r), 3000);
    ASSERT_TRUE(revocations_contains(r, 100000 * 7919ULL, 100000));
    ASSERT_TRUE(revocations_contains(r, 99500 * 7919ULL, 100000));
    ASSERT_FALSE(revocations_contains(r, 50 * 7919ULL, 100000));
    revocations_free(r);
}

TEST(many_live_entries) {
    Revocations *r = NULL;
    ASSERT_EQ(revocations_new(&r), 0);
    for (uint64_t i = 1; i <= 50000; i++)
        ASSERT_EQ(revocations_add(r, i, INT64_MAX, 0), 0);
    for (uint64_t i = 1; i <= 50000; i++)
        ASSERT_TRUE(revocations_contains(r, i, 1));
    ASSERT_FALSE(revocations_contains(r, 50001, 1));
    revocations_free(r);
}

TEST_MAIN()
