/* signal-auth: checks clients' access tokens, and signs the short-lived ones hype-signal acts
 * with when it relays a client's action to hype-api. */
#pragma once

#include <stdint.h>

#define AUTH_USERNAME_MAX 32

typedef struct Identity {
    uint64_t user_id;
    uint64_t session_id; /* hype-api's login session (the token's "sid") */
    char username[AUTH_USERNAME_MAX + 1];
    char email[256];
} Identity;

/* 0, or a negative JWT_* error (expired, bad signature, malformed, not an access token). */
int auth_verify_access(const char *secret, const char *token, int64_t now_s, Identity *ret);

/*
 * "Bearer <token>": an access token for id's session, valid for a minute, so that hype-api
 * authenticates (and checks revocation of) relayed calls exactly as it does its own requests.
 * Returns a malloc'ed string or NULL.
 */
char *auth_bearer_for(const char *secret, const Identity *id, int64_t now_s);

/* A short message for a token error, for the 4001 close reason. */
const char *auth_error_message(int error);
