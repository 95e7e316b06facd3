/* netlink.c - VIPs and link state through rtnetlink (see netlink.h).
 *
 * Address changes are synchronous request/ACK exchanges on a fresh
 * NETLINK_ROUTE socket: the kernel answers at once, a VIP change happens a
 * few times per failover, and a private socket per request cannot receive
 * another request's answer. */
#include "vrrpd/os/netlink.h"

#include <errno.h>
#include <ifaddrs.h>
#include <linux/fib_rules.h>
#include <linux/if_link.h>
#include <linux/ip.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

#include "common/compiler.h"

/* MNL_SOCKET_BUFFER_SIZE is a run-time page-size expression (a VLA) */
#define NL_BUF 8192

/* The interface's first fe80::/10 address (RFC 5798 5.1.2.1: the source
 * of IPv6 advertisements); left zero if it has none. */
static void link_local6(const char *ifname, uint8_t ret[16])
{
    struct ifaddrs *ifa, *it;

    if (getifaddrs(&ifa) == -1)
        return;
    for (it = ifa; it; it = it->ifa_next) {
        const uint8_t *a;

        if (!it->ifa_addr || it->ifa_addr->sa_family != AF_INET6 || strcmp(it->ifa_name, ifname))
            continue;
        a = ((struct sockaddr_in6 *)(void *)it->ifa_addr)->sin6_addr.s6_addr;
        if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) {
            memcpy(ret, a, 16);
            break;
        }
    }
    freeifaddrs(ifa);
}

/* ioctls rather than netlink for this one-shot read: they are synchronous,
 * need no buffer parsing, and work without CAP_NET_ADMIN. "up" means
 * administratively up and carrier present (IFF_RUNNING), the condition under
 * which an advertisement can actually leave. */
int vr_link_get(const char *ifname, struct vr_link *ret)
{
    struct vr_link l = {0};
    struct ifreq ifr;
    int fd, r = 0;

    if (strlen(ifname) >= IFNAMSIZ)
        return -ENAMETOOLONG;
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd == -1)
        return -errno;
    memset(&ifr, 0, sizeof(ifr));
    memcpy(ifr.ifr_name, ifname, strlen(ifname));
    if (ioctl(fd, SIOCGIFINDEX, &ifr) == -1) {
        r = -errno;
        goto out;
    }
    l.ifindex = ifr.ifr_ifindex;
    if (ioctl(fd, SIOCGIFHWADDR, &ifr) == 0)
        memcpy(l.mac, ifr.ifr_hwaddr.sa_data, 6);
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0)
        l.up = (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
    /* the first address is the primary: VIPs are added after it */
    if (ioctl(fd, SIOCGIFADDR, &ifr) == 0)
        memcpy(&l.addr, &((struct sockaddr_in *)(void *)&ifr.ifr_addr)->sin_addr, 4);
    link_local6(ifname, l.ll6);
    *ret = l;
out:
    close(fd);
    return r;
}

/* Send one request and wait for its ACK (or error). */
/* The sequence number only has to differ from earlier requests on this
 * private socket, so the clock is enough; mnl_cb_run() checks both it and the
 * port id, so a stray message cannot be taken for the ACK. */
static int nl_request(struct nlmsghdr *nlh)
{
    char buf[NL_BUF];
    struct mnl_socket *nl;
    unsigned seq, portid;
    ssize_t n;
    int r;

    nl = mnl_socket_open(NETLINK_ROUTE);
    if (!nl)
        return -errno;
    if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
        r = -errno;
        goto out;
    }
    portid = mnl_socket_get_portid(nl);
    seq = (unsigned)time(NULL);
    nlh->nlmsg_seq = seq;
    if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
        r = -errno;
        goto out;
    }
    n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
    if (n < 0) {
        r = -errno;
        goto out;
    }
    r = mnl_cb_run(buf, (size_t)n, seq, portid, NULL, NULL);
    r = r < 0 ? -errno : 0;
