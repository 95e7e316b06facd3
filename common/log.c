/* log.c - see log.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"

int lk_log_threshold = LK_LOG_INFO;
static const char *log_ident = "lbkit";
static int log_journal; /* stderr goes to journald: use "<N>" prefixes */

static const char *const level_names[LK_LOG_MAX] = {
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

void lk_log_init(const char *ident, int level)
{
    log_ident = ident;
    lk_log_threshold = level;
    /* systemd sets JOURNAL_STREAM when stderr is the journal: then the
     * level goes in a "<N>" prefix and journald adds time and pid itself */
    log_journal = getenv("JOURNAL_STREAM") != NULL;
}

int lk_log_level_parse(const char *name)
{
    int i;

    for (i = 0; i < LK_LOG_MAX; i++)
        if (strcasecmp(name, level_names[i]) == 0)
            return i;
    return -EINVAL;
}

static void log_vwrite(int level, const char *fmt, va_list ap) LK_PRINTF(2, 0);

static void log_vwrite(int level, const char *fmt, va_list ap)
{
    /* one write(2) per line: lines from several threads never interleave */
    char line[2048];
    size_t n;
    int r;

    if (level < 0 || level >= LK_LOG_MAX)
        level = LK_LOG_ERR;
    if (log_journal) {
        r = snprintf(line, sizeof(line), "<%d>", level);
    } else {
        struct tm tm;
        time_t t = time(NULL);

        localtime_r(&t, &tm);
        r = (int)strftime(line, sizeof(line), "%Y-%m-%d %H:%M:%S ", &tm);
        r += snprintf(line + r, sizeof(line) - (size_t)r, "%s[%d] %s: ", log_ident, (int)getpid(),
                      level_names[level]);
    }
    n = (size_t)r;
    r = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
    if (r < 0)
        return;
    /* a longer message is cut, never split over two lines */
    n += (size_t)r < sizeof(line) - n - 1 ? (size_t)r : sizeof(line) - n - 2;
    line[n++] = '\n';
    /* stderr is unbuffered; a lost log line is not worth failing over */
    if (write(STDERR_FILENO, line, n) < 0)
        return;
}

void lk_log_write(int level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vwrite(level, fmt, ap);
    va_end(ap);
}

int lk_log_errno(int err, int level, const char *fmt, ...)
{
    va_list ap;

    if (level > lk_log_threshold)
        return err;
    /* the message may say %m: it describes err, not whatever errno is now */
    errno = err < 0 ? -err : err;
    va_start(ap, fmt);
    log_vwrite(level, fmt, ap);
    va_end(ap);
    return err;
}

int lk_ratelimit_ok(struct lk_ratelimit *rl)
{
    uint64_t now = lk_mono_ms();
    uint64_t start = atomic_load_explicit(&rl->window_start_ms, memory_order_relaxed);
    unsigned sup;

    /* one thread wins the new window and reports what the last one hid */
    if (now - start >= rl->interval_ms &&
        atomic_compare_exchange_strong(&rl->window_start_ms, &start, now)) {
        sup = atomic_exchange(&rl->suppressed, 0);
        atomic_store(&rl->used, 0);
        if (sup)
            lk_log_write(LK_LOG_WARNING, "%u similar messages suppressed", sup);
    }
    /* lock-free: workers log peer-triggered errors from their own threads */
    if (atomic_fetch_add_explicit(&rl->used, 1, memory_order_relaxed) < rl->burst)
        return 1;
    atomic_fetch_add_explicit(&rl->suppressed, 1, memory_order_relaxed);
    return 0;
}
