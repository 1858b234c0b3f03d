/* hype-validate: declarative validation of JSON objects against a field table, with zod-style error
 * details. */
#include "hype-validate.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <strings.h>
#include <stdio.h>
#include <string.h>

#include "hype-id.h"
#include "hype-json.h"
#include "hype-utf8.h"

#define EMAIL_MAX 254
#define URL_MAX 2048

/* Issues inside an array of objects carry the element's place: ["attachments", 0, "url"]. */
static const char *prefix_name;
static int prefix_index = -1;

static json_object *issue_new(const char *code, const char *path, const char *message) {
    json_object *issue = json_object_new_object();
    json_object *p = json_object_new_array();
    if (prefix_name) {
        json_object_array_add(p, json_object_new_string(prefix_name));
        json_object_array_add(p, json_object_new_int(prefix_index));
    }
    if (path)
        json_object_array_add(p, json_object_new_string(path));
    json_object_object_add(issue, "code", json_object_new_string(code));
    json_object_object_add(issue, "path", p);
    json_object_object_add(issue, "message", json_object_new_string(message));
    return issue;
}

static void issues_add(json_object **details, json_object *issue) {
    if (!*details)
        *details = json_object_new_array();
    json_object_array_add(*details, issue);
}

void validate_add_custom(json_object **details, const char *path, const char *message) {
    issues_add(details, issue_new("custom", path, message));
}

static const char *type_expected(ValidateType t) {
    switch (t) {
    case VALIDATE_OBJECTS: return "array";
    case VALIDATE_INT: return "number";
    case VALIDATE_BOOL: return "boolean";
    case VALIDATE_STRING:
    case VALIDATE_ENUM:
    default: return "string";
    }
}

static void add_invalid_type(json_object **details, const char *path, const char *expected,
                             const char *received) {
    char msg[96];
    if (strcmp(received, "undefined") == 0)
        snprintf(msg, sizeof(msg), "Required");
    else
        snprintf(msg, sizeof(msg), "Expected %s, received %s", expected, received);
    json_object *issue = issue_new("invalid_type", path, msg);
    json_object_object_add(issue, "expected", json_object_new_string(expected));
    json_object_object_add(issue, "received", json_object_new_string(received));
    issues_add(details, issue);
}

static void add_bound(json_object **details, const char *path, bool too_small, long long bound,
                      bool is_string) {
    char msg[96];
    if (is_string)
        snprintf(msg, sizeof(msg), "String must contain at %s %lld character(s)",
                 too_small ? "least" : "most", bound);
    else
        snprintf(msg, sizeof(msg), "Number must be %s than or equal to %lld",
                 too_small ? "greater" : "less", bound);
    json_object *issue = issue_new(too_small ? "too_small" : "too_big", path, msg);
    json_object_object_add(issue, too_small ? "minimum" : "maximum", json_object_new_int64(bound));
    json_object_object_add(issue, "type", json_object_new_string(is_string ? "string" : "number"));
    json_object_object_add(issue, "inclusive", json_object_new_boolean(1));
    json_object_object_add(issue, "exact", json_object_new_boolean(0));
    issues_add(details, issue);
}

void validate_add_too_long(json_object **details, const char *path, long long max) {
    add_bound(details, path, false, max, true);
}

static void add_invalid_string(json_object **details, const char *path, const char *validation,
                               const char *message) {
    json_object *issue = issue_new("invalid_string", path, message);
    json_object_object_add(issue, "validation", json_object_new_string(validation));
    issues_add(details, issue);
}

bool validate_is_username(const char *s) {
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
            return false;
    return true;
}

/* zod's email rule, written out: a local part of [A-Za-z0-9_'+.-] not starting with a dot, no
 * "..", ending in [A-Za-z0-9_+-]; then labels of [A-Za-z0-9-] not starting with '-', and a final
 * alphabetic TLD of at least two letters. */
bool validate_is_email(const char *s) {
    size_t len = strlen(s);
    const char *at = strchr(s, '@');
    if (len > EMAIL_MAX || !at || at == s || strchr(at + 1, '@') || s[0] == '.' || strstr(s, ".."))
        return false;
    for (const char *p = s; p < at; p++)
        if (!isalnum((unsigned char)*p) && !strchr("_'+-.", *p))
            return false;
    if (at[-1] == '.' || at[-1] == '\'')
        return false;
    const char *label = at + 1, *last_dot = strrchr(at + 1, '.');
    if (!last_dot)
        return false;
    for (const char *p = label; *p; p++) {
        if (*p == '.') {
            if (p == label)
                return false;
            label = p + 1;
            continue;
        }
        if (!isalnum((unsigned char)*p) && *p != '-')
            return false;
        if (p == label && *p == '-')
            return false;
    }
    size_t tld = strlen(last_dot + 1);
    if (tld < 2)
        return false;
    for (const char *p = last_dot + 1; *p; p++)
        if (!isalpha((unsigned char)*p))
            return false;
    return true;
}

