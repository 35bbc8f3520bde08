/* bytebuf.h -- growing octet buffers, as the TCP framing code keeps them (listener.c's
 * client connections, tcppool.c's upstream ones): a pointer and a capacity, doubled from
 * BYTEBUF_FIRST until the need fits. */
#ifndef BYTEBUF_H
#define BYTEBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define BYTEBUF_FIRST 512

/* Makes *buf hold at least `need` octets (contents kept); false, and nothing changed, when
 * memory runs out. */
static inline bool bytebuf_reserve(uint8_t **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return true;
    size_t ncap = *cap ? *cap : BYTEBUF_FIRST;
    while (ncap < need)
        ncap *= 2;
    uint8_t *nbuf = realloc(*buf, ncap);
    if (!nbuf)
        return false;
    *buf = nbuf;
    *cap = ncap;
    return true;
}

#endif
