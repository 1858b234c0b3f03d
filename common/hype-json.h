/* hype-json: strict JSON request parsing, the {success,data}/{success,error} envelopes, value
 * helpers. */
#pragma once

#include <errno.h>
#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_DEFAULT_MAX_DEPTH 32
#define JSON_TIME_MAX 32

/*
 * Parses untrusted text: it must be one JSON value, valid UTF-8, nested at most max_depth deep,
 * followed by nothing but whitespace. Returns 0 and a new reference in *ret, or -EBADMSG with
 * *ret_error set to a static, client-presentable reason ("Invalid JSON: unexpected end of
 * input", "Invalid JSON: nesting too deep", "Invalid JSON: invalid UTF-8", ...); ret_error
 * may be NULL.
 */
int json_parse_strict(const char *text, size_t len, int max_depth, json_object **ret,
                      const char **ret_error);

/* {"success":true,"data":data}; takes ownership of data (NULL becomes JSON null). */
json_object *json_envelope_success(json_object *data);
/* {"success":false,"error":error[,"details":details]}; takes ownership of details (may be NULL). */
json_object *json_envelope_error(const char *error, json_object *details);

/* Serializes plainly (no spaces, no "\/" escaping). The string belongs to obj. */
const char *json_serialize(json_object *obj, size_t *ret_len);

/* A string, or JSON null when s is NULL. */
json_object *json_new_string_or_null(const char *s);
/* ISO 8601 UTC with milliseconds: "2025-10-23T10:30:00.000Z". */
void json_format_time_ms(int64_t unix_ms, char buf[JSON_TIME_MAX]);
json_object *json_new_time_ms(int64_t unix_ms);

/* Member lookup that returns NULL when absent (json-c's get_ex needs an out parameter). */
json_object *json_get(json_object *obj, const char *key);
/* zod's name for a present value's type: "string", "number", "boolean", "array", "object", or
 * "null" (json-c represents JSON null as NULL). Absent members are the caller's "undefined". */
const char *json_type_label(json_object *value);
