/* Unit tests for common/hype-jwt. */
#include <gnutls/crypto.h>

#include "hype-base64.h"
#include "hype-jwt.h"
#include "test.h"

#define KEY "a-signing-key-of-at-least-32-bytes!!"
#define NOW 1700000000

static char *sign(int64_t exp) {
    json_object *c = json_object_new_object();
    json_object_object_add(c, "sub", json_object_new_string("42"));
    json_object_object_add(c, "exp", json_object_new_int64(exp));
    char *tok = NULL;
    jwt_sign(KEY, strlen(KEY), c, &tok);
    json_object_put(c);
    return tok;
}

/* Builds header.payload.signature from raw JSON texts, signed with KEY. */
static char *forge(const char *header, const char *payload, const char *key) {
    static char buf[1024];
    char h[256], p[512];
    base64url_encode(h, header, strlen(header));
    base64url_encode(p, payload, strlen(payload));
    uint8_t mac[32]; /* jwt_sign always writes its own header, so sign by hand here */
    char signing[800], sig[64];
    snprintf(signing, sizeof(signing), "%s.%s", h, p);
    gnutls_hmac_fast(GNUTLS_MAC_SHA256, key, strlen(key), signing, strlen(signing), mac);
    base64url_encode(sig, mac, 32);
    snprintf(buf, sizeof(buf), "%s.%s", signing, sig);
    return buf;
}