out:
    mnl_socket_close(nl);
    return r;
}

/* A request that wants its ACK. */
static struct nlmsghdr *nl_header(char *buf, uint16_t type, uint16_t flags)
{
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    return nlh;
}

/* An address request; addr is 4 (AF_INET) or 16 (AF_INET6) bytes. */
static struct nlmsghdr *addr_msg(char *buf,
                                 uint16_t type,
                                 uint16_t flags,
                                 int ifindex,
                                 int af,
                                 const void *addr,
                                 uint8_t prefix)
{
    struct nlmsghdr *nlh = nl_header(buf, type, flags);
    struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
    size_t alen = af == AF_INET6 ? 16 : 4;

    ifa->ifa_family = (uint8_t)af;
    ifa->ifa_prefixlen = prefix;
    ifa->ifa_scope = RT_SCOPE_UNIVERSE;
    ifa->ifa_index = (unsigned)ifindex;
    mnl_attr_put(nlh, IFA_LOCAL, alen, addr);
    mnl_attr_put(nlh, IFA_ADDRESS, alen, addr);
    return nlh;
}

/* NLM_F_REPLACE renews an existing address (or adds it again). */
static uint16_t add_flags(const struct vr_addr_opts *o)
{
    return NLM_F_CREATE | (o->renew ? NLM_F_REPLACE : NLM_F_EXCL);
}

static void put_lifetime(struct nlmsghdr *nlh, const struct vr_addr_opts *o)
{
    /* honoured for IPv4 since Linux 3.9 (IPv6 always); the kernel checks
     * them at most once a second, so the address goes lifetime_s to
     * lifetime_s + ~0.25 s after the last renewal */
    struct ifa_cacheinfo ci = {.ifa_prefered = o->lifetime_s, .ifa_valid = o->lifetime_s};

    if (o->lifetime_s)
        mnl_attr_put(nlh, IFA_CACHEINFO, sizeof(ci), &ci);
}

/* IPv6: no label, no broadcast (Linux keeps neither for IPv6). */
/* IFA_F_NODAD: duplicate address detection would keep the VIP tentative
 * (unusable as a source) for a second or more after a takeover, and the VRRP
 * election has already decided who owns the address. */
static int addr_add6(int ifindex, const struct vr_addr_opts *o)
{
    char buf[NL_BUF];
    struct nlmsghdr *nlh;
    struct ifaddrmsg *ifa;

    nlh = addr_msg(buf, RTM_NEWADDR, add_flags(o), ifindex, AF_INET6, o->addr6, o->prefix);
    ifa = mnl_nlmsg_get_payload(nlh);
    ifa->ifa_scope = o->scope;
    ifa->ifa_flags = IFA_F_NODAD;
    put_lifetime(nlh, o);
    return nl_request(nlh);
}

int vr_addr_del6(int ifindex, const uint8_t addr6[16], uint8_t prefix)
{
    char buf[NL_BUF];

    return nl_request(addr_msg(buf, RTM_DELADDR, 0, ifindex, AF_INET6, addr6, prefix));
}

/* The label lets "ip addr" show which VIPs vrrpd added (Keepalived's "label"
 * option); an overlong label is dropped rather than refused by the kernel
 * with the whole address. */
int vr_addr_add(int ifindex, const struct vr_addr_opts *o)
{
    char buf[NL_BUF];
    struct nlmsghdr *nlh;

    if (o->family == AF_INET6)
        return addr_add6(ifindex, o);
    nlh = addr_msg(buf, RTM_NEWADDR, add_flags(o), ifindex, AF_INET, &o->addr, o->prefix);
    ((struct ifaddrmsg *)mnl_nlmsg_get_payload(nlh))->ifa_scope = o->scope;
    if (o->label && o->label[0] && strlen(o->label) < IFNAMSIZ)
        mnl_attr_put_strz(nlh, IFA_LABEL, o->label);
    if (o->brd)
        mnl_attr_put(nlh, IFA_BROADCAST, 4, &o->brd);
    put_lifetime(nlh, o);
    return nl_request(nlh);
}

