/* dns.h - run-time DNS for servers that name a "resolvers" section
 * (HAProxy 2.6's server address resolution): c-ares on the daemon's
 * control loop, one channel per resolvers section in use.
 *
 * Servers of the same name (and resolvers section and preferred family)
 * share one resolution: each answer's record set is spread over them, one
 * address each (a server keeps its address while the set still has it),
 * unless "resolve-opts allow-dup-ip" lets them share. A server left
 * without an address (init-addr none before the first answer, a record
 * gone past "hold obsolete", an error past "hold nx|timeout|...") is in
 * MAINT with s->dns_maint set, and comes back UP when an address appears.
 * Addresses change through lb_server_set_addr() (new connections go to
 * the new one) and re-register the health check (lb_hc_server_update()).
 * Everything here runs on the control thread. */
#ifndef LB_DNS_H
#define LB_DNS_H

struct lb_daemon;
struct lb_server;

/* Start resolving every server with "resolvers" and a name. 0 also when
 * no server needs it (d->dns stays NULL); a negative errno, logged, when
 * c-ares cannot start. */
int lb_dns_start(struct lb_daemon *d);

/* Cancel the queries and close the handles (the loop frees them). NULL
 * d->dns is fine. */
void lb_dns_stop(struct lb_daemon *d);

/* Free what lb_dns_start() allocated, once the loop has run the close
 * callbacks; sets d->dns to NULL. */
void lb_dns_free(struct lb_daemon *d);

/* "set server B/S fqdn NAME": resolve `fqdn` for server `s` from now on
 * (its address stays until the first answer). Returns 0, -EINVAL when
 * the server has no resolvers, -ENOMEM. */
int lb_dns_set_fqdn(struct lb_daemon *d, struct lb_server *s, const char *fqdn);

#endif
