/* test_cfglex.c - the shared config lexer in both dialects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/cfglex.h"

/* Lex text and join each line's arguments with '|' and lines with '\n'. */
static void lex_all(const char *text, unsigned flags, char *out, size_t len)
{
    struct lk_cfglex *lx = NULL;
    struct lk_cfgline ln;
    char *err = NULL;
    size_t o = 0;
    int r, i;

    assert_int_equal(lk_cfglex_open_mem(&lx, "m", text, flags), 0);
    out[0] = '\0';
    while ((r = lk_cfglex_next(lx, &ln, &err)) > 0) {
        o += (size_t)snprintf(out + o, len - o, "%u:", ln.line);
        for (i = 0; i < ln.argc; i++)
            o += (size_t)snprintf(out + o, len - o, "%s%s", i ? "|" : "", ln.argv[i]);
        o += (size_t)snprintf(out + o, len - o, "\n");
    }
    if (r < 0)
        snprintf(out + o, len - o, "ERR %s", err);
    free(err);
    lk_cfglex_free(lx);
}

struct lex_case {
    const char *text;
    unsigned flags;
    const char *want;
};

static const struct lex_case cases[] = {
    {"a b  c\n\n   d\te\n", 0, "1:a|b|c\n3:d|e\n"},
    {"# only comment\nx # tail\n", 0, "2:x\n"},
    {"x \"a b\" 'c d' e\\ f\n", 0, "1:x|a b|c d|e f\n"},
    {"x \"q\\\"uote\" 'lit\\eral'\n", 0, "1:x|q\"uote|lit\\eral\n"},
    {"x \"unterminated\n", 0, "ERR m:1: unterminated quote or line too long"},
    {"vrrp_instance V1_1{\n  a 1\n}\n", LK_CFGLEX_BRACES, "1:vrrp_instance|V1_1|{\n2:a|1\n3:}\n"},
    {"global_defs{ x }\n", LK_CFGLEX_BRACES, "1:global_defs|{|x|}\n"},
    {"! bang comment\na ! not here\n", LK_CFGLEX_BANG, "2:a\n"},
    {"a#b\n", LK_CFGLEX_BRACES, "1:a\n"},
    {";; semi\n  ;; indented\nb\n", LK_CFGLEX_SEMI, "3:b\n"},
    {";; semi\n", 0, "1:;;|semi\n"},
    {"a\r\nb\r\n", 0, "1:a\n2:b\n"},
    /* HAProxy's escapes: unknown ones keep their backslash (regex \1) */
    {"x a\\1 \\x41\\t. \"\\1\"\n", 0, "1:x|a\\1|A\t.|\\1\n"},
    /* environment variables (LKT_* set by test_env) */
    {"bind :${LKT_PORT} \"${LKT_PORT}\" '${LKT_PORT}' $LKT_PORT\n", LK_CFGLEX_ENV,
     "1:bind|:${LKT_PORT}|8443|${LKT_PORT}|$LKT_PORT\n"},
    {"x \"$LKT_PORT/y\" \"${LKT_UNSET-dflt}\" \"${LKT_EMPTY-dflt}.\" \"${LKT_UNSET}.\"\n",
     LK_CFGLEX_ENV, "1:x|8443/y|dflt|.|.\n"},
    {"x \"${LKT_WORDS[*]}\" \"${LKT_WORDS}\"\n", LK_CFGLEX_ENV, "1:x|a|b|c|a b c\n"},
    {"x \"\\$LKT_PORT $ $1 ${\"\n", LK_CFGLEX_ENV, "1:x|$LKT_PORT $ $1 ${\n"},
    {"x ${LKT_PORT}\n", 0, "1:x|${LKT_PORT}\n"},
};

static void test_cases(void **state)
{
    char out[1024];
    size_t i;

    setenv("LKT_PORT", "8443", 1);
    setenv("LKT_EMPTY", "", 1);
    setenv("LKT_WORDS", "a b c", 1);
    unsetenv("LKT_UNSET");
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        lex_all(cases[i].text, cases[i].flags, out, sizeof(out));
        if (strcmp(out, cases[i].want) != 0)
            fail_msg("case %zu: got '%s' want '%s'", i, out, cases[i].want);
    }
}

static void test_include(void **state)
{
    char dir[] = "/tmp/lk-cfglex-XXXXXX", path[256], text[512], out[1024];
    FILE *f;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/a.conf", dir);
    f = fopen(path, "w");
    fputs("inner 1\ninner 2\n", f);
    fclose(f);
    snprintf(text, sizeof(text), "before\ninclude %s/*.conf\nafter\n", dir);
    lex_all(text, LK_CFGLEX_INCLUDE, out, sizeof(out));
    assert_string_equal(out, "1:before\n1:inner|1\n2:inner|2\n3:after\n");
    snprintf(text, sizeof(text), "include %s/none-*.conf\n", dir);
    lex_all(text, LK_CFGLEX_INCLUDE, out, sizeof(out));
    assert_non_null(strstr(out, "ERR m:1: include: no file matches"));
    unlink(path);
    rmdir(dir);
}

static void test_too_many_args(void **state)
{
    char text[4096], out[1024];
    size_t o = 0;
    int i;

    for (i = 0; i < LK_CFG_MAX_ARGS + 2; i++)
        o += (size_t)snprintf(text + o, sizeof(text) - o, "w%d ", i);
    lex_all(text, 0, out, sizeof(out));
    assert_non_null(strstr(out, "ERR m:1: too many arguments"));
}

static void test_missing_file(void **state)
{
    struct lk_cfglex *lx = NULL;
    char *err = NULL;

    assert_true(lk_cfglex_open_file(&lx, "/nonexistent/x.cfg", 0, &err) < 0);
    assert_null(lx);
    assert_non_null(strstr(err, "cannot read '/nonexistent/x.cfg'"));
    free(err);
}

/* lk_cfgfiles: one copy per name, whatever the order the lines come in */
static void test_cfgfiles(void **state)
{
    struct lk_cfgfiles f = {0};
    char name[16] = "a.cfg";
    const char *a, *b;

    a = lk_cfgfiles_intern(&f, name);
    assert_non_null(a);
    assert_ptr_not_equal(a, name); /* a copy: the lexer's goes away */
    assert_string_equal(a, "a.cfg");
    b = lk_cfgfiles_intern(&f, "b.cfg");
    assert_non_null(b);
    assert_ptr_equal(lk_cfgfiles_intern(&f, "a.cfg"), a); /* not only the last one */
    assert_ptr_equal(lk_cfgfiles_intern(&f, "b.cfg"), b);
    assert_int_equal(f.n, 2);
    lk_cfgfiles_free(&f);
    assert_int_equal(f.n, 0);
    assert_null(f.v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),         cmocka_unit_test(test_include),
        cmocka_unit_test(test_too_many_args), cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_cfgfiles),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
