/* errfile.c - custom error pages; see errfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cfgkw.h"
#include "common/cfglex.h"
#include "common/log.h"
#include "lbd/cfg/cfg.h"
#include "lbd/cfg/errfile.h"
#include "lbd/core/proxy_types.h"
#include "lbd/http/http_msg.h"
#include "lbd/http/http_rules.h"
#include "proto/http1.h"

/* A pending "errorfiles NAME [CODE...]" (also "http-error status C
 * errorfiles NAME", which imports C alone). */
struct lb_errref {
    struct lb_errref *next;
    char *section;
    int codes[LB_ERRFILE_N]; /* statuses to import; none: all */
    size_t ncodes;
    unsigned seq;
    const char *file;
    unsigned line;
};

/* The statuses HAProxy 2.6 lets errorfile replace, in its order; a slot per
 * status in every proxy's page table. */
static const int handled[LB_ERRFILE_N] = {200, 400, 401, 403, 404, 405, 407, 408, 410,
                                          413, 425, 429, 500, 501, 502, 503, 504};

int lb_errfile_idx(int status)
{
    int i;

    for (i = 0; i < LB_ERRFILE_N; i++)
        if (handled[i] == status)
            return i;
    return -1;
}

/* The status word of a config line: HAProxy's "status code 'X' not handled". */
static int code_arg(const char *kw, const char *s, int *ret, char **err)
{
    uint64_t v;

    if (lk_parse_uint(s, 0, 999, &v) < 0 || lb_errfile_idx((int)v) < 0)
        return lk_cfg_err(err, "%s : status code '%s' not handled.", kw, s);
    *ret = (int)v;
    return 0;
}

/* Reads at most max bytes (the bufsize), because the page must fit in one
 * buffer when it is sent. ret_trunc tells the caller to warn. */
static int read_all(const char *path, size_t max, char **ret, size_t *ret_len, int *ret_trunc)
{
    struct stat st;
    size_t want;
    char *data;
    ssize_t n;
    int fd, r = 0;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -ENOENT;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        /* /dev/null is a character device: an empty page, as HAProxy reads it */
        if (S_ISCHR(st.st_mode)) {
            close(fd);
            *ret = NULL;
            *ret_len = 0;
            *ret_trunc = 0;
            return 0;
        }
        close(fd);
        return -EIO;
    }
    want = (size_t)st.st_size > max ? max : (size_t)st.st_size;
    data = malloc(want + 1);
    n = data ? read(fd, data, want) : -1;
    if (n < 0 || (size_t)n != want) {
        free(data);
        r = -EIO;
    } else {
        *ret = data;
        *ret_len = want;
        *ret_trunc = (size_t)st.st_size > max;
    }
    close(fd);
    return r;
}

/* HAProxy's checks on a message (a response head it can parse, a
 * payload it can hold as is), then the head rebuilt as lbd sends heads
 * (CRLF, no hop-by-hop fields: HAProxy re-emits a parsed message too).
 * *d (owned) is replaced by the result. */
/* Checking at load time turns a malformed page into a config error at its
 * line, instead of a broken answer sent to every client hitting that error.
 * Rebuilding the head also normalises LF-only files written by hand into
 * valid CRLF. */
