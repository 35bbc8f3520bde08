/* log.c -- levelled logging to stderr (foreground, or the journal) or syslog.
 *
 * The only process-wide state in the daemon lives here, in `log_state`: the sink is shared
 * by all threads and written once at start-up or reload, before or between queries. The
 * query log's rate window is here too, as atomics, because every worker thread writes to
 * it; the window is approximate under races (a few lines over the bound), never unbounded. */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>

static struct {
    enum log_level level;
    bool syslog;
    bool journal;                   /* stderr is systemd's journal stream */
    atomic_llong window;            /* the second the query-log counts are for */
    atomic_uint window_lines;       /* query lines asked for in that second */
    atomic_ullong suppressed;       /* query lines not written since the last report */
} log_state = { .level = LOG_LVL_INFO };

static const char *const level_names[] = { "error", "warn", "info", "debug" };
static const int syslog_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

/* $JOURNAL_STREAM is "DEVICE:INODE" of the stream systemd connected stdout/stderr to;
 * it only counts when stderr still is that stream (not redirected by a shell). */
static bool stderr_is_journal(void)
{
    const char *env = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    char tail;

    if (!env || sscanf(env, "%llu:%llu%c", &dev, &ino, &tail) != 2)
        return false;
    if (fstat(2, &st) != 0)
        return false;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_init(void) { log_state.journal = stderr_is_journal(); }

void log_set_level(enum log_level level) { log_state.level = level; }

void log_use_syslog(bool yes)
{
    if (yes && !log_state.syslog)
        openlog("resolverd", LOG_PID, LOG_DAEMON);
    else if (!yes && log_state.syslog)
        closelog();
    log_state.syslog = yes;
}

int log_level_parse(const char *word)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(word, level_names[i]) == 0)
            return i;
    return -1;
}

int log_enabled(enum log_level level) { return level <= log_state.level; }

static void log_write(enum log_level level, const char *line)
{
    if (log_state.syslog) {
        syslog(syslog_prio[level], "%s", line);
        return;
    }
    if (log_state.journal) {        /* sd-daemon(3) prefixes; the journal adds the time */
        fprintf(stderr, "<%d>%s\n", syslog_prio[level], line);
        return;
    }
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", localtime_r(&now, &tm));
    fprintf(stderr, "%s resolverd[%s]: %s\n", stamp, level_names[level], line);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    if (!log_enabled(level))
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    log_write(level, line);
}

/* Opens a new one-second window when the clock has moved on; the thread that opens it
 * reports what the last windows left out. */
static void query_window_advance(long long now)
{
    long long seen = atomic_load(&log_state.window);

    if (seen == now || !atomic_compare_exchange_strong(&log_state.window, &seen, now))
        return;
    atomic_store(&log_state.window_lines, 0);
    unsigned long long skipped = atomic_exchange(&log_state.suppressed, 0);
    if (skipped) {
        char line[160];
        snprintf(line, sizeof line, "query log: %llu queries not logged (at most %d lines a second)",
                 skipped, LOG_QUERIES_PER_SECOND);
        log_write(LOG_LVL_WARN, line);
    }
}

bool log_query(const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    query_window_advance((long long)time(NULL));
    if (atomic_fetch_add(&log_state.window_lines, 1) >= LOG_QUERIES_PER_SECOND) {
        atomic_fetch_add(&log_state.suppressed, 1);
        return false;
    }
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    log_write(LOG_LVL_INFO, line);
    return true;
}
