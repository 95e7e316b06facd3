/* guard.h - a last will for vrrpd's master instances, executed by a small
 * child process when vrrpd dies without resigning (kill -9, a crash, the
 * OOM killer).
 *
 * vrrpd forks the guard at start; the guard keeps only the read end of a
 * pipe. Each instance that becomes Master hands it a will (its priority-0
 * advertisements, already encoded, and its VIPs); leaving Master revokes
 * it. When the pipe reads EOF (vrrpd is gone, whatever the cause) the
 * guard sends every will's priority-0 advertisements, so the peer takes
 * over at once instead of after Master_Down_Interval, removes the VIPs,
 * so no duplicate stays behind, and exits. A clean stop has revoked every
 * will by then, so the guard just exits. */
#ifndef VR_GUARD_H
#define VR_GUARD_H

#include <net/if.h>
#include <stdint.h>

#include "proto/vrrp_pkt.h"
#include "vrrpd/cfg.h"
#include "vrrpd/os/netlink.h"

struct vr_guard_vip {
    int ifindex;
    uint32_t addr; /* IPv4, network order */
    uint8_t addr6[16];
    uint8_t family; /* AF_INET or AF_INET6 */
    uint8_t prefix;
};

#define VR_GUARD_MAX_ROUTES 8 /* routes and rules each: what fits in PIPE_BUF */

/* Everything the guard needs, copied: vrrpd's memory is gone when it runs.
 * The virtual routes and rules go with the VIPs (the first
 * VR_GUARD_MAX_ROUTES of each). */
struct vr_guard_will {
    char name[VR_NAME_MAX]; /* the instance: a new will replaces the old */
    uint8_t revoke;         /* 1: forget the will of `name` */
    char ifname[IFNAMSIZ];
    int ifindex;
    int unicast;
    uint8_t family; /* AF_INET or AF_INET6 */
    uint32_t src;   /* network order */
    uint8_t src6[16];
    uint8_t ndst;
    uint8_t nvips;
    uint16_t len[VR_MAX_PEERS];
    uint32_t dst[VR_MAX_PEERS];
    union {
        uint8_t pkt[VR_MAX_PEERS][VRRP_PKT_MAX_LEN]; /* one per destination (v3 checksum) */
        /* IPv6: encoded by the guard for each destination (ff02::12 or the
         * unicast peers): 16 encoded packets would not fit in PIPE_BUF */
        struct {
            struct vrrp_pkt p;
            uint8_t dst6[VR_MAX_PEERS][16];
        } v6;
    };
    struct vr_guard_vip vips[VR_MAX_VIPS];
    uint8_t nroutes, nrules;
    struct vr_route_opts routes[VR_GUARD_MAX_ROUTES];
    struct vr_rule rules[VR_GUARD_MAX_ROUTES]; /* names inline: a plain copy */
};

/* The netlink request of a virtual_rules entry; o points into r. */
void vr_guard_rule_opts(const struct vr_rule *r, struct vr_rule_opts *o);

/* Fork the guard. Returns the write end of its pipe (close-on-exec) or a
 * negative errno. The caller owns the fd; closing it lets the guard run
 * the wills still held and exit. path (may be NULL; copied by the fork)
 * is the wills file: the guard rewrites it at each will and revocation
 * and removes it once it has run them, so when vrrpd and its guard are
 * killed together the file still holds what the masters left undone, for
 * vr_guard_resign (systemd's ExecStopPost=vrrpd --resign). */
int vr_guard_start(const char *path);

/* `vrrpd --resign`: run the wills left in the file at path (priority-0
 * advertisements, VIPs, routes and rules removed), then remove it. No file
 * (the guard or a clean stop did it) is not an error. Returns the number
 * of wills run, or a negative errno (-EINVAL: not a wills file of this
 * build, left in place). */
int vr_guard_resign(const char *path);

/* Hand over (w->revoke == 0) or revoke a will. One write below PIPE_BUF,
 * so it is atomic. fd < 0 (no guard) is a no-op. 0 or a negative errno. */
int vr_guard_send(int fd, const struct vr_guard_will *w);

#endif
