/* api-request: the per-request context (who asked, path params, query, the rate-limit decision)
 * and its accessors. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "api-ratelimit.h"
#include "hype-arena.h"
#include "hype-http-server.h"

typedef struct Api Api;
/* The route a request matched (api-router.h); a request only points at it. */
typedef struct ApiRoute ApiRoute;

#define API_MAX_PARAMS 4
#define API_USERNAME_MAX 32

/* Who made the request, from a verified access token. user_id == 0: anonymous. */
typedef struct ApiAuth {
    uint64_t user_id;
    uint64_t session_id;
    char username[API_USERNAME_MAX + 1];
} ApiAuth;

/*
 * Lives in the request arena: valid until the reply. Handlers finish by calling exactly one
 * api_reply_* (possibly from a DB or work-pool callback later); after that r is gone.
 */
typedef struct ApiRequest {
    Api *api;
    HttpRequest *http;
    Arena *arena;
    const ApiRoute *route;
    const char *params[API_MAX_PARAMS]; /* ":name" segments, percent-decoded, in order */
    json_object *body;                  /* validated JSON body, or NULL (owned by the arena) */
    ApiAuth auth;
    /* The most restrictive rate-limit decision so far (per address, per user); reported once,
     * in the X-RateLimit-* headers of whatever reply goes out. */
    struct {
        bool set;
        bool allowed;
        uint32_t limit, remaining;
        int64_t reset_ms, now_ms;
        const char *bucket;
    } rate;
} ApiRequest;

/* The path param by index; never NULL for a declared param. */
static inline const char *api_param(const ApiRequest *r, unsigned i) {
    return r->params[i];
}

/*
 * Reads integer query parameter name into [min, max] (absent: def). On a bad value appends an
 * issue to *details and returns -EINVAL; the caller answers once all parameters are read.
 */
int api_query_int(ApiRequest *r, const char *name, long long def, long long min, long long max,
                  long long *ret, json_object **details);
/* The decoded query parameter, an arena string, or NULL when absent. The router has already
 * answered 400 or 414 for a request with a badly encoded value or one over 1,024 characters. */
const char *api_query(ApiRequest *r, const char *name);
/*
 * The client's address: the peer's, or, when the peer is one of TRUST_PROXY, the last address in
 * X-Forwarded-For that is not itself a trusted proxy (what rate limits and sessions record).
 */
const char *api_client_address(ApiRequest *r);

/* An id as the decimal string SQL parameters and JSON use, in the request arena. */
const char *api_id_str(ApiRequest *r, uint64_t id);

/* Keeps d (of bucket, decided at now_ms) as r's decision when it is the first, a refusal, or
 * leaves fewer requests than the one kept. bucket must outlive r (a literal). */
void api_request_rate_note(ApiRequest *r, const RateDecision *d, const char *bucket,
                           int64_t now_ms);
/* Adds the X-RateLimit-* headers of r's decision, if any (api_reply_text does, for every reply).
 */
void api_request_rate_headers(ApiRequest *r);