static int check_msg(const char *kw, const char *path, char **d, size_t *len, char **err)
{
    struct lb_rsp_edit e;
    struct http1_msg m;
    size_t body, cap;
    char *out;
    int r, h;

    if (*len == 0)
        return 0;
    http1_msg_init(&m, (uint32_t)*len, 0);
    r = http1_parse_response((const uint8_t *)*d, *len, &m);
    if (r <= 0)
        return lk_cfg_err(err, "%s : '%s': unable to parse headers (error offset: %d)", kw, path,
                          r == 0 ? -2 : (int)m.err_off);
    if (m.body == HTTP1_BODY_CHUNKED)
        return lk_cfg_err(err, "%s : '%s': chunk-encoded payload not supported", kw, path);
    body = *len - (size_t)r;
    if (m.body == HTTP1_BODY_CL && m.content_length != body)
        return lk_cfg_err(err,
                          "%s : '%s': payload size does not match the announced content-length "
                          "(%zu != %llu)",
                          kw, path, body, (unsigned long long)m.content_length);
    memset(&e, 0, sizeof(e));
    e.version = m.version;
    cap = (size_t)r * 2 + 64; /* LF line ends become CRLF */
    if (!(out = malloc(cap + body + 1)))
        return -ENOMEM;
    h = lb_http_build_response(out, cap, (const uint8_t *)*d, &m, &e);
    if (h < 0) {
        free(out);
        return lk_cfg_err(err, "%s : '%s': unable to parse headers (error offset: 0)", kw, path);
    }
    memcpy(out + h, *d + r, body);
    free(*d);
    *d = out;
    *len = (size_t)h + body;
    return 0;
}

int lb_errfile_load(const char *path,
                    int status,
                    const struct lb_errsrc *src,
                    struct lb_errmsg *ret,
                    char **err)
{
    char *data = NULL;
    size_t len = 0;
    int trunc = 0, r;

    r = read_all(path, src->bufsize, &data, &len, &trunc);
    if (r == -ENOENT)
        return lk_cfg_err(err, "errorfile : error opening file '%s'.", path);
    if (r < 0)
        return lk_cfg_err(err, "errorfile : error reading file '%s'.", path);
    if (trunc) /* HAProxy keeps the first bufsize bytes and says so */
        lk_log(LK_LOG_WARNING,
               "%s:%u: custom error message file '%s' larger than %zu bytes. Truncating.",
               src->file, src->line, path, src->bufsize);
    r = check_msg("errorfile", path, &data, &len, err);
    if (r < 0) {
        free(data);
        return r;
    }
    ret->status = status;
    ret->data = data ? data : strdup("");
    ret->len = len;
    if (!ret->data)
        return -ENOMEM;
    return trunc ? LK_CFG_WARN : 0;
}

/* Slots copied from defaults or an http-errors section are borrowed (owned
 * 0): their owner frees the data, so clearing one must not. */
static void slot_clear(struct lb_errslot *s)
{
    if (s->owned) {
        free(s->msg.data);
        lb_rule_list_free(s->reply);
    }
    memset(s, 0, sizeof(*s));
}

/* Put a message (owned) or a reply rule (owned) in the slot of its status. */
/* seq orders the slot's sources: the last line of the file that set a status
 * wins, whether it was errorfile, http-error or an errorfiles import resolved
 * later (see import_slot()). */
static void slot_set(struct lb_errpages *pages,
                     int idx,
                     const struct lb_errmsg *m,
                     struct lb_rule *reply,
                     unsigned seq)
{
    struct lb_errslot *s = &pages->slot[idx];

    slot_clear(s);
    if (m)
        s->msg = *m;
    s->msg.status = handled[idx];
    s->reply = reply;
    s->seq = seq;
    s->owned = 1;
}

int lb_errpages_errorfile(struct lb_errpages *pages,
                          int argc,
                          char **argv,
                          const struct lb_errsrc *src,
                          char **err)
{
    struct lb_errmsg m;
    int status = 0, r; /* set by code_arg; 0 keeps -O2 from warning */

    if (argc != 3)
        return lk_cfg_err(err, "errorfile : expects <status_code> and <file> as arguments.");
    if ((r = code_arg("errorfile", argv[1], &status, err)) < 0)
        return r;
    r = lb_errfile_load(argv[2], status, src, &m, err);
    if (r < 0)
        return r;
    slot_set(pages, lb_errfile_idx(status), &m, NULL, ++pages->seq);
    return r;
}

/* "errorfiles NAME" cannot be resolved while parsing, as the http-errors
 * section may be defined later in the file: it is queued with its position
 * (seq) and applied by lb_errpages_resolve(). */
