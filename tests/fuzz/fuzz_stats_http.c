/* fuzz_stats_http.c - the stats page's request path (lb_stats_http_serve:
 * proto/http1 parse, then the page, CSV, JSON, metrics and the admin
 * form) on any bytes, whole and split in two reads, in-process with a
 * daemon object that has a config and no sockets or threads. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "common/log.h"
#include "common/strbuf.h"
#include "lbd/cfg/cfg.h"
#include "lbd/core/daemon.h"
#include "lbd/ctl/stats_http.h"
#include "proto/http1.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* admin allowed so POST bodies reach the form parser */
static const char cfg_text[] = "defaults\n"
                               "  mode http\n"
                               "listen stats\n"
                               "  bind 127.0.0.1:1\n"
                               "  stats enable\n"
                               "  stats uri /stats\n"
                               "  stats auth u:p\n"
                               "  stats admin if TRUE\n"
                               "backend dbs\n"
                               "  server s1 127.0.0.1:2\n"
                               "  server s2 127.0.0.1:3\n";

static struct lb_daemon *d;
static struct lb_proxy *px;
static struct lk_addr client;

static void setup(void)
{
    struct lb_cfg *cfg = NULL;
    char *err = NULL;

    /* the admin form logs each state change: errors only, for speed */
    lk_log_init("fuzz", LK_LOG_ERR);
    if (lb_cfg_load_mem("fuzz.cfg", cfg_text, &cfg, &err) < 0 || !(d = calloc(1, sizeof(*d))))
        abort();
    d->cfg = cfg;
    px = lb_cfg_find_proxy(cfg, "stats", LB_CAP_FE);
    if (!px)
        abort();
    client.u.in4.sin_family = AF_INET;
    client.u.in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    client.len = sizeof(client.u.in4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct lk_sb out = LK_SB_INIT;
    struct lb_stats_peer peer;
    struct http1_msg m;
    size_t cut;
    char *buf;
    int r = 0;

    if (!d)
        setup();
    if (size < 1)
        return 0;
    peer = (struct lb_stats_peer){d, px, &client};
    cut = data[0] % (size + 1);
    data++;
    size--;
    buf = fuzz_copy(data, size);
    if (!buf)
        return 0;
    http1_msg_init(&m, 64 * 1024, 0);
    if (cut < size)
        r = lb_stats_http_serve(&peer, &m, buf, cut, &out);
    if (r == 0)
        r = lb_stats_http_serve(&peer, &m, buf, size, &out);
    /* an answer is a whole HTTP/1.1 response */
    if (r == 1 && !out.oom && (out.len < 12 || memcmp(out.buf, "HTTP/1.1 ", 9) != 0))
        abort();
    lk_sb_free(&out);
    free(buf);
    return 0;
}
