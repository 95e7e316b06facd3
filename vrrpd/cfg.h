/* cfg.h - vrrpd's config: Keepalived's dialect (global_defs, vrrp_script,
 * vrrp_instance) plus our track_lbd block, read into struct vr_cfg.
 *
 * The lexer (common/cfglex) runs with braces as tokens, '!' comments and
 * includes, so "vrrp_instance V1_1{" and "global_defs{" of the lab guide
 * read as Keepalived reads them. Every block has a keyword table at the
 * bottom of cfg.c; an unknown keyword is "FILE:LINE: unknown keyword 'x' in
 * 'vrrp_instance' block; did you mean 'y'?".
 *
 * The structs are plain data, owned by struct vr_cfg and read by the other
 * modules; nothing in them changes after vr_cfg_load_*() returns. */
#ifndef VR_CFG_H
#define VR_CFG_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/cfglex.h"
#include "common/list.h"

#define VR_MAX_VIPS  20 /* one advertisement carries at most 20 (Keepalived too) */
#define VR_MAX_PEERS 16
#define VR_MAX_TRACK 16
#define VR_NAME_MAX  64

struct vr_vip {
    uint8_t family;    /* AF_INET or AF_INET6 */
    uint32_t addr;     /* IPv4, network order */
    uint8_t addr6[16]; /* IPv6, network order */
    uint8_t prefix;
    bool excluded;           /* virtual_ipaddress_excluded: owned, not advertised */
    char dev[IF_NAMESIZE];   /* "" = the instance's interface */
    char label[IF_NAMESIZE]; /* "" = none */
    uint8_t scope;           /* RT_SCOPE_*; 0 = universe (global) */
    uint32_t brd;            /* network order; 0 = none */
};

#define VR_MAX_ROUTES 16

/* A virtual_routes entry: present while MASTER. */
struct vr_route {
    uint32_t dst; /* network order */
    uint8_t prefix;
    uint8_t scope;    /* RT_SCOPE_* */
    uint8_t type;     /* RTN_UNICAST, RTN_BLACKHOLE, RTN_UNREACHABLE, RTN_PROHIBIT */
    uint32_t gw, src; /* network order; 0 = none */
    uint32_t metric;
    uint32_t table;        /* 0 = main */
    char dev[IF_NAMESIZE]; /* "" = the instance's interface (unless via/blackhole) */
    bool has_dev;
};

/* A virtual_rules entry: present while MASTER. */
struct vr_rule {
    uint32_t from, to; /* network order */
    uint8_t from_len, to_len;
    uint32_t table;
    uint32_t priority; /* 0: none given */
    uint32_t fwmark;
    char iif[IF_NAMESIZE], oif[IF_NAMESIZE];
};

struct vr_script_cfg {
    struct lk_list link; /* in vr_cfg.scripts */
    char *name;
    char *script; /* command line, split on spaces, run without a shell */
    char *user;   /* NULL: global script_user */
    char *group;
    uint32_t interval_ms;
    uint32_t timeout_ms; /* 0: interval */
    int weight;          /* 0: failure means FAULT */
    bool reverse;        /* weight N reverse */
    unsigned rise, fall;
    bool init_fail;
};

/* A track_script, track_interface, track_file or track_process entry,
 * optionally with its own weight. */
struct vr_track_ref {
    char name[VR_NAME_MAX];
    int weight;
    bool has_weight;
    bool reverse; /* "reverse": ok and failed swap, the weight's sign flips */
};

/* track_file NAME { file PATH weight W [reverse] init_file [V] [overwrite] } */
struct vr_tfile_cfg {
    struct lk_list link; /* in vr_cfg.tfiles */
    char *name;
    char *path;
    int weight; /* default 1 */
    bool reverse;
    bool init, overwrite;
    long init_value;
};

enum vr_param_match { VR_PARAM_EXACT = 0, VR_PARAM_PARTIAL, VR_PARAM_INITIAL, VR_PARAM_MAX };

/* vrrp_track_process NAME { process P [ARGS] quorum N ... } */
struct vr_tproc_cfg {
    struct lk_list link; /* in vr_cfg.tprocs */
    char *name;
    char **argv; /* process name then parameters, NULL-terminated */
    int argc;
    enum vr_param_match match;
    bool has_params; /* parameters (or param_match) given: match the command line */
    bool full_command;
    int weight; /* default 1 */
    bool reverse;
    unsigned quorum, quorum_max; /* quorum_max UINT32_MAX: none */
    uint32_t fork_delay_ms, terminate_delay_ms;
};

