/* admin.h - RUNDIR/vrrpd.sock (common/cmdsrv framing, as lbd.sock):
 *   help
 *   show vrrp          state, priority now/configured, tracked items and
 *                      their effect, master address, counters
 *   show vrrp json     the same as one JSON object
 *   subscribe events   keep the connection; one JSON line per state or
 *                      priority change
 */
#ifndef VR_ADMIN_H
#define VR_ADMIN_H

#include <jansson.h>

struct vr_daemon;

/* Bind the socket. 0 or a negative errno (logged). */
int vr_admin_start(struct vr_daemon *d);

/* Close the socket and subscribers. */
void vr_admin_stop(struct vr_daemon *d);

/* Send `ev` (reference stolen, NULL accepted) to every subscriber. */
void vr_admin_event(struct vr_daemon *d, json_t *ev);

#endif
