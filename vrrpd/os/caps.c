/* caps.c - capabilities through capget/capset and PR_CAPBSET_DROP (see
 * caps.h); no library, the two system calls are all it takes. */
#include "vrrpd/os/caps.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define BIT(c) (1ull << (c))

static int caps_get(struct __user_cap_data_struct d[2])
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};

    return syscall(SYS_capget, &h, d) == -1 ? -errno : 0;
}

static uint64_t join(uint32_t lo, uint32_t hi)
{
    return (uint64_t)lo | (uint64_t)hi << 32;
}

/* The bounding set must be walked up to the running kernel's last capability,
 * which may be newer than the headers vrrpd was built with. */
static unsigned last_cap(void)
{
    unsigned v = CAP_LAST_CAP;
    FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");

    if (f) {
        if (fscanf(f, "%u", &v) != 1 || v > 63)
            v = CAP_LAST_CAP;
        fclose(f);
    }
    return v;
}

unsigned long long vr_caps_effective(void)
{
    struct __user_cap_data_struct d[2] = {{0}};

    return caps_get(d) < 0 ? 0 : join(d[0].effective, d[1].effective);
}

/* After start vrrpd only needs NET_ADMIN (addresses, routes) and NET_RAW
 * (VRRP and ARP sockets); with scripts run as another user it also keeps what
 * switching user, killing its children and chowning the FIFO need. Dropping
 * the rest limits what a compromised vrrpd (it parses packets from the
 * network) can do as root. A failure is returned but leaves the process
 * running with what it has. */
int vr_caps_limit(bool switch_user)
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2] = {{0}};
    uint64_t keep = BIT(CAP_NET_ADMIN) | BIT(CAP_NET_RAW), perm, inh;
    unsigned c, last = last_cap();
    int r = caps_get(d);

    if (r < 0)
        return r;
    if (switch_user)
        keep |= BIT(CAP_SETUID) | BIT(CAP_SETGID) | BIT(CAP_KILL) | BIT(CAP_CHOWN);
    perm = join(d[0].permitted, d[1].permitted);
    inh = join(d[0].inheritable, d[1].inheritable);
    /* Already no more than we keep (the unit's User= with ambient
     * capabilities): nothing to give up, and the unit's SystemCallFilter
     * (~@privileged) answers capset with EPERM anyway. */
    if (!(perm & ~keep) && !(inh & ~keep))
        return 0;
    /* the bounding set first: dropping needs CAP_SETPCAP, given up next */
    if (perm & BIT(CAP_SETPCAP))
        for (c = 0; c <= last; c++)
            if (!(keep & BIT(c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) == -1 && errno != EINVAL)
                r = -errno;
    keep &= perm;
    inh &= keep; /* ambient capabilities need their inheritable bit */
    d[0].effective = d[0].permitted = (uint32_t)keep;
    d[1].effective = d[1].permitted = (uint32_t)(keep >> 32);
    d[0].inheritable = (uint32_t)inh;
    d[1].inheritable = (uint32_t)(inh >> 32);
    if (syscall(SYS_capset, &h, d) == -1)
        return -errno;
    return r;
}
