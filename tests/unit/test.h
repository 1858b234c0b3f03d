/* test.h: the unit-test harness: TEST() registration, assertions printing both operands, summary. */
#pragma once

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A fresh directory /tmp/<prefix>-XXXXXX in dir and the socket path <dir>/<file> in path (both
 * arrays, for their sizes): false with errno set when the directory cannot be made. */
#define test_socket_dir(prefix, file, dir, path)                                                   \
    test_socket_dir_(prefix, file, dir, sizeof(dir), path, sizeof(path))
static inline bool test_socket_dir_(const char *prefix, const char *file, char *dir, size_t dsize,
                                    char *path, size_t psize) {
    snprintf(dir, dsize, "/tmp/%s-XXXXXX", prefix);
    if (!mkdtemp(dir))
        return false;
    snprintf(path, psize, "%s/%s", dir, file);
    return true;
}

typedef void (*test_fn)(void);
struct test_case {
    const char *name;
    test_fn fn;
};

#define TEST_MAX 512
extern struct test_case test_cases[TEST_MAX];
extern int test_count, test_current_failed;

#define TEST(name)                                                                                 \
    static void test_##name(void);                                                                 \
    __attribute__((constructor)) static void register_##name(void) {                               \
        if (test_count < TEST_MAX)                                                                 \
            test_cases[test_count++] = (struct test_case){#name, test_##name};                     \
    }                                                                                              \
    static void test_##name(void)

#define TEST_FAIL_(...)                                                                            \
    do {                                                                                           \
        fprintf(stderr, "  %s:%d: ", __FILE__, __LINE__);                                          \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fputc('\n', stderr);                                                                       \
        test_current_failed = 1;                                                                   \
        return;                                                                                    \
    } while (0)

#define ASSERT_TRUE(x)                                                                             \
    do {                                                                                           \
        if (!(x))                                                                                  \
            TEST_FAIL_("assertion failed: %s", #x);                                                \
    } while (0)
#define ASSERT_FALSE(x) ASSERT_TRUE(!(x))

#define ASSERT_CMP_(a, op, b, fmt, type)                                                           \
    do {                                                                                           \
        type _a_ = (type)(a), _b_ = (type)(b);                                                     \
        if (!(_a_ op _b_))                                                                         \
            TEST_FAIL_("%s %s %s: " fmt " vs " fmt, #a, #op, #b, _a_, _b_);                        \
    } while (0)
#define ASSERT_EQ(a, b) ASSERT_CMP_(a, ==, b, "%" PRId64, int64_t)
#define ASSERT_NE(a, b) ASSERT_CMP_(a, !=, b, "%" PRId64, int64_t)
#define ASSERT_LT(a, b) ASSERT_CMP_(a, <, b, "%" PRId64, int64_t)
#define ASSERT_LE(a, b) ASSERT_CMP_(a, <=, b, "%" PRId64, int64_t)
#define ASSERT_GT(a, b) ASSERT_CMP_(a, >, b, "%" PRId64, int64_t)
#define ASSERT_GE(a, b) ASSERT_CMP_(a, >=, b, "%" PRId64, int64_t)
#define ASSERT_EQ_U(a, b) ASSERT_CMP_(a, ==, b, "%" PRIu64, uint64_t)
#define ASSERT_OK(r) ASSERT_CMP_(r, >=, 0, "%" PRId64, int64_t)

#define ASSERT_STREQ(a, b)                                                                         \
    do {                                                                                           \
        const char *_a_ = (a), *_b_ = (b);                                                         \
        if (!_a_ || !_b_ || strcmp(_a_, _b_) != 0)                                                 \
            TEST_FAIL_("%s == %s: \"%s\" vs \"%s\"", #a, #b, _a_ ? _a_ : "(null)",                 \
                       _b_ ? _b_ : "(null)");                                                      \
    } while (0)
#define ASSERT_MEMEQ(a, b, n)                                                                      \
    do {                                                                                           \
        if (memcmp((a), (b), (n)) != 0)                                                            \
            TEST_FAIL_("%s and %s differ in their first %zu bytes", #a, #b, (size_t)(n));          \
    } while (0)
#define ASSERT_NULL(p) ASSERT_TRUE((p) == NULL)
#define ASSERT_NOT_NULL(p) ASSERT_TRUE((p) != NULL)

/* Defines main(): runs every TEST in order and prints "N passed, N failed". */
#define TEST_MAIN()                                                                                \
    struct test_case test_cases[TEST_MAX];                                                         \
    int test_count, test_current_failed;                                                           \
    int main(int argc, char **argv) {                                                              \
        int passed = 0, failed = 0;                                                                \
        for (int i = 0; i < test_count; i++) {                                                     \
            if (argc > 1 && strcmp(argv[1], test_cases[i].name) != 0)                              \
                continue;                                                                          \
            test_current_failed = 0;                                                               \
            test_cases[i].fn();                                                                    \
            if (test_current_failed) {                                                             \
                failed++;                                                                          \
                fprintf(stderr, "FAIL %s\n", test_cases[i].name);                                  \
            } else                                                                                 \
                passed++;                                                                          \
        }                                                                                          \
        const char *base_ = strrchr(argv[0], '/');                                           \
        printf("%s: %d passed, %d failed\n", base_ ? base_ + 1 : argv[0], passed, failed);                             \
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;                                               \
    }
