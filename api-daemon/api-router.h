/* api-router: the route table, per-request context and dispatch (aliases, auth, body validation).
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "api-db.h"
#include "hype-arena.h"
#include "hype-http-server.h"
#include "hype-validate.h"

typedef struct Api Api;

#define API_MAX_PARAMS 4
#define API_USERNAME_MAX 32

/* Who made the request, from a verified access token. user_id == 0: anonymous. */
typedef struct ApiAuth {
    uint64_t user_id;
    uint64_t session_id;
    char username[API_USERNAME_MAX + 1];
} ApiAuth;

typedef struct ApiRoute ApiRoute;

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

typedef void (*api_handler)(ApiRequest *r);

enum {
    ROUTE_AUTH = 1u << 0,          /* 401 without a valid access token */
    ROUTE_AUTH_OPTIONAL = 1u << 1, /* anonymous without an Authorization header; with one, it
                                      must be a valid access token (else 401, as ROUTE_AUTH) */
    ROUTE_LIMIT_AUTH = 1u << 2,    /* the stricter rate limit of credential routes */
    ROUTE_NO_LIMIT = 1u << 3,      /* not rate-limited (health probes) */
    ROUTE_LOCAL = 1u << 4,         /* only for hype-signal over signal.sock (paths under
                                      API_LOCAL_PREFIX): 404 over the network, absent from /api
                                      and /api-docs */
};

#define API_LOCAL_PREFIX "/internal/"

struct ApiRoute {
    HttpMethod method;
    const char *path; /* "/api/users/:id"; canonical form, aliases are mapped onto it */
    api_handler handler;
    unsigned flags;
    const ValidateSchema *body; /* non-NULL: a JSON object body, validated before the handler */
    const char *summary;        /* one line, for GET /api */
};

/* A group of routes and the statements they run, defined by each api-routes-*.c. */
typedef struct ApiModule {
    const char *name;
    const ApiRoute *routes;
    size_t n_routes;
    const DbStatement *statements;
    size_t n_statements;
} ApiModule;

extern const ApiModule *const api_modules[];
extern const size_t api_modules_count;

typedef struct ApiRouteMatch {
    const ApiRoute *route;              /* NULL: no route for this method */
    bool path_known;                    /* some route has this path: 405, or a preflight */
    char allow[64];                     /* the methods that path takes, "GET, POST" */
    const char *params[API_MAX_PARAMS]; /* decoded, pointing into the caller's buffer */
} ApiRouteMatch;

/*
 * Matches a raw (percent-encoded) path and a method against the route table, aliases applied;
 * routes with fewer params win ("/api/messages/search" over "/api/messages/:id"). Params are
 * decoded into buf: strlen(path) + API_MAX_PARAMS bytes are always enough. Returns 0; -E2BIG
 * when the path is too deep to be any route; -EINVAL when a param of the matched route is
 * badly encoded. Pure: the fuzz target drives it.
 */
int api_router_match(const char *path, HttpMethod method, char *buf, size_t size,
                     ApiRouteMatch *ret);

/* The HTTP server's handler (userdata: Api). */
void api_router_dispatch(HttpRequest *http, void *userdata);

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
/* Adds the X-RateLimit-* headers of r's decision (api_reply_text does, for every reply). */
void api_router_rate_headers(ApiRequest *r);
/*
 * The client's address: the peer's, or, when the peer is one of TRUST_PROXY, the last address in
 * X-Forwarded-For that is not itself a trusted proxy (what rate limits and sessions record).
 */
const char *api_client_address(ApiRequest *r);

/* An id as the decimal string SQL parameters and JSON use, in the request arena. */
const char *api_id_str(ApiRequest *r, uint64_t id);
