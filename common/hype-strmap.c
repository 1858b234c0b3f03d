/* hype-strmap: a hash map from strings (copied) to pointers, O(1) at any size. */
#include "hype-strmap.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct Entry {
    struct Entry *next;
    uint64_t hash;
    void *value;
    char key[];
} Entry;

struct StrMap {
    Entry **buckets;
    size_t n_buckets, size;
};

static uint64_t hash_key(const char *s) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

int strmap_new(StrMap **ret) {
    StrMap *m = calloc(1, sizeof(*m));
    if (!m)
        return -ENOMEM;
    m->n_buckets = 64;
    m->buckets = calloc(m->n_buckets, sizeof(Entry *));
    if (!m->buckets) {
        free(m);
        return -ENOMEM;
    }
    *ret = m;
    return 0;
}

StrMap *strmap_free(StrMap *m) {
    if (!m)
        return NULL;
    for (size_t i = 0; i < m->n_buckets; i++)
        for (Entry *e = m->buckets[i], *next; e; e = next) {
            next = e->next;
            free(e);
        }
    free(m->buckets);
    free(m);
    return NULL;
}

static Entry **find(const StrMap *m, const char *key, uint64_t h) {
    Entry **pp = &m->buckets[h & (m->n_buckets - 1)];
    while (*pp && !((*pp)->hash == h && strcmp((*pp)->key, key) == 0))
        pp = &(*pp)->next;
    return pp;
}

void *strmap_get(const StrMap *m, const char *key) {
    Entry *e = *find(m, key, hash_key(key));
    return e ? e->value : NULL;
}

/* Doubles the table when it gets crowded; on allocation failure it keeps longer chains. */
static void maybe_grow(StrMap *m) {
    if (m->size < m->n_buckets)
        return;
    size_t n = m->n_buckets * 2;
    Entry **b = calloc(n, sizeof(Entry *));
    if (!b)
        return;
    for (size_t i = 0; i < m->n_buckets; i++)
        for (Entry *e = m->buckets[i], *next; e; e = next) {
            next = e->next;
            e->next = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
        }
    free(m->buckets);
    m->buckets = b;
    m->n_buckets = n;
}

int strmap_put(StrMap *m, const char *key, void *value) {
    uint64_t h = hash_key(key);
    Entry **pp = find(m, key, h);
    if (*pp) {
        (*pp)->value = value;
        return 0;
    }
    size_t klen = strlen(key);
    Entry *e = malloc(sizeof(*e) + klen + 1);
    if (!e)
        return -ENOMEM;
    e->next = NULL;
    e->hash = h;
    e->value = value;
    memcpy(e->key, key, klen + 1);
    *pp = e;
    m->size++;
    maybe_grow(m);
    return 0;
}

void *strmap_remove(StrMap *m, const char *key) {
    Entry **pp = find(m, key, hash_key(key));
    Entry *e = *pp;
    if (!e)
        return NULL;
    *pp = e->next;
    void *v = e->value;
    free(e);
    m->size--;
    return v;
}

size_t strmap_size(const StrMap *m) {
    return m->size;
}

void strmap_foreach(const StrMap *m, void (*fn)(const char *key, void *value, void *userdata),
                    void *userdata) {
    for (size_t i = 0; i < m->n_buckets; i++)
        for (Entry *e = m->buckets[i]; e; e = e->next)
            fn(e->key, e->value, userdata);
}
