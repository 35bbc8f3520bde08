/* tls.c -- OpenSSL contexts and non-blocking sessions for the listener and for upstreams.
 *
 * See tls.h for the contract. The SSL objects are read and written straight on the
 * caller's socket (SSL_set_fd); the caller's loop waits for whichever readiness the last
 * call asked for. OpenSSL's error queue is per thread and must be empty before a call for
 * SSL_get_error to be right, so every call clears it first. Writes accept a moved buffer
 * and partial progress (the listener's reply buffer grows while a write waits). */
#include "tls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

struct tls_ctx {
    SSL_CTX *ssl;
};

struct tls_conn {
    SSL *ssl;
    bool handshake_done;
    char error[160];            /* the last failure, for the log */
};

static void openssl_reason(char *err, size_t errlen, const char *what)
{
    unsigned long e = ERR_get_error();
    char reason[120] = "unknown error";

    if (e)
        ERR_error_string_n(e, reason, sizeof reason);
    snprintf(err, errlen, "%s: %s", what, reason);
    ERR_clear_error();
}

/* What both sides share: TLS 1.2+, no renegotiation or compression, writes that may move. */
static SSL_CTX *ctx_common(const SSL_METHOD *method)
{
    SSL_CTX *ssl = SSL_CTX_new(method);

    if (!ssl)
        return NULL;
    if (SSL_CTX_set_min_proto_version(ssl, TLS1_2_VERSION) != 1) {
        SSL_CTX_free(ssl);
        return NULL;
    }
    SSL_CTX_set_options(ssl, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                             SSL_OP_CIPHER_SERVER_PREFERENCE);
    /* not SSL_MODE_RELEASE_BUFFERS: freeing and allocating the record buffers on every
     * read and write costs a reused connection a fifth of its latency (tools/bench/dot.sh) */
    SSL_CTX_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    return ssl;
}

static struct tls_ctx *ctx_new(const SSL_METHOD *method, char *err, size_t errlen)
{
    struct tls_ctx *ctx = calloc(1, sizeof *ctx);

    ERR_clear_error();
    if (!ctx || !(ctx->ssl = ctx_common(method))) {
        openssl_reason(err, errlen, "cannot make a TLS context");
        free(ctx);
        return NULL;
    }
    return ctx;
}

struct tls_ctx *tls_server_new(const char *cert_file, const char *key_file, char *err,
                               size_t errlen)
{
    struct tls_ctx *ctx = ctx_new(TLS_server_method(), err, errlen);

    if (!ctx)
        return NULL;
    if (SSL_CTX_use_certificate_chain_file(ctx->ssl, cert_file) != 1) {
        openssl_reason(err, errlen, cert_file);
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx->ssl, key_file, SSL_FILETYPE_PEM) != 1) {
        openssl_reason(err, errlen, key_file);
        goto fail;
    }
    if (SSL_CTX_check_private_key(ctx->ssl) != 1) {
        openssl_reason(err, errlen, "the key does not match the certificate");
        goto fail;
    }
    /* sessions are resumed by tickets (stateless; each context has its own keys) */
    SSL_CTX_set_session_cache_mode(ctx->ssl, SSL_SESS_CACHE_SERVER);
    return ctx;
fail:
    tls_ctx_free(ctx);
    return NULL;
}

struct tls_ctx *tls_client_new(const char *ca_file, char *err, size_t errlen)
{
    struct tls_ctx *ctx = ctx_new(TLS_client_method(), err, errlen);

    if (!ctx)
        return NULL;
    int loaded = ca_file ? SSL_CTX_load_verify_locations(ctx->ssl, ca_file, NULL)
                         : SSL_CTX_set_default_verify_paths(ctx->ssl);
    if (loaded != 1) {
        openssl_reason(err, errlen, ca_file ? ca_file : "the system's CA store");
        tls_ctx_free(ctx);
        return NULL;
    }
    SSL_CTX_set_verify(ctx->ssl, SSL_VERIFY_PEER, NULL);
    /* one read(2) for a whole reply instead of one for the record header and one for the
     * rest; what it reads beyond is reported by tls_conn_buffered */
    SSL_CTX_set_read_ahead(ctx->ssl, 1);
    SSL_CTX_set_session_cache_mode(ctx->ssl, SSL_SESS_CACHE_CLIENT);
    return ctx;
}

void tls_ctx_free(struct tls_ctx *ctx)
{
    if (!ctx)
        return;
    SSL_CTX_free(ctx->ssl);     /* a reference count: live sessions keep theirs */
    free(ctx);
}

static struct tls_conn *conn_new(struct tls_ctx *ctx, int fd)
{
    struct tls_conn *c = calloc(1, sizeof *c);

    if (!c)
        return NULL;
    ERR_clear_error();
    c->ssl = SSL_new(ctx->ssl);
    if (!c->ssl || SSL_set_fd(c->ssl, fd) != 1) {
        SSL_free(c->ssl);
        free(c);
        ERR_clear_error();
        return NULL;
    }
    return c;
}

struct tls_conn *tls_conn_accept(struct tls_ctx *ctx, int fd)
{
    struct tls_conn *c = conn_new(ctx, fd);

    if (c)
        SSL_set_accept_state(c->ssl);
    return c;
}

