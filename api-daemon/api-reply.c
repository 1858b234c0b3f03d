/* api-reply: the one way hype-api answers: JSON envelopes, errors with details, DB failures. */
#include "api-reply.h"

#include <string.h>

#include "api-server.h"
#include "hype-json.h"
#include "hype-log.h"

void api_reply_json(ApiRequest *r, int status, json_object *body) {
    size_t len = 0;
    const char *text = json_serialize(body, &len);
    log_debug("%s %s -> %d", http_method_name(http_request_method(r->http)),
              http_request_path(r->http), status);
    http_reply(r->http, status, "application/json; charset=utf-8", text, len);
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
