/* fuzz_peers.c - what a peer sends lbd: the first byte picks the reader
 * (handshake lines, status line, or a stream of messages decoded as lbd's
 * session does: definitions, updates against the last definition, acks,
 * switches). Every reader returns a length within the input or an error;
 * a definition that decodes is written back and must decode to the same
 * table; an update that decodes is written back and decodes again. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/peers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_def(const struct peers_def *d)
{
    static uint8_t out[PEERS_MSG_MAX + 16];
    struct peers_def e;
    struct peers_msg m;
    int n = peers_def_build(out, sizeof(out), d);

    if (n == -EINVAL) /* arrays and dicts are read, never written */
        return;
    if (n <= 0 || peers_msg_parse(out, (size_t)n, &m) != n ||
        peers_def_parse(m.data, m.len, &e) != 0)
        abort();
    if (e.id != d->id || e.keytype != d->keytype || e.keylen != d->keylen || e.data != d->data ||
        e.namelen != d->namelen || memcmp(e.name, d->name, d->namelen) != 0)
        abort();
}

static void check_upd(const struct peers_def *d, const struct peers_upd *u)
{
    static uint8_t out[PEERS_MSG_MAX + 16];
    struct peers_upd v;
    struct peers_msg m;
    int n = peers_upd_build(out, sizeof(out), d, u);

    if (n < 0)
        return;
    memset(&v, 0, sizeof(v));
    if (peers_msg_parse(out, (size_t)n, &m) != n || peers_upd_parse(m.type, m.data, m.len, d, &v))
        abort();
    if (v.keylen != u->keylen || memcmp(v.key, u->key, u->keylen) != 0)
        abort();
}

static void messages(const uint8_t *p, size_t size)
{
    struct peers_def d;
    struct peers_upd u;
    struct peers_msg m;
    uint64_t id;
    uint32_t up;
    int n, have_def = 0, r;

    while (size) {
        n = peers_msg_parse(p, size, &m);
        if (n <= 0) {
            if (n != 0 && n != -EBADMSG && n != -EMSGSIZE)
                abort();
            return;
        }
        if ((size_t)n > size || (m.len && (m.data < p || m.data + m.len > p + n)))
            abort();
        if (m.cls == PEERS_CLASS_STKT && m.type == PEERS_STKT_DEFINE) {
            r = peers_def_parse(m.data, m.len, &d);
            if (r != 0 && r != -EBADMSG && r != -ENOTSUP)
                abort();
            have_def = r == 0;
            if (have_def)
                check_def(&d);
        } else if (m.cls == PEERS_CLASS_STKT && m.type == PEERS_STKT_ACK) {
            peers_ack_parse(m.data, m.len, &id, &up);
        } else if (m.cls == PEERS_CLASS_STKT && m.type == PEERS_STKT_SWITCH) {
            peers_switch_parse(m.data, m.len, &id);
        } else if (m.cls == PEERS_CLASS_STKT && have_def) {
            memset(&u, 0, sizeof(u));
            if (peers_upd_parse(m.type, m.data, m.len, &d, &u) == 0) {
                if (u.keylen > PEERS_KEY_MAX)
                    abort();
                check_upd(&d, &u);
            }
        }
        p += n;
        size -= (size_t)n;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct peers_hello h;
    int r, st = 0, code;

    if (size < 1)
        return 0;
    switch (data[0] % 3) {
    case 0:
        r = peers_hello_parse(data + 1, size - 1, &h, &st);
        if (r > (int)size - 1 || (r < 0 && r != -EPROTO && r != -EPROTONOSUPPORT))
            abort();
        if (r > 0 && (strlen(h.to) >= PEERS_NAME_MAX || strlen(h.from) >= PEERS_NAME_MAX))
            abort();
        break;
    case 1:
        r = peers_status_parse(data + 1, size - 1, &code);
        if (r > (int)size - 1 || (r < 0 && r != -EPROTO))
            abort();
        break;
    default:
        messages(data + 1, size - 1);
    }
    return 0;
}
