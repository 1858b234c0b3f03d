/* Unit tests for common/hype-strmap. */
#include <stdio.h>

#include "hype-strmap.h"
#include "test.h"

TEST(put_get_replace_remove_grow) {
    StrMap *m;
    ASSERT_OK(strmap_new(&m));
    static int values[5000];
    char key[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        ASSERT_OK(strmap_put(m, key, &values[i]));
    }
    ASSERT_EQ(strmap_size(m), 5000);
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        ASSERT_TRUE(strmap_get(m, key) == &values[i]);
    }
    ASSERT_NULL(strmap_get(m, "absent"));
    ASSERT_OK(strmap_put(m, "k7", &values[0]));
    ASSERT_TRUE(strmap_get(m, "k7") == &values[0]);
    ASSERT_EQ(strmap_size(m), 5000);
    ASSERT_TRUE(strmap_remove(m, "k7") == &values[0]);
    ASSERT_NULL(strmap_get(m, "k7"));
    ASSERT_NULL(strmap_remove(m, "k7"));
    ASSERT_EQ(strmap_size(m), 4999);
    strmap_free(m);
}

static void count(const char *key, void *value, void *userdata) {
    (*(int *)userdata)++;
}

TEST(foreach_visits_each_once) {
    StrMap *m;
    ASSERT_OK(strmap_new(&m));
    int v = 0, n = 0;
    strmap_put(m, "a", &v);
    strmap_put(m, "b", &v);
    strmap_put(m, "", &v);
    strmap_foreach(m, count, &n);
    ASSERT_EQ(n, 3);
    strmap_free(m);
}

TEST_MAIN()
