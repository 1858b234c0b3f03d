/* hype-strmap: a hash map from strings (copied) to pointers, O(1) at any size. */
#pragma once

#include <stddef.h>

typedef struct StrMap StrMap;

int strmap_new(StrMap **ret);
/* Frees the map and its keys, not the values. */
StrMap *strmap_free(StrMap *m);
void *strmap_get(const StrMap *m, const char *key);
/* Sets key to value (replacing); 0 or -ENOMEM. */
int strmap_put(StrMap *m, const char *key, void *value);
/* Removes key; returns its value or NULL. */
void *strmap_remove(StrMap *m, const char *key);
size_t strmap_size(const StrMap *m);
/* Calls fn for every entry; fn must not change the map. */
void strmap_foreach(const StrMap *m, void (*fn)(const char *key, void *value, void *userdata),
                    void *userdata);
