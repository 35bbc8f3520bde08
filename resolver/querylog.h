/* querylog.h -- `log-queries yes`: one log line per client query.
 *
 * request_handle calls querylog_write for every query it counts (after the ACL), before
 * answering it; the line says who asked what over which transport. The rate bound is
 * log_query's (log.h: LOG_QUERIES_PER_SECOND), so a flood costs a counter, not the log. */
#ifndef QUERYLOG_H
#define QUERYLOG_H

struct reply_target;
struct wire_query;

/* "query 127.0.0.1@40000 www.example.com. A IN udp" */
void querylog_write(const struct wire_query *q, const struct reply_target *t);

#endif
