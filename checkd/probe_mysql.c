/* probe_mysql.c - HAProxy's "option mysql-check [user U]": the server's
 * greeting must arrive (an ERR instead of it, e.g. 1040 too many
 * connections or 1130 host not allowed, is a failure), and when a user is
 * given its login must be answered with OK (1045 access denied is a
 * failure). The bytes sent are built by proto/mysql.c. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "checkd/probe_int.h"
#include "proto/mysql.h"

static int judge_login(const struct feed_target *cfg,
                       const uint8_t *buf,
                       size_t len,
                       int eof,
                       const struct mysql_greeting *g,
                       struct chk_result *r)
{
    struct mysql_err e;
    int kind, n = mysql_pkt_peek(buf, len, &kind);

    if (n == -EAGAIN && !eof)
        return 0;
    if (n < 0) {
        chk_result_set(r, FEED_RES_L7RSP, -1, "Layer7 invalid response: no answer to login");
        return 1;
    }
    if (kind == MYSQL_PKT_OK) {
        chk_result_set(r, FEED_RES_L7OK, -1, "Layer7 check passed: %s, user %s accepted",
                       g->version, cfg->user);
        return 1;
    }
    if (kind == MYSQL_PKT_ERR && mysql_err_parse(buf, len, &e) > 0) {
        chk_result_set(r, FEED_RES_L7STS, e.code, "Layer7 wrong status: MySQL error %u: %s", e.code,
                       e.message);
        return 1;
    }
    chk_result_set(r, FEED_RES_L7RSP, -1, "Layer7 invalid response: packet 0x%02x after login",
                   (unsigned)kind);
    return 1;
}

int chk_mysql_judge(const struct feed_target *cfg,
                    const uint8_t *buf,
                    size_t len,
                    int eof,
                    struct chk_result *r)
{
    struct mysql_greeting g;
    struct mysql_err e;
    int n = mysql_greeting_parse(buf, len, &g, &e);

    if (n == -EAGAIN && !eof)
        return 0;
    if (n == -ECONNREFUSED) {
        chk_result_set(r, FEED_RES_L7STS, e.code, "Layer7 wrong status: MySQL error %u: %s", e.code,
                       e.message);
        return 1;
    }
    if (n < 0) {
        chk_result_set(r, FEED_RES_L7RSP, -1, "Layer7 invalid response: %s",
                       n == -EAGAIN ? "connection closed before the greeting"
                                    : "not a MySQL greeting");
        return 1;
    }
    if (!cfg->user[0]) {
        chk_result_set(r, FEED_RES_L7OK, -1, "Layer7 check passed: %s", g.version);
        return 1;
    }
    return judge_login(cfg, buf + n, len - (size_t)n, eof, &g, r);
}
