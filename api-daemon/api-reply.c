/* api-reply: the one way hype-api answers: JSON envelopes, errors with details, DB failures. */
#include "api-reply.h"

#include <string.h>
#include <time.h>

#include "api-metrics.h"

#include "api-server.h"
#include "hype-json.h"
#include "hype-log.h"
#include "hype-time.h"

/* Every reply ends here: one place for metrics and the debug access line. */
void api_reply_text(ApiRequest *r, int status, const char *content_type, const char *text,
                    size_t len) {
    HttpMethod method = http_request_method(r->http);
    uint64_t usec = time_mono_usec() - http_request_start_usec(r->http);
    api_metrics_record(r->route, method, status, usec);
    log_debug("%s %s -> %d in %llu us", http_method_name(method), http_request_path(r->http),
              status, (unsigned long long)usec);
    api_request_rate_headers(r);
    http_reply(r->http, status, content_type, text, len);
}

void api_reply_empty(ApiRequest *r, int status) {
    api_reply_text(r, status, NULL, "", 0);
}

void api_reply_json(ApiRequest *r, int status, json_object *body) {
    size_t len = 0;
    const char *text = json_serialize(body, &len);
    api_reply_text(r, status, "application/json; charset=utf-8", text, len);
    json_object_put(body);
}

void api_reply_data(ApiRequest *r, int status, json_object *data) {
    api_reply_json(r, status, json_envelope_success(data));
}

void api_reply_list(ApiRequest *r, json_object *data, json_object *meta) {
    json_object *body = json_envelope_success(data);
    json_object_object_add(body, "meta", meta);
    api_reply_json(r, 200, body);
}

void api_reply_error(ApiRequest *r, int status, const char *message) {
    api_reply_json(r, status, json_envelope_error(message, NULL));
}

void api_reply_details(ApiRequest *r, int status, const char *message, json_object *details) {
    api_reply_json(r, status, json_envelope_error(message, details));
}

void api_reply_busy(ApiRequest *r, int error, const char *context) {
    if (error == -EAGAIN || error == -ETIMEDOUT || error == -ECONNRESET) {
        log_warning_errno(error, "%s: service saturated or database unreachable: %m", context);
        http_response_header(r->http, "Retry-After", "1");
        api_reply_error(r, 503, "Service temporarily unavailable, retry shortly");
        return;
    }
    log_error_errno(error, "%s: %m", context);
    api_reply_error(r, 500, "Internal server error");
}

bool api_reply_db_failed(ApiRequest *r, const DbResult *res, const char *context) {
    if (res->error == 0)
        return false;
    if (res->error == -EIO) {
        log_error("%s: PostgreSQL error %s: %s", context, res->sqlstate ? res->sqlstate : "?",
                  res->message ? res->message : "?");
        api_reply_error(r, 500, "Internal server error");
        return true;
    }
    api_reply_busy(r, res->error, context);
    return true;
}

bool api_reply_one_row(ApiRequest *r, const DbResult *res, const char *context, int status,
                       const char *message) {
    if (api_reply_db_failed(r, res, context))
        return false;
    if (db_ntuples(res) != 1) {
        api_reply_error(r, status, message);
        return false;
    }
    return true;
}

void *api_zalloc(ApiRequest *r, size_t size) {
    void *p = arena_zalloc(r->arena, size);
    if (!p)
        api_reply_error(r, 500, "Internal server error");
    return p;
}

void api_db_query(ApiRequest *r, const DbStatement *stmt, const char *const *params, db_callback cb,
                  void *userdata, const char *what) {
    int e = db_query(r->api->db, stmt, params, cb, userdata);
    if (e < 0)
        api_reply_busy(r, e, what);
}
