/* Unit tests for common/hype-validate. */
#include "hype-json.h"
#include "hype-validate.h"
#include "test.h"

static const char *const colors[] = {"red", "green", NULL};
static const ValidateField fields[] = {
    {"username", VALIDATE_STRING, VALIDATE_REQUIRED, 3, 32, VALIDATE_USERNAME, NULL, NULL},
    {"email", VALIDATE_STRING, 0, 0, 254, VALIDATE_EMAIL, NULL, NULL},
    {"url", VALIDATE_STRING, VALIDATE_NULLABLE, 0, 0, VALIDATE_URL, NULL, NULL},
    {"age", VALIDATE_INT, 0, 1, 150, VALIDATE_ANY, NULL, NULL},
    {"flag", VALIDATE_BOOL, 0, 0, 0, VALIDATE_ANY, NULL, NULL},
    {"color", VALIDATE_ENUM, 0, 0, 0, VALIDATE_ANY, colors, NULL},
};
static const ValidateSchema schema = VALIDATE_SCHEMA(fields);

/* Validates text; returns the details array serialized, or "" when valid. */
static const char *check(const char *text) {
    static char out[4096];
    json_object *o = NULL, *details = NULL;
    const char *why;
    if (json_parse_strict(text, strlen(text), 8, &o, &why) < 0)
        return "PARSE";
    out[0] = '\0';
    if (validate_json(&schema, o, &details) < 0) {
        snprintf(out, sizeof(out), "%s", json_serialize(details, NULL));
        json_object_put(details);
    }
    json_object_put(o);
    return out;
}

TEST(valid_object) {
    ASSERT_STREQ(check("{\"username\":\"john_doe-1\",\"email\":\"john@example.com\",\"url\":null,"
                       "\"age\":30,\"flag\":true,\"color\":\"red\",\"unknown\":[1]}"),
                 "");
}

TEST(zod_shapes) {
    ASSERT_STREQ(check("{\"username\":\"ab\"}"),
                 "[{\"code\":\"too_small\",\"path\":[\"username\"],\"message\":\"String must contain at "
                 "least 3 character(s)\",\"minimum\":3,\"type\":\"string\",\"inclusive\":true,\"exact\":false}]");
    ASSERT_STREQ(check("{}"), "[{\"code\":\"invalid_type\",\"path\":[\"username\"],\"message\":\"Required\","
                              "\"expected\":\"string\",\"received\":\"undefined\"}]");
    ASSERT_STREQ(check("[]"), "[{\"code\":\"invalid_type\",\"path\":[],\"message\":\"Expected object, received "
                              "array\",\"expected\":\"object\",\"received\":\"array\"}]");
    ASSERT_STREQ(check("{\"username\":\"abc\",\"color\":\"blue\"}"),
                 "[{\"code\":\"invalid_enum_value\",\"path\":[\"color\"],\"message\":\"Invalid enum value. "
                 "Expected 'red' | 'green', received 'blue'\",\"options\":[\"red\",\"green\"],\"received\":\"blue\"}]");
}

TEST(collects_every_issue) {
    json_object *o = NULL, *details = NULL;
    const char *why;
    const char *text = "{\"username\":5,\"email\":\"x\",\"url\":\"ftp://a\",\"age\":1.5,\"flag\":\"y\"}";
    ASSERT_EQ(json_parse_strict(text, strlen(text), 8, &o, &why), 0);
    ASSERT_EQ(validate_json(&schema, o, &details), -EINVAL);
    ASSERT_EQ(json_object_array_length(details), 5);
    ASSERT_STREQ(json_object_get_string(json_get(json_object_array_get_idx(details, 3), "expected")), "integer");
    json_object_put(details);
    json_object_put(o);
}

TEST(lengths_count_code_points) {
    /* zod's email rule is ASCII-only in the local part. */
    ASSERT_TRUE(strstr(check("{\"username\":\"abc\",\"email\":\"\xc3\xa9@example.com\"}"), "invalid_string") != NULL);
    static const ValidateField f[] = {{"s", VALIDATE_STRING, 0, 0, 3, VALIDATE_ANY, NULL, NULL}};
    static const ValidateSchema s = VALIDATE_SCHEMA(f);
    json_object *o = json_object_new_object(), *details = NULL;
    json_object_object_add(o, "s", json_object_new_string("\xc3\xa9\xc3\xa9\xc3\xa9"));
    ASSERT_EQ(validate_json(&s, o, &details), 0);
    json_object_object_add(o, "s", json_object_new_string("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"));
    ASSERT_EQ(validate_json(&s, o, &details), -EINVAL);
    json_object_put(details);
    json_object_put(o);
}

TEST(rejects_nul_and_bad_utf8_inside_strings) {
    ASSERT_TRUE(strstr(check("{\"username\":\"ab\\u0000cd\"}"), "without NUL") != NULL);
    json_object *o = json_object_new_object(), *details = NULL;
    json_object_object_add(o, "username", json_object_new_string_len("ab\xed\xa0\x80", 5));
    ASSERT_EQ(validate_json(&schema, o, &details), -EINVAL);
    json_object_put(details);
    json_object_put(o);
}

TEST(formats) {
    ASSERT_TRUE(validate_is_email("john@example.com"));
    ASSERT_TRUE(validate_is_email("a.b+tag@sub.example.co"));
    ASSERT_FALSE(validate_is_email("john@example"));
    ASSERT_FALSE(validate_is_email("@example.com"));
    ASSERT_FALSE(validate_is_email("a..b@example.com"));
    ASSERT_FALSE(validate_is_email(".a@example.com"));
    ASSERT_FALSE(validate_is_email("a@-x.com"));
    ASSERT_FALSE(validate_is_email("a@b@c.com"));
    ASSERT_FALSE(validate_is_email("a b@c.com"));
    ASSERT_TRUE(validate_is_url("https://i.imgur.com/abc123.png"));
    ASSERT_TRUE(validate_is_url("http://localhost:3000/x?y=1"));
    ASSERT_FALSE(validate_is_url("javascript:alert(1)"));
    ASSERT_FALSE(validate_is_url("https://"));
    ASSERT_FALSE(validate_is_url("https://a b"));
    ASSERT_TRUE(validate_is_username("A-b_9"));
    ASSERT_FALSE(validate_is_username("a.b"));
    ASSERT_FALSE(validate_is_username(""));
}

