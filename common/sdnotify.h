/* sdnotify.h - systemd's notify protocol, standalone (no libsystemd).
 *
 * Sends a datagram to $NOTIFY_SOCKET (path or "@abstract"). Without the
 * variable every call is a no-op returning 0, so daemons call it freely. */
#ifndef LK_SDNOTIFY_H
#define LK_SDNOTIFY_H

#include <stdint.h>

/* Send `state` ("READY=1", "STATUS=...", "STOPPING=1", ...). Returns 0, or a
 * negative errno if the socket exists but the send failed. */
int lk_sd_notify(const char *state);

/* "RELOADING=1\nMONOTONIC_USEC=<now>" as Type=notify-reload expects. */
int lk_sd_notify_reloading(void);

/* Watchdog period from $WATCHDOG_USEC (halved, as systemd recommends), in
 * ms; 0 if no watchdog is configured for this process. */
uint64_t lk_sd_watchdog_ms(void);

#endif
