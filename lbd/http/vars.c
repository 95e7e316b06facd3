/* vars.c - per-session variables; see vars.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cfglex.h"
#include "lbd/http/vars.h"

int lb_var_name_parse(const char *name, enum lb_var_scope *ret, char **err)
{
    /* Indexed by enum lb_var_scope. proc is refused rather than treated as
     * sess: its values are shared by every connection in HAProxy, and a
     * per-session copy would silently give different answers. */
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

/* A linear list: a session holds a handful of variables, and the names come
 * from the config, so the pointer comparison usually decides before strcmp. */
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

/* The variable to (re)write: an existing one loses its old string, a new one
 * is linked in front. `name` is kept, not copied: it is the config's string
 * and outlives the session. Names were checked at the config line, so a parse
 * failure here cannot come from input; it is reported as -ENOMEM by callers. */
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

/* The value is copied: s points into a buffer of the exchange (a header, a
 * converter's scratch chunk) that is reused long before a sess variable
 * ends. The copy is NUL-terminated as well as sized. */
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

/* The list stays valid for reuse after any drop: lb_vars_free() leaves an
 * empty store, as lb_vars_end_txn() leaves the sess scope. */
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
