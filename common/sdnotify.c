/* sdnotify.c - see sdnotify.h. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/sdnotify.h"

int lk_sd_notify(const char *state)
{
    const char *path = getenv("NOTIFY_SOCKET");
    struct sockaddr_un sun;
    size_t plen;
    int fd, r = 0;

    /* not started by systemd (or Type=simple): nothing to tell, not an error */
    if (!path || !*path)
        return 0;
    plen = strlen(path);
    if (plen >= sizeof(sun.sun_path) || (path[0] != '/' && path[0] != '@'))
        return -EINVAL;
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    memcpy(sun.sun_path, path, plen);
    /* '@': an abstract socket, whose name starts with a NUL byte */
    if (path[0] == '@')
        sun.sun_path[0] = '\0';
    /* a new socket per message: few messages, and none kept open across
     * fork or chroot */
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd == -1)
        return -errno;
    if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sun,
               (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen)) == -1)
        r = -errno;
    close(fd);
    return r;
}

int lk_sd_notify_reloading(void)
{
    char msg[96];

    /* systemd 253 wants the reload's start time with RELOADING=1 (Type=notify-reload) */
    snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
             (unsigned long long)lk_mono_us());
    return lk_sd_notify(msg);
}

uint64_t lk_sd_watchdog_ms(void)
{
    const char *s = getenv("WATCHDOG_USEC");
    const char *pid = getenv("WATCHDOG_PID");
    unsigned long long us;

    if (!s)
        return 0;
    /* the watchdog was meant for another process (lbd's master, not a worker) */
    if (pid && strtol(pid, NULL, 10) != (long)getpid())
        return 0;
    us = strtoull(s, NULL, 10);
    /* ping at half the interval, as sd_watchdog_enabled(3) advises */
    return us / 2000;
}
