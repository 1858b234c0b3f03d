/* Unit tests for common/hype-json. */
#include "hype-json.h"
#include "test.h"

static int parse(const char *s, json_object **ret, const char **why) {
    *ret = NULL;
    return json_parse_strict(s, strlen(s), 8, ret, why);
}

TEST(parse_accepts_values) {
    json_object *o;
    const char *why = NULL;
    ASSERT_EQ(parse("{\"a\":[1,2,{\"b\":\"c\"}]}", &o, &why), 0);
    ASSERT_TRUE(json_object_is_type(o, json_type_object));
    json_object_put(o);
    ASSERT_EQ(parse("  [1]\n\t ", &o, &why), 0);
    json_object_put(o);
    ASSERT_EQ(parse("\"\\u00e9\"", &o, &why), 0);
    ASSERT_STREQ(json_object_get_string(o), "\xc3\xa9");
    json_object_put(o);
}

TEST(parse_rejects_with_reasons) {
    json_object *o;
    const char *why = NULL;
    ASSERT_EQ(parse("", &o, &why), -EBADMSG);
    ASSERT_EQ(parse("{\"a\":", &o, &why), -EBADMSG);
    ASSERT_STREQ(why, "Invalid JSON: unexpected end of input");
    ASSERT_EQ(parse("{} x", &o, &why), -EBADMSG);
    ASSERT_STREQ(why, "Invalid JSON: unexpected data after the value");
    ASSERT_EQ(parse("{'a':1}", &o, &why), -EBADMSG);
    ASSERT_EQ(parse("[1,]", &o, &why), -EBADMSG);
    ASSERT_EQ(parse("null", &o, &why), -EBADMSG);
    ASSERT_EQ(parse("[[[[[[[[[[1]]]]]]]]]]", &o, &why), -EBADMSG);
    ASSERT_STREQ(why, "Invalid JSON: nesting too deep");
    ASSERT_EQ(json_parse_strict("\"\xff\"", 3, 8, &o, &why), -EBADMSG);
    ASSERT_STREQ(why, "Invalid JSON: invalid UTF-8");
    ASSERT_EQ(json_parse_strict("{\"a\":1}\0", 8, 8, &o, &why), -EBADMSG);
}

TEST(envelopes) {
    json_object *data = json_object_new_object();
    json_object_object_add(data, "x", json_object_new_int(1));
    json_object *ok = json_envelope_success(data);
    ASSERT_STREQ(json_serialize(ok, NULL), "{\"success\":true,\"data\":{\"x\":1}}");
    json_object_put(ok);
    json_object *err = json_envelope_error("Nope", NULL);
    ASSERT_STREQ(json_serialize(err, NULL), "{\"success\":false,\"error\":\"Nope\"}");
    json_object_put(err);
    json_object *url = json_object_new_string("https://a/b");
    size_t len;
    ASSERT_STREQ(json_serialize(url, &len), "\"https://a/b\"");
    ASSERT_EQ(len, 13);
    json_object_put(url);
}

TEST(time_format) {
    char buf[JSON_TIME_MAX];
    json_format_time_ms(1761215400000LL, buf);
    ASSERT_STREQ(buf, "2025-10-23T10:30:00.000Z");
    json_format_time_ms(1761215400123LL, buf);
    ASSERT_STREQ(buf, "2025-10-23T10:30:00.123Z");
    json_format_time_ms(0, buf);
    ASSERT_STREQ(buf, "1970-01-01T00:00:00.000Z");
    json_format_time_ms(-1, buf);
    ASSERT_STREQ(buf, "1969-12-31T23:59:59.999Z");
}

TEST(helpers) {
    json_object *o = json_object_new_object();
    json_object_object_add(o, "n", NULL);
    json_object_object_add(o, "s", json_object_new_string("v"));
    ASSERT_NULL(json_get(o, "n"));
    ASSERT_NULL(json_get(o, "missing"));
    ASSERT_STREQ(json_object_get_string(json_get(o, "s")), "v");
    ASSERT_NULL(json_get(NULL, "s"));
    ASSERT_STREQ(json_type_label(json_get(o, "s")), "string");
    ASSERT_STREQ(json_type_label(NULL), "null");
    ASSERT_NULL(json_new_string_or_null(NULL));
    json_object_put(o);
}

TEST_MAIN()
