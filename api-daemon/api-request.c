/* api-request: the per-request context (who asked, path params, query, the rate-limit decision)
 * and its accessors. */
#include "api-request.h"

#include <string.h>

#include "api-server.h"
#include "hype-id.h"
#include "hype-validate.h"

/* Whether addr (n bytes) is one of the comma-separated TRUST_PROXY addresses. */
static bool trusted_proxy(const char *list, const char *addr, size_t n) {
    for (const char *p = list; p && *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *end = p;
        while (*end && *end != ',' && *end != ' ')
            end++;
        if ((size_t)(end - p) == n && n > 0 && strncmp(p, addr, n) == 0)
            return true;
        p = end;
    }
    return false;
}

const char *api_client_address(ApiRequest *r) {
    const char *peer = http_request_peer_address(r->http);
    const char *list = r->api->cfg->trust_proxy;
    const char *xff = http_request_header(r->http, "X-Forwarded-For");
    if (!list || !*list || !xff || !trusted_proxy(list, peer, strlen(peer)))
        return peer;
    /* Walk from the right: each hop appended the address it received from. */
    const char *end = xff + strlen(xff);
    while (end > xff) {
        const char *start = end;
        while (start > xff && start[-1] != ',')
            start--;
        const char *a = start, *b = end;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        if (b > a && !trusted_proxy(list, a, (size_t)(b - a)))
            return arena_strndup(r->arena, a, (size_t)(b - a));
        end = start > xff ? start - 1 : xff;
    }
    return peer;
}

const char *api_query(ApiRequest *r, const char *name) {
    /* The router's check_query has vouched for every value: the only failure left is "absent".
     */
    const char *q = http_request_query(r->http);
    size_t size = q ? strlen(q) + 1 : 0;
    char *buf = q ? arena_alloc(r->arena, size) : NULL;
    if (!buf || http_query_get(q, name, buf, size) < 0)
        return NULL;
    return buf;
}

int api_query_int(ApiRequest *r, const char *name, long long def, long long min, long long max,
                  long long *ret, json_object **details) {
    return validate_int_param(name, api_query(r, name), def, min, max, ret, details);
}

const char *api_id_str(ApiRequest *r, uint64_t id) {
    char buf[ID_STRING_MAX];
    return arena_strdup(r->arena, id_to_string(id, buf));
}

void api_request_rate_note(ApiRequest *r, const RateDecision *d, const char *bucket,
                           int64_t now_ms) {
    if (r->rate.set && d->allowed && d->remaining >= r->rate.remaining)
        return;
    r->rate.set = true;
    r->rate.allowed = d->allowed;
    r->rate.limit = d->limit;
    r->rate.remaining = d->remaining;
    r->rate.reset_ms = d->reset_ms;
    r->rate.now_ms = now_ms;
    r->rate.bucket = bucket;
}

void api_request_rate_headers(ApiRequest *r) {
    if (!r->rate.set)
        return;
    int64_t after_ms = r->rate.reset_ms > r->rate.now_ms ? r->rate.reset_ms - r->rate.now_ms : 0;
    http_response_header(r->http, "X-RateLimit-Limit", arena_printf(r->arena, "%u", r->rate.limit));
    http_response_header(r->http, "X-RateLimit-Remaining",
                         arena_printf(r->arena, "%u", r->rate.remaining));
    http_response_header(
        r->http, "X-RateLimit-Reset",
        arena_printf(r->arena, "%lld", (long long)((r->rate.reset_ms + 999) / 1000)));
    http_response_header(r->http, "X-RateLimit-Reset-After",
                         arena_printf(r->arena, "%.3f", (double)after_ms / 1000.0));
    http_response_header(r->http, "X-RateLimit-Bucket", r->rate.bucket);
}
