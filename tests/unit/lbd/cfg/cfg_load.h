/* cfg_load.h - loading an lbd config held in a string, for the cfg unit
 * tests (include after cmocka.h). */
#ifndef LB_TEST_CFG_LOAD_H
#define LB_TEST_CFG_LOAD_H

#include "lbd/cfg/cfg.h"

/* The config `text` (FILE "t.cfg"), which must load without error. */
static inline struct lb_cfg *load_ok(const char *text)
{
    struct lb_cfg *cfg = NULL;
    char *err = NULL;
    int r = lb_cfg_load_mem("t.cfg", text, &cfg, &err);

    if (r < 0)
        print_error("unexpected error: %s\n", err ? err : "?");
    assert_int_equal(r, 0);
    assert_null(err);
    return cfg;
}

/* The errors of `text`, which must be refused; the caller frees them. */
static inline char *load_err(const char *text)
{
    struct lb_cfg *cfg = NULL;
    char *err = NULL;
    int r = lb_cfg_load_mem("t.cfg", text, &cfg, &err);

    if (r >= 0)
        fail_msg("accepted:\n%s", text);
    assert_null(cfg);
    assert_non_null(err);
    return err;
}

#endif
