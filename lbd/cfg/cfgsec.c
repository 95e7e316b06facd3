/* cfgsec.c - named config sections; see cfgsec.h. */
#include <stdlib.h>
#include <string.h>

#include "lbd/cfg/cfgsec.h"

struct lb_cfgsec *lb_cfgsec_new(struct lb_cfgsec **list,
                                size_t size,
                                const char *name,
                                const char *file,
                                unsigned line)
{
    struct lb_cfgsec *s = calloc(1, size), **tail;

    if (!s || !(s->name = strdup(name))) {
        free(s);
        return NULL;
    }
    s->file = file;
    s->line = line;
    /* appended, not pushed: "show peers", the resolvers' order in dns.c and
     * error messages follow the file */
    for (tail = list; *tail; tail = &(*tail)->next)
        ;
    *tail = s;
    return s;
}

struct lb_cfgsec *lb_cfgsec_find(struct lb_cfgsec *list, const char *name)
{
    for (; list; list = list->next)
        if (strcmp(list->name, name) == 0)
            return list;
    return NULL;
}

void lb_cfgsec_free_all(struct lb_cfgsec *list, void (*free_body)(struct lb_cfgsec *s))
{
    struct lb_cfgsec *next;

    for (; list; list = next) {
        next = list->next;
        if (free_body)
            free_body(list);
        free(list->name);
        free(list);
    }
}
