/* test_register.c - what lbd sends to checkd.sock: the escaped JSON of
 * feed_cmd_escape() must come out of common/cmdsrv's word splitting as one
 * word equal to the JSON (';' as \\u003b), whatever the strings hold. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/cmdsrv.h"
#include "proto/feed.h"

/* What lbd sends must come out of lk_cmd_split() as one word, equal to the
 * JSON it escaped, whatever the strings hold. */
static void test_cmd_escape(void **state)
{
    static const char *const json[] = {
        "{\"a\":\"x y\"}",
        "{\"a\":\"semi;colon\",\"b\":\"back\\\\slash \\\"q\\\"\"}",
        "{}",
    };
    char *argv[8], *esc, line[512];
    size_t i;
    int argc;

    for (i = 0; i < sizeof(json) / sizeof(json[0]); i++) {
        esc = feed_cmd_escape(json[i]);
        assert_non_null(esc);
        assert_null(strchr(esc, ';'));
        snprintf(line, sizeof(line), "register %s", esc);
        argc = lk_cmd_split(line, argv, 7);
        assert_int_equal(argc, 2);
        if (strchr(json[i], ';')) {
            assert_non_null(strstr(argv[1], "\\u003b"));
            assert_null(strchr(argv[1], ';'));
        } else {
            assert_string_equal(argv[1], json[i]);
        }
        free(esc);
    }
}

/* A full registration survives escape + split + decode. */
static void test_target_through_cmd(void **state)
{
    struct feed_target t, u;
    char *json, *esc, line[4096], *argv[8];

    feed_target_defaults(&t);
    snprintf(t.id, sizeof(t.id), "db/n 1");
    snprintf(t.addr, sizeof(t.addr), "127.0.0.1:3306");
    t.kind = FEED_KIND_GALERA;
    snprintf(t.user, sizeof(t.user), "mon");
    snprintf(t.password, sizeof(t.password), "a;b c\\d\"e");
    json = feed_encode_target(&t);
    esc = feed_cmd_escape(json);
    snprintf(line, sizeof(line), "register %s", esc);
    assert_null(strchr(line, ';'));
    assert_int_equal(lk_cmd_split(line, argv, 7), 2);
    assert_true(feed_decode_target((const uint8_t *)argv[1], strlen(argv[1]), &u) > 0);
    assert_memory_equal(&t, &u, sizeof(t));
    free(json);
    free(esc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cmd_escape),
        cmocka_unit_test(test_target_through_cmd),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
