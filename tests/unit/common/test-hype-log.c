/* Unit tests for common/hype-log. */
#include <stdlib.h>
#include <unistd.h>

#include "hype-log.h"
#include "test.h"

static const char *redact(const char *dsn) {
    static char buf[512];
    return log_redact_dsn(dsn, buf, sizeof(buf));
}

TEST(levels) {
    ASSERT_EQ(log_level_from_string("debug"), LOG_DEBUG);
    ASSERT_EQ(log_level_from_string("WARNING"), LOG_WARNING);
    ASSERT_EQ(log_level_from_string("err"), LOG_ERR);
    ASSERT_EQ(log_level_from_string("error"), LOG_ERR);
    ASSERT_EQ(log_level_from_string("loud"), -EINVAL);
    ASSERT_EQ(log_level_from_string(NULL), -EINVAL);
}

TEST(dsn_passwords_are_masked) {
    ASSERT_STREQ(redact("postgresql://hype:s3cret@db.example.com:5432/hype"),
                 "postgresql://hype:***@db.example.com:5432/hype");
    ASSERT_STREQ(redact("host=/run/pg dbname=hype password=s3cret user=hype"),
                 "host=/run/pg dbname=hype password=*** user=hype");
    ASSERT_STREQ(redact("host=/x password='se cr\\'et' dbname=y"), "host=/x password=*** dbname=y");
    ASSERT_STREQ(redact("postgresql:///hype?host=/tmp&password=s3cret&user=u"),
                 "postgresql:///hype?host=/tmp&password=***&user=u");
    ASSERT_STREQ(redact("postgresql:///hype?host=/tmp&user=postgres"),
                 "postgresql:///hype?host=/tmp&user=postgres");
    ASSERT_STREQ(redact(NULL), "(none)");
}

/* Captures what the logger writes to stderr while fn runs. */
static void capture(void (*fn)(void), char *out, size_t size) {
    fflush(stderr);
    int saved = dup(2);
    FILE *tmp = tmpfile();
    dup2(fileno(tmp), 2);
    fn();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(tmp);
    size_t n = fread(out, 1, size - 1, tmp);
    out[n] = '\0';
    fclose(tmp);
}

static int returned;
static void emit(void) {
    log_info("hello %d", 42);
    log_debug("not shown");
    returned = log_error_errno(-ENOENT, "open failed: %m");
}

TEST(stderr_format_levels_and_errno) {
    unsetenv("JOURNAL_STREAM");
    unsetenv("INVOCATION_ID");
    log_open("unit");
    log_set_max_level(LOG_INFO);
    char out[1024], want[64];
    capture(emit, out, sizeof(out));
    snprintf(want, sizeof(want), "unit[%d]: <info> hello 42\n", (int)getpid());
    ASSERT_TRUE(strstr(out, want) != NULL);
    ASSERT_TRUE(strstr(out, "not shown") == NULL);
    ASSERT_TRUE(strstr(out, "<error> open failed: No such file or directory") != NULL);
    ASSERT_EQ(returned, -ENOENT);
}

static void emit_fields(void) {
    log_struct(LOG_NOTICE, ((const char *[]){"ROUTE=/auth/login", "STATUS=401", NULL}), "request done");
}

TEST(structured_fields_on_stderr) {
    log_open("unit");
    char out[1024];
    capture(emit_fields, out, sizeof(out));
    ASSERT_TRUE(strstr(out, "<notice> request done ROUTE=/auth/login STATUS=401") != NULL);
}

TEST_MAIN()
