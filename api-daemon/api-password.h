/* api-password: argon2id hashing and verification, run on the work pool off the event loop. */
#pragma once

#include <stdint.h>

#include "api-workpool.h"

#define PASSWORD_ENCODED_MAX 256

typedef struct PasswordParams {
    uint32_t memory_kib, time_cost, parallelism;
} PasswordParams;

/*
 * Must run once before the loop starts: it computes, with the same parameters, the hash that
 * password_verify checks against when there is no user, so "no such user" and "wrong password"
 * cost the same time.
 */
int password_init(const PasswordParams *params);

/* result: 0 and encoded (a PHC string, valid during the call) for hash; errors -ENOMEM,
 * -EAGAIN (pool full), -ECANCELED, -EIO (argon2 failure). For verify: 0 = match,
 * -EACCES = no match (also when encoded was NULL). */
typedef void (*password_cb)(int result, const char *encoded, void *userdata);

/* The password is copied and wiped after use. The callback runs on the loop, never inline. */
int password_hash_async(WorkPool *pool, const char *password, password_cb cb, void *userdata);
/* encoded NULL: verify against the dummy hash and report -EACCES. */
int password_verify_async(WorkPool *pool, const char *encoded, const char *password, password_cb cb,
                          void *userdata);
