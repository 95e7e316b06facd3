/* caps.h - vrrpd keeps only the capabilities it uses, whoever started it.
 *
 * The systemd unit grants CAP_NET_ADMIN (addresses, routes, rules,
 * SO_BINDTODEVICE) and CAP_NET_RAW (the VRRP and ARP sockets) and nothing
 * else; started by hand as root, vrrpd would hold every capability. So at
 * start it limits itself to the same two, plus CAP_SETUID, CAP_SETGID,
 * CAP_KILL and CAP_CHOWN when the configuration runs scripts as another
 * user (script_user, a vrrp_script's user, a FIFO's owner): switching to
 * that user, ending its timed-out scripts, giving it the FIFO. The bounding
 * set shrinks too (when CAP_SETPCAP allows it), so scripts run as root get
 * no more than vrrpd: the unit's CapabilityBoundingSet, outside systemd.
 * Capabilities vrrpd was not given stay absent; ambient ones it keeps stay
 * ambient (scripts of the unit's user keep theirs). */
#ifndef VR_CAPS_H
#define VR_CAPS_H

#include <stdbool.h>

/* Limit the process (and the children it starts from now on) as above.
 * switch_user: keep what switching users needs. 0, or a negative errno if
 * the kernel refused (vrrpd then runs with what it had). */
int vr_caps_limit(bool switch_user);

/* The effective set, as a bit mask of CAP_* (for logs and tests); 0 when
 * capget fails. */
unsigned long long vr_caps_effective(void);

#endif
