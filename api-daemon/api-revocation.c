/* api-revocation: the set of revoked sessions whose access tokens may still be unexpired. */
#include "api-revocation.h"

#include <errno.h>
#include <stdlib.h>

/* Open addressing with linear probing; id 0 marks an empty slot (0 is never an id). */
typedef struct Slot {
    uint64_t id;
    int64_t until_ms;
} Slot;

struct Revocations {
    Slot *slots;
    size_t cap, used;
};

static size_t slot_of(uint64_t id, size_t cap) {
    id ^= id >> 33;
    id *= 0xff51afd7ed558ccdULL;
    id ^= id >> 33;
    return (size_t)id & (cap - 1);
}

int revocations_new(Revocations **ret) {
    Revocations *r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->cap = 64;
    r->slots = calloc(r->cap, sizeof(Slot));
    if (!r->slots) {
        free(r);
        return -ENOMEM;
    }
    *ret = r;
    return 0;
}

Revocations *revocations_free(Revocations *r) {
    if (r) {
        free(r->slots);
        free(r);
    }
    return NULL;
}

static void insert(Slot *slots, size_t cap, uint64_t id, int64_t until_ms, size_t *used) {
    for (size_t i = slot_of(id, cap);; i = (i + 1) & (cap - 1)) {
        if (slots[i].id == id) {
            if (until_ms > slots[i].until_ms)
                slots[i].until_ms = until_ms;
            return;
        }
        if (slots[i].id == 0) {
            slots[i] = (Slot){id, until_ms};
            (*used)++;
            return;
        }
    }
}

/* Rebuilds the table without expired entries, growing it when it stays more than half full. */
static int rebuild(Revocations *r, int64_t now_ms) {
    size_t live = 0;
    for (size_t i = 0; i < r->cap; i++)
        live += r->slots[i].id && r->slots[i].until_ms > now_ms;
    size_t cap = 64;
    while (cap < live * 4)
        cap *= 2;
    Slot *slots = calloc(cap, sizeof(Slot));
    if (!slots)
        return -ENOMEM;
    size_t used = 0;
    for (size_t i = 0; i < r->cap; i++)
        if (r->slots[i].id && r->slots[i].until_ms > now_ms)
            insert(slots, cap, r->slots[i].id, r->slots[i].until_ms, &used);
    free(r->slots);
    r->slots = slots;
    r->cap = cap;
    r->used = used;
    return 0;
}

int revocations_add(Revocations *r, uint64_t id, int64_t until_ms, int64_t now_ms) {
    if (id == 0)
        return -EINVAL;
    if ((r->used + 1) * 2 > r->cap) {
        int rr = rebuild(r, now_ms);
        if (rr < 0)
            return rr;
    }
    insert(r->slots, r->cap, id, until_ms, &r->used);
    return 0;
}

bool revocations_contains(Revocations *r, uint64_t id, int64_t now_ms) {
    for (size_t i = slot_of(id, r->cap);; i = (i + 1) & (r->cap - 1)) {
        if (r->slots[i].id == 0)
            return false;
        if (r->slots[i].id == id)
            return r->slots[i].until_ms > now_ms;
    }
}

size_t revocations_count(const Revocations *r) {
    return r->used;
}