struct tls_conn *tls_conn_connect(struct tls_ctx *ctx, int fd, const char *auth_name)
{
    struct tls_conn *c = conn_new(ctx, fd);

    if (!c)
        return NULL;
    /* the name checked is the configured one, never one learnt from the network */
    if (SSL_set_tlsext_host_name(c->ssl, auth_name) != 1 ||
        SSL_set1_host(c->ssl, auth_name) != 1) {
        tls_conn_free(c);
        return NULL;
    }
    SSL_set_hostflags(c->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    SSL_set_connect_state(c->ssl);
    return c;
}

/* Turns an SSL_* result into a tls_io, keeping the reason of a failure. */
static enum tls_io io_result(struct tls_conn *c, int rc)
{
    int e = SSL_get_error(c->ssl, rc);

    switch (e) {
    case SSL_ERROR_WANT_READ:
        return TLS_IO_WANT_READ;
    case SSL_ERROR_WANT_WRITE:
        return TLS_IO_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN:
        return TLS_IO_EOF;
    case SSL_ERROR_SYSCALL:
        if (ERR_peek_error() == 0) {
            snprintf(c->error, sizeof c->error, "the connection was closed");
            return TLS_IO_EOF;
        }
        /* fall through */
    default: {
        long v = SSL_get_verify_result(c->ssl);
        if (v != X509_V_OK)
            snprintf(c->error, sizeof c->error, "certificate check failed: %s",
                     X509_verify_cert_error_string(v));
        else
            openssl_reason(c->error, sizeof c->error, "TLS failed");
        ERR_clear_error();
        return TLS_IO_ERROR;
    }
    }
}

enum tls_io tls_conn_handshake(struct tls_conn *c)
{
    ERR_clear_error();
    int rc = SSL_do_handshake(c->ssl);
    if (rc == 1) {
        c->handshake_done = true;
        return TLS_IO_OK;
    }
    return io_result(c, rc);
}

enum tls_io tls_conn_read(struct tls_conn *c, void *buf, size_t len, size_t *n)
{
    ERR_clear_error();
    int rc = SSL_read_ex(c->ssl, buf, len, n);
    return rc == 1 ? TLS_IO_OK : io_result(c, rc);
}

enum tls_io tls_conn_write(struct tls_conn *c, const void *buf, size_t len, size_t *n)
{
    ERR_clear_error();
    int rc = SSL_write_ex(c->ssl, buf, len, n);
    return rc == 1 ? TLS_IO_OK : io_result(c, rc);
}

ssize_t tls_conn_recv(struct tls_conn *c, void *buf, size_t len, bool *wants_other)
{
    size_t n = 0;

    switch (tls_conn_read(c, buf, len, &n)) {
    case TLS_IO_OK:
        return (ssize_t)n;
    case TLS_IO_EOF:
        return 0;
    case TLS_IO_WANT_WRITE:
        *wants_other = true;
        /* fall through */
    case TLS_IO_WANT_READ:
        errno = EAGAIN;
        return -1;
    default:
        errno = EPROTO;
        return -1;
    }
}

ssize_t tls_conn_send(struct tls_conn *c, const void *buf, size_t len, bool *wants_other)
{
    size_t n = 0;

    switch (tls_conn_write(c, buf, len, &n)) {
    case TLS_IO_OK:
        return (ssize_t)n;
    case TLS_IO_WANT_READ:
        *wants_other = true;
        /* fall through */
    case TLS_IO_WANT_WRITE:
        errno = EAGAIN;
        return -1;
    default:
        errno = EPIPE;
        return -1;
    }
}

bool tls_conn_pending(const struct tls_conn *c)
{
    /* SSL_pending, not SSL_has_pending: a partial record is not something to read yet */
    return SSL_pending(c->ssl) > 0;
}

bool tls_conn_cert_failed(const struct tls_conn *c)
{
    return SSL_get_verify_result(c->ssl) != X509_V_OK;
}

bool tls_conn_buffered(const struct tls_conn *c)
{
    return SSL_has_pending(c->ssl) == 1;
}

bool tls_conn_resumed(const struct tls_conn *c)
{
    return SSL_session_reused(c->ssl) == 1;
}

const char *tls_conn_error(const struct tls_conn *c)
{
    return c->error[0] ? c->error : "no error";
}

/* struct tls_session is OpenSSL's SSL_SESSION, under a name of our own */
struct tls_session *tls_conn_session(struct tls_conn *c)
{
    SSL_SESSION *s = SSL_get1_session(c->ssl);

    if (s && SSL_SESSION_is_resumable(s) != 1) {
        SSL_SESSION_free(s);
        s = NULL;
    }
    return (struct tls_session *)s;
}

void tls_conn_offer_session(struct tls_conn *c, struct tls_session *s)
{
    if (s)
        SSL_set_session(c->ssl, (SSL_SESSION *)s);
}

void tls_session_free(struct tls_session *s)
{
    SSL_SESSION_free((SSL_SESSION *)s);
}

void tls_conn_free(struct tls_conn *c)
{
    if (!c)
        return;
    if (c->handshake_done) {
        ERR_clear_error();
        SSL_shutdown(c->ssl);   /* one try: a close_notify if the socket takes it now */
    }
    SSL_free(c->ssl);
    ERR_clear_error();
    free(c);
}
