/* fuzz_cfg_vrrpd.c - vrrpd's config loader (the `vrrpd -c` path) on any text:
 * no crash, and every error path frees what it allocated (ASan leak
 * detection is on in every run). */
#include "tests/fuzz/fuzz_util.h"
#include "vrrpd/cfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vr_cfg *cfg = NULL;
    char *text = fuzz_cstr(data, size), *err = NULL;

    if (text && vr_cfg_load_mem("fuzz.cfg", text, &cfg, &err) == 0 && (!cfg || err))
        abort();
    vr_cfg_free(cfg);
    free(err);
    free(text);
    return 0;
}
