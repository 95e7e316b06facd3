/* userlist.c - userlist sections and Basic authentication; see userlist.h. */
#include <crypt.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/b64.h"
#include "common/cfglex.h"
#include "common/compiler.h"
#include "lbd/cfg/cfg.h"
#include "lbd/cfg/userlist.h"

/* Membership may be declared on either side ("group G users a,b" or "user a
 * groups G"), as in HAProxy; both lists are kept as written and
 * lb_user_group() walks both, so neither needs to be rebuilt. */
struct lb_ugroup {
    char *name;
    char **users; /* from "group NAME users a,b" */
    size_t nusers;
    unsigned line;
};

/* The hash is kept as written and checked with crypt_r() per request: lbd
 * never holds a clear-text password unless the config itself gave one
 * (insecure-password). */
struct lb_user {
    char *name;
    char *pass; /* a crypt(3) hash, or the password itself when insecure */
    int insecure;
    char **groups;
    size_t ngroups;
};

static int strv_push(char ***v, size_t *n, const char *s)
{
    char **nv = realloc(*v, (*n + 1) * sizeof(*nv));

    if (!nv)
        return -ENOMEM;
    *v = nv;
    if (!(nv[*n] = strdup(s)))
        return -ENOMEM;
    (*n)++;
    return 0;
}

static void strv_free(char **v, size_t n)
{
    while (n > 0)
        free(v[--n]);
    free(v);
}

struct lb_userlist *lb_userlist_of(struct lb_cfgsec *s)
{
    return s ? lk_container_of(s, struct lb_userlist, sec) : NULL;
}

void lb_userlist_free(struct lb_cfgsec *s)
{
    struct lb_userlist *ul = lk_container_of(s, struct lb_userlist, sec);
    size_t i;

    for (i = 0; i < ul->nusers; i++) {
        free(ul->users[i].name);
        free(ul->users[i].pass);
        strv_free(ul->users[i].groups, ul->users[i].ngroups);
    }
    free(ul->users);
    for (i = 0; i < ul->ngroups; i++) {
        free(ul->groups[i].name);
        strv_free(ul->groups[i].users, ul->groups[i].nusers);
    }
    free(ul->groups);
}

const struct lb_userlist *lb_userlist_find(const struct lb_cfg *cfg, const char *name)
{
    return lb_userlist_of(lb_cfgsec_find(cfg->userlists, name));
}

/* The name is matched with its length because it comes straight out of
 * decoded credentials, which are not NUL-terminated at the colon. */
static struct lb_user *find_user(const struct lb_userlist *ul, const char *name, size_t n)
{
    size_t i;

    for (i = 0; i < ul->nusers; i++)
        if (strlen(ul->users[i].name) == n && memcmp(ul->users[i].name, name, n) == 0)
            return &ul->users[i];
    return NULL;
}

static struct lb_ugroup *find_group(const struct lb_userlist *ul, const char *g)
{
    size_t i;

    for (i = 0; i < ul->ngroups; i++)
        if (strcmp(ul->groups[i].name, g) == 0)
            return &ul->groups[i];
    return NULL;
}

/* "a,b,c" into v (a user's groups, or a group's users). */
static int add_list(char ***v, size_t *n, const char *list)
{
    char *copy = strdup(list), *save = NULL, *t;
    int r = copy ? 0 : -ENOMEM;

    for (t = copy ? strtok_r(copy, ",", &save) : NULL; t && r == 0; t = strtok_r(NULL, ",", &save))
        r = strv_push(v, n, t);
    free(copy);
    return r;
}

/* A group must be declared before a user names it (kw_user checks at the
 * user's line); users named by a group are checked after the whole section,
 * in lb_userlist_validate(), as HAProxy allows either order there. */
static int kw_group(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    struct lb_ugroup *g;

    if (argc != 2 && (argc != 4 || strcmp(argv[2], "users") != 0))
        return lb_cfg_fail(ctx, err, "group: expected 'group NAME [users U1,U2...]'");
    if (find_group(ctx->ul, argv[1]))
        return lb_cfg_fail(ctx, err, "group '%s' is already declared", argv[1]);
    g = realloc(ctx->ul->groups, (ctx->ul->ngroups + 1) * sizeof(*g));
    if (!g)
        return lb_cfg_fail(ctx, err, "out of memory");
    ctx->ul->groups = g;
    g += ctx->ul->ngroups++;
    memset(g, 0, sizeof(*g));
    g->line = ctx->line;
    if (!(g->name = strdup(argv[1])) || (argc == 4 && add_list(&g->users, &g->nusers, argv[3])))
        return lb_cfg_fail(ctx, err, "out of memory");
    return 0;
}

/* A password that does not look like a crypt(3) hash is refused rather than
 * compared as plain text: a hash pasted with a missing '$' would otherwise
 * let anyone in who typed the hash itself as the password. */
