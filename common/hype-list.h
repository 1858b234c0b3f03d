/* hype-list: intrusive doubly linked lists of structs with "prev" and "next" members, headed by
 * a plain pointer (connections, sessions): O(1) insertion and removal, no allocation. */
#pragma once

#include <stddef.h>

/* Puts item first in the list whose first element is *head. */
#define LIST_PREPEND(head, item)                                                                   \
    do {                                                                                           \
        (item)->prev = NULL;                                                                       \
        (item)->next = (head);                                                                     \
        if (head)                                                                                  \
            (head)->prev = (item);                                                                 \
        (head) = (item);                                                                           \
    } while (0)

/* Takes item out of the list headed by head (item must be in it). */
#define LIST_REMOVE(head, item)                                                                    \
    do {                                                                                           \
        if ((item)->prev)                                                                          \
            (item)->prev->next = (item)->next;                                                     \
        else                                                                                       \
            (head) = (item)->next;                                                                 \
        if ((item)->next)                                                                          \
            (item)->next->prev = (item)->prev;                                                     \
        (item)->prev = (item)->next = NULL;                                                        \
    } while (0)
