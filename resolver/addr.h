/* addr.h -- small helpers for socket addresses (IPv4 and IPv6 alike). */
#ifndef ADDR_H
#define ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* "127.0.0.1@53", "::1@5353"; returns out. */
char *addr_to_str(const struct sockaddr_storage *ss, char *out, size_t outlen);
/* Same address family, address and port. */
bool addr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b);
socklen_t addr_len(const struct sockaddr_storage *ss);

#endif
