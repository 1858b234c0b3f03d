/* hype-jwt: JSON Web Tokens, HS256 only, signed and checked with gnutls HMAC-SHA256. */
#pragma once

#include <errno.h>
#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

/* Errors of jwt_verify(), distinct so callers can answer "expired" and "invalid" apart. */
/* Not three base64url parts, bad JSON, or no "exp". */
#define JWT_MALFORMED (-EBADMSG)
/* The header's alg is not "HS256" (this includes "none"), its typ is not "JWT", or it has "crit"
 * (critical extensions: we understand none, so RFC 7515 says reject). */
#define JWT_BAD_ALG (-EPROTONOSUPPORT)
#define JWT_BAD_SIGNATURE (-EKEYREJECTED)
/* exp <= now, or nbf > now. */
#define JWT_EXPIRED (-EKEYEXPIRED)

#define JWT_MAX_LEN 8192 /* longer tokens are JWT_MALFORMED without being decoded */

/*
 * Signs claims (a JSON object, borrowed) with header {"alg":"HS256","typ":"JWT"}.
 * *ret_token is malloc'ed. Returns 0 or a negative errno.
 */
int jwt_sign(const void *key, size_t keylen, json_object *claims, char **ret_token);

/*
 * Verifies token against key at time now (seconds since the epoch): the header must say
 * "alg":"HS256" and have no "crit"; the signature is compared in constant time; "exp" must be
 * present and numeric and > now; "nbf" when present must be <= now. On success *ret_claims is a new
 * reference the caller puts. On failure *ret_claims is untouched and one of the JWT_* errors is
 * returned.
 */
int jwt_verify(const void *key, size_t keylen, const char *token, int64_t now,
               json_object **ret_claims);
