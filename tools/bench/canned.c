/* canned.c -- the benchmark's floor: a UDP responder that does no DNS work at all.
 *
 * Usage: canned ADDR PORT THREADS
 *
 * Every thread owns one SO_REUSEPORT UDP socket bound to ADDR:PORT and loops: receive a
 * batch (recvmmsg, blocking until at least one datagram), turn each query into a reply in
 * place, send the batch back (sendmmsg). A reply is the query's header and question with QR
 * and RA set, RCODE 0, no authority/additional (an EDNS OPT record in the query is dropped),
 * and one answer: a compression pointer to the question name, type A, class IN, TTL 3600,
 * 127.0.0.1. Nothing is parsed beyond the end of the question name; anything that is not a
 * single-question query is ignored. There is no cache, no lookup and no allocation per query:
 * whatever a resolver spends above this on a cache hit is its own work.
 *
 * It runs until killed (SIGTERM's default action); the benchmark stops it by PID. IPv4 and
 * IPv6 literals both work. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 64
#define BUF_SIZE 1500            /* a query bigger than this is not one we answer */
#define HEADER_SIZE 12
#define ANSWER_SIZE 16           /* pointer 2, type 2, class 2, TTL 4, rdlength 2, A 4 */
#define MAX_THREADS 64

struct server {
    struct sockaddr_storage addr;
    socklen_t addr_len;
};

static const uint8_t answer_rr[ANSWER_SIZE] = {
    0xc0, 0x0c,                  /* the name: a pointer to the question at offset 12 */
    0x00, 0x01, 0x00, 0x01,      /* A, IN */
    0x00, 0x00, 0x0e, 0x10,      /* TTL 3600 */
    0x00, 0x04, 127, 0, 0, 1,    /* 127.0.0.1 */
};

/* Offset just past the question (name, type, class), or 0 when the packet does not hold one
 * uncompressed name plus type and class within len. */
static size_t question_end(const uint8_t *pkt, size_t len)
{
    size_t pos = HEADER_SIZE;

    while (pos < len) {
        uint8_t label = pkt[pos];
        if (label == 0)
            return pos + 1 + 4 <= len ? pos + 1 + 4 : 0;
        if (label & 0xc0)
            return 0;
        pos += 1 + (size_t)label;
    }
    return 0;
}

/* Rewrites the query in buf into the canned reply; returns its length, or 0 to drop it. */
static size_t make_reply(uint8_t *buf, size_t len)
{
    if (len < HEADER_SIZE || (buf[2] & 0x80) || buf[4] != 0 || buf[5] != 1)
        return 0;                /* a response, or not exactly one question */
    size_t end = question_end(buf, len);
    if (end == 0 || end + ANSWER_SIZE > BUF_SIZE)
        return 0;
    buf[2] = (uint8_t)((buf[2] & 0x79) | 0x80);      /* QR, keep opcode and RD, clear AA TC */
    buf[3] = 0x80;                                  /* RA, Z 0, RCODE NOERROR */
    buf[6] = 0; buf[7] = 1;                          /* ANCOUNT 1 */
    memset(buf + 8, 0, 4);                          /* NSCOUNT, ARCOUNT 0 */
    memcpy(buf + end, answer_rr, ANSWER_SIZE);
    return end + ANSWER_SIZE;
}

static int open_socket(const struct server *srv)
{
    int one = 1;
    int fd = socket(srv->addr.ss_family, SOCK_DGRAM, 0);

    if (fd < 0)
        return -1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0
        || bind(fd, (const struct sockaddr *)&srv->addr, srv->addr_len) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* One worker: receive a batch, answer it, send it; forever. */
static void *serve(void *arg)
{
    int fd = (int)(intptr_t)arg;
    static __thread uint8_t bufs[BATCH][BUF_SIZE];
    struct sockaddr_storage peers[BATCH];
    struct iovec iov[BATCH];
    struct mmsghdr in[BATCH], out[BATCH];

    for (;;) {
        for (int i = 0; i < BATCH; i++) {
            iov[i] = (struct iovec){ .iov_base = bufs[i], .iov_len = BUF_SIZE };
            memset(&in[i], 0, sizeof in[i]);
            in[i].msg_hdr.msg_name = &peers[i];
            in[i].msg_hdr.msg_namelen = sizeof peers[i];
            in[i].msg_hdr.msg_iov = &iov[i];
            in[i].msg_hdr.msg_iovlen = 1;
        }
        int n = recvmmsg(fd, in, BATCH, MSG_WAITFORONE, NULL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            perror("canned: recvmmsg");
            exit(1);
        }
        int m = 0;
        for (int i = 0; i < n; i++) {
            size_t len = make_reply(bufs[i], in[i].msg_len);
            if (len == 0)
                continue;
            iov[i].iov_len = len;
            out[m] = in[i];
            out[m].msg_len = 0;
            m++;
        }
        for (int sent = 0; sent < m;) {
            int k = sendmmsg(fd, out + sent, (unsigned)(m - sent), 0);
            if (k < 0) {
                if (errno == EINTR)
                    continue;
                break;           /* e.g. a full send buffer: drop the rest, as UDP may */
            }
            sent += k;
        }
    }
    return NULL;
}

static int parse_args(int argc, char **argv, struct server *srv, int *threads)
{
    char *end;

    if (argc != 4)
        return -1;
    long port = strtol(argv[2], &end, 10);
    if (*end || port < 1 || port > 65535)
        return -1;
    long n = strtol(argv[3], &end, 10);
    if (*end || n < 1 || n > MAX_THREADS)
        return -1;
    *threads = (int)n;
    memset(srv, 0, sizeof *srv);
    struct sockaddr_in *sin = (struct sockaddr_in *)&srv->addr;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&srv->addr;
    if (inet_pton(AF_INET, argv[1], &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        srv->addr_len = sizeof *sin;
    } else if (inet_pton(AF_INET6, argv[1], &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)port);
        srv->addr_len = sizeof *sin6;
    } else {
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct server srv;
    int threads, fds[MAX_THREADS];
    pthread_t tids[MAX_THREADS];

    if (parse_args(argc, argv, &srv, &threads) < 0) {
        fprintf(stderr, "usage: canned ADDR PORT THREADS (1-%d)\n", MAX_THREADS);
        return 2;
    }
    for (int i = 0; i < threads; i++) {          /* bind all first: a failure is reported */
        fds[i] = open_socket(&srv);
        if (fds[i] < 0) {
            fprintf(stderr, "canned: %s port %s: %s\n", argv[1], argv[2], strerror(errno));
            return 1;
        }
    }
    for (int i = 1; i < threads; i++) {
        int rc = pthread_create(&tids[i], NULL, serve, (void *)(intptr_t)fds[i]);
        if (rc != 0) {
            fprintf(stderr, "canned: pthread_create: %s\n", strerror(rc));
            return 1;
        }
    }
    serve((void *)(intptr_t)fds[0]);             /* the main thread is worker 0 */
    return 0;
}
