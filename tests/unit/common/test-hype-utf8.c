/* Unit tests for common/hype-utf8. */
#include "hype-macro.h"
#include "hype-utf8.h"
#include "test.h"

static const struct {
    const char *bytes;
    size_t len;
    bool valid;
} cases[] = {
    {"hello", 5, true},
    {"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", 11, true}, /* κόσμε */
    {"\xef\xbf\xbf", 3, true},                                   /* U+FFFF */
    {"\xf4\x8f\xbf\xbf", 4, true},                               /* U+10FFFF */
    {"\xf0\x9f\x98\x80 ok", 7, true},                            /* emoji */
    {"\x80", 1, false},                                          /* lone continuation */
    {"\xc0\x80", 2, false},                                      /* overlong NUL */
    {"\xc1\xbf", 2, false},
    {"\xe0\x80\x80", 3, false},                                  /* overlong */
    {"\xf0\x80\x80\x80", 4, false},
    {"\xed\xa0\x80", 3, false},                                  /* surrogate U+D800 */
    {"\xed\xbf\xbf", 3, false},
    {"\xf4\x90\x80\x80", 4, false},                              /* > U+10FFFF */
    {"\xf5\x80\x80\x80", 4, false},
    {"\xff", 1, false},
    {"\xce", 1, false},                                          /* truncated */
    {"\xe1\xbd", 2, false},
    {"abc\xce\xbaxyz\xe1", 9, false},
    {"12345678\xc3\xa9", 10, true},                              /* after the 8-byte fast path */
    {"1234567\xc3\x28", 9, false},
};

TEST(whole_buffers) {
    for (size_t i = 0; i < ELEMENTSOF(cases); i++)
        if (utf8_is_valid(cases[i].bytes, cases[i].len) != cases[i].valid)
            TEST_FAIL_("case %zu: expected %s", i, cases[i].valid ? "valid" : "invalid");
}

TEST(every_split_gives_the_same_verdict) {
    for (size_t i = 0; i < ELEMENTSOF(cases); i++)
        for (size_t cut = 0; cut <= cases[i].len; cut++) {
            Utf8State st = 0;
            bool ok = utf8_feed(&st, cases[i].bytes, cut) &&
                      utf8_feed(&st, cases[i].bytes + cut, cases[i].len - cut) &&
                      utf8_state_complete(st);
            if (ok != cases[i].valid)
                TEST_FAIL_("case %zu split at %zu: expected %s", i, cut, cases[i].valid ? "valid" : "invalid");
        }
}

TEST(length_in_code_points) {
    ASSERT_EQ(utf8_length("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", 11), 5);
    ASSERT_EQ(utf8_length("abc", 3), 3);
    ASSERT_EQ(utf8_length("\xf0\x9f\x98\x80", 4), 1);
}

TEST(long_ascii_fast_path) {
    char buf[4096];
    memset(buf, 'a', sizeof(buf));
    ASSERT_TRUE(utf8_is_valid(buf, sizeof(buf)));
    buf[4000] = (char)0x80;
    ASSERT_FALSE(utf8_is_valid(buf, sizeof(buf)));
}

TEST_MAIN()
