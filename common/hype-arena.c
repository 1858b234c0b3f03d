/* hype-arena: a per-request memory arena with cleanup hooks, freed in one call at request end. */
#include "hype-arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define ARENA_BLOCK_SIZE 4096
#define ARENA_ALIGN 16

typedef struct ArenaBlock {
    struct ArenaBlock *next;
    size_t used, size;
    _Alignas(ARENA_ALIGN) unsigned char data[];
} ArenaBlock;

typedef struct ArenaCleanup {
    struct ArenaCleanup *next;
    void (*fn)(void *);
    void *p;
} ArenaCleanup;

struct Arena {
    ArenaBlock *blocks; /* current block first */
    ArenaCleanup *cleanups;
};

Arena *arena_new(void) {
    return calloc(1, sizeof(Arena));
}

Arena *arena_free(Arena *a) {
    if (!a)
        return NULL;
    while (a->cleanups) {
        ArenaCleanup *c = a->cleanups;
        a->cleanups = c->next;
        c->fn(c->p); /* the record itself lives in a block, freed below */
    }
    while (a->blocks) {
        ArenaBlock *b = a->blocks;
        a->blocks = b->next;
        free(b);
    }
    free(a);
    return NULL;
}

void *arena_alloc(Arena *a, size_t size) {
    size = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (size == 0)
        size = ARENA_ALIGN;
    ArenaBlock *b = a->blocks;
    if (!b || b->size - b->used < size) {
        /* Large allocations get a block of their own, kept behind the current one so the
         * current block's free space is not wasted. */
        size_t bsize = size > ARENA_BLOCK_SIZE / 4 ? size : ARENA_BLOCK_SIZE;
        if (bsize > SIZE_MAX - sizeof(ArenaBlock))
            return NULL;
        ArenaBlock *nb = malloc(sizeof(ArenaBlock) + bsize);
        if (!nb)
            return NULL;
        nb->used = 0;
        nb->size = bsize;
        if (bsize == size && b) {
            nb->next = b->next;
            b->next = nb;
        } else {
            nb->next = b;
            a->blocks = nb;
        }
        b = nb;
    }
    void *p = b->data + b->used;
    b->used += size;
    return p;
}

void *arena_zalloc(Arena *a, size_t size) {
    void *p = arena_alloc(a, size);
    if (p)
        memset(p, 0, size);
    return p;
}

char *arena_strndup(Arena *a, const char *s, size_t n) {
    char *p = arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(Arena *a, const char *s) {
    return arena_strndup(a, s, strlen(s));
}

char *arena_printf(Arena *a, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = arena_alloc(a, (size_t)n + 1);
    if (!p)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

int arena_defer(Arena *a, void (*fn)(void *), void *p) {
    ArenaCleanup *c = arena_alloc(a, sizeof(*c));
    if (!c) {
        fn(p);
        return -ENOMEM;
    }
    *c = (ArenaCleanup){.next = a->cleanups, .fn = fn, .p = p};
    a->cleanups = c;
    return 0;
}