/* Digits at p[0..n) in [lo, hi]. */
/* The decimal number in p[0..n), or -1 unless all n are digits. */
static int number(const char *p, int n) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)p[i]))
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant's algorithm). */
static int64_t days_from_civil(int y, int m, int d) {
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int64_t)era * 146097 + doe - 719468;
}

int validate_parse_datetime(const char *s, int64_t *ret_ms) {
    static const int month_days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (strlen(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
        s[13] != ':' || s[16] != ':')
        return -EINVAL;
    int y = number(s, 4), mo = number(s + 5, 2), d = number(s + 8, 2);
    int h = number(s + 11, 2), mi = number(s + 14, 2), sec = number(s + 17, 2);
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 ||
        sec > 60)
        return -EINVAL;
    bool leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    /* A day the month does not have would reach PostgreSQL as a 500. */
    if (d > month_days[mo - 1] + (mo == 2 && leap))
        return -EINVAL;
    const char *p = s + 19;
    int64_t ms = 0;
    if (*p == '.') {
        int n = 0;
        for (p++; isdigit((unsigned char)*p); p++, n++)
            if (n < 3)
                ms = ms * 10 + (*p - '0');
        if (n < 1 || n > 9)
            return -EINVAL;
        for (; n < 3; n++)
            ms *= 10;
    }
    int offset_min = 0;
    if (*p == '+' || *p == '-') {
        /* number() stops at the first non-digit, so nothing past the terminator is read. */
        int oh = number(p + 1, 2), om = oh < 0 || p[3] != ':' ? -1 : number(p + 4, 2);
        if (oh > 14 || om < 0 || om > 59 || p[6])
            return -EINVAL;
        offset_min = (*p == '-' ? -1 : 1) * (oh * 60 + om);
    } else if (!((*p == 'Z' || *p == 'z') && !p[1]))
        return -EINVAL;
    /* A leap second (":60") counts as the next minute's first, as PostgreSQL reads it. */
    int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset_min * 60;
    if (ret_ms)
        *ret_ms = secs * 1000 + ms;
    return 0;
}

bool validate_is_datetime(const char *s) {
    return validate_parse_datetime(s, NULL) == 0;
}

bool validate_is_url(const char *s) {
    size_t len = strlen(s);
    const char *host;
    if (len > URL_MAX)
        return false;
    if (strncasecmp(s, "https://", 8) == 0)
        host = s + 8;
    else if (strncasecmp(s, "http://", 7) == 0)
        host = s + 7;
    else
        return false;
    size_t host_len = strcspn(host, "/?#");
    if (host_len == 0 || host[0] == '@' || host[0] == ':')
        return false;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f)
            return false;
    return true;
}

static void check_string(const ValidateField *f, json_object *v, json_object **details) {
    const char *s = json_object_get_string(v);
    size_t bytes = (size_t)json_object_get_string_len(v);
    /* "\u0000" and lone "\ud800" escapes are valid JSON but no valid text: PostgreSQL would
     * refuse the first and we must not store the second. */
    if (strlen(s) != bytes || !utf8_is_valid(s, bytes)) {
        add_invalid_string(details, f->name, "regex",
                           "String must be valid UTF-8 without NUL characters");
        return;
    }
    size_t len = utf8_length(s, bytes);
    if (f->min && (long long)len < f->min)
        add_bound(details, f->name, true, f->min, true);
    else if (f->max && (long long)len > f->max)
        add_bound(details, f->name, false, f->max, true);
    switch (f->format) {
    case VALIDATE_EMAIL:
        if (!validate_is_email(s))
            add_invalid_string(details, f->name, "email", "Invalid email");
        break;
    case VALIDATE_URL:
        if (!validate_is_url(s))
            add_invalid_string(details, f->name, "url", "Invalid url");
        break;
    case VALIDATE_USERNAME:
        if (*s && !validate_is_username(s))
            add_invalid_string(
                details, f->name, "regex",
                "Username can only contain letters, numbers, hyphens and underscores");
        break;
    case VALIDATE_ID:
        if (!id_is_valid_string(s))
            add_invalid_string(details, f->name, "regex", "Invalid id");
        break;
    case VALIDATE_DATETIME:
        if (!validate_is_datetime(s))
            add_invalid_string(details, f->name, "datetime", "Invalid datetime");
        break;
    case VALIDATE_ANY: break;
    }
}

static void check_enum(const ValidateField *f, const char *s, json_object **details) {
    char msg[512];
    size_t off = (size_t)snprintf(msg, sizeof(msg), "Invalid enum value. Expected ");
    json_object *options = json_object_new_array();
    for (size_t i = 0; f->options[i]; i++) {
        if (strcmp(f->options[i], s) == 0) {
            json_object_put(options);
            return;
        }
        json_object_array_add(options, json_object_new_string(f->options[i]));
        if (off < sizeof(msg))
            off += (size_t)snprintf(msg + off, sizeof(msg) - off, "%s'%s'", i ? " | " : "",
                                    f->options[i]);
    }
    if (off < sizeof(msg))
        snprintf(msg + off, sizeof(msg) - off, ", received '%.64s'", s);
    json_object *issue = issue_new("invalid_enum_value", f->name, msg);
    json_object_object_add(issue, "options", options);
    json_object_object_add(issue, "received", json_object_new_string(s));
    issues_add(details, issue);
}

