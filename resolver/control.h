/* control.h -- the UNIX control socket (`control PATH`, mode 0600) and its commands.
 *
 * Protocol (what tools/resolverctl speaks): the client sends one line, the command and its
 * arguments separated by spaces, ending in '\n'. The daemon answers with a first line of
 * "ok" or "error: MESSAGE", then the command's output, and closes the connection. Each
 * connection is non-blocking with a size cap and a timeout, so a stalled or hostile
 * client cannot stall the daemon. */
#ifndef CONTROL_H
#define CONTROL_H

#include <stddef.h>

struct daemon;
struct control;
struct stats_snapshot;

#define CONTROL_MAX_REQUEST 4096

/* Creates the socket at path (replacing a stale socket file), mode 0600. NULL on error,
 * with the reason logged. */
struct control *control_open(struct daemon *d, const char *path);
/* Closes the socket, every client connection, and removes the socket file. */
void control_close(struct control *c);

/* Runs one command line (without the '\n'), writing the whole response (first line "ok" or
 * "error: ...") into out. Returns the length. Exposed for the unit test. */
size_t control_execute(struct daemon *d, const char *line, char *out, size_t cap);

/* Sums every thread's counters (under the world lock, so each is read at rest) and adds the
 * cache figures and the config's caps: what `stats` prints and GET /metrics exports. Main
 * thread only (it owns d->cfg). */
/* The same, but a flush stays in this instance (a flush another instance shared). */
size_t control_execute_local(struct daemon *d, const char *line, char *out, size_t cap);

void control_stats_snapshot(struct daemon *d, struct stats_snapshot *snap);

#endif
