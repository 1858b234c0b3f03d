/* Unit tests for common/hype-base64. */
#include "hype-base64.h"
#include "test.h"

static const char *enc(const char *s) {
    static char out[128];
    base64url_encode(out, s, strlen(s));
    return out;
}

TEST(rfc4648_vectors_url_alphabet) {
    ASSERT_STREQ(enc(""), "");
    ASSERT_STREQ(enc("f"), "Zg");
    ASSERT_STREQ(enc("fo"), "Zm8");
    ASSERT_STREQ(enc("foo"), "Zm9v");
    ASSERT_STREQ(enc("foob"), "Zm9vYg");
    ASSERT_STREQ(enc("fooba"), "Zm9vYmE");
    ASSERT_STREQ(enc("foobar"), "Zm9vYmFy");
    unsigned char bin[] = {0xfb, 0xff, 0xbf};
    char out[8];
    base64url_encode(out, bin, 3);
    ASSERT_STREQ(out, "-_-_");
}

TEST(round_trip_all_lengths) {
    unsigned char src[64] = {0}, back[64];
    char text[128];
    for (size_t n = 0; n <= 64; n++) {
        for (size_t i = 0; i < n; i++)
            src[i] = (unsigned char)(i * 37 + n);
        size_t len = base64url_encode(text, src, n);
        ASSERT_EQ(len, BASE64URL_ENCODED_LEN(n));
        ASSERT_EQ(base64url_decode(back, sizeof(back), text, len), (ssize_t)n);
        ASSERT_MEMEQ(src, back, n);
    }
}

TEST(rejects_bad_input) {
    unsigned char out[16];
    ASSERT_EQ(base64url_decode(out, sizeof(out), "Zm9v+A", 6), -EINVAL); /* '+' is not url-safe */
    ASSERT_EQ(base64url_decode(out, sizeof(out), "Zm9v=", 5), -EINVAL);
    ASSERT_EQ(base64url_decode(out, sizeof(out), "Z", 1), -EINVAL);      /* 4k+1 characters */
    ASSERT_EQ(base64url_decode(out, sizeof(out), "Zh", 2), -EINVAL);     /* non-zero trailing bits */
    ASSERT_EQ(base64url_decode(out, sizeof(out), "Zg", 2), 1);
    ASSERT_EQ(base64url_decode(out, 2, "Zm9vYg", 6), -ENOBUFS);
    ASSERT_EQ(base64url_decode(out, sizeof(out), "Zm 9", 4), -EINVAL);
}


TEST(standard_base64_pads_and_round_trips) {
    char out[32];
    ASSERT_EQ(base64_encode(out, "f", 1), 4);
    ASSERT_STREQ(out, "Zg==");
    base64_encode(out, "fo", 2);
    ASSERT_STREQ(out, "Zm8=");
    base64_encode(out, "\xfb\xff", 2);
    ASSERT_STREQ(out, "+/8=");
    uint8_t back[8];
    ASSERT_EQ(base64_decode(back, sizeof(back), "+/8=", 4), 2);
    ASSERT_TRUE(back[0] == 0xfb && back[1] == 0xff);
    ASSERT_EQ(base64_decode(back, sizeof(back), "AQIDBA==", 8), 4);
    ASSERT_EQ(base64_decode(back, sizeof(back), "AQIDBA=", 7), -EINVAL);
    ASSERT_EQ(base64_decode(back, sizeof(back), "-_8=", 4), -EINVAL);
}

TEST_MAIN()
