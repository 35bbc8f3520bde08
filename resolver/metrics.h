/* metrics.h -- the Prometheus endpoint (`metrics [ADDR] PORT`): GET /metrics over HTTP.
 *
 * The counters of `resolverctl stats` (stats_items, one list for both) in the Prometheus
 * text exposition format 0.0.4, served from the main thread's loop next to the control
 * socket, so a scrape never runs on a DNS worker. Any other path is 404, any other method
 * 405; every connection is bounded in size, time and number (metrics.c). */
#ifndef METRICS_H
#define METRICS_H

#include <stddef.h>
#include <sys/socket.h>

struct daemon;
struct metrics;
struct stats_snapshot;
struct strbuf;

#define METRICS_MAX_REQUEST (8 * 1024)  /* request line and headers; more: 431 */
#define METRICS_MAX_CLIENTS 16          /* connections served at once; more are closed */
#define METRICS_TIMEOUT     5.0         /* seconds for a whole connection */

/* Binds and listens on addr; NULL on error, with the reason logged. */
struct metrics *metrics_open(struct daemon *d, const struct sockaddr_storage *addr,
                             socklen_t addrlen);
/* Closes the socket and every connection on it. NULL is fine. */
void metrics_close(struct metrics *m);

/* The HTTP status a complete request head (request line and headers) gets: 200 for
 * GET /metrics, 404 for another path, 405 for another method, 400 when unreadable.
 * Exposed for the unit test. */
int metrics_request_status(const char *head, size_t len);
/* Appends the exposition of snap to out. Exposed for the unit test. */
void metrics_format(const struct stats_snapshot *snap, struct strbuf *out);

#endif
