/* list.h - intrusive doubly linked list (circular, with a head node). */
#ifndef LK_LIST_H
#define LK_LIST_H

#include "common/compiler.h"

struct lk_list {
    struct lk_list *next, *prev;
};

#define LK_LIST_INIT(h)                                                                            \
    {                                                                                              \
        &(h), &(h)                                                                                 \
    }

static inline void lk_list_init(struct lk_list *h)
{
    h->next = h->prev = h;
}

static inline int lk_list_empty(const struct lk_list *h)
{
    return h->next == h;
}

static inline void lk_list_append(struct lk_list *h, struct lk_list *e)
{
    e->prev = h->prev;
    e->next = h;
    h->prev->next = e;
    h->prev = e;
}

/* Unlink and reinit, so deleting twice is harmless. */
static inline void lk_list_del(struct lk_list *e)
{
    e->prev->next = e->next;
    e->next->prev = e->prev;
    e->next = e->prev = e;
}

#define LK_LIST_ELEM(ptr, type, member) lk_container_of(ptr, type, member)

#define LK_LIST_FOREACH(it, head) for ((it) = (head)->next; (it) != (head); (it) = (it)->next)

#define LK_LIST_FOREACH_SAFE(it, nx, head)                                                         \
    for ((it) = (head)->next, (nx) = (it)->next; (it) != (head); (it) = (nx), (nx) = (it)->next)

#endif
