/* test_inbuf.c - common/inbuf.c: bytes accumulated to a bound, lines cut
 * across reads, a stop from the line callback, an over-long line. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/inbuf.h"

struct seen {
    char lines[8][32];
    size_t lens[8];
    int n, stop_at; /* stop_at: the line number that stops the reading, 0 none */
};

static int take(void *ud, char *line, size_t len)
{
    struct seen *s = ud;

    snprintf(s->lines[s->n], sizeof(s->lines[0]), "%s", line);
    s->lens[s->n] = len;
    return ++s->n == s->stop_at;
}

static void test_append_bound(void **state)
{
    struct lk_inbuf b = {0};

    assert_int_equal(lk_inbuf_append(&b, "abc", 3, 5), 0);
    assert_int_equal(lk_inbuf_append(&b, "def", 3, 5), -E2BIG);
    assert_int_equal(b.len, 3); /* a refused append leaves it as it was */
    assert_string_equal(b.buf, "abc");
    assert_int_equal(lk_inbuf_append(&b, "de", 2, 5), 0);
    assert_string_equal(b.buf, "abcde");
    lk_inbuf_consume(&b, 2);
    assert_string_equal(b.buf, "cde");
    lk_inbuf_reset(&b);
    assert_null(b.buf);
    assert_int_equal(b.len, 0);
}

static void test_lines_across_reads(void **state)
{
    struct lk_inbuf b = {0};
    struct seen s = {0};

    assert_int_equal(lk_inbuf_lines(&b, "one\ntw", 6, 16, take, &s), 0);
    assert_int_equal(s.n, 1);
    assert_string_equal(b.buf, "tw"); /* the partial line waits */
    assert_int_equal(lk_inbuf_lines(&b, "o\r\nthree\n", 9, 16, take, &s), 0);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.lines[0], "one");
    assert_string_equal(s.lines[1], "two\r"); /* '\r' is the reader's */
    assert_int_equal(s.lens[1], 4);
    assert_string_equal(s.lines[2], "three");
    assert_int_equal(b.len, 0);
    lk_inbuf_reset(&b);
}

static void test_stop_and_long_line(void **state)
{
    struct lk_inbuf b = {0};
    struct seen s = {.stop_at = 1};
    char big[40];

    assert_int_equal(lk_inbuf_lines(&b, "a\nb\n", 4, 16, take, &s), 1);
    assert_int_equal(s.n, 1); /* "b" is not handed over after the stop */
    lk_inbuf_reset(&b);
    /* many short lines in one read exceed the bound together: fine */
    s = (struct seen){0};
    assert_int_equal(lk_inbuf_lines(&b, "1\n2\n3\n4\n5\n6\n7\n", 14, 4, take, &s), 0);
    assert_int_equal(s.n, 7);
    /* one line that reaches the bound without '\n' is refused */
    memset(big, 'x', sizeof(big));
    assert_int_equal(lk_inbuf_lines(&b, big, sizeof(big), 16, take, &s), -E2BIG);
    assert_int_equal(b.len, 0);
    lk_inbuf_reset(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_bound),
        cmocka_unit_test(test_lines_across_reads),
        cmocka_unit_test(test_stop_and_long_line),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
