/* api-router: the route table, matching and dispatch (aliases, rate limits, auth, body checks). */
#include "api-router.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api-auth.h"
#include "api-reply.h"
#include "api-server.h"
#include "hype-json.h"
#include "hype-log.h"
#include "hype-utf8.h"
#include "hype-time.h"

#define PATH_MAX_SEGMENTS 16

typedef struct PathSegments {
    const char *seg[PATH_MAX_SEGMENTS];
    size_t len[PATH_MAX_SEGMENTS];
    size_t n;
} PathSegments;

/* Splits "/a/b/c" into its segments; empty segments (from "//" or a trailing "/") are dropped,
 * so "/api/users/" matches "/api/users" as Express does. -E2BIG when too deep. */
static int split_path(const char *path, PathSegments *out) {
    out->n = 0;
    for (const char *p = path; *p;) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        size_t len = strcspn(p, "/");
        if (out->n == PATH_MAX_SEGMENTS)
            return -E2BIG;
        out->seg[out->n] = p;
        out->len[out->n++] = len;
        p += len;
    }
    return 0;
}

/* The public aliases of DESIGN.md section 4: "/api/v1/x" is "/api/x", "/api/auth/x" is "/auth/x";
 * and seed 004's "/calls/x" (its base URL is the prefix) is "/api/calls/x". */
static void apply_aliases(PathSegments *s) {
    static const char api[] = "api";
    if (s->n >= 1 && s->n < PATH_MAX_SEGMENTS && s->len[0] == 5 &&
        memcmp(s->seg[0], "calls", 5) == 0) {
        memmove(&s->seg[1], &s->seg[0], s->n * sizeof(s->seg[0]));
        memmove(&s->len[1], &s->len[0], s->n * sizeof(s->len[0]));
        s->seg[0] = api;
        s->len[0] = 3;
        s->n++;
    }
    if (s->n >= 2 && s->len[0] == 3 && memcmp(s->seg[0], "api", 3) == 0 && s->len[1] == 2 &&
        memcmp(s->seg[1], "v1", 2) == 0) {
        memmove(&s->seg[1], &s->seg[2], (s->n - 2) * sizeof(s->seg[0]));
        memmove(&s->len[1], &s->len[2], (s->n - 2) * sizeof(s->len[0]));
        s->n--;
    }
    if (s->n >= 2 && s->len[0] == 3 && memcmp(s->seg[0], "api", 3) == 0 && s->len[1] == 4 &&
        memcmp(s->seg[1], "auth", 4) == 0) {
        memmove(&s->seg[0], &s->seg[1], (s->n - 1) * sizeof(s->seg[0]));
        memmove(&s->len[0], &s->len[1], (s->n - 1) * sizeof(s->len[0]));
        s->n--;
    }
}

/* Matches a pattern against the request's segments; returns the number of params bound, or -1.
 * Param values are stored as (segment index) in idx. */
static int match_pattern(const char *pattern, const PathSegments *s, size_t idx[API_MAX_PARAMS]) {
    PathSegments pat;
    if (split_path(pattern, &pat) < 0 || pat.n != s->n)
        return -1;
    int nparams = 0;
    for (size_t i = 0; i < pat.n; i++) {
        if (pat.seg[i][0] == ':') {
            if (nparams == API_MAX_PARAMS)
                return -1;
            idx[nparams++] = i;
        } else if (pat.len[i] != s->len[i] || memcmp(pat.seg[i], s->seg[i], s->len[i]) != 0)
            return -1;
    }
    return nparams;
}

static bool method_matches(HttpMethod route_method, HttpMethod m) {
    return route_method == m || (route_method == HTTP_GET && m == HTTP_HEAD);
}

/* Picks the matching route with the fewest params, so "/api/messages/search" beats
 * "/api/messages/:id" whatever the table order. */
typedef struct RouteMatch {
    ApiRouteMatch *out;
    size_t idx[API_MAX_PARAMS];
    int nparams;
} RouteMatch;

static void find_route(const PathSegments *s, HttpMethod method, RouteMatch *m) {
    ApiRouteMatch *out = m->out;
    *out = (ApiRouteMatch){0};
    m->nparams = 0;
    size_t allow_len = 0;
    for (size_t i = 0; i < api_modules_count; i++) {
        const ApiModule *mod = api_modules[i];
        for (size_t j = 0; j < mod->n_routes; j++) {
            const ApiRoute *rt = &mod->routes[j];
            size_t idx[API_MAX_PARAMS];
            int n = match_pattern(rt->path, s, idx);
            if (n < 0)
                continue;
            out->path_known = true;
            if (!method_matches(rt->method, method)) {
                if (allow_len < sizeof(out->allow))
                    allow_len += (size_t)snprintf(
                        out->allow + allow_len, sizeof(out->allow) - allow_len, "%s%s",
                        allow_len ? ", " : "", http_method_name(rt->method));
                continue;
            }
            if (out->route && n >= m->nparams)
                continue;
            out->route = rt;
            m->nparams = n;
            memcpy(m->idx, idx, sizeof(idx));
        }
    }
}

