/* api-auth: access and refresh tokens: issuing, verifying bearer headers, hashing refresh tokens.
 */
#pragma once

#include <stdint.h>

#include "api-request.h"
#include "hype-arena.h"

#define TOKEN_HASH_HEX 65 /* SHA-256 in hex + NUL */

/* Access and refresh tokens differ in key and in their "typ" claim, so neither passes for the
 * other. Both carry sub/userId, username, email, sid (the session = refresh-token family), iat,
 * exp; refresh tokens also a random jti so every rotation yields a new token. */
typedef struct ApiTokenSubject {
    uint64_t user_id, session_id;
    const char *username;
    const char *email; /* may be NULL */
} ApiTokenSubject;

typedef struct ApiTokens {
    char *access; /* arena strings */
    char *refresh;
    char refresh_hash[TOKEN_HASH_HEX]; /* what the sessions table stores */
} ApiTokens;

/* Signs both tokens. */
int api_tokens_issue(Api *api, Arena *arena, const ApiTokenSubject *s, ApiTokens *ret);
/* Signs only an access token. */
int api_token_access(Api *api, Arena *arena, const ApiTokenSubject *s, char **ret);

/* Refresh token claims, strings in the arena. */
typedef struct ApiRefreshClaims {
    uint64_t user_id, session_id;
    const char *username, *email;
} ApiRefreshClaims;
/* JWT_* errors from hype-jwt.h, or JWT_MALFORMED when claims are missing or of the wrong typ. */
int api_refresh_verify(Api *api, Arena *arena, const char *token, ApiRefreshClaims *ret);

/* SHA-256 of the token text, hex. A fast hash is right here: the token has 128+ random bits. */
void api_token_hash(const char *token, char out[TOKEN_HASH_HEX]);

/*
 * Checks an "Authorization: Bearer <jwt>" header value. Returns 0 and fills ret, or -ENOKEY
 * (absent or not Bearer), a JWT_* error, or -EKEYREVOKED (session revoked).
 */
int api_auth_verify_bearer(Api *api, const char *header, ApiAuth *ret);
/*
 * Ends login sessions now: their access tokens are refused from this moment (the database row is
 * the caller's business), and hype-signal closes the live connections of those sessions (4001).
 * ids is a comma-separated list of session ids ("" or NULL: none).
 */
void api_auth_revoke(Api *api, uint64_t user_id, uint64_t session_id);
void api_auth_revoke_list(Api *api, uint64_t user_id, const char *ids);
/* The 401 message for an error of api_auth_verify_bearer. */
const char *api_auth_error_message(int error);
