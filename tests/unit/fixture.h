/* fixture.h - opening the files the unit tests read.
 *
 * Every fixture lives in the repository under tests/fixtures/ (captures
 * from real HAProxy, Keepalived and MariaDB runs, configs), so a plain
 * clone passes. A missing file fails the test with its full path instead
 * of a bare assertion. */
#ifndef LK_TEST_FIXTURE_H
#define LK_TEST_FIXTURE_H

#include <stdio.h>

#define LK_FIXTURES LK_SOURCE_DIR "/tests/fixtures"

/* Opens tests/fixtures/REL with fopen MODE; the caller fcloses it. A file
 * that cannot be opened fails the running cmocka test, naming the path. */
static inline FILE *lk_fixture_open(const char *rel, const char *mode)
{
    char path[1024];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", LK_FIXTURES, rel);
    f = fopen(path, mode);
    if (!f)
        fail_msg("fixture %s: cannot open (every fixture lives in tests/fixtures/)", path);
    return f;
}

#endif
