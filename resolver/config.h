/* config.h -- resolver.conf: the parsed, validated configuration.
 *
 * config_load() reads one file (one directive a line, `#` comments) into a freshly
 * allocated `struct config`; every error names `FILE:LINE: problem`. The daemon keeps the
 * current config in its context and swaps in a new one on reload; a config is never
 * changed after it is loaded, so it can be read from any thread. */
#ifndef CONFIG_H
#define CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "acl.h"
#include "wire.h"

#define CONFIG_MAX_UPSTREAMS 16
#define CONFIG_MAX_AUTH_NAME 254    /* a host name as text, with its NUL */

struct config_listen {
    struct sockaddr_storage addr;   /* address and port (port 53 unless given) */
    socklen_t addrlen;
};

struct config_zone {                /* `zone NAME PATH` */
    char *name;                     /* as written, e.g. "example.lan." (always ends in '.') */
    char *path;
    int line;                       /* where it was declared, for error messages */
};

struct config_forward {             /* `forward ZONE ADDR[@PORT]...` */
    uint8_t zone[WIRE_MAX_NAME];    /* lower-case wire form; the root (zone_len 1) = everything */
    size_t zone_len;
    struct sockaddr_storage upstreams[CONFIG_MAX_UPSTREAMS];
    socklen_t upstream_lens[CONFIG_MAX_UPSTREAMS];
    int n_upstreams;
    bool tls;                       /* `forward-tls ZONE ADDR[@PORT]#AUTH-NAME...` (port 853) */
    char auth_names[CONFIG_MAX_UPSTREAMS][CONFIG_MAX_AUTH_NAME];   /* tls: each certificate's */
    int line;
};

enum config_forward_policy {      /* `forward-policy` */
    CONFIG_FORWARD_ORDERED,         /* the upstreams in the order the forward line names them */
    CONFIG_FORWARD_FASTEST,         /* lowest SRTT first (fwdselect.h) */
};

struct config {
    char *path;                     /* the file this was read from */

    struct config_listen *listens;  size_t n_listens;
    struct config_listen *tls_listens; size_t n_tls_listens;  /* `listen-tls` (port 853) */
    int tls_listen_line;            /* the last `listen-tls`, for the tls-cert check */
    char *tls_cert, *tls_key;       /* the listener's certificate chain and key (PEM) */
    char *tls_ca_file;              /* CAs for `forward-tls` upstreams; NULL: the system's */
    bool any_forward_tls;           /* some forward zone is `forward-tls` */
    char **hosts_files;             size_t n_hosts_files;
    struct config_zone *zones;      size_t n_zones;
    struct config_forward *forwards; size_t n_forwards;
    struct sockaddr_storage *outgoing; size_t n_outgoing;   /* `outgoing-interface ADDR` */
    struct acl acl;                 /* `allow`/`deny`; loopback only when none given */

    int threads;                    /* 0 = number of cores */
    char *root_hints;
    bool dnssec;                    /* `dnssec yes|no`: validate (default yes) */
    char **trust_anchor_files;      size_t n_trust_anchor_files;  /* hints/root.key if none */
    bool trust_anchor_default;      /* that one is the default, named by no line: missing,
                                     * it turns validation off (with a warning) */
    char **negative_anchors;        size_t n_negative_anchors;    /* names, presentation form */
    uint32_t val_bogus_ttl;         /* seconds a bogus verdict (a chain, an answer) is kept */
    bool aggressive_nsec;           /* RFC 8198: deny from cached, validated NSEC ranges */
    char *control_path;             /* NULL = no control socket */
    struct sockaddr_storage metrics_addr;   /* `metrics [ADDR] PORT` (GET /metrics) ... */
    socklen_t metrics_addrlen;      /* ... 0 = off */
    char *user;                     /* NULL = do not drop privileges */
    int log_level;                  /* enum log_level */
    bool log_syslog;                /* `log syslog`; else stderr (the journal under systemd) */
    bool log_queries;               /* `log-queries yes`: a line per client query */