static struct lb_errref *ref_new(struct lb_errpages *pages,
                                 const char *name,
                                 const char *file,
                                 unsigned line)
{
    struct lb_errref *ref = calloc(1, sizeof(*ref)), **tail;

    if (!ref || !(ref->section = strdup(name))) {
        free(ref);
        return NULL;
    }
    ref->seq = ++pages->seq;
    ref->file = file;
    ref->line = line;
    for (tail = &pages->refs; *tail; tail = &(*tail)->next)
        ;
    *tail = ref;
    return ref;
}

int lb_errpages_errorfiles(struct lb_errpages *pages,
                           int argc,
                           char **argv,
                           const struct lb_errsrc *src,
                           char **err)
{
    int codes[LB_ERRFILE_N];
    struct lb_errref *ref;
    size_t n = 0;
    int i, c = 0, r;

    if (argc < 2)
        return lk_cfg_err(err, "errorfiles : expects <name> as argument.");
    for (i = 2; i < argc; i++) {
        if ((r = code_arg("errorfiles", argv[i], &c, err)) < 0)
            return r;
        if (n < LB_ERRFILE_N)
            codes[n++] = c;
    }
    if (!(ref = ref_new(pages, argv[1], src->file, src->line)))
        return -ENOMEM;
    memcpy(ref->codes, codes, n * sizeof(codes[0]));
    ref->ncodes = n;
    return 0;
}

/* The options of http-error that name a whole message rather than build
 * one: errorfile F, errorfiles NAME, default-errorfiles. */
static int http_error_msg(struct lb_errpages *pages,
                          int status,
                          int argc,
                          char **argv,
                          const struct lb_errsrc *src,
                          char **err)
{
    int idx = lb_errfile_idx(status), i, r = 0;
    struct lb_errref *ref;
    struct lb_errmsg m;

    for (i = 3; i < argc; i++) {
        if (strcmp(argv[i], "default-errorfiles") == 0) {
            slot_clear(&pages->slot[idx]);
            return 0;
        }
        if (strcmp(argv[i], "errorfile") == 0 && i + 1 < argc) {
            if ((r = lb_errfile_load(argv[i + 1], status, src, &m, err)) < 0)
                return r;
            slot_set(pages, idx, &m, NULL, ++pages->seq);
            return r;
        }
        if (strcmp(argv[i], "errorfiles") == 0 && i + 1 < argc) {
            if (!(ref = ref_new(pages, argv[i + 1], src->file, src->line)))
                return -ENOMEM;
            ref->codes[0] = status;
            ref->ncodes = 1;
            return 0;
        }
    }
    return 1; /* not one of them */
}

/* if/unless is refused by name: HAProxy 2.6's http-error has no condition,
 * and silently ignoring one would send the page unconditionally. */
int lb_errpages_http_error(struct lb_errpages *pages,
                           int argc,
                           char **argv,
                           const struct lb_errsrc *src,
                           char **err)
{
    struct lb_rule *reply = NULL;
    uint64_t v;
    int status, i, r;

    if (argc < 3 || strcmp(argv[1], "status") != 0)
        return lk_cfg_err(err, "http-error : expects 'status <code>' as first argument.");
    for (i = 1; i < argc; i++)
        if (strcmp(argv[i], "if") == 0 || strcmp(argv[i], "unless") == 0)
            return lk_cfg_err(err, "http-error : unknown keyword '%s'.", argv[i]);
    if (lk_parse_uint(argv[2], 0, 999, &v) < 0 || lb_errfile_idx((int)v) < 0)
        return lk_cfg_err(err, "http-error: status code '%s' not handled.", argv[2]);
    status = (int)v;
    r = http_error_msg(pages, status, argc, argv, src, err);
    if (r <= 0)
        return r;
    /* string, lf-string, file, hdr: a reply built when it is sent */
    r = lb_rule_parse_reply(&reply, src->acls, argc, argv, err);
    if (r < 0)
        return r;
    slot_set(pages, lb_errfile_idx(status), NULL, reply, ++pages->seq);
    return 0;
}

