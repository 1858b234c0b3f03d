/* api-revocation: the set of revoked sessions whose access tokens may still be unexpired. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Access tokens are stateless JWTs; a revoked session (logout, refresh-token reuse) must stop
 * them at once, without a database round trip per request. Each entry lives until every access
 * token of that session has expired (revocation time + access TTL), then it is dropped.
 * Filled at start from the sessions table and then by this process's own revocations.
 */
typedef struct Revocations Revocations;

int revocations_new(Revocations **ret);
Revocations *revocations_free(Revocations *r);
/* until_ms: when the entry may be forgotten; now_ms lets a growing table drop expired entries.
 * -ENOMEM, or -EINVAL for id 0. */
int revocations_add(Revocations *r, uint64_t session_id, int64_t until_ms, int64_t now_ms);
bool revocations_contains(Revocations *r, uint64_t session_id, int64_t now_ms);
size_t revocations_count(const Revocations *r); /* entries held, expired ones included */
