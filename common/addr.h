/* addr.h - socket addresses as config files write them. */
#ifndef LK_ADDR_H
#define LK_ADDR_H

#include <netinet/in.h>
#include <sys/socket.h>

struct lk_addr {
    union {
        struct sockaddr sa;
        struct sockaddr_in in4;
        struct sockaddr_in6 in6;
        struct sockaddr_storage ss;
    } u;
    socklen_t len;
};

#define LK_ADDR_PORT_OPTIONAL (1u << 0) /* "ADDR" alone is fine (port 0) */
#define LK_ADDR_NO_PORT       (1u << 1) /* no port allowed at all */

/* Parse "IPv4:PORT", "*:PORT", ":PORT", "[IPv6]:PORT", "ipv6@ADDR:PORT" or,
 * as HAProxy reads IPv6, "ADDR:PORT" split at the last colon. Names are not
 * resolved (a resolver would block the loop; HAProxy resolves at start-up
 * only too). Returns 0 or -EINVAL. */
int lk_addr_parse(const char *s, unsigned flags, struct lk_addr *ret);

/* "1.2.3.4:80", "[::1]:80", or "unix" for a UNIX socket (HAProxy's stats
 * form), into buf; returns buf. */
const char *lk_addr_str(const struct lk_addr *a, char *buf, size_t len);

/* Address only, without the port. */
const char *lk_addr_ip_str(const struct lk_addr *a, char *buf, size_t len);

unsigned lk_addr_port(const struct lk_addr *a);

/* Write port (host order, 0..65535) into a, whose family must be set
 * (AF_INET or AF_INET6). */
void lk_addr_set_port(struct lk_addr *a, unsigned port);

#define LK_ADDR_STRLEN 64

#endif