TEST(sign_and_verify) {
    char *tok = sign(NOW + 60);
    ASSERT_TRUE(strncmp(tok, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.", 37) == 0);
    json_object *claims = NULL;
    ASSERT_EQ(jwt_verify(KEY, strlen(KEY), tok, NOW, &claims), 0);
    ASSERT_STREQ(json_object_get_string(json_object_object_get(claims, "sub")), "42");
    json_object_put(claims);
    free(tok);
}

TEST(matches_an_independent_implementation) {
    /* python3: hmac.new(b"secret-key-0123456789-0123456789-xx", b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIiwiZXhwIjo0MTAyNDQ0ODAwfQ", hashlib.sha256) */
    const char *tok = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIiwiZXhwIjo0MTAyNDQ0ODAwfQ."
                      "q0P8UWCLEYt_U72-1OznZnbOAxCv12str1Rr2hmqOuY";
    json_object *claims = NULL;
    const char *key = "secret-key-0123456789-0123456789-xx";
    ASSERT_EQ(jwt_verify(key, strlen(key), tok, NOW, &claims), 0);
    json_object_put(claims);
}

TEST(rejects_tampering_and_wrong_keys) {
    char *tok = sign(NOW + 60);
    json_object *c = NULL;
    ASSERT_EQ(jwt_verify("another-key-of-at-least-32-bytes!!!", 35, tok, NOW, &c), JWT_BAD_SIGNATURE);
    char *dot = strrchr(tok, '.');
    dot[1] = dot[1] == 'A' ? 'B' : 'A';
    ASSERT_EQ(jwt_verify(KEY, strlen(KEY), tok, NOW, &c), JWT_BAD_SIGNATURE);
    free(tok);
    /* A payload swapped under a valid signature. */
    char *a = sign(NOW + 60), *b = sign(NOW + 9999);
    char mixed[1024];
    const char *a_sig = strrchr(a, '.');
    snprintf(mixed, sizeof(mixed), "%.*s%s", (int)(strrchr(b, '.') - b), b, a_sig);
    ASSERT_EQ(jwt_verify(KEY, strlen(KEY), mixed, NOW, &c), JWT_BAD_SIGNATURE);
    free(a);
    free(b);
}

TEST(algorithm_must_be_hs256) {
    json_object *c = NULL;
    const char *payload = "{\"sub\":\"1\",\"exp\":4102444800}";
    ASSERT_EQ(jwt_verify(KEY, strlen(KEY), forge("{\"alg\":\"none\",\"typ\":\"JWT\"}", payload, KEY), NOW, &c), JWT_BAD_ALG);
    ASSERT_EQ(jwt_verify(KEY, strlen(KEY), forge("{\"alg\":\"HS512\"}", payload, KEY), NOW, &c), JWT_BAD_ALG);
    ASSERT_EQ(jwt_verify(KEY, strlen(KEY), forge("{\"alg\":\"hs256\"}", payload, KEY), NOW, &c), JWT_BAD_ALG);
    ASSERT_EQ(jwt_verify(KEY, strlen(KEY), forge("{\"typ\":\"JWT\"}", payload, KEY), NOW, &c), JWT_BAD_ALG);
    ASSERT_EQ(jwt_verify(KEY, strlen(KEY), forge("{\"alg\":\"HS256\",\"typ\":\"JWE\"}", payload, KEY), NOW, &c), JWT_BAD_ALG);
    ASSERT_EQ(jwt_verify(KEY, strlen(KEY), forge("{\"alg\":\"HS256\"}", payload, KEY), NOW, &c), 0);
    json_object_put(c);
}

TEST(critical_extensions_are_refused) {
    /* Correctly signed, valid claims: only the header's "crit" is wrong (RFC 7515 4.1.11). */
    json_object *c = NULL;
    const char *payload = "{\"sub\":\"1\",\"exp\":4102444800}";
    const char *headers[] = {"{\"alg\":\"HS256\",\"typ\":\"JWT\",\"crit\":[\"exp\"]}",
                             "{\"alg\":\"HS256\",\"crit\":[\"b64\"],\"b64\":false}",
                             "{\"alg\":\"HS256\",\"crit\":[]}", "{\"alg\":\"HS256\",\"crit\":null}",
                             "{\"alg\":\"HS256\",\"crit\":\"exp\"}", NULL};
    for (size_t i = 0; headers[i]; i++)
        ASSERT_EQ(jwt_verify(KEY, strlen(KEY), forge(headers[i], payload, KEY), NOW, &c), JWT_BAD_ALG);
    ASSERT_EQ(jwt_verify(KEY, strlen(KEY), forge("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payload, KEY), NOW, &c), 0);
    json_object_put(c);
}

TEST(times) {
    json_object *c = NULL;
    char *tok = sign(NOW);
    ASSERT_EQ(jwt_verify(KEY, strlen(KEY), tok, NOW, &c), JWT_EXPIRED); /* exp <= now */
    free(tok);
    ASSERT_EQ(jwt_verify(KEY, strlen(KEY), forge("{\"alg\":\"HS256\"}", "{\"sub\":\"1\"}", KEY), NOW, &c), JWT_MALFORMED);
    ASSERT_EQ(jwt_verify(KEY, strlen(KEY), forge("{\"alg\":\"HS256\"}", "{\"exp\":\"soon\"}", KEY), NOW, &c), JWT_MALFORMED);
    ASSERT_EQ(jwt_verify(KEY, strlen(KEY), forge("{\"alg\":\"HS256\"}", "{\"exp\":4102444800,\"nbf\":4102444000}", KEY), NOW, &c), JWT_EXPIRED);
}

TEST(malformed) {
    json_object *c = NULL;
    const char *bad[] = {"", "abc", "a.b", "a.b.c.d", ".b.c", "a..c", "eyJhbGciOiJIUzI1NiJ9.!!!.abc",
                         "eyJhbGciOiJIUzI1NiJ9.e30.", NULL};
    for (size_t i = 0; bad[i]; i++) {
        int r = jwt_verify(KEY, strlen(KEY), bad[i], NOW, &c);
        ASSERT_TRUE(r == JWT_MALFORMED || r == JWT_BAD_SIGNATURE || r == JWT_BAD_ALG);
    }
    ASSERT_EQ(jwt_verify(KEY, strlen(KEY), NULL, NOW, &c), JWT_MALFORMED);
    char *huge = malloc(JWT_MAX_LEN + 10);
    memset(huge, 'a', JWT_MAX_LEN + 9);
    huge[JWT_MAX_LEN + 9] = '\0';
    ASSERT_EQ(jwt_verify(KEY, strlen(KEY), huge, NOW, &c), JWT_MALFORMED);
    free(huge);
    /* Not a JSON object inside, even when correctly signed. */
    ASSERT_EQ(jwt_verify(KEY, strlen(KEY), forge("{\"alg\":\"HS256\"}", "[1]", KEY), NOW, &c), JWT_MALFORMED);
}

TEST_MAIN()
