/* fuzz_feed.c - the feed decoder and the registration decoder on any
 * bytes; a decoded message is encoded again and must decode again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/feed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void reencode(const struct feed_msg *m)
{
    const struct feed_status **p;
    struct feed_msg again;
    char *line = NULL;
    size_t i;

    if (m->type == FEED_MSG_SNAPSHOT) {
        p = calloc(m->n ? m->n : 1, sizeof(*p));
        if (!p)
            return;
        for (i = 0; i < m->n; i++)
            p[i] = &m->st[i];
        line = feed_encode_snapshot(p, m->n, m->seq, m->time_us);
        free(p);
    } else if (m->type == FEED_MSG_EVENT) {
        line = feed_encode_event(m->st, m->prev, m->seq, m->time_us);
    }
    if (line && feed_msg_decode((const uint8_t *)line, strlen(line), &again) < 0)
        abort();
    if (line)
        feed_msg_clear(&again);
    free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct feed_target t;
    struct feed_msg m;
    char *s;

    if (feed_msg_decode(data, size, &m) >= 0) {
        reencode(&m);
        feed_msg_clear(&m);
    }
    if (feed_decode_target(data, size, &t) >= 0) {
        s = feed_encode_target(&t);
        if (s && feed_decode_target((const uint8_t *)s, strlen(s), &t) < 0)
            abort();
        free(s);
    }
    return 0;
}