/* A proxy borrows its defaults' pages and re-queues the defaults' errorfiles
 * references with their original seq, so that its own later lines still
 * override them and the references resolve against the same sections. */
int lb_errpages_inherit(struct lb_errpages *pages, const struct lb_errpages *def)
{
    const struct lb_errref *d;
    struct lb_errref *ref;
    int i;

    for (i = 0; i < LB_ERRFILE_N; i++) {
        pages->slot[i] = def->slot[i];
        pages->slot[i].owned = 0;
    }
    pages->seq = def->seq;
    for (d = def->refs; d; d = d->next) {
        if (!(ref = ref_new(pages, d->section, d->file, d->line)))
            return -ENOMEM;
        memcpy(ref->codes, d->codes, sizeof(d->codes));
        ref->ncodes = d->ncodes;
        ref->seq = d->seq;
    }
    pages->seq = def->seq;
    return 0;
}

static const struct lb_errsec *find_sec(const struct lb_cfg *cfg, const char *name)
{
    const struct lb_errsec *s;

    for (s = cfg->errsecs; s; s = s->next)
        if (strcmp(s->name, name) == 0)
            return s;
    return NULL;
}

/* Copy slot idx of section `sec` (shared: the section outlives proxies). */
static void import_slot(struct lb_errpages *pages,
                        const struct lb_errsec *sec,
                        int idx,
                        unsigned seq)
{
    struct lb_errslot *s = &pages->slot[idx];

    if (s->seq > seq) /* a later line of the proxy set it */
        return;
    slot_clear(s);
    *s = sec->pages.slot[idx];
    s->seq = seq;
    s->owned = 0;
}

static int import_ref(struct lb_errpages *pages,
                      const struct lb_errref *ref,
                      const struct lb_errsec *sec,
                      const char *who)
{
    size_t k;
    int i;

    if (ref->ncodes == 0) {
        for (i = 0; i < LB_ERRFILE_N; i++)
            if (sec->pages.slot[i].seq)
                import_slot(pages, sec, i, ref->seq);
        return 0;
    }
    for (k = 0; k < ref->ncodes; k++) {
        i = lb_errfile_idx(ref->codes[k]);
        if (sec->pages.slot[i].seq)
            import_slot(pages, sec, i, ref->seq);
        else /* HAProxy's warning: nothing is imported for it */
            lk_log(LK_LOG_WARNING,
                   "%s:%u: %s : status '%d' not declared in http-errors section '%s'", ref->file,
                   ref->line, who, ref->codes[k], ref->section);
    }
    return 0;
}

/* Unknown section names are errors, listed all at once; a code the section
 * does not declare is only HAProxy's warning. */
int lb_errpages_resolve(struct lb_errpages *pages,
                        const struct lb_cfg *cfg,
                        const char *who,
                        char **err)
{
    const struct lb_errref *ref;
    const struct lb_errsec *sec;
    int ret = 0;

    for (ref = pages->refs; ref; ref = ref->next) {
        sec = find_sec(cfg, ref->section);
        if (!sec) {
            lb_cfg_err_append(err, "%s:%u: %s: unknown http-errors section '%s'", ref->file,
                              ref->line, who, ref->section);
            ret = -EINVAL;
            continue;
        }
        import_ref(pages, ref, sec, who);
    }
    return ret;
}

const struct lb_errslot *lb_errpages_get(const struct lb_errpages *pages, int status)
{
    int i = lb_errfile_idx(status);

    if (!pages || i < 0 || !pages->slot[i].seq)
        return NULL;
    return &pages->slot[i];
}