/* A route or rule request's header (struct fib_rule_hdr has rtmsg's
 * layout); tables past 255 go in an attribute. */
static struct rtmsg *rt_header(char *buf,
                               uint16_t type,
                               uint16_t flags,
                               uint32_t table,
                               struct nlmsghdr **ret)
{
    struct nlmsghdr *nlh = nl_header(buf, type, flags);
    struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

    rtm->rtm_family = AF_INET;
    rtm->rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
    *ret = nlh;
    return rtm;
}

/* RTM_NEWROUTE / RTM_DELROUTE for one IPv4 route. */
static struct nlmsghdr *route_msg(char *buf,
                                  uint16_t type,
                                  uint16_t flags,
                                  const struct vr_route_opts *o)
{
    struct nlmsghdr *nlh;
    struct rtmsg *rtm = rt_header(buf, type, flags, o->table, &nlh);

    rtm->rtm_dst_len = o->prefix;
    rtm->rtm_protocol = RTPROT_BOOT; /* as `ip route add` */
    rtm->rtm_scope = o->scope;
    rtm->rtm_type = o->type;
    if (o->table >= 256)
        mnl_attr_put_u32(nlh, RTA_TABLE, o->table);
    if (o->prefix)
        mnl_attr_put(nlh, RTA_DST, 4, &o->dst);
    if (o->gw)
        mnl_attr_put(nlh, RTA_GATEWAY, 4, &o->gw);
    if (o->src)
        mnl_attr_put(nlh, RTA_PREFSRC, 4, &o->src);
    if (o->ifindex > 0)
        mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)o->ifindex);
    if (o->metric)
        mnl_attr_put_u32(nlh, RTA_PRIORITY, o->metric);
    return nlh;
}

int vr_route_add(const struct vr_route_opts *o)
{
    char buf[NL_BUF];

    return nl_request(route_msg(buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, o));
}

int vr_route_del(const struct vr_route_opts *o)
{
    char buf[NL_BUF];

    return nl_request(route_msg(buf, RTM_DELROUTE, 0, o));
}

/* RTM_NEWRULE / RTM_DELRULE, sent. */
static int rule_msg(uint16_t type, uint16_t flags, const struct vr_rule_opts *o)
{
    char buf[NL_BUF];
    struct nlmsghdr *nlh;
    struct rtmsg *rtm = rt_header(buf, type, flags, o->table, &nlh);

    rtm->rtm_src_len = o->from_len;
    rtm->rtm_dst_len = o->to_len;
    rtm->rtm_type = FR_ACT_TO_TBL;
    mnl_attr_put_u32(nlh, FRA_TABLE, o->table);
    if (o->from_len)
        mnl_attr_put(nlh, FRA_SRC, 4, &o->from);
    if (o->to_len)
        mnl_attr_put(nlh, FRA_DST, 4, &o->to);
    if (o->priority)
        mnl_attr_put_u32(nlh, FRA_PRIORITY, o->priority);
    if (o->fwmark)
        mnl_attr_put_u32(nlh, FRA_FWMARK, o->fwmark);
    if (o->iif && o->iif[0])
        mnl_attr_put_strz(nlh, FRA_IIFNAME, o->iif);
    if (o->oif && o->oif[0])
        mnl_attr_put_strz(nlh, FRA_OIFNAME, o->oif);
    return nl_request(nlh);
}

int vr_rule_add(const struct vr_rule_opts *o)
{
    return rule_msg(RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, o);
}

int vr_rule_del(const struct vr_rule_opts *o)
{
    return rule_msg(RTM_DELRULE, 0, o);
}

