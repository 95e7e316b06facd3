/* addr.c - see addr.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/addr.h"
#include "common/cfgkw.h"
#include "common/compiler.h"

/* Numeric addresses only: configs are read before the network may be up,
 * and a name resolved once at start would silently go stale (names go
 * through lbd's resolvers section, which re-resolves). */
static int parse_host(const char *h, size_t n, struct lk_addr *a)
{
    char tmp[INET6_ADDRSTRLEN + 1];

    if (n >= sizeof(tmp))
        return -EINVAL;
    memcpy(tmp, h, n);
    tmp[n] = '\0';
    memset(a, 0, sizeof(*a));
    /* ":80", "*:80": HAProxy's wildcard is IPv4 ("::" asks for IPv6) */
    if (n == 0 || strcmp(tmp, "*") == 0 || strcmp(tmp, "0.0.0.0") == 0) {
        a->u.in4.sin_family = AF_INET;
        a->u.in4.sin_addr.s_addr = htonl(INADDR_ANY);
        a->len = sizeof(a->u.in4);
        return 0;
    }
    if (inet_pton(AF_INET, tmp, &a->u.in4.sin_addr) == 1) {
        a->u.in4.sin_family = AF_INET;
        a->len = sizeof(a->u.in4);
        return 0;
    }
    if (inet_pton(AF_INET6, tmp, &a->u.in6.sin6_addr) == 1) {
        a->u.in6.sin6_family = AF_INET6;
        a->len = sizeof(a->u.in6);
        return 0;
    }
    return -EINVAL;
}

/* the port sits at the same place in both families' sockaddr, but the
 * fields are named apart: write the one the family says */
void lk_addr_set_port(struct lk_addr *a, unsigned port)
{
    if (a->u.sa.sa_family == AF_INET)
        a->u.in4.sin_port = htons((uint16_t)port);
    else
        a->u.in6.sin6_port = htons((uint16_t)port);
}

int lk_addr_parse(const char *s, unsigned flags, struct lk_addr *ret)
{
    const char *colon, *host = s, *hend;
    struct lk_addr a;
    uint64_t port = 0;

    /* HAProxy's family prefixes; the address itself says its family */
    if (strncmp(s, "ipv4@", 5) == 0 || strncmp(s, "ipv6@", 5) == 0)
        host = s += 5;
    /* "[::1]:80": the brackets are what tell an IPv6 address from its port */
    if (*s == '[') {
        host = s + 1;
        hend = strchr(host, ']');
        if (!hend)
            return -EINVAL;
        colon = hend[1] == ':' ? hend + 1 : NULL;
        if (!colon && hend[1] != '\0')
            return -EINVAL;
    } else {
        /* unbracketed: the last ':' is the port's, which also reads "::1" as
         * host "::1" only when no port is expected */
        colon = (flags & LK_ADDR_NO_PORT) ? NULL : strrchr(s, ':');
        hend = colon ? colon : s + strlen(s);
    }
    if (colon && (flags & LK_ADDR_NO_PORT))
        return -EINVAL;
    if (!colon && !(flags & (LK_ADDR_PORT_OPTIONAL | LK_ADDR_NO_PORT)))
        return -EINVAL;
    if (colon &&
        lk_parse_uint(colon + 1, (flags & LK_ADDR_PORT_OPTIONAL) ? 0 : 1, 65535, &port) < 0)
        return -EINVAL;
    if (parse_host(host, (size_t)(hend - host), &a) < 0)
        return -EINVAL;
    lk_addr_set_port(&a, (unsigned)port);
    *ret = a;
    return 0;
}

unsigned lk_addr_port(const struct lk_addr *a)
{
    if (a->u.sa.sa_family == AF_INET)
        return ntohs(a->u.in4.sin_port);
    if (a->u.sa.sa_family == AF_INET6)
        return ntohs(a->u.in6.sin6_port);
    return 0;
}

const char *lk_addr_ip_str(const struct lk_addr *a, char *buf, size_t len)
{
    const void *src = a->u.sa.sa_family == AF_INET ? (const void *)&a->u.in4.sin_addr
                                                   : (const void *)&a->u.in6.sin6_addr;

    /* HAProxy logs "unix" as the client of a Unix-socket connection */
    if (a->u.sa.sa_family == AF_UNIX || !inet_ntop(a->u.sa.sa_family, src, buf, (socklen_t)len))
        snprintf(buf, len, "unix");
    return buf;
}

const char *lk_addr_str(const struct lk_addr *a, char *buf, size_t len)
{
    char ip[INET6_ADDRSTRLEN];

    lk_addr_ip_str(a, ip, sizeof(ip));
    if (a->u.sa.sa_family == AF_UNIX) /* no port: "unix", as HAProxy's stats show it */
        snprintf(buf, len, "unix");
    else if (a->u.sa.sa_family == AF_INET6)
        snprintf(buf, len, "[%s]:%u", ip, lk_addr_port(a));
    else
        snprintf(buf, len, "%s:%u", ip, lk_addr_port(a));
    return buf;
}