void lb_errpages_clear(struct lb_errpages *pages)
{
    struct lb_errref *ref, *n;
    int i;

    for (i = 0; i < LB_ERRFILE_N; i++)
        slot_clear(&pages->slot[i]);
    for (ref = pages->refs; ref; ref = n) {
        n = ref->next;
        free(ref->section);
        free(ref);
    }
    pages->refs = NULL;
}

const struct lb_errslot *lb_errsec_slot(const struct lb_cfg *cfg,
                                        const char *name,
                                        int status,
                                        int *ret_found)
{
    const struct lb_errsec *sec = find_sec(cfg, name);

    *ret_found = sec != NULL;
    return sec ? lb_errpages_get(&sec->pages, status) : NULL;
}

/* errorloc, errorloc302, errorloc303: a redirection as HAProxy writes it. */
/* The URL is placed verbatim in a Location header, so a CR or LF in it would
 * let the config inject header lines; refused. */
int lb_errpages_errorloc(struct lb_errpages *pages, int argc, char **argv, char **err)
{
    struct lb_errmsg m;
    int status = 0, r, see_other = strcmp(argv[0], "errorloc303") == 0;

    if (argc != 3)
        return lk_cfg_err(err, "%s : expects <status_code> and <url> as arguments.", argv[0]);
    if ((r = code_arg(argv[0], argv[1], &status, err)) < 0)
        return r;
    if (strpbrk(argv[2], "\r\n"))
        return lk_cfg_err(err, "%s : the URL cannot hold a line break.", argv[0]);
    r = asprintf(&m.data,
                 "HTTP/1.1 %s\r\ncache-control: no-cache\r\ncontent-length: 0\r\n"
                 "location: %s\r\n\r\n",
                 see_other ? "303 See Other" : "302 Found", argv[2]);
    if (r < 0)
        return -ENOMEM;
    m.len = (size_t)r;
    m.status = status;
    slot_set(pages, lb_errfile_idx(status), &m, NULL, ++pages->seq);
    return 0;
}

/* ---- http-errors sections ---- */

static int es_errorfile(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    struct lb_errsrc src = {ctx->cfg->global.bufsize ? ctx->cfg->global.bufsize : 16384, NULL,
                            ctx->file, ctx->line};
    char *msg = NULL;
    int r;

    r = lb_errpages_errorfile(&ctx->es->pages, argc, argv, &src, &msg);
    if (r < 0) {
        r = lb_cfg_fail(ctx, err, "%s", msg ? msg : "out of memory");
        free(msg);
        return r;
    }
    return r;
}

const struct lk_cfgkw lb_errsec_kws[] = {
    {"errorfile", es_errorfile, 0, -1, 0},
    {NULL, NULL, 0, 0, 0},
};

/* http-errors sections are kept in file order; a second section with the same
 * name is refused, since which one errorfiles would import would otherwise
 * depend on lookup order. */
int lb_errsec_open(struct lb_cfg *cfg,
                   const struct lk_cfgline *ln,
                   struct lb_errsec **ret,
                   char **err)
{
    char *const *argv = ln->argv;
    const struct lb_errsec *old;
    struct lb_errsec *s, **tail;

    if (ln->argc < 2)
        return lk_cfg_err(err, "missing name for http-errors section.");
    if ((old = find_sec(cfg, argv[1])))
        return lk_cfg_err(err, "http-errors section '%s' already exists (declared at %s:%u).",
                          argv[1], old->file, old->line);
    s = calloc(1, sizeof(*s));
    if (!s || !(s->name = strdup(argv[1]))) {
        free(s);
        return -ENOMEM;
    }
    s->file = ln->file;
    s->line = ln->line;
    for (tail = &cfg->errsecs; *tail; tail = &(*tail)->next)
        ;
    *tail = s;
    *ret = s;
    return 0;
}

void lb_errsec_free_all(struct lb_errsec *s)
{
    struct lb_errsec *n;

    for (; s; s = n) {
        n = s->next;
        lb_errpages_clear(&s->pages);
        free(s->name);
        free(s);
    }
}
