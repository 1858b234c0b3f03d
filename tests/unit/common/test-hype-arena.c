/* Unit tests for common/hype-arena. */
#include <stdint.h>

#include "hype-arena.h"
#include "test.h"

static int order[8], n_order;
static void note(void *p) {
    order[n_order++] = (int)(intptr_t)p;
}

TEST(alignment_and_sizes) {
    Arena *a = arena_new();
    for (size_t i = 1; i < 3000; i += 7) {
        char *p = arena_alloc(a, i);
        ASSERT_NOT_NULL(p);
        ASSERT_EQ((uintptr_t)p % 16, 0);
        memset(p, 0xab, i); /* ASan: the whole range belongs to us */
    }
    char *big = arena_alloc(a, 1 << 20);
    ASSERT_NOT_NULL(big);
    memset(big, 1, 1 << 20);
    char *z = arena_zalloc(a, 100);
    for (int i = 0; i < 100; i++)
        ASSERT_EQ(z[i], 0);
    arena_free(a);
}

TEST(strings) {
    Arena *a = arena_new();
    ASSERT_STREQ(arena_strdup(a, "hello"), "hello");
    ASSERT_STREQ(arena_strndup(a, "hello world", 5), "hello");
    ASSERT_STREQ(arena_printf(a, "%d-%s", 42, "x"), "42-x");
    arena_free(a);
}

TEST(deferred_cleanups_run_last_first) {
    Arena *a = arena_new();
    n_order = 0;
    for (int i = 1; i <= 3; i++)
        ASSERT_EQ(arena_defer(a, note, (void *)(intptr_t)i), 0);
    arena_free(a);
    ASSERT_EQ(n_order, 3);
    ASSERT_EQ(order[0], 3);
    ASSERT_EQ(order[2], 1);
    ASSERT_NULL(arena_free(NULL));
}

TEST_MAIN()
