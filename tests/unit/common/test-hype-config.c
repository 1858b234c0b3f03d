/* Unit tests for common/hype-config. */
#include <stdlib.h>
#include <syslog.h>

#include "hype-config.h"
#include "test.h"

typedef struct Cfg {
    char *name, *secret;
    long long count;
    uint16_t port;
    bool flag;
    size_t size;
    uint64_t timeout;
    int level;
} Cfg;

#define F(x) offsetof(Cfg, x)
static const ConfigVar vars[] = {
    {"T_NAME", CONFIG_STRING, 0, "default", 0, 8, F(name), "a name"},
    {"T_SECRET", CONFIG_STRING, CONFIG_REQUIRED | CONFIG_SECRET, NULL, 32, 64, F(secret), "a key"},
    {"T_COUNT", CONFIG_INT, 0, "4", 1, 10, F(count), "a count"},
    {"T_PORT", CONFIG_PORT, 0, "3001", 0, 0, F(port), "a port"},
    {"T_FLAG", CONFIG_BOOL, 0, "no", 0, 0, F(flag), "a flag"},
    {"T_SIZE", CONFIG_SIZE, 0, "1M", 1, 1LL << 30, F(size), "a size"},
    {"T_TIMEOUT", CONFIG_MSEC, 0, "5s", 1, 3600000, F(timeout), "a timeout"},
    {"T_LEVEL", CONFIG_LOGLEVEL, 0, "info", 0, 0, F(level), "a level"},
};
#define N (sizeof(vars) / sizeof(vars[0]))
#define SECRET "0123456789abcdef0123456789abcdef-top"

static void reset(void) {
    for (size_t i = 0; i < N; i++)
        unsetenv(vars[i].name);
    setenv("T_SECRET", SECRET, 1);
}

static int load(Cfg *c, char *err) {
    memset(c, 0, sizeof(*c));
    return config_load(vars, N, c, err, 256);
}

TEST(defaults) {
    reset();
    Cfg c;
    char err[256];
    ASSERT_EQ(load(&c, err), 0);
    ASSERT_STREQ(c.name, "default");
    ASSERT_STREQ(c.secret, SECRET);
    ASSERT_EQ(c.count, 4);
    ASSERT_EQ(c.port, 3001);
    ASSERT_FALSE(c.flag);
    ASSERT_EQ(c.size, 1024 * 1024);
    ASSERT_EQ(c.timeout, 5000);
    ASSERT_EQ(c.level, LOG_INFO);
    config_free(vars, N, &c);
    ASSERT_NULL(c.name);
}

TEST(values_and_units) {
    reset();
    setenv("T_COUNT", "10", 1);
    setenv("T_FLAG", "TRUE", 1);
    setenv("T_SIZE", "64KiB", 1);
    setenv("T_TIMEOUT", "2min", 1);
    setenv("T_LEVEL", "debug", 1);
    setenv("T_PORT", "65535", 1);
    Cfg c;
    char err[256];
    ASSERT_EQ(load(&c, err), 0);
    ASSERT_EQ(c.count, 10);
    ASSERT_TRUE(c.flag);
    ASSERT_EQ(c.size, 65536);
    ASSERT_EQ(c.timeout, 120000);
    ASSERT_EQ(c.level, LOG_DEBUG);
    ASSERT_EQ(c.port, 65535);
    config_free(vars, N, &c);
    setenv("T_TIMEOUT", "250ms", 1);
    ASSERT_EQ(load(&c, err), 0);
    ASSERT_EQ(c.timeout, 250);
    config_free(vars, N, &c);
}

static void expect_error(const char *var, const char *value, const char *fragment) {
    reset();
    setenv(var, value, 1);
    Cfg c;
    char err[256] = "";
    if (load(&c, err) != -EINVAL)
        TEST_FAIL_("%s=%s accepted", var, value);
    config_free(vars, N, &c);
    if (!strstr(err, fragment))
        TEST_FAIL_("%s=%s: error \"%s\" lacks \"%s\"", var, value, err, fragment);
    if (strchr(err, '\n'))
        TEST_FAIL_("error is more than one line: %s", err);
}

TEST(errors_are_one_clear_line) {
    expect_error("T_COUNT", "11", "T_COUNT=11: expected an integer from 1 to 10");
    expect_error("T_COUNT", "4x", "T_COUNT=4x");
    expect_error("T_PORT", "0", "not a port number");
    expect_error("T_PORT", "70000", "not a port number");
    expect_error("T_FLAG", "maybe", "expected true or false");
    expect_error("T_SIZE", "1T", "T_SIZE=1T");
    expect_error("T_SIZE", "99999999999999999999K", "T_SIZE");
    expect_error("T_TIMEOUT", "5 s", "T_TIMEOUT");
    expect_error("T_LEVEL", "loud", "T_LEVEL=loud");
    expect_error("T_NAME", "too-long-name", "T_NAME=too-long-name");
}

TEST(secrets_never_appear) {
    reset();
    unsetenv("T_SECRET");
    Cfg c;
    char err[256];
    ASSERT_EQ(load(&c, err), -EINVAL);
    ASSERT_STREQ(err, "T_SECRET is required (at least 32 bytes)");
    config_free(vars, N, &c);
    setenv("T_SECRET", "short-but-secret", 1);
    ASSERT_EQ(load(&c, err), -EINVAL);
    ASSERT_TRUE(strstr(err, "T_SECRET") != NULL);
    ASSERT_TRUE(strstr(err, "short-but-secret") == NULL);
    config_free(vars, N, &c);
}

TEST(help_lists_every_variable_without_secret_values) {
    reset();
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    config_print_help(f, "prog", "Summary.", "  --help\n", vars, N);
    fclose(f);
    for (size_t i = 0; i < N; i++)
        ASSERT_TRUE(strstr(out, vars[i].name) != NULL);
    ASSERT_TRUE(strstr(out, "required") != NULL);
    ASSERT_TRUE(strstr(out, SECRET) == NULL);
    free(out);
}

TEST_MAIN()
