/* api-router: the route table, matching and dispatch (aliases, rate limits, auth, body checks). */
#pragma once

#include <stdbool.h>

#include "api-db.h"
#include "api-request.h"
#include "api-signal.h"
#include "hype-http-server.h"
#include "hype-validate.h"

typedef void (*api_handler)(ApiRequest *r);

enum {
    ROUTE_AUTH = 1u << 0,          /* 401 without a valid access token */
    ROUTE_AUTH_OPTIONAL = 1u << 1, /* anonymous without an Authorization header; with one, it
                                      must be a valid access token (else 401, as ROUTE_AUTH) */
    ROUTE_LIMIT_AUTH = 1u << 2,    /* the stricter rate limit of credential routes */
    ROUTE_NO_LIMIT = 1u << 3,      /* not rate-limited (health probes) */
};

struct ApiRoute {
    HttpMethod method;
    const char *path; /* "/api/users/:id"; canonical form, aliases are mapped onto it */
    api_handler handler;
    unsigned flags;
    const ValidateSchema *body; /* non-NULL: a JSON object body, validated before the handler */
    const char *summary;        /* one line, for GET /api */
};

/* A group of routes, the statements they run, and the requests of hype-signal it serves (the
 * same work, asked over signal.sock instead of HTTP): defined by each api-*.c that has any. */
typedef struct ApiModule {
    const char *name;
    const ApiRoute *routes;
    size_t n_routes;
    const DbStatement *statements;
    size_t n_statements;
    const ApiSignalHandler *signal_handlers;
    size_t n_signal_handlers;
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
