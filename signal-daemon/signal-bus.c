/* signal-bus: topics ("c:<channel>", "s:<server>", "u:<user>", "r:<mesh room>") and who subscribes
 * to them; the in-process implementation of the bus DESIGN.md asks for (NATS later). */
#include "signal-bus.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hype-strmap.h"

struct Topic {
    Sub **subs;
    size_t n, cap;
    char key[];
};

struct Bus {
    StrMap *topics;
};

int bus_new(Bus **ret) {
    Bus *bus = calloc(1, sizeof(*bus));
    if (!bus || strmap_new(&bus->topics) < 0) {
        free(bus);
        return -ENOMEM;
    }
    *ret = bus;
    return 0;
}

static void topic_free(const char *key, void *value, void *userdata) {
    Topic *t = value;
    for (size_t k = 0; k < t->n; k++)
        free(t->subs[k]);
    free(t->subs);
    free(t);
}

Bus *bus_free(Bus *bus) {
    if (!bus)
        return NULL;
    strmap_foreach(bus->topics, topic_free, NULL);
    strmap_free(bus->topics);
    free(bus);
    return NULL;
}

static void topic_remove(Bus *bus, Topic *t) {
    strmap_remove(bus->topics, t->key);
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
    Topic *t = strmap_get(bus->topics, key);
    if (!t) {
        size_t klen = strlen(key);
        t = calloc(1, sizeof(*t) + klen + 1);
        if (!t)
            return NULL;
        memcpy(t->key, key, klen + 1);
        if (strmap_put(bus->topics, t->key, t) < 0) {
            free(t);
            return NULL;
        }
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
    Topic *t = strmap_get(bus->topics, key);
    *n = t ? t->n : 0;
    return t ? t->subs : NULL;
}

size_t bus_topic_count(const Bus *bus) {
    return strmap_size(bus->topics);
}

const char *bus_topic_key(const Topic *t) {
    return t->key;
}

const char *bus_key(char *buf, size_t size, char kind, uint64_t id) {
    snprintf(buf, size, "%c:%" PRIu64, kind, id);
    return buf;
}
