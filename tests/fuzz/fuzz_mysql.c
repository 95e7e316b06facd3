/* fuzz_mysql.c - greeting and ERR decoders on any bytes: no read past
 * len, results bounded by the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/mysql.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mysql_greeting g;
    struct mysql_err e;
    int r, kind;

    r = mysql_greeting_parse(data, size, &g, &e);
    if (r > 0 && (size_t)r > size)
        abort();
    if (r > 0 && strlen(g.version) >= sizeof(g.version))
        abort();
    r = mysql_err_parse(data, size, &e);
    if (r > 0 && ((size_t)r > size || strlen(e.message) >= sizeof(e.message)))
        abort();
    r = mysql_pkt_peek(data, size, &kind);
    if (r > 0 && (size_t)r > size)
        abort();
    return 0;
}