static int decode_params(const PathSegments *s, const RouteMatch *m, char *buf, size_t size) {
    size_t used = 0;
    for (int i = 0; i < m->nparams; i++) {
        size_t k = m->idx[i];
        if (used + s->len[k] + 1 > size)
            return -ENOBUFS;
        if (http_percent_decode(buf + used, s->seg[k], s->len[k], false) < 0)
            return -EINVAL;
        m->out->params[i] = buf + used;
        used += s->len[k] + 1;
    }
    return 0;
}

int api_router_match(const char *path, HttpMethod method, char *buf, size_t size,
                     ApiRouteMatch *ret) {
    PathSegments s;
    RouteMatch m = {.out = ret};
    *ret = (ApiRouteMatch){0};
    if (split_path(path, &s) < 0)
        return -E2BIG;
    apply_aliases(&s);
    find_route(&s, method, &m);
    return ret->route ? decode_params(&s, &m, buf, size) : 0;
}

static void json_put_cb(void *p) {
    json_object_put(p);
}

static bool is_json_content_type(const char *ct) {
    if (!ct)
        return false;
    size_t n = strlen("application/json");
    return strncasecmp(ct, "application/json", n) == 0 &&
           (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* Parses and validates the JSON body of routes that declare a schema. Replies on failure. */
static bool load_body(ApiRequest *r) {
    size_t len = 0;
    const char *text = http_request_body(r->http, &len);
    json_object *body = NULL;
    if (len == 0) {
        body = json_object_new_object(); /* as Express: an absent body validates as {} */
    } else {
        const char *why = NULL;
        if (!is_json_content_type(http_request_header(r->http, "Content-Type"))) {
            api_reply_error(r, 415, "Content-Type must be application/json");
            return false;
        }
        if (json_parse_strict(text, len, (int)r->api->cfg->json_max_depth, &body, &why) < 0) {
            api_reply_error(r, 400, why);
            return false;
        }
    }
    arena_defer(r->arena, json_put_cb, body);
    json_object *details = NULL;
    if (validate_json(r->route->body, body, &details) < 0) {
        api_reply_details(
            r, 400, r->route->body->error ? r->route->body->error : "Validation failed", details);
        return false;
    }
    r->body = body;
    return true;
}

/* Query values: longer ones are refused (414) rather than read; so are undecodable ones (400). */
#define QUERY_VALUE_MAX 1024
#define QUERY_NAME_ECHO_MAX 64

/* Decodes n bytes of a query string into buf; the text's length in characters, or -EINVAL when
 * it is badly percent-encoded, holds a NUL or is not UTF-8 (PostgreSQL would refuse it). */
static ssize_t query_text(char *buf, const char *s, size_t n) {
    ssize_t len = http_percent_decode(buf, s, n, true);
    if (len < 0 || !utf8_is_valid(buf, (size_t)len))
        return -EINVAL;
    return (ssize_t)utf8_length(buf, (size_t)len);
}

/* Checks every query parameter, read by the route or not, before any handler runs: handlers
 * (api_query) can then never take an overlong or badly encoded value for an absent one. */
static bool check_query(ApiRequest *r) {
    const char *q = http_request_query(r->http);
    char *buf = q ? arena_alloc(r->arena, strlen(q) + 1) : NULL;
    if (q && !buf) {
        api_reply_error(r, 500, "Internal server error");
        return false;
    }
    for (const char *p = q; p && *p;) {
        size_t len = strcspn(p, "&");
        const char *eq = memchr(p, '=', len);
        size_t klen = eq ? (size_t)(eq - p) : len;
        ssize_t k = query_text(buf, p, klen);
        ssize_t v = eq ? query_text(buf, eq + 1, len - klen - 1) : 0;
        if (k < 0 || v < 0 || v > QUERY_VALUE_MAX) {
            json_object *details = NULL;
            const char *name =
                arena_strndup(r->arena, p, klen < QUERY_NAME_ECHO_MAX ? klen : QUERY_NAME_ECHO_MAX);
            if (k < 0 || v < 0) {
                validate_add_custom(&details, name, "Expected percent-encoded UTF-8 text");
                api_reply_details(r, 400, "Malformed query parameter", details);
            } else {
                validate_add_too_long(&details, name, QUERY_VALUE_MAX);
                api_reply_details(r, 414, "Query parameter too long", details);
            }
            return false;
        }
        p += len;
        if (*p == '&')
            p++;
    }
    return true;
}

/* Optional authentication means "anonymous or signed in", never "a bad credential counts as
 * none": a client whose token expired or was revoked must hear it (401) instead of quietly
 * getting the anonymous view. Only a request without an Authorization header is anonymous. */
static bool authenticate(ApiRequest *r) {
    if (!(r->route->flags & (ROUTE_AUTH | ROUTE_AUTH_OPTIONAL)))
        return true;
    const char *header = http_request_header(r->http, "Authorization");
    if (!header && !(r->route->flags & ROUTE_AUTH))
        return true;
    int e = api_auth_verify_bearer(r->api, header, &r->auth);
    if (e == 0)
        return true;
    api_reply_error(r, 401, api_auth_error_message(e));
    return false;
}

/* ---- rate limits ---- */

/* Counts the request against the caller's key; answers 429 when over. Per address before
 * authentication, per user after it; the headers report the tighter of the two. */
static bool rate_check(ApiRequest *r, const char *key) {
    const ApiConfig *cfg = r->api->cfg;
    if (r->route && (r->route->flags & ROUTE_NO_LIMIT))
        return true;
    bool auth = r->route && (r->route->flags & ROUTE_LIMIT_AUTH);
    const char *bucket = auth ? "auth" : "api";
    int64_t now = time_wall_ms();
    RateDecision d = ratelimit_hit(r->api->limiter, bucket, key,
                                   (uint32_t)(auth ? cfg->rate_limit_auth : cfg->rate_limit),
                                   (uint32_t)cfg->rate_limit_window_ms, now);
    api_request_rate_note(r, &d, bucket, now);
    if (d.allowed)
        return true;
    long long retry = (d.reset_ms - now + 999) / 1000;
    http_response_header(r->http, "Retry-After", arena_printf(r->arena, "%lld", retry));
    json_object *body = json_envelope_error("Too many requests", NULL);
    json_object_object_add(body, "retry_after", json_object_new_int64(retry));
    api_reply_json(r, 429, body);
    return false;
}

/* ---- CORS ---- */

/* The Origin to echo, "*" for any, or NULL when this origin is not allowed. */
static const char *allowed_origin(ApiRequest *r) {
    const char *list = r->api->cfg->cors_origin;
    const char *origin = http_request_header(r->http, "Origin");
    if (strcmp(list, "*") == 0)
        return "*";
    if (!origin)
        return NULL;
    size_t n = strlen(origin);
    for (const char *p = list; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t len = strcspn(p, ", ");
        if (len == n && strncmp(p, origin, n) == 0)
            return origin;
        p += len;
    }
    return NULL;
}

static void set_cors_headers(ApiRequest *r) {
    const char *origin = allowed_origin(r);
    if (!origin)
        return;
    http_response_header(r->http, "Access-Control-Allow-Origin", origin);
    if (strcmp(origin, "*") != 0) {
        http_response_header(r->http, "Vary", "Origin");
        http_response_header(r->http, "Access-Control-Allow-Credentials", "true");
    }
    http_response_header(
        r->http, "Access-Control-Expose-Headers",
        "Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, "
        "X-RateLimit-Reset-After, X-RateLimit-Bucket");
}

/* A browser's preflight: which methods this path takes, and that our headers may be sent. */
static void reply_preflight(ApiRequest *r, const ApiRouteMatch *m) {
    http_response_header(r->http, "Access-Control-Allow-Methods",
                         arena_printf(r->arena, "%s, OPTIONS", m->allow));
    http_response_header(r->http, "Access-Control-Allow-Headers", "Authorization, Content-Type");
    http_response_header(r->http, "Access-Control-Max-Age", "600");
    http_response_header(r->http, "Allow", arena_printf(r->arena, "%s, OPTIONS", m->allow));
    api_reply_empty(r, 204);
}

static void reply_no_route(ApiRequest *r, const ApiRouteMatch *m) {
    if (m->path_known) {
        http_response_header(r->http, "Allow", m->allow);
        api_reply_error(r, 405, "Method not allowed");
        return;
    }
    api_reply_error(r, 404, "Route not found");
}

void api_router_dispatch(HttpRequest *http, void *userdata) {
    Api *api = userdata;
    Arena *arena = http_request_arena(http);
    ApiRequest *r = arena_zalloc(arena, sizeof(*r));
    if (!r) {
        static const char oom[] = "{\"success\":false,\"error\":\"Out of memory\"}";
        http_reply(http, 500, "application/json", oom, sizeof(oom) - 1);
        return;
    }
    *r = (ApiRequest){.api = api, .http = http, .arena = arena};

    const char *path = http_request_path(http);
    size_t size = strlen(path) + API_MAX_PARAMS + 1;
    char *buf = arena_alloc(arena, size);
    ApiRouteMatch m;
    int e = buf ? api_router_match(path, http_request_method(http), buf, size, &m) : -ENOMEM;
    if (e == -E2BIG || e == -ENOMEM) {
        api_reply_error(r, 404, "Route not found");
        return;
    }
    set_cors_headers(r);
    if (!m.route && m.path_known && http_request_method(http) == HTTP_OPTIONS) {
        reply_preflight(r, &m);
        return;
    }
    r->route = m.route;
    if (!rate_check(r, arena_printf(arena, "ip:%s", api_client_address(r))))
        return;
    if (!m.route) {
        reply_no_route(r, &m);
        return;
    }
    if (e == -EINVAL) {
        api_reply_error(r, 400, "Malformed path parameter");
        return;
    }
    memcpy(r->params, m.params, sizeof(r->params));
    if (!check_query(r) || !authenticate(r))
        return;
    if (r->auth.user_id && !rate_check(r, arena_printf(arena, "user:%" PRIu64, r->auth.user_id)))
        return;
    if (m.route->body && !load_body(r))
        return;
    m.route->handler(r);
}
