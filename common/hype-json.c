/* hype-json: strict JSON request parsing, the {success,data}/{success,error} envelopes, value
 * helpers. */
#include "hype-json.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hype-utf8.h"

static const char *tokener_reason(enum json_tokener_error e) {
    switch (e) {
    case json_tokener_error_depth: return "Invalid JSON: nesting too deep";
    case json_tokener_continue: return "Invalid JSON: unexpected end of input";
    case json_tokener_error_parse_utf8_string: return "Invalid JSON: invalid UTF-8";
    case json_tokener_error_parse_string:
    case json_tokener_error_parse_unexpected:
    case json_tokener_error_parse_null:
    case json_tokener_error_parse_boolean:
    case json_tokener_error_parse_number:
    case json_tokener_error_parse_array:
    case json_tokener_error_parse_object_key_name:
    case json_tokener_error_parse_object_key_sep:
    case json_tokener_error_parse_object_value_sep:
    case json_tokener_error_parse_comment:
    case json_tokener_error_parse_eof:
    default: return "Invalid JSON: syntax error";
    }
}

/* json-c accepts 'single-quoted' strings even in strict mode; RFC 8259 does not. A quote of
 * that kind outside a double-quoted string is always an error, so one pass finds it. */
static bool has_single_quoted_string(const char *text, size_t len) {
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
        } else if (c == '"')
            in_string = true;
        else if (c == '\'')
            return true;
    }
    return false;
}

int json_parse_strict(const char *text, size_t len, int max_depth, json_object **ret,
                      const char **ret_error) {
    const char *unused;
    if (!ret_error) /* callers that only need to know it failed */
        ret_error = &unused;
    /* json-c's own UTF-8 check misses some invalid sequences in strings (overlongs, surrogates);
     * ours is strict and cheap, so run it over the whole text first. */
    if (!utf8_is_valid(text, len)) {
        *ret_error = "Invalid JSON: invalid UTF-8";
        return -EBADMSG;
    }
    if (len == 0 || len > INT32_MAX) {
        *ret_error = len ? "Invalid JSON: too large" : "Invalid JSON: empty body";
        return -EBADMSG;
    }
    if (has_single_quoted_string(text, len)) {
        *ret_error = "Invalid JSON: syntax error";
        return -EBADMSG;
    }
    struct json_tokener *tok =
        json_tokener_new_ex(max_depth > 0 ? max_depth : JSON_DEFAULT_MAX_DEPTH);
    if (!tok)
        return -ENOMEM;
    /* Trailing bytes are checked below, to name them in the error. */
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
    json_object *obj = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error e = json_tokener_get_error(tok);
    size_t used = json_tokener_get_parse_end(tok);
    if (!obj && e == json_tokener_continue) {
        /* A top-level number ("42") could still go on: a space tells json-c it ended. */
        obj = json_tokener_parse_ex(tok, " ", 1);
        e = json_tokener_get_error(tok);
        used = len;
    }
    json_tokener_free(tok);
    if (!obj && e == json_tokener_success)
        e = json_tokener_error_parse_unexpected; /* a bare "null" would land here: refuse too */
    if (e != json_tokener_success) {
        json_object_put(obj);
        *ret_error = tokener_reason(e);
        return -EBADMSG;
    }
    for (; used < len; used++)
        if (text[used] != ' ' && text[used] != '\t' && text[used] != '\r' && text[used] != '\n') {
            json_object_put(obj);
            *ret_error = "Invalid JSON: unexpected data after the value";
            return -EBADMSG;
        }
    *ret = obj;
    return 0;
}

json_object *json_envelope_success(json_object *data) {
    json_object *o = json_object_new_object();
    json_object_object_add(o, "success", json_object_new_boolean(1));
    json_object_object_add(o, "data", data);
    return o;
}

json_object *json_envelope_error(const char *error, json_object *details) {
    json_object *o = json_object_new_object();
    json_object_object_add(o, "success", json_object_new_boolean(0));
    json_object_object_add(o, "error", json_object_new_string(error));
    if (details)
        json_object_object_add(o, "details", details);
    return o;
}

const char *json_serialize(json_object *obj, size_t *ret_len) {
    size_t len = 0;
    const char *s = json_object_to_json_string_length(
        obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
    if (ret_len)
        *ret_len = len;
    return s;
}

json_object *json_new_string_or_null(const char *s) {
    return s ? json_object_new_string(s) : NULL;
}

void json_format_time_ms(int64_t unix_ms, char buf[JSON_TIME_MAX]) {
    time_t secs = (time_t)(unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000);
    int ms = (int)(unix_ms - (int64_t)secs * 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    /* Years past 9999 cannot come from PostgreSQL timestamps we store; clamp for the format. */
    unsigned year = (unsigned)(tm.tm_year + 1900) % 10000;
    snprintf(buf, JSON_TIME_MAX, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ", year,
             (unsigned)(tm.tm_mon + 1) % 100, (unsigned)tm.tm_mday % 100,
             (unsigned)tm.tm_hour % 100, (unsigned)tm.tm_min % 100, (unsigned)tm.tm_sec % 100,
             (unsigned)ms % 1000);
}

json_object *json_new_time_ms(int64_t unix_ms) {
    char buf[JSON_TIME_MAX];
    json_format_time_ms(unix_ms, buf);
    return json_object_new_string(buf);
}

json_object *json_get(json_object *obj, const char *key) {
    json_object *v = NULL;
    if (!obj || !json_object_is_type(obj, json_type_object))
        return NULL;
    return json_object_object_get_ex(obj, key, &v) ? v : NULL;
}

const char *json_type_label(json_object *value) {
    if (!value)
        return "null";
    switch (json_object_get_type(value)) {
    case json_type_boolean: return "boolean";
    case json_type_int:
    case json_type_double: return "number";
    case json_type_string: return "string";
    case json_type_array: return "array";
    case json_type_object: return "object";
    case json_type_null:
    default: return "null";
    }
}
