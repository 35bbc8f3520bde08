/* tls.h -- the OpenSSL transport: contexts (server and client) and non-blocking connections.
 *
 * A `struct tls_ctx` wraps one SSL_CTX: the listener's (`tls-cert`/`tls-key`, made at start
 * and again on every reload) or an upstream client's (`tls-ca-file` or the system store).
 * A context is read-only once made and may be shared by every thread; each connection
 * holds a reference to the SSL_CTX it was made from, so freeing a context that a reload
 * replaced never disturbs the connections still using it.
 *
 * A `struct tls_conn` is one TLS session over a non-blocking socket the caller owns. Every
 * call returns at once: TLS_IO_WANT_READ / TLS_IO_WANT_WRITE say which readiness of the
 * socket the caller must wait for (its ev_io) before calling again. Nothing here blocks,
 * resolves names or touches a loop. Policy fixed here: TLS 1.2 or later, no renegotiation,
 * no compression; clients verify the peer against the CA store and the given name (RFC
 * 8310 strict: a failed check is a failed handshake, never clear text). */
#ifndef TLS_H
#define TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct tls_ctx;
struct tls_conn;

enum tls_io {
    TLS_IO_OK,              /* done (or *n bytes moved) */
    TLS_IO_WANT_READ,       /* call again when the socket is readable */
    TLS_IO_WANT_WRITE,      /* call again when the socket is writable */
    TLS_IO_EOF,             /* the peer closed (cleanly or not) */
    TLS_IO_ERROR,           /* failed: close the connection */
};

/* The listener's context from a PEM certificate chain and key. NULL with the reason in err. */
struct tls_ctx *tls_server_new(const char *cert_file, const char *key_file, char *err,
                               size_t errlen);
/* An upstream client's context: peers verified against ca_file, or the system store when
 * NULL. NULL with the reason in err. */
struct tls_ctx *tls_client_new(const char *ca_file, char *err, size_t errlen);
/* Drops this reference (connections made from it keep theirs). NULL is ignored. */
void tls_ctx_free(struct tls_ctx *ctx);

/* A server-side session on fd (accepted, non-blocking). NULL when out of memory. */
struct tls_conn *tls_conn_accept(struct tls_ctx *ctx, int fd);
/* A client-side session on fd (connecting or connected, non-blocking) that requires the
 * peer's certificate to name auth_name (also sent as SNI). NULL on failure. */
struct tls_conn *tls_conn_connect(struct tls_ctx *ctx, int fd, const char *auth_name);

/* Drives the handshake one step. TLS_IO_ERROR also when the peer's certificate fails. */
enum tls_io tls_conn_handshake(struct tls_conn *c);
/* Reads up to len bytes of application data; *n is what was read (OK only). */
enum tls_io tls_conn_read(struct tls_conn *c, void *buf, size_t len, size_t *n);
/* Writes up to len bytes; *n is what was taken (OK only, may be less than len). After a
 * WANT_*, call again with the same bytes first (the buffer itself may have moved). */
enum tls_io tls_conn_write(struct tls_conn *c, const void *buf, size_t len, size_t *n);
/* The same as read(2)/write(2) give them, for code that drives plain and TLS streams
 * alike: >0 bytes moved, 0 at EOF (recv only), -1 with errno EAGAIN (wait for the socket:
 * for writability instead of readability when *wants_other is set true -- it is never
 * set false here) or EPROTO/EPIPE (failed). */
ssize_t tls_conn_recv(struct tls_conn *c, void *buf, size_t len, bool *wants_other);
ssize_t tls_conn_send(struct tls_conn *c, const void *buf, size_t len, bool *wants_other);
/* Decrypted bytes are buffered here that the socket's readiness will not announce. */
bool tls_conn_pending(const struct tls_conn *c);
/* Client sessions read ahead: bytes of later records may wait here, whole or not. Only
 * after a read that returned data is it worth reading again at once (a partial record
 * waits for the socket). */
bool tls_conn_buffered(const struct tls_conn *c);
/* The handshake failed on the peer's certificate (its chain or its name). */
bool tls_conn_cert_failed(const struct tls_conn *c);
/* The handshake resumed an earlier session. */
bool tls_conn_resumed(const struct tls_conn *c);
/* Why the last call failed (OpenSSL's words, or the certificate check's), for the log. */
const char *tls_conn_error(const struct tls_conn *c);
/* Session resumption (clients): the session of a finished handshake, to offer on the next
 * connection to the same server (NULL: none); freed with tls_session_free. */
struct tls_session;
struct tls_session *tls_conn_session(struct tls_conn *c);
void tls_conn_offer_session(struct tls_conn *c, struct tls_session *s);
void tls_session_free(struct tls_session *s);
/* Sends close_notify if it can without waiting and frees the session (not the socket). */
void tls_conn_free(struct tls_conn *c);

#endif
