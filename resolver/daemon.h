/* daemon.h -- the daemon's life: load, start (sockets, threads, signals), stop.
 *
 * The contexts themselves (`struct daemon`, `struct thread_ctx`) are in context.h, so the
 * modules that only need the types do not depend on what the daemon's life includes
 * (the control socket, the workers); reload is state.h. */
#ifndef DAEMON_H
#define DAEMON_H

#include <stddef.h>

#include "context.h"

/* Reads the config, the local zones and the hosts files and makes the cache; no sockets
 * yet (this is all `resolverd -t` does). Returns -1 with "FILE:LINE: problem" in err. */
int daemon_load(struct daemon *d, const char *config_path, char *err, size_t errlen);
/* Opens the listening, control and metrics sockets, watches the hosts files, handles signals. */
int daemon_start(struct daemon *d, struct ev_loop *loop);
/* Starts the worker threads: queries are answered from now on. Called after the
 * privileges are dropped. */
int daemon_serve(struct daemon *d);
/* Closes every socket, removes the control socket file, frees everything. */
void daemon_stop(struct daemon *d);

#endif