/* The notify scripts of an instance or a sync group (Keepalived's
 * notify_master, notify_backup, notify_fault, notify_stop and notify, in
 * that order): each command and the user and group it runs as (NULL: the
 * global script_user / script_group). NULL command: none. */
enum vr_notify_slot {
    VR_NOTIFY_MASTER = 0,
    VR_NOTIFY_BACKUP,
    VR_NOTIFY_FAULT,
    VR_NOTIFY_STOP,
    VR_NOTIFY_ANY, /* "notify": every state, with KIND NAME STATE PRIO */
    VR_NOTIFY_MAX
};

struct vr_notify_cfg {
    char *cmd[VR_NOTIFY_MAX], *user[VR_NOTIFY_MAX], *group[VR_NOTIFY_MAX];
};

/* vrrp_sync_group NAME { group { A B } notify_* } */
struct vr_sync_cfg {
    struct lk_list link; /* in vr_cfg.syncs */
    char *name;
    const char *file; /* owned by vr_cfg.files */
    unsigned line;
    char members[VR_MAX_TRACK][VR_NAME_MAX];
    unsigned nmembers;
    struct vr_notify_cfg notify;
    bool tracking_weight; /* sync_group_tracking_weight: keep the members' weights */
};

/* track_lbd { socket PATH weight -N [timeout MS] } */
struct vr_lbd_cfg {
    char *socket; /* NULL: not tracked */
    int weight;   /* 0: failure means FAULT */
    uint32_t timeout_ms;
};

struct vr_inst_cfg {
    struct lk_list link; /* in vr_cfg.instances */
    char *name;
    const char *file; /* where it was declared, for messages; owned by vr_cfg.files */
    unsigned line;
    char ifname[IF_NAMESIZE];
    bool want_master; /* "state MASTER": informational, as in Keepalived */
    uint8_t vrid;
    uint8_t priority;
    uint8_t version; /* 2 or 3 */
    uint8_t family;  /* AF_INET or AF_INET6: the first virtual_ipaddress's, or
                        native_ipv6 (Keepalived's rule) */
    bool native_ipv6;
    bool vmac;                   /* use_vmac: a macvlan with the virtual router MAC */
    bool vmac_xmit_base;         /* adverts leave from ifname, not from the vmac */
    char vmac_name[IF_NAMESIZE]; /* "" until resolved: vrrp.VRID */
    uint16_t adver_cs;           /* centiseconds */
    uint8_t auth_type;           /* VRRP_PKT_AUTH_* (v2) */
    uint8_t auth[8];
    struct vr_vip vips[VR_MAX_VIPS];
    unsigned nvips;
    struct vr_track_ref scripts[VR_MAX_TRACK];
    unsigned nscripts;
    struct vr_track_ref ifaces[VR_MAX_TRACK];
    unsigned nifaces;
    struct vr_track_ref tfiles[VR_MAX_TRACK];
    unsigned ntfiles;
    struct vr_track_ref tprocs[VR_MAX_TRACK];
    unsigned ntprocs;
    struct vr_route routes[VR_MAX_ROUTES];
    unsigned nroutes;
    struct vr_rule rules[VR_MAX_ROUTES];
    unsigned nrules;
    struct vr_sync_cfg *sync; /* the vrrp_sync_group it belongs to, NULL: none */
    struct vr_lbd_cfg lbd;
    uint32_t ucast_src;     /* unicast_src_ip / mcast_src_ip, network order; 0: the
                               interface's primary address */
    uint8_t ucast_src6[16]; /* the same for IPv6; all zero: the interface's
                               link-local address (RFC 5798 5.1.2.1) */
    uint32_t peers[VR_MAX_PEERS];
    unsigned npeers;
    uint8_t peers6[VR_MAX_PEERS][16]; /* IPv6 unicast_peer */
    unsigned npeers6;
    bool preempt;
    bool fast_takeover;
    uint32_t preempt_delay_ms;
    struct vr_notify_cfg notify;
    uint32_t garp_delay_ms;   /* second burst after becoming master; 0: none */
    unsigned garp_repeat;     /* GARPs per burst */
    uint32_t garp_refresh_ms; /* periodic GARP while master; 0: none */
    unsigned garp_refresh_repeat;
    uint32_t garp_lower_prio_delay_ms; /* after a lower-priority advert as master */
    unsigned garp_lower_prio_repeat;   /* UINT32_MAX while parsing: unset */
    bool lower_prio_delay_set;         /* a second burst after the delay, as Keepalived */
    bool higher_prio_send_advert;      /* yielding: one advert with our priority first */
    bool notify_prio_changes;          /* fifo lines MASTER_PRIORITY / BACKUP_PRIORITY */
    bool check_unicast_src;            /* drop adverts from addresses not in unicast_peer */
    bool lower_prio_no_advert;         /* Master: no advert in answer to a lower priority */
    /* set while parsing; resolved against global_defs at the end */
    bool version_set, fast_set, adver_set, hpsa_set, npc_set, cus_set, lpna_set;
    uint32_t adver_raw_cs;
};

