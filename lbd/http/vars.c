/* vars.c - per-session variables; see vars.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cfglex.h"
#include "lbd/http/vars.h"

int lb_var_name_parse(const char *name, enum lb_var_scope *ret, char **err)
{
    static const char *const scopes[] = {"sess.", "txn.", "req.", "res."};
    size_t i, l;

    if (strncmp(name, "proc.", 5) == 0)
        return lk_cfg_err(err,
                          "variable '%s': the proc scope is not supported by lbd (sess, txn, "
                          "req, res)",
                          name);
    for (i = 0; i < 4; i++) {
        l = strlen(scopes[i]);
        if (strncmp(name, scopes[i], l) == 0 && name[l]) {
            *ret = (enum lb_var_scope)i;
            return 0;
        }
    }
    return lk_cfg_err(err, "variable '%s': expected SCOPE.NAME (sess, txn, req, res)", name);
}

static struct lb_var *find(const struct lb_vars *vs, const char *name)
{
    struct lb_var *v;

    for (v = vs ? vs->head : NULL; v; v = v->next)
        if (v->name == name || strcmp(v->name, name) == 0)
            return v;
    return NULL;
}

const struct lb_var *lb_vars_get(const struct lb_vars *vs, const char *name)
{
    return find(vs, name);
}

static struct lb_var *slot(struct lb_vars *vs, const char *name)
{
    struct lb_var *v = find(vs, name);
    enum lb_var_scope sc = LB_VAR_TXN;

    if (v) {
        free(v->str);
        v->str = NULL;
        return v;
    }
    if (lb_var_name_parse(name, &sc, NULL) < 0)
        return NULL;
    v = calloc(1, sizeof(*v));
    if (!v)
        return NULL;
    v->name = name;
    v->scope = (uint8_t)sc;
    v->next = vs->head;
    vs->head = v;
    return v;
}

int lb_vars_set_str(struct lb_vars *vs, const char *name, const char *s, size_t n)
{
    struct lb_var *v = slot(vs, name);

    if (!v)
        return -ENOMEM;
    v->str = malloc(n + 1);
    if (!v->str)
        return -ENOMEM;
    memcpy(v->str, s, n);
    v->str[n] = '\0';
    v->len = n;
    v->is_int = 0;
    return 0;
}

int lb_vars_set_int(struct lb_vars *vs, const char *name, int64_t i)
{
    struct lb_var *v = slot(vs, name);

    if (!v)
        return -ENOMEM;
    v->i = i;
    v->is_int = 1;
    return 0;
}

static void drop_if(struct lb_vars *vs,
                    int (*pred)(const struct lb_var *, const void *),
                    const void *arg)
{
    struct lb_var **pp = &vs->head, *v;

    while ((v = *pp)) {
        if (pred(v, arg)) {
            *pp = v->next;
            free(v->str);
            free(v);
        } else {
            pp = &v->next;
        }
    }
}

static int named(const struct lb_var *v, const void *name)
{
    return strcmp(v->name, name) == 0;
}

static int not_sess(const struct lb_var *v, const void *unused)
{
    return v->scope != LB_VAR_SESS;
}

static int any(const struct lb_var *v, const void *unused)
{
    return 1;
}

void lb_vars_unset(struct lb_vars *vs, const char *name)
{
    drop_if(vs, named, name);
}

void lb_vars_end_txn(struct lb_vars *vs)
{
    drop_if(vs, not_sess, NULL);
}

void lb_vars_free(struct lb_vars *vs)
{
    drop_if(vs, any, NULL);
}
