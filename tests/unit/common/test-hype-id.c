/* Unit tests for common/hype-id. */
#include "hype-id.h"
#include "test.h"

#define T0 1761215400000LL /* 2025-10-23T10:30:00Z */

TEST(fields_and_timestamp) {
    IdGenerator g;
    ASSERT_EQ(id_generator_init(&g, 3, 7), 0);
    uint64_t id = id_next_at(&g, T0);
    ASSERT_EQ(id_timestamp_ms(id), T0);
    ASSERT_EQ((id >> 17) & 31, 3);
    ASSERT_EQ((id >> 12) & 31, 7);
    ASSERT_EQ(id & 4095, 0);
    ASSERT_EQ(id >> 63, 0);
    ASSERT_EQ(id_generator_init(&g, 32, 0), -EINVAL);
    ASSERT_EQ(id_generator_init(&g, 0, 32), -EINVAL);
}

TEST(strictly_increasing_under_bursts_and_clock_steps) {
    IdGenerator g;
    id_generator_init(&g, 0, 1);
    uint64_t last = 0;
    for (int i = 0; i < 100000; i++) { /* 100k in one millisecond: borrows later milliseconds */
        uint64_t id = id_next_at(&g, T0);
        ASSERT_GT(id, last);
        last = id;
    }
    uint64_t before_step = id_next_at(&g, T0 + 5000);
    uint64_t after_step = id_next_at(&g, T0 + 1000); /* the clock went back 4 s */
    ASSERT_GT(after_step, before_step);
    ASSERT_GT(id_next(&g), after_step);
}

TEST(string_forms) {
    char buf[ID_STRING_MAX];
    uint64_t v = 0;
    ASSERT_STREQ(id_to_string(123456789012345678ULL, buf), "123456789012345678");
    ASSERT_EQ(id_parse("123456789012345678", &v), 0);
    ASSERT_EQ_U(v, 123456789012345678ULL);
    ASSERT_EQ(id_parse("9223372036854775807", &v), 0);
    const char *bad[] = {"", "0", "01", "-1", "+1", " 1", "1 ", "1a", "9223372036854775808",
                         "99999999999999999999", "12345678901234567890", NULL};
    for (size_t i = 0; bad[i]; i++)
        ASSERT_EQ(id_parse(bad[i], &v), -EINVAL);
    ASSERT_EQ(id_parse(NULL, &v), -EINVAL);
    ASSERT_TRUE(id_is_valid_string("1"));
    ASSERT_FALSE(id_is_valid_string("me"));
}

TEST_MAIN()
