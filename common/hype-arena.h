/* hype-arena: a per-request memory arena with cleanup hooks, freed in one call at request end. */
#pragma once

#include <stddef.h>

#include "hype-macro.h"

typedef struct Arena Arena;

/* NULL on OOM. */
Arena *arena_new(void);
/* Runs the deferred cleanups (last registered first), then frees every block. NULL-safe. */
Arena *arena_free(Arena *a);

/* 16-byte aligned, uninitialised; NULL on OOM. */
void *arena_alloc(Arena *a, size_t size) _malloc_;
void *arena_zalloc(Arena *a, size_t size) _malloc_;
char *arena_strdup(Arena *a, const char *s);
char *arena_strndup(Arena *a, const char *s, size_t n);
char *arena_printf(Arena *a, const char *fmt, ...) _printf_(2, 3);

/* Registers fn(p) to run at arena_free (e.g. json_object_put, PQclear). -ENOMEM on OOM, in
 * which case fn(p) has already been called. */
int arena_defer(Arena *a, void (*fn)(void *), void *p);