    size_t cache_size;              /* bytes, from e.g. "64M" */
    uint32_t min_ttl, max_ttl, max_negative_ttl;
    uint32_t hosts_ttl;             /* TTL of answers from the hosts file */

    bool forward_first;
    enum config_forward_policy forward_policy;
    bool forward_probe;             /* probe down forwarders in the background (fwdprobe.h) */
    bool qname_minimisation;
    bool root_priming;              /* ask the roots for their NS set (RFC 8109) */
    bool case_randomisation;
    bool prefetch;                  /* refresh popular answers before they expire */
    bool serve_stale;               /* RFC 8767: expired answers when a resolution fails */
    uint32_t serve_stale_client_timeout_ms; /* ... or takes longer than this */
    uint32_t serve_stale_max_age;   /* seconds past expiry an answer may still be served */
    bool query_loopback;
    bool do_ip4, do_ip6;
    uint16_t edns_buffer_size;

    uint32_t upstream_timeout_ms;   /* one try at one upstream */
    uint32_t tcp_idle_timeout_ms;   /* client TCP connections */
    uint32_t tcp_max_connections;   /* TCP and TLS together */
    uint32_t tls_handshake_timeout_ms;  /* client TLS handshakes */

    /* resource caps (each shows in `stats` as limit.*) */
    uint32_t max_outstanding;       /* resolutions in flight, all threads; oldest dropped */
    uint32_t jostle_timeout_ms;     /* ... if it has run at least this long */
    uint32_t max_clients_per_query; /* clients waiting on one resolution */
    uint32_t max_queries_per_question;  /* iterator: upstream queries for one question */
    uint32_t max_referrals;         /* iterator: referrals followed for one question */
    uint32_t max_cname_chain;       /* CNAMEs followed for one question */
    uint32_t question_timeout_ms;   /* iterator: time for one question */
    uint32_t ratelimit;             /* replies per second per client prefix; 0 = off */

    /* `cachedb redis HOST:PORT | unix:PATH` and its settings (cachedb.h); read once at
     * start-up: a reload does not reconnect */
    char *cachedb_host;             /* NULL = no cachedb; else the host ... */
    uint16_t cachedb_port;          /* ... and port, or */
    char *cachedb_unix;             /* the socket path (cachedb_host is then "unix") */
    char *cachedb_sentinel;         /* `cachedb sentinel HOST:PORT NAME`: NAME; host and
                                     * port are then the Sentinel's */
    char *cachedb_password;         /* `cachedb-password`: AUTH, NULL = none */
    uint32_t cachedb_db;            /* `cachedb-db N`: SELECT, 0 = the default */
    uint32_t cachedb_timeout_ms;    /* `cachedb-timeout MS`: one lookup */
    char *cachedb_prefix;           /* `cachedb-prefix STRING` before every key */
    char *cachedb_secret;           /* `cachedb-secret STRING`: the key hash's HMAC key */
};

/* Reads and validates `path`. On success returns 0 and sets *out (free with config_free).
 * On failure returns -1 and writes "FILE:LINE: problem" (or "FILE: problem") into err. */
int config_load(const char *path, struct config **out, char *err, size_t errlen);
void config_free(struct config *cfg);

/* Parses "127.0.0.1", "::1", "127.0.0.1@5353", "[::1]@5353" into addr with default_port
 * when no port is given. Returns 0, or -1 if it is not an address. Shared with resolverctl
 * and the tests. */
int config_parse_addr(const char *text, uint16_t default_port,
                      struct sockaddr_storage *addr, socklen_t *len);

/* The `outgoing-interface` address of that family into *source; false when there is none
 * (the kernel picks the source address). */
bool config_outgoing_for(const struct config *cfg, int family, struct sockaddr_storage *source);

#endif
