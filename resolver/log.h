/* log.h -- levelled logging: stderr in the foreground (the journal under systemd), or
 * syslog with `log syslog`; and the query log (`log-queries yes`).
 *
 * The level and the sink are process-wide because every thread logs through the same
 * sink; they are set once at start-up and on reload (log_set_level, log_use_syslog), never
 * on a hot path. */
#ifndef LOG_H
#define LOG_H

#include <stdbool.h>

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* The most query lines log_query writes in one second (all threads together); the rest
 * are counted and reported in one line when the next second begins. It keeps a query flood
 * from flooding the log as well (journald's default rate limit is 10000 lines in 30 s). */
#define LOG_QUERIES_PER_SECOND 250

/* Looks at the environment once, at start-up: when stderr is the journal's stream
 * ($JOURNAL_STREAM names its device and inode, as systemd sets it), lines go out with a
 * "<N>" priority prefix and without our own timestamp, so journalctl shows real priorities. */
void log_init(void);
void log_set_level(enum log_level level);
void log_use_syslog(bool yes);
/* Parses "error", "warn", "info", "debug"; returns -1 for anything else. */
int log_level_parse(const char *word);
int log_enabled(enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One query-log line at info priority, whatever log-level says, within
 * LOG_QUERIES_PER_SECOND. Returns false when the line was over the bound (and counted). */
bool log_query(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define log_err(...)   log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) do { if (log_enabled(LOG_LVL_DEBUG)) log_msg(LOG_LVL_DEBUG, __VA_ARGS__); } while (0)

#endif
