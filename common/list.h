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

/* An empty list: the head points at itself (no NULL checks in the ops). */
static inline void lk_list_init(struct lk_list *h)
{
    h->next = h->prev = h;
}

/* 1 when h holds no element. */
static inline int lk_list_empty(const struct lk_list *h)
{
    return h->next == h;
}

/* Link e (embedded in its owner, not copied) at the tail of h. The list
 * owns nothing: freeing an element is its owner's, after lk_list_del(). */
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

/* The struct that embeds list node ptr as `member`. */
#define LK_LIST_ELEM(ptr, type, member) lk_container_of(ptr, type, member)

/* Walk the nodes; the body must not unlink `it` (use _SAFE for that). */
#define LK_LIST_FOREACH(it, head) for ((it) = (head)->next; (it) != (head); (it) = (it)->next)

/* Walk the nodes; the body may unlink (and free) `it`, not `nx`. */
#define LK_LIST_FOREACH_SAFE(it, nx, head)                                                         \
    for ((it) = (head)->next, (nx) = (it)->next; (it) != (head); (it) = (nx), (nx) = (it)->next)

#endif
