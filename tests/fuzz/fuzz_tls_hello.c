/* fuzz_tls_hello.c - the ClientHello reader lbd routes on in mode tcp
 * (req.ssl_sni, req.ssl_hello_type): any bytes, any prefix of them. A name
 * found lies inside the input; a prefix never gives a complete result the
 * whole input contradicts (a "need more" never turns into a different
 * name). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/tls_hello.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tls_hello h, w;
    size_t cut;
    int r, rw;

    rw = tls_hello_parse(data, size, 0, &w);
    if (rw == 1 && w.sni && (w.sni < data || w.sni + w.sni_len > data + size))
        abort();
    for (cut = 0; cut <= size; cut += 1 + size / 16) {
        r = tls_hello_parse(data, cut, 0, &h);
        if (r == 1 && rw == 1 && (h.sni_len != w.sni_len || (h.sni && !w.sni)))
            abort(); /* a complete answer from a prefix is the final one */
        if (r == -1 && rw != -1)
            abort(); /* refused early, accepted with more bytes */
        r = tls_hello_parse(data, cut, 1, &h);
        if (r == 1 && rw == 1 && h.hs_type != w.hs_type)
            abort();
    }
    return 0;
}