int vr_addr_del(int ifindex, uint32_t addr, uint8_t prefix)
{
    char buf[NL_BUF];

    return nl_request(addr_msg(buf, RTM_DELADDR, 0, ifindex, AF_INET, &addr, prefix));
}

int vr_addr_present(int ifindex, uint32_t addr)
{
    struct ifaddrs *ifa, *it;
    int found = 0;

    if (getifaddrs(&ifa) == -1)
        return -errno;
    for (it = ifa; it && !found; it = it->ifa_next) {
        if (!it->ifa_addr || it->ifa_addr->sa_family != AF_INET)
            continue;
        if ((int)if_nametoindex(it->ifa_name) != ifindex)
            continue;
        found = ((struct sockaddr_in *)(void *)it->ifa_addr)->sin_addr.s_addr == addr;
    }
    freeifaddrs(ifa);
    return found;
}

/* ---- link monitor --------------------------------------------------- */

struct vr_linkmon {
    uv_poll_t poll;
    struct mnl_socket *nl;
    vr_link_fn fn;
    void *ud;
};

/* A link that is deleted or loses carrier is reported down; vrrpd does not
 * care why, only whether advertisements can leave through it. */
static int link_cb(const struct nlmsghdr *nlh, void *data)
{
    struct vr_linkmon *m = data;
    const struct ifinfomsg *ifi;

    if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK)
        return MNL_CB_OK;
    ifi = mnl_nlmsg_get_payload(nlh);
    m->fn(ifi->ifi_index,
          nlh->nlmsg_type == RTM_NEWLINK && (ifi->ifi_flags & IFF_UP) &&
              (ifi->ifi_flags & IFF_RUNNING),
          m->ud);
    return MNL_CB_OK;
}

static void on_link(uv_poll_t *p, int status, int events)
{
    struct vr_linkmon *m = lk_container_of(p, struct vr_linkmon, poll);
    char buf[NL_BUF];
    ssize_t n;
    int i;

    /* bounded: at most 16 datagrams per wakeup, the rest next time */
    for (i = 0; i < 16; i++) {
        n = recv(mnl_socket_get_fd(m->nl), buf, sizeof(buf), MSG_DONTWAIT);
        if (n <= 0)
            break;
        mnl_cb_run(buf, (size_t)n, 0, 0, link_cb, m);
    }
}

/* Only link events (RTMGRP_LINK): address changes of pending instances are
 * picked up by the daemon's one-second retry instead. */
