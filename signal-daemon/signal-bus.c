/* signal-bus: topics ("c:<channel>", "s:<server>", "u:<user>", "r:<room>") and who subscribes to
 * them; the in-process implementation of the bus DESIGN.md asks for (NATS later). */
#include "signal-bus.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct Topic {
    Topic *next; /* hash chain */
    uint64_t hash;
    Sub **subs;
    size_t n, cap;
    char key[];
};

struct Bus {
    Topic **buckets;
    size_t n_buckets, n_topics;
};

static uint64_t hash_key(const char *s) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

int bus_new(Bus **ret) {
    Bus *bus = calloc(1, sizeof(*bus));
    if (!bus)
        return -ENOMEM;
    bus->n_buckets = 1024;
    bus->buckets = calloc(bus->n_buckets, sizeof(Topic *));
    if (!bus->buckets) {
        free(bus);
        return -ENOMEM;
    }
    *ret = bus;
    return 0;
}

Bus *bus_free(Bus *bus) {
    if (!bus)
        return NULL;
    for (size_t i = 0; i < bus->n_buckets; i++)
        for (Topic *t = bus->buckets[i], *next; t; t = next) {
            next = t->next;
            for (size_t k = 0; k < t->n; k++)
                free(t->subs[k]);
            free(t->subs);
            free(t);
        }
    free(bus->buckets);
    free(bus);
    return NULL;
}

static Topic *lookup(const Bus *bus, const char *key, uint64_t h) {
    for (Topic *t = bus->buckets[h & (bus->n_buckets - 1)]; t; t = t->next)
        if (t->hash == h && strcmp(t->key, key) == 0)
            return t;
    return NULL;
}

/* Doubles the table when it gets crowded, so lookups stay O(1) at 100k topics. */
static void maybe_grow(Bus *bus) {
    if (bus->n_topics < bus->n_buckets)
        return;
    size_t n = bus->n_buckets * 2;
    Topic **b = calloc(n, sizeof(Topic *));
    if (!b)
        return; /* keep working with longer chains */
    for (size_t i = 0; i < bus->n_buckets; i++)
        for (Topic *t = bus->buckets[i], *next; t; t = next) {
            next = t->next;
            t->next = b[t->hash & (n - 1)];
            b[t->hash & (n - 1)] = t;
        }
    free(bus->buckets);
    bus->buckets = b;
    bus->n_buckets = n;
}

static void topic_remove(Bus *bus, Topic *t) {
    Topic **pp = &bus->buckets[t->hash & (bus->n_buckets - 1)];
    while (*pp != t)
        pp = &(*pp)->next;
    *pp = t->next;
    bus->n_topics--;
    free(t->subs);
    free(t);
}

Sub *bus_find(Sub *owner_list, const char *key) {
    for (Sub *s = owner_list; s; s = s->sub_next)
        if (strcmp(s->topic->key, key) == 0)
            return s;
    return NULL;
}

Sub *bus_subscribe(Bus *bus, const char *key, void *owner, Sub **owner_list) {
    Sub *existing = bus_find(*owner_list, key);
    if (existing)
        return existing;
    uint64_t h = hash_key(key);
    Topic *t = lookup(bus, key, h);
    if (!t) {
        size_t klen = strlen(key);
        t = calloc(1, sizeof(*t) + klen + 1);
        if (!t)
            return NULL;
        memcpy(t->key, key, klen + 1);
        t->hash = h;
        t->next = bus->buckets[h & (bus->n_buckets - 1)];
        bus->buckets[h & (bus->n_buckets - 1)] = t;
        bus->n_topics++;
        maybe_grow(bus);
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 4;
        Sub **subs = realloc(t->subs, cap * sizeof(Sub *));
        if (!subs) {
            if (t->n == 0)
                topic_remove(bus, t);
            return NULL;
        }
        t->subs = subs;
        t->cap = cap;
    }
    Sub *s = calloc(1, sizeof(*s));
    if (!s) {
        if (t->n == 0)
            topic_remove(bus, t);
        return NULL;
    }
    *s = (Sub){.topic = t, .owner = owner, .index = t->n, .sub_next = *owner_list};
    t->subs[t->n++] = s;
    *owner_list = s;
    return s;
}

void bus_unsubscribe(Bus *bus, Sub *sub, Sub **owner_list) {
    for (Sub **pp = owner_list; *pp; pp = &(*pp)->sub_next)
        if (*pp == sub) {
            *pp = sub->sub_next;
            break;
        }
    Topic *t = sub->topic;
    /* Swap-remove: the last subscriber takes this one's slot. */
    t->subs[sub->index] = t->subs[t->n - 1];
    t->subs[sub->index]->index = sub->index;
    t->n--;
    free(sub);
    if (t->n == 0)
        topic_remove(bus, t);
}

void bus_unsubscribe_all(Bus *bus, Sub **owner_list) {
    while (*owner_list)
        bus_unsubscribe(bus, *owner_list, owner_list);
}

Sub *const *bus_subscribers(Bus *bus, const char *key, size_t *n) {
    Topic *t = lookup(bus, key, hash_key(key));
    *n = t ? t->n : 0;
    return t ? t->subs : NULL;
}

size_t bus_topic_count(const Bus *bus) {
    return bus->n_topics;
}

const char *bus_topic_key(const Topic *t) {
    return t->key;
}

const char *bus_key(char *buf, size_t size, char kind, uint64_t id) {
    snprintf(buf, size, "%c:%" PRIu64, kind, id);
    return buf;
}