static int kw_user(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    struct lb_userlist *ul = ctx->ul;
    struct lb_user *u;
    size_t k;
    int i;

    if (find_user(ul, argv[1], strlen(argv[1])))
        return lb_cfg_fail(ctx, err, "user '%s' is already declared", argv[1]);
    u = realloc(ul->users, (ul->nusers + 1) * sizeof(*u));
    if (!u)
        return lb_cfg_fail(ctx, err, "out of memory");
    ul->users = u;
    u += ul->nusers++;
    memset(u, 0, sizeof(*u));
    if (!(u->name = strdup(argv[1])))
        return lb_cfg_fail(ctx, err, "out of memory");
    for (i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "password") == 0 || strcmp(argv[i], "insecure-password") == 0) {
            free(u->pass);
            u->insecure = argv[i][0] == 'i';
            if (!(u->pass = strdup(argv[i + 1])))
                return lb_cfg_fail(ctx, err, "out of memory");
        } else if (strcmp(argv[i], "groups") == 0) {
            if (add_list(&u->groups, &u->ngroups, argv[i + 1]) < 0)
                return lb_cfg_fail(ctx, err, "out of memory");
        } else {
            break;
        }
    }
    if (i < argc || !u->pass)
        return lb_cfg_fail(ctx, err,
                           "user: expected 'user NAME password HASH|insecure-password PASS "
                           "[groups G1,G2]'");
    for (k = 0; k < u->ngroups; k++)
        if (!find_group(ul, u->groups[k]))
            return lb_cfg_fail(ctx, err, "user '%s': group '%s' is not declared in userlist '%s'",
                               u->name, u->groups[k], ul->sec.name);
    if (!u->insecure && u->pass[0] != '$')
        return lb_cfg_fail(ctx, err,
                           "user '%s': password is not a crypt(3) hash ('$id$salt$hash'); use "
                           "insecure-password for a clear-text one",
                           u->name);
    return 0;
}

int lb_userlist_validate(const struct lb_cfg *cfg, char **err)
{
    const struct lb_userlist *ul;
    struct lb_cfgsec *s;
    size_t i, k;
    int r = 0;

    for (s = cfg->userlists; (ul = lb_userlist_of(s)); s = s->next)
        for (i = 0; i < ul->ngroups; i++)
            for (k = 0; k < ul->groups[i].nusers; k++)
                if (!find_user(ul, ul->groups[i].users[k], strlen(ul->groups[i].users[k]))) {
                    lb_cfg_err_append(err,
                                      "%s:%u: userlist '%s': group '%s' names user '%s', "
                                      "who is not declared",
                                      ul->sec.file, ul->groups[i].line, ul->sec.name,
                                      ul->groups[i].name, ul->groups[i].users[k]);
                    r = -EINVAL;
                }
    return r;
}

const struct lk_cfgkw lb_userlist_kws[] = {
    {"group", kw_group, 1, 3, 0},
    {"user", kw_user, 3, 5, 0},
    {NULL, NULL, 0, 0, 0},
};

/* ---- checking ---- */

/* Both comparisons are constant-time, so response timing does not leak how
 * many leading bytes of the password (or hash) matched. crypt_data is heap-
 * allocated: it is over 32 KB with libxcrypt, too large for a worker's stack
 * frame on every request. The copies of the password are wiped. */
static int pass_ok(const struct lb_user *u, const char *pass, size_t n)
{
    struct crypt_data *cd;
    const char *h;
    char plain[256];
    int ok;

    if (u->insecure)
        return lk_ct_equal(pass, n, u->pass, strlen(u->pass));
    if (n >= sizeof(plain))
        return 0;
    memcpy(plain, pass, n);
    plain[n] = '\0';
    /* crypt_r: reentrant, each worker thread its own state */
    cd = calloc(1, sizeof(*cd));
    if (!cd)
        return 0;
    h = crypt_r(plain, u->pass, cd);
    ok = h && h[0] != '*' && lk_ct_equal(h, strlen(h), u->pass, strlen(u->pass));
    explicit_bzero(plain, sizeof(plain));
    free(cd);
    return ok;
}

/* Returns the user whose credentials the Authorization field carries, or NULL
 * for anything else: a missing or non-Basic scheme, undecodable base64,
 * credentials longer than 511 bytes, an unknown user or a wrong password all
 * answer the same, so a client cannot tell them apart. */
const struct lb_user *lb_userlist_auth(const struct lb_userlist *ul,
                                       const char *authorization,
                                       size_t len)
{
    char creds[512], *colon;
    const struct lb_user *u;
    int n;

    while (len && (*authorization == ' ' || *authorization == '\t'))
        authorization++, len--;
    if (len < 6 || strncasecmp(authorization, "Basic ", 6) != 0)
        return NULL;
    authorization += 6;
    len -= 6;
    while (len && *authorization == ' ')
        authorization++, len--;
    n = lk_base64_decode(authorization, len, creds, sizeof(creds));
    if (n < 0 || !(colon = memchr(creds, ':', (size_t)n)))
        return NULL;
    u = find_user(ul, creds, (size_t)(colon - creds));
    if (u && !pass_ok(u, colon + 1, (size_t)(creds + n - colon - 1)))
        u = NULL;
    explicit_bzero(creds, sizeof(creds));
    return u;
}

/* Index i runs first over the user's own "groups" list, then over the groups
 * that name the user; NULL past the end. */
const char *lb_user_group(const struct lb_userlist *ul, const struct lb_user *u, size_t i)
{
    size_t g, k;

    if (i < u->ngroups)
        return u->groups[i];
    i -= u->ngroups;
    for (g = 0; g < ul->ngroups; g++)
        for (k = 0; k < ul->groups[g].nusers; k++)
            if (strcmp(ul->groups[g].users[k], u->name) == 0 && i-- == 0)
                return ul->groups[g].name;
    return NULL;
}

const char *lb_user_name(const struct lb_user *u)
{
    return u->name;
}
