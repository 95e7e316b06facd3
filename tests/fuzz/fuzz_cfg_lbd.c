/* fuzz_cfg_lbd.c - lbd's config loader (the `lbd -c` path) on any text:
 * no crash, and every error path frees what it allocated (ASan leak
 * detection is on in every run). */
#include "lbd/cfg/cfg.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct lb_cfg *cfg = NULL;
    char *text = fuzz_cstr(data, size), *err = NULL;

    if (text && lb_cfg_load_mem("fuzz.cfg", text, &cfg, &err) == 0 && (!cfg || err))
        abort();
    lb_cfg_free(cfg);
    free(err);
    free(text);
    return 0;
}