static void check_int(const ValidateField *f, json_object *v, json_object **details) {
    long long x = json_object_get_int64(v);
    if ((f->min || f->max) && x < f->min)
        add_bound(details, f->name, true, f->min, false);
    else if ((f->min || f->max) && x > f->max)
        add_bound(details, f->name, false, f->max, false);
}

static bool type_matches(ValidateType t, json_object *v) {
    switch (t) {
    case VALIDATE_OBJECTS: return json_object_is_type(v, json_type_array);
    case VALIDATE_INT: return json_object_is_type(v, json_type_int);
    case VALIDATE_BOOL: return json_object_is_type(v, json_type_boolean);
    case VALIDATE_STRING:
    case VALIDATE_ENUM:
    default: return json_object_is_type(v, json_type_string);
    }
}

static void check_fields(const ValidateSchema *schema, json_object *obj, json_object **details);

static void check_objects(const ValidateField *f, json_object *v, json_object **details) {
    size_t n = json_object_array_length(v);
    if ((f->min || f->max) && (long long)n < f->min) {
        char msg[96];
        snprintf(msg, sizeof(msg), "Array must contain at least %lld element(s)", f->min);
        json_object *issue = issue_new("too_small", f->name, msg);
        json_object_object_add(issue, "minimum", json_object_new_int64(f->min));
        issues_add(details, issue);
        return;
    }
    if (f->max && (long long)n > f->max) {
        char msg[96];
        snprintf(msg, sizeof(msg), "Array must contain at most %lld element(s)", f->max);
        json_object *issue = issue_new("too_big", f->name, msg);
        json_object_object_add(issue, "maximum", json_object_new_int64(f->max));
        issues_add(details, issue);
        return;
    }
    /* One level of nesting is all the API needs; deeper prefixes are not kept. */
    const char *saved_name = prefix_name;
    int saved_index = prefix_index;
    for (size_t i = 0; i < n; i++) {
        json_object *item = json_object_array_get_idx(v, i);
        prefix_name = f->name;
        prefix_index = (int)i;
        if (!item || !json_object_is_type(item, json_type_object))
            add_invalid_type(details, NULL, "object", json_type_label(item));
        else
            check_fields(f->items, item, details);
    }
    prefix_name = saved_name;
    prefix_index = saved_index;
}

static void check_field(const ValidateField *f, json_object *obj, json_object **details) {
    json_object *v = NULL;
    if (!json_object_object_get_ex(obj, f->name, &v)) {
        if (f->flags & VALIDATE_REQUIRED)
            add_invalid_type(details, f->name, type_expected(f->type), "undefined");
        return;
    }
    if (!v) {
        if (!(f->flags & VALIDATE_NULLABLE))
            add_invalid_type(details, f->name, type_expected(f->type), "null");
        return;
    }
    if (!type_matches(f->type, v)) {
        bool is_float = json_object_is_type(v, json_type_double);
        if (f->type == VALIDATE_INT && is_float)
            add_invalid_type(details, f->name, "integer", "float");
        else
            add_invalid_type(details, f->name, type_expected(f->type), json_type_label(v));
        return;
    }
    if (f->type == VALIDATE_STRING)
        check_string(f, v, details);
    else if (f->type == VALIDATE_ENUM)
        check_enum(f, json_object_get_string(v), details);
    else if (f->type == VALIDATE_INT)
        check_int(f, v, details);
    else if (f->type == VALIDATE_OBJECTS)
        check_objects(f, v, details);
}

static void check_fields(const ValidateSchema *schema, json_object *obj, json_object **details) {
    for (size_t i = 0; i < schema->n_fields; i++)
        check_field(&schema->fields[i], obj, details);
}

int validate_json(const ValidateSchema *schema, json_object *value, json_object **ret_details) {
    json_object *details = NULL;
    if (!value || !json_object_is_type(value, json_type_object)) {
        add_invalid_type(&details, NULL, "object", json_type_label(value));
        *ret_details = details;
        return -EINVAL;
    }
    check_fields(schema, value, &details);
    if (!details)
        return 0;
    *ret_details = details;
    return -EINVAL;
}

const char *validate_get_string(json_object *obj, const char *name) {
    json_object *v = json_get(obj, name);
    return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

bool validate_has(json_object *obj, const char *name) {
    json_object *v;
    return obj && json_object_object_get_ex(obj, name, &v);
}

int validate_int_param(const char *name, const char *text, long long def, long long min,
                       long long max, long long *ret, json_object **details) {
    if (!text) {
        *ret = def;
        return 0;
    }
    char *end = NULL;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (!*text || *end || errno == ERANGE || !(isdigit((unsigned char)*text) || *text == '-')) {
        add_invalid_type(details, name, "number", "string");
        return -EINVAL;
    }
    if (v < min) {
        add_bound(details, name, true, min, false);
        return -EINVAL;
    }
    if (v > max) {
        add_bound(details, name, false, max, false);
        return -EINVAL;
    }
    *ret = v;
    return 0;
}
