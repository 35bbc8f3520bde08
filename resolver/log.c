/* log.c -- levelled logging to stderr (foreground) or syslog.
 *
 * The only process-wide state in the daemon lives here, in `log_state`: the sink is shared
 * by all threads and written once at start-up or reload, before or between queries. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

static struct {
    enum log_level level;
    int syslog;
} log_state = { LOG_LVL_INFO, 0 };

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void log_set_level(enum log_level level) { log_state.level = level; }

void log_use_syslog(int yes)
{
    if (yes && !log_state.syslog)
        openlog("resolverd", LOG_PID, LOG_DAEMON);
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

void log_msg(enum log_level level, const char *fmt, ...)
{
    static const int syslog_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
    char line[1024];
    va_list ap;

    if (!log_enabled(level))
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (log_state.syslog) {
        syslog(syslog_prio[level], "%s", line);
        return;
    }
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", localtime_r(&now, &tm));
    fprintf(stderr, "%s resolverd[%s]: %s\n", stamp, level_names[level], line);
}