/* A notify fifo: the path, and a script started with the path as its last
 * argument to read it. */
struct vr_fifo_cfg {
    char *path; /* NULL: none */
    char *script;
    char *user, *group;
};

struct vr_cfg {
    char *file;
    struct lk_cfgfiles files; /* every file name read (includes too), for messages */
    char *router_id;
    char *script_user, *script_group;
    bool script_security;
    uint8_t version; /* vrrp_version, default 2 as Keepalived */
    bool fast_takeover;
    uint32_t garp_delay_ms;
    unsigned garp_repeat;
    uint32_t garp_refresh_ms;
    unsigned garp_refresh_repeat;
    uint32_t garp_lower_prio_delay_ms; /* UINT32_MAX: the master delay */
    unsigned garp_lower_prio_repeat;   /* UINT32_MAX: the master repeat */
    bool higher_prio_send_advert;
    bool notify_prio_changes;           /* vrrp_notify_priority_changes */
    bool check_unicast_src;             /* vrrp_check_unicast_src */
    bool lower_prio_no_advert;          /* vrrp_lower_prio_no_advert */
    int nice;                           /* vrrp_priority: -20..19 */
    bool no_swap;                       /* vrrp_no_swap: mlockall */
    uint32_t startup_delay_ms;          /* vrrp_startup_delay */
    uint32_t garp_interval_ms;          /* vrrp_garp_interval: between GARPs, 0: none */
    uint32_t gna_interval_ms;           /* vrrp_gna_interval: the same for an IPv6
                                           instance's neighbour advertisements */
    bool fifo_states_on_reload;         /* fifo_write_vrrp_states_on_reload */
    struct vr_fifo_cfg fifo, vrrp_fifo; /* notify_fifo, vrrp_notify_fifo */
    char default_ifname[IF_NAMESIZE];   /* default_interface: for instances without one */
    struct lk_list scripts;             /* struct vr_script_cfg */
    struct lk_list instances;           /* struct vr_inst_cfg */
    struct lk_list tfiles;              /* struct vr_tfile_cfg */
    struct lk_list tprocs;              /* struct vr_tproc_cfg */
    struct lk_list syncs;               /* struct vr_sync_cfg */
};

/* Parse and validate. On success *ret owns everything; on failure *err is
 * "FILE:LINE: ..." (malloc'ed, caller frees) and a negative errno is
 * returned. Warnings (accepted keywords without effect) go to the log. */
int vr_cfg_load_file(const char *path, struct vr_cfg **ret, char **err);
int vr_cfg_load_mem(const char *name, const char *text, struct vr_cfg **ret, char **err);

/* Accepts NULL; returns NULL. */
struct vr_cfg *vr_cfg_free(struct vr_cfg *cfg);

/* Look up a named vrrp_script, vrrp_instance, track_file, track_process or
 * vrrp_sync_group. Returns the object, owned by cfg (valid as long as cfg),
 * or NULL. */
struct vr_script_cfg *vr_cfg_find_script(const struct vr_cfg *cfg, const char *name);
struct vr_inst_cfg *vr_cfg_find_inst(const struct vr_cfg *cfg, const char *name);
struct vr_tfile_cfg *vr_cfg_find_tfile(const struct vr_cfg *cfg, const char *name);
struct vr_tproc_cfg *vr_cfg_find_tproc(const struct vr_cfg *cfg, const char *name);
struct vr_sync_cfg *vr_cfg_find_sync(const struct vr_cfg *cfg, const char *name);

/* 1 if two instances are the same for the protocol (reload keeps the live
 * state of such an instance), 0 otherwise. */
int vr_inst_cfg_same(const struct vr_inst_cfg *a, const struct vr_inst_cfg *b);

#endif
