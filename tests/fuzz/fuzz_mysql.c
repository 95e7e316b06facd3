/* fuzz_mysql.c - both halves of the handshake checkd runs: the server's
 * greeting / ERR / packet header decoders on any bytes (no read past len,
 * results bounded by the input), and the client's login packet built for a
 * user name taken from the input (never more than cap bytes, a header
 * that frames exactly what was written). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/mysql.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mysql_greeting g;
    struct mysql_err e;
    uint8_t out[128];
    char user[64];
    uint32_t plen;
    uint8_t seq;
    int r, kind;
    size_t n;

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
    r = mysql_pkt_header(data, size, &plen, &seq);
    if (r > 0 && (r != 4 || size < 4))
        abort();
    /* the login for user = the input's first bytes, in a buffer whose
     * size also comes from the input */
    n = strnlen((const char *)data, size < sizeof(user) - 1 ? size : sizeof(user) - 1);
    memcpy(user, data, n);
    user[n] = '\0';
    r = mysql_check_login(out, size ? data[size - 1] % (sizeof(out) + 1) : sizeof(out), user);
    if (r > 0 && ((size_t)r > sizeof(out) || mysql_pkt_header(out, (size_t)r, &plen, &seq) != 4 ||
                  plen + 4 > (uint32_t)r))
        abort();
    return 0;
}
