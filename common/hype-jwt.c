/* hype-jwt: JSON Web Tokens, HS256 only, signed and checked with gnutls HMAC-SHA256. */
#include "hype-jwt.h"

#include <gnutls/crypto.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "hype-base64.h"
#include "hype-macro.h"

#define SHA256_LEN 32
#define CLAIMS_MAX_DEPTH 16

/* {"alg":"HS256","typ":"JWT"}, encoded once. */
static const char header_b64[] = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

static int hmac(const void *key, size_t keylen, const char *data, size_t n,
                uint8_t out[SHA256_LEN]) {
    return gnutls_hmac_fast(GNUTLS_MAC_SHA256, key, keylen, data, n, out) < 0 ? -EIO : 0;
}

int jwt_sign(const void *key, size_t keylen, json_object *claims, char **ret_token) {
    size_t plen = 0;
    const char *payload = json_object_to_json_string_length(
        claims, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &plen);
    size_t hlen = sizeof(header_b64) - 1;
    size_t total = hlen + 1 + BASE64URL_ENCODED_LEN(plen) + 1 + BASE64URL_ENCODED_LEN(SHA256_LEN);
    char *tok = malloc(total + 1);
    if (!tok)
        return -ENOMEM;
    memcpy(tok, header_b64, hlen);
    tok[hlen] = '.';
    size_t signed_len = hlen + 1 + base64url_encode(tok + hlen + 1, payload, plen);
    uint8_t mac[SHA256_LEN];
    if (hmac(key, keylen, tok, signed_len, mac) < 0) {
        free(tok);
        return -EIO;
    }
    tok[signed_len] = '.';
    base64url_encode(tok + signed_len + 1, mac, sizeof(mac));
    *ret_token = tok;
    return 0;
}

/* Decodes one base64url part and parses it as a JSON object. */
static json_object *decode_part(const char *s, size_t n) {
    size_t cap = BASE64URL_DECODED_MAX(n) + 1;
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    ssize_t len = base64url_decode(buf, cap, s, n);
    json_object *obj = NULL;
    if (len > 0) {
        struct json_tokener *tok = json_tokener_new_ex(CLAIMS_MAX_DEPTH);
        if (tok) {
            json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
            obj = json_tokener_parse_ex(tok, buf, (int)len);
            if (json_tokener_get_error(tok) != json_tokener_success ||
                json_tokener_get_parse_end(tok) != (size_t)len ||
                !json_object_is_type(obj, json_type_object)) {
                json_object_put(obj);
                obj = NULL;
            }
            json_tokener_free(tok);
        }
    }
    free(buf);
    return obj;
}

static int check_header(const char *s, size_t n) {
    json_object *h = decode_part(s, n), *alg = NULL, *typ = NULL;
    if (!h)
        return JWT_MALFORMED;
    int r = 0;
    if (!json_object_object_get_ex(h, "alg", &alg) || !json_object_is_type(alg, json_type_string) ||
        strcmp(json_object_get_string(alg), "HS256") != 0)
        r = JWT_BAD_ALG;
    else if (json_object_object_get_ex(h, "typ", &typ) &&
             (!json_object_is_type(typ, json_type_string) ||
              strcmp(json_object_get_string(typ), "JWT") != 0))
        r = JWT_BAD_ALG;
    /* RFC 7515 4.1.11: a recipient must reject a token whose "crit" names an extension it does
     * not understand; we understand none, and an empty or malformed list is invalid anyway. */
    else if (json_object_object_get_ex(h, "crit", NULL))
        r = JWT_BAD_ALG;
    json_object_put(h);
    return r;
}

static int check_signature(const void *key, size_t keylen, const char *token, size_t signed_len,
                           const char *sig, size_t sig_len) {
    uint8_t want[SHA256_LEN], got[SHA256_LEN + 3];
    if (base64url_decode(got, sizeof(got), sig, sig_len) != SHA256_LEN)
        return JWT_BAD_SIGNATURE;
    if (hmac(key, keylen, token, signed_len, want) < 0)
        return -EIO;
    /* Constant time: the comparison must not tell an attacker how many bytes matched. */
    return gnutls_memcmp(want, got, SHA256_LEN) == 0 ? 0 : JWT_BAD_SIGNATURE;
}

static int check_times(json_object *claims, int64_t now) {
    json_object *exp = NULL, *nbf = NULL;
    if (!json_object_object_get_ex(claims, "exp", &exp) ||
        !(json_object_is_type(exp, json_type_int) || json_object_is_type(exp, json_type_double)))
        return JWT_MALFORMED;
    if (json_object_get_double(exp) <= (double)now)
        return JWT_EXPIRED;
    if (json_object_object_get_ex(claims, "nbf", &nbf)) {
        if (!(json_object_is_type(nbf, json_type_int) ||
              json_object_is_type(nbf, json_type_double)))
            return JWT_MALFORMED;
        if (json_object_get_double(nbf) > (double)now)
            return JWT_EXPIRED;
    }
    return 0;
}

int jwt_verify(const void *key, size_t keylen, const char *token, int64_t now,
               json_object **ret_claims) {
    size_t len = token ? strnlen(token, JWT_MAX_LEN + 1) : 0;
    if (len == 0 || len > JWT_MAX_LEN)
        return JWT_MALFORMED;
    const char *dot1 = memchr(token, '.', len);
    const char *dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
    if (!dot1 || !dot2 || dot1 == token || dot2 == dot1 + 1 ||
        memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)))
        return JWT_MALFORMED;
    int r = check_header(token, (size_t)(dot1 - token));
    if (r < 0)
        return r;
    /* The payload is not even decoded before its signature is known to be good. */
    r = check_signature(key, keylen, token, (size_t)(dot2 - token), dot2 + 1,
                        len - (size_t)(dot2 + 1 - token));
    if (r < 0)
        return r;
    json_object *claims = decode_part(dot1 + 1, (size_t)(dot2 - dot1 - 1));
    if (!claims)
        return JWT_MALFORMED;
    r = check_times(claims, now);
    if (r < 0) {
        json_object_put(claims);
        return r;
    }
    *ret_claims = claims;
    return 0;
}