TEST(datetimes) {
    ASSERT_TRUE(validate_is_datetime("2025-10-23T10:30:00.000Z"));
    ASSERT_TRUE(validate_is_datetime("2025-10-23T10:30:00Z"));
    ASSERT_TRUE(validate_is_datetime("2025-10-23T10:30:00+02:00"));
    ASSERT_TRUE(validate_is_datetime("2025-10-23T10:30:00.123456-05:30"));
    ASSERT_FALSE(validate_is_datetime("2025-10-23 10:30:00Z"));
    ASSERT_FALSE(validate_is_datetime("2025-10-23T10:30:00"));     /* no zone */
    ASSERT_FALSE(validate_is_datetime("2025-13-23T10:30:00Z"));
    ASSERT_FALSE(validate_is_datetime("2025-10-23T25:30:00Z"));
    ASSERT_FALSE(validate_is_datetime("2025-10-23T10:30:00.Z"));
    ASSERT_FALSE(validate_is_datetime("2025-10-23T10:30:00Zjunk"));
    ASSERT_FALSE(validate_is_datetime("tomorrow"));
    /* Days a month does not have: PostgreSQL would refuse them with a 500. */
    ASSERT_FALSE(validate_is_datetime("2025-02-29T00:00:00Z"));
    ASSERT_FALSE(validate_is_datetime("2025-04-31T00:00:00Z"));
    ASSERT_FALSE(validate_is_datetime("1900-02-29T00:00:00Z"));
    ASSERT_TRUE(validate_is_datetime("2000-02-29T00:00:00Z"));
    ASSERT_TRUE(validate_is_datetime("2024-02-29T00:00:00Z"));
    ASSERT_FALSE(validate_is_datetime("2025-10-23T10:30:00+15:00"));
    ASSERT_FALSE(validate_is_datetime("2025-10-23T10:30:00+02"));
    ASSERT_FALSE(validate_is_datetime("2025-10-23T10:30:00+02:0"));
    ASSERT_FALSE(validate_is_datetime("2025-10-23T10:30:00+02:000"));
    ASSERT_FALSE(validate_is_datetime("0000-01-01T00:00:00Z"));
}

TEST(datetime_values) {
    int64_t ms = -1;
    ASSERT_EQ(validate_parse_datetime("1970-01-01T00:00:00Z", &ms), 0);
    ASSERT_EQ(ms, 0);
    ASSERT_EQ(validate_parse_datetime("2025-10-23T10:30:00.123456Z", &ms), 0);
    ASSERT_EQ(ms, 1761215400123LL); /* date -u -d 2025-10-23T10:30:00Z +%s */
    ASSERT_EQ(validate_parse_datetime("2025-10-23T12:30:00.5+02:00", &ms), 0);
    ASSERT_EQ(ms, 1761215400500LL);
    ASSERT_EQ(validate_parse_datetime("2025-10-23T05:00:00.05-05:30", &ms), 0);
    ASSERT_EQ(ms, 1761215400050LL);
    ASSERT_EQ(validate_parse_datetime("2024-02-29T23:59:60Z", &ms), 0); /* leap second */
    ASSERT_EQ(ms, 1709251200000LL);                                     /* 2024-03-01T00:00:00Z */
    ASSERT_EQ(validate_parse_datetime("1969-12-31T23:59:59Z", &ms), 0);
    ASSERT_EQ(ms, -1000);
    ASSERT_EQ(validate_parse_datetime("0001-01-01T00:00:00Z", &ms), 0);
    ASSERT_EQ(ms, -62135596800000LL);
    ASSERT_EQ(validate_parse_datetime("9999-12-31T23:59:59.999Z", &ms), 0);
    ASSERT_EQ(ms, 253402300799999LL);
    ms = 7;
    ASSERT_EQ(validate_parse_datetime("2025-02-30T00:00:00Z", &ms), -EINVAL);
    ASSERT_EQ(ms, 7);
}

TEST(int_params) {
    long long v = 0;
    json_object *details = NULL;
    ASSERT_EQ(validate_int_param("limit", NULL, 50, 1, 100, &v, &details), 0);
    ASSERT_EQ(v, 50);
    ASSERT_EQ(validate_int_param("limit", "7", 50, 1, 100, &v, &details), 0);
    ASSERT_EQ(v, 7);
    ASSERT_EQ(validate_int_param("limit", "0", 50, 1, 100, &v, &details), -EINVAL);
    ASSERT_EQ(validate_int_param("limit", "101", 50, 1, 100, &v, &details), -EINVAL);
    ASSERT_EQ(validate_int_param("limit", "7x", 50, 1, 100, &v, &details), -EINVAL);
    ASSERT_EQ(validate_int_param("limit", "", 50, 1, 100, &v, &details), -EINVAL);
    ASSERT_EQ(validate_int_param("limit", " 7", 50, 1, 100, &v, &details), -EINVAL);
    ASSERT_EQ(validate_int_param("limit", "99999999999999999999", 50, 1, 100, &v, &details), -EINVAL);
    ASSERT_EQ(json_object_array_length(details), 6);
    ASSERT_EQ(v, 7);
    json_object_put(details);
}

TEST_MAIN()