int vr_linkmon_start(struct vr_linkmon **ret, uv_loop_t *loop, vr_link_fn fn, void *ud)
{
    struct vr_linkmon *m = calloc(1, sizeof(*m));
    int r;

    if (!m)
        return -ENOMEM;
    m->fn = fn;
    m->ud = ud;
    m->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (!m->nl) {
        r = -errno;
        free(m);
        return r;
    }
    if (mnl_socket_bind(m->nl, RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0) {
        r = -errno;
        goto fail;
    }
    r = uv_poll_init(loop, &m->poll, mnl_socket_get_fd(m->nl));
    if (r < 0)
        goto fail;
    uv_poll_start(&m->poll, UV_READABLE, on_link);
    *ret = m;
    return 0;
fail:
    mnl_socket_close(m->nl);
    free(m);
    return r;
}

static void linkmon_closed(uv_handle_t *h)
{
    struct vr_linkmon *m = lk_container_of(h, struct vr_linkmon, poll);

    mnl_socket_close(m->nl);
    free(m);
}

void vr_linkmon_stop(struct vr_linkmon *m)
{
    if (m)
        uv_close((uv_handle_t *)&m->poll, linkmon_closed);
}

/* ---- use_vmac -------------------------------------------------------- */

/* A link's IPv4 ARP settings and IPv6 address generation over rtnetlink
 * (IFLA_AF_SPEC) rather than /proc/sys, which the systemd unit mounts
 * read-only (ProtectKernelTunables). arp_* < 0: left as they are; no_ll6:
 * no IPv6 link-local address (IN6_ADDR_GEN_MODE_NONE). */
static int link_af_set(int ifindex, int arp_ignore, int arp_announce, bool no_ll6)
{
    char buf[NL_BUF];
    struct nlmsghdr *nlh = nl_header(buf, RTM_NEWLINK, 0);
    struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
    struct nlattr *spec, *af, *conf;

    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = ifindex;
    spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
    af = mnl_attr_nest_start(nlh, AF_INET);
    conf = mnl_attr_nest_start(nlh, IFLA_INET_CONF);
    if (arp_ignore >= 0)
        mnl_attr_put_u32(nlh, IPV4_DEVCONF_ARP_IGNORE, (uint32_t)arp_ignore);
    if (arp_announce >= 0)
        mnl_attr_put_u32(nlh, IPV4_DEVCONF_ARP_ANNOUNCE, (uint32_t)arp_announce);
    mnl_attr_nest_end(nlh, conf);
    mnl_attr_nest_end(nlh, af);
    if (no_ll6) {
        af = mnl_attr_nest_start(nlh, AF_INET6);
        mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
        mnl_attr_nest_end(nlh, af);
    }
    mnl_attr_nest_end(nlh, spec);
    return nl_request(nlh);
}

static int vmac_create(const char *name, int parent, const uint8_t mac[6])
{
    char buf[NL_BUF];
    struct nlmsghdr *nlh = nl_header(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
    struct nlattr *info, *data;

    ifi->ifi_family = AF_UNSPEC;
    mnl_attr_put_u32(nlh, IFLA_LINK, (uint32_t)parent);
    mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
    mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
    info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
    mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "macvlan");
    data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
    /* bridge, not private: a multicast frame whose source is the MAC of a
     * private macvlan that is up is taken for that macvlan's own echo and
     * handed to it alone, so the parent (where vrrpd receives) would not
     * see another master's adverts, which carry the same virtual MAC, and
     * two masters would never resolve */
    mnl_attr_put_u32(nlh, IFLA_MACVLAN_MODE, MACVLAN_MODE_BRIDGE);
    mnl_attr_nest_end(nlh, data);
    mnl_attr_nest_end(nlh, info);
    return nl_request(nlh);
}

int vr_link_set_up(int ifindex, bool up)
{
    char buf[NL_BUF];
    struct nlmsghdr *nlh = nl_header(buf, RTM_NEWLINK, 0);
    struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = ifindex;
    ifi->ifi_flags = up ? IFF_UP : 0;
    ifi->ifi_change = IFF_UP;
    return nl_request(nlh);
}

int vr_vmac_make(const char *name, const char *parent, int parent_ifindex, const uint8_t mac[6])
{
    struct vr_link l;
    int r;

    if (vr_link_get(name, &l) == 0) {
        if (memcmp(l.mac, mac, 6) != 0)
            return -EEXIST;
    } else {
        r = vmac_create(name, parent_ifindex, mac);
        if (r < 0)
            return r;
        r = vr_link_get(name, &l);
        if (r < 0)
            return r;
    }
    /* before it is up, so that no IPv6 link-local address is made. The
     * parent must not speak for the VIPs with its own MAC: no ARP replies
     * for them (arp_ignore 1), and its own ARP requests (for a client the
     * master answers from a VIP) carry its own address, not the VIP
     * (arp_announce 2), else clients would learn the parent's MAC. */
    r = link_af_set(l.ifindex, 1, -1, true);
    if (r == 0)
        r = link_af_set(parent_ifindex, 1, 2, false);
    return r < 0 ? r : l.ifindex;
}

int vr_vmac_del(const char *name)
{
    char buf[NL_BUF];
    struct nlmsghdr *nlh = nl_header(buf, RTM_DELLINK, 0);
    struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

    ifi->ifi_family = AF_UNSPEC;
    mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
    return nl_request(nlh);
}
