/* netlink.h - the OS side of vrrpd's addresses and links (Linux rtnetlink
 * through libmnl, plus a few ioctls): add/remove a VIP, read an interface's
 * index, MAC, primary IPv4 address and link state, and watch link changes
 * for track_interface. Everything OS-specific about addresses lives here
 * (and in garp.c / sock.c), behind vr_addr_add()/vr_addr_del(). */
#ifndef VR_NETLINK_H
#define VR_NETLINK_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct vr_link {
    int ifindex;
    uint8_t mac[6];
    uint32_t addr;   /* primary IPv4, network order; 0 if none */
    uint8_t ll6[16]; /* first IPv6 link-local address; all zero if none */
    bool up;         /* IFF_UP and IFF_RUNNING (carrier) */
};

/* Read what vrrpd needs of `ifname`. 0 or a negative errno (-ENODEV). */
int vr_link_get(const char *ifname, struct vr_link *ret);

/* An address to add: addr and brd in network order, scope RT_SCOPE_*
 * (0: global), label NULL or "" for none. family AF_INET6 (0 is AF_INET):
 * addr6 is the address, brd and label do not apply, and the address is
 * added with IFA_F_NODAD, as Keepalived adds IPv6 VIPs: duplicate address
 * detection would keep it tentative (unusable) for a second or more after
 * a failover, and the peer has just removed it. lifetime_s > 0 gives the
 * address that valid and preferred lifetime (IFA_CACHEINFO): the kernel
 * removes it by itself unless it is renewed in time. renew: replace an
 * existing address's lifetime (or add it again if it expired) instead of
 * failing with -EEXIST. */
struct vr_addr_opts {
    uint8_t family;
    uint8_t addr6[16];
    uint32_t addr;
    uint8_t prefix;
    uint8_t scope;
    uint32_t brd; /* 0: none */
    const char *label;
    uint32_t lifetime_s; /* 0: permanent */
    bool renew;
};

/* Add (or renew, see above) o's address on ifindex. 0, -EEXIST if already
 * there and not o->renew, or a negative errno. */
int vr_addr_add(int ifindex, const struct vr_addr_opts *o);

/* An IPv4 route (virtual_routes): addresses in network order, type RTN_*,
 * table any 32-bit id, ifindex 0: none. */
struct vr_route_opts {
    uint32_t dst;
    uint8_t prefix;
    uint8_t scope, type;
    uint32_t gw, src, metric, table;
    int ifindex;
};

/* Add (0, -EEXIST) or remove (0, -ESRCH) a route. */
int vr_route_add(const struct vr_route_opts *o);
int vr_route_del(const struct vr_route_opts *o);

/* An IPv4 policy rule (virtual_rules); iif/oif NULL or "" for any. */
struct vr_rule_opts {
    uint32_t from, to;
    uint8_t from_len, to_len;
    uint32_t table, priority, fwmark;
    const char *iif, *oif;
};

/* Add (0, -EEXIST) or remove (0, -ENOENT) a rule. */
int vr_rule_add(const struct vr_rule_opts *o);
int vr_rule_del(const struct vr_rule_opts *o);

/* Remove addr/prefix. 0, -EADDRNOTAVAIL if it was not there, or a negative
 * errno. */
int vr_addr_del(int ifindex, uint32_t addr, uint8_t prefix);

/* vr_addr_del() for an IPv6 address: same returns. */
int vr_addr_del6(int ifindex, const uint8_t addr6[16], uint8_t prefix);

/* 1 if addr is configured on ifindex, 0 if not, negative errno. */
int vr_addr_present(int ifindex, uint32_t addr);

/* use_vmac (RFC 5798 7.3: the master answers with the virtual router MAC):
 * a macvlan link `name` on `parent` with `mac`, in bridge mode, left down,
 * with IPv6 off on it (a link-local address would send the virtual MAC as
 * a source) and ARP answered on it only for its own addresses. `parent`
 * gets arp_ignore 1 and arp_announce 2, so that neither its ARP replies nor
 * its ARP requests name a VIP with its own MAC. A link of that name with the
 * same MAC is reused (vrrpd restarted); another one is -EEXIST. Its ifindex
 * or a negative errno. */
int vr_vmac_make(const char *name, const char *parent, int parent_ifindex, const uint8_t mac[6]);

/* Set the link administratively up or down. 0 or a negative errno. */
int vr_link_set_up(int ifindex, bool up);

/* Remove the link `name`. 0, -ENODEV if it is not there, or a negative
 * errno. */
int vr_vmac_del(const char *name);

struct vr_linkmon;

/* Called on every RTM_NEWLINK: the interface index and whether it is up. */
typedef void (*vr_link_fn)(int ifindex, bool up, void *ud);

/* Watch link changes on the loop. 0 or a negative errno. *ret is freed by vr_linkmon_stop() (in its
 * close callback); fn is called on the loop with ud. */
int vr_linkmon_start(struct vr_linkmon **ret, uv_loop_t *loop, vr_link_fn fn, void *ud);

/* Close; the object is freed in the close callback. Accepts NULL. */
void vr_linkmon_stop(struct vr_linkmon *m);

#endif
