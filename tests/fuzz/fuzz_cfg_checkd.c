/* fuzz_cfg_checkd.c - checkd's config loader (the `checkd -c` path) on any text:
 * no crash, and every error path frees what it allocated (ASan leak
 * detection is on in every run). */
#include "checkd/cfg.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct chk_cfg *cfg = NULL;
    char *text = fuzz_cstr(data, size), *err = NULL;

    if (text && chk_cfg_load_mem("fuzz.cfg", text, "/nonexistent", &cfg, &err) == 0 &&
        (!cfg || err))
        abort();
    chk_cfg_free(cfg);
    free(err);
    free(text);
    return 0;
}
