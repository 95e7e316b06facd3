/* httplog.c - see httplog.h. */
#include <stdio.h>
#include <time.h>

#include "lbd/http/httplog.h"

static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

size_t lb_httplog_format(char *buf, size_t len, const struct lb_httplog_rec *r)
{
    char ip[LK_ADDR_STRLEN];
    time_t secs = (time_t)(r->date_wall_us / 1000000);
    struct tm tm;
    int n;

    localtime_r(&secs, &tm);
    lk_addr_ip_str(r->client, ip, sizeof(ip));
    n = snprintf(
        buf, len,
        "%s:%u [%02d/%s/%04d:%02d:%02d:%02d.%03u] %s %s/%s %lld/%lld/%lld/%lld/%lld %d "
        "%llu - - %c%c%c%c %u/%u/%u/%u/%s%u %u/%u \"%.*s\"",
        ip, lk_addr_port(r->client), tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
        tm.tm_min, tm.tm_sec, (unsigned)(r->date_wall_us / 1000 % 1000), r->frontend,
        r->backend ? r->backend : r->frontend, r->server ? r->server : "<NOSRV>", (long long)r->tr,
        (long long)r->tw, (long long)r->tc, (long long)r->trsp, (long long)r->ta, r->status,
        (unsigned long long)r->bytes, r->term[0], r->term[1], r->term[2], r->term[3], r->actconn,
        r->feconn, r->beconn, r->srvconn, r->redispatched ? "+" : "", r->retries, r->srv_queue,
        r->be_queue, (int)r->reqline_len, r->reqline ? r->reqline : "");
    if (n < 0)
        return 0;
    return (size_t)n < len ? (size_t)n : len - 1;
}
