/* signal-bus: topics ("c:<channel>", "s:<server>", "u:<user>", "r:<mesh room>") and who subscribes
 * to them; the in-process implementation of the bus DESIGN.md asks for (NATS later). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Bus Bus;
typedef struct Topic Topic;

/*
 * A subscription links one subscriber (an opaque pointer, a session) to one topic. Subscribers
 * keep their own list of subscriptions (sub_next) so they can leave everything at once.
 * Subscribing and unsubscribing are O(1); a topic with no subscribers is freed.
 */
typedef struct Sub {
    Topic *topic;
    void *owner;
    size_t index;         /* in topic's array */
    struct Sub *sub_next; /* the owner's list */
    uint64_t server_id;   /* for channel topics: the channel's server (permission re-checks) */
} Sub;

int bus_new(Bus **ret);
Bus *bus_free(Bus *bus);

/* Adds owner to topic key (created on first use) and to *owner_list. Already subscribed:
 * returns the existing Sub. NULL on allocation failure. */
Sub *bus_subscribe(Bus *bus, const char *key, void *owner, Sub **owner_list);
/* Removes one subscription (sub is freed) from its topic and from *owner_list. */
void bus_unsubscribe(Bus *bus, Sub *sub, Sub **owner_list);
/* Finds owner's subscription to key in its list, or NULL. */
Sub *bus_find(Sub *owner_list, const char *key);
/* Removes every subscription in *owner_list. */
void bus_unsubscribe_all(Bus *bus, Sub **owner_list);

/* The subscriptions to key (each ->owner), or n = 0. Valid until the next subscribe or
 * unsubscribe: a caller that may cause either (sending can close a session) copies first. */
Sub *const *bus_subscribers(Bus *bus, const char *key, size_t *n);
size_t bus_topic_count(const Bus *bus);
const char *bus_topic_key(const Topic *t);

/* "c:123" into buf. */
const char *bus_key(char *buf, size_t size, char kind, uint64_t id);
#define BUS_KEY_MAX 96
