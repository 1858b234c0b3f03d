/* hype-validate: declarative validation of JSON objects against a field table, with zod-style error
 * details. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Every endpoint that takes a JSON body describes it as a static ValidateSchema; one generic
 * validator checks it before any handler logic runs. Failures are collected (all fields, not
 * just the first) into an array of zod-like issues, as seed 000 shows them:
 *   {"code":"too_small","minimum":3,"type":"string","inclusive":true,"exact":false,
 *    "path":["username"],"message":"String must contain at least 3 character(s)"}
 * Codes used: invalid_type (incl. "Required"), too_small, too_big, invalid_string (email, url,
 * regex), invalid_enum_value, custom. Unknown members are ignored, as zod's default strips them.
 */
typedef enum ValidateType {
    VALIDATE_STRING,
    VALIDATE_INT, /* a JSON integer; min/max bound the value */
    VALIDATE_BOOL,
    VALIDATE_ENUM,    /* a string among options */
    VALIDATE_OBJECTS, /* an array of objects, each checked against items; min/max bound the count */
} ValidateType;

typedef enum ValidateFormat {
    VALIDATE_ANY = 0,
    VALIDATE_EMAIL,
    VALIDATE_URL,      /* http(s) with a host, no whitespace */
    VALIDATE_USERNAME, /* /^[a-zA-Z0-9_-]+$/ */
    VALIDATE_ID,       /* a decimal snowflake id string */
    VALIDATE_DATETIME, /* ISO 8601 with a zone: 2025-10-23T10:30:00(.000)?(Z|+02:00) */
} ValidateFormat;

enum {
    VALIDATE_REQUIRED = 1u << 0,
    VALIDATE_NULLABLE = 1u << 1,
};

typedef struct ValidateSchema ValidateSchema;

typedef struct ValidateSchema ValidateSchema;

typedef struct ValidateField {
    const char *name;
    ValidateType type;
    unsigned flags;
    long long min, max;          /* strings: length in code points; ints: value; 0,0 = none */
    ValidateFormat format;       /* strings only */
    const char *const *options;  /* VALIDATE_ENUM: NULL-terminated */
    const ValidateSchema *items; /* VALIDATE_OBJECTS: the schema of each element */
} ValidateField;

struct ValidateSchema {
    const ValidateField *fields;
    size_t n_fields;
    const char *error; /* top-level "error" on failure; NULL = "Validation failed" */
};

#define VALIDATE_SCHEMA(arr, ...)                                                                  \
    { .fields = (arr), .n_fields = sizeof(arr) / sizeof((arr)[0]), __VA_ARGS__ }

/*
 * Validates value (an object expected; anything else is one invalid_type issue at path []).
 * Returns 0 when valid; otherwise -EINVAL and *ret_details, a new array of issues.
 */
int validate_json(const ValidateSchema *schema, json_object *value, json_object **ret_details);

/* Appends a {"code":"custom","path":[path],"message":message} issue (creating the array). */
void validate_add_custom(json_object **details, const char *path, const char *message);

/* Appends zod's too_big issue for a string longer than max characters ("String must contain at
 * most max character(s)"), as a schema field's would be. */
void validate_add_too_long(json_object **details, const char *path, long long max);

/* The format checks on their own, for query and path parameters. */
bool validate_is_email(const char *s);
bool validate_is_url(const char *s);
bool validate_is_username(const char *s);
bool validate_is_datetime(const char *s);
/*
 * Parses what validate_is_datetime accepts (RFC 3339 with a zone: "2025-10-23T10:30:00.000Z",
 * "...+02:00") into milliseconds since the epoch (UTC) in *ret_ms (may be NULL). -EINVAL when it
 * is not one, including days a month does not have ("2025-02-29").
 */
int validate_parse_datetime(const char *s, int64_t *ret_ms);

/* Member lookups after validation: NULL when absent or JSON null. */
const char *validate_get_string(json_object *obj, const char *name);
/* true when the member is present (JSON null counts as present). */
bool validate_has(json_object *obj, const char *name);

/*
 * Parses a decimal parameter (query string, path) into [min, max]; NULL text gives def. On
 * failure appends a zod-like issue at path [name] (invalid_type "Expected number, received
 * string", too_small, too_big) and returns -EINVAL.
 */
int validate_int_param(const char *name, const char *text, long long def, long long min,
                       long long max, long long *ret, json_object **details);
