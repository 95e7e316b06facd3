/* fuzz_cfg_lbd.c - lbd's config loader (the `lbd -c` path) on any text:
 * no crash, and every error path frees what it allocated (ASan leak
 * detection is on in every run). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lbd/cfg/cfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct lb_cfg *cfg = NULL;
    char *text, *err = NULL;

    /* the loader takes a C string: a NUL ends the text early */
    text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;
    if (lb_cfg_load_mem("fuzz.cfg", text, &cfg, &err) == 0 && (!cfg || err))
        abort();
    lb_cfg_free(cfg);
    free(err);
    free(text);
    return 0;
}
