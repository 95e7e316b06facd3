/* spawn.h - run a script without blocking the loop (uv_spawn), with a
 * timeout after which it is killed. Used by vrrp_script checks and the
 * notify scripts.
 *
 * The command line is split on spaces (a backslash escapes the next
 * character) and run without a shell, as Keepalived runs scripts; extra
 * arguments are appended. The child object owns itself: it is freed when
 * the process has exited and its handles are closed, even if its owner went
 * away first (vr_spawn_forget()). */
#ifndef VR_SPAWN_H
#define VR_SPAWN_H

#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

struct vr_child;

/* Exit code (0..255), or -signal number when killed, or -ETIMEDOUT when it
 * ran past its timeout (and was killed), or another negative errno when it
 * could not start. */
typedef void (*vr_spawn_fn)(int status, void *ud);

/* What to run: cmdline split by vr_spawn_split(), then the NULL-terminated extra
 * arguments (may be NULL); uid/gid (uid_t)-1: keep ours; timeout_ms 0:
 * none. Borrowed for the call (vr_spawn copies what it keeps). */
struct vr_spawn_cmd {
    const char *cmdline;
    const char *const *extra;
    uid_t uid;
    gid_t gid;
    uint32_t timeout_ms;
};

/* Split a script command line in place into at most max words, as
 * Keepalived 2.2 splits its scripts (no shell): at unquoted blanks, a
 * single- or double-quoted part is one word with its quotes removed, a
 * backslash takes the next character as it is. argv[] points into line
 * and ends with NULL (argv has max + 1 slots). Word count, or -E2BIG,
 * -EINVAL for an unclosed quote. */
int vr_spawn_split(char *line, char **argv, int max);

/* Run cmd; cb(status, ud) once it has exited (cb may be NULL). Returns 0
 * and *ret (ret may be NULL if the caller does not need it), or a negative
 * errno. cb is never called from within vr_spawn(). */
int vr_spawn(uv_loop_t *loop,
             const struct vr_spawn_cmd *cmd,
             vr_spawn_fn cb,
             void *ud,
             struct vr_child **ret);

/* Send sig to the child's process group (it leads one). Accepts NULL. */
void vr_spawn_signal(struct vr_child *c, int sig);

/* The owner no longer wants the callback. Accepts NULL. */
void vr_spawn_forget(struct vr_child *c);

/* Resolve a user (and optional group) name for script_user. 0 or -ENOENT. */
int vr_spawn_user(const char *user, const char *group, uid_t *ret_uid, gid_t *ret_gid);

#endif
