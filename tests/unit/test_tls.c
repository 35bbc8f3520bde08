/* test_tls.c -- tls.c over a socketpair: contexts, a non-blocking handshake driven by the
 * WANT_* results, data both ways, the name check (a wrong AUTH-NAME fails the handshake as a
 * certificate failure), and session resumption. The certificate is made here, self-signed
 * and valid for an hour, so nothing that expires is committed. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "tap.h"
#include "tls.h"

static char cert_path[PATH_MAX], key_path[PATH_MAX];

static void die(const char *what)
{
    fprintf(stderr, "test_tls: %s\n", what);
    exit(2);
}

/* A self-signed P-256 certificate for DNS:dot.test, and its key, as PEM files. */
static void make_cert(const char *dir)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509V3_CTX v3;

    if (!key || !x)
        die("openssl");
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"dot.test", -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    X509_EXTENSION *san = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, "DNS:dot.test");
    if (!san || X509_add_ext(x, san, -1) != 1 || X509_sign(x, key, EVP_sha256()) == 0)
        die("cannot make the certificate");
    X509_EXTENSION_free(san);
    snprintf(cert_path, sizeof cert_path, "%s/cert.pem", dir);
    snprintf(key_path, sizeof key_path, "%s/key.pem", dir);
    FILE *c = fopen(cert_path, "w"), *k = fopen(key_path, "w");
    if (!c || !k || PEM_write_X509(c, x) != 1 ||
        PEM_write_PrivateKey(k, key, NULL, NULL, 0, NULL, NULL) != 1)
        die("cannot write the certificate");
    fclose(c);
    fclose(k);
    X509_free(x);
    EVP_PKEY_free(key);
}

/* Drives both handshakes until neither wants more (at most 100 steps); their results. */
static void handshake(struct tls_conn *s, struct tls_conn *c, enum tls_io *rs, enum tls_io *rc)
{
    *rs = *rc = TLS_IO_WANT_READ;
    for (int i = 0; i < 100; i++) {
        if (*rc == TLS_IO_WANT_READ || *rc == TLS_IO_WANT_WRITE)
            *rc = tls_conn_handshake(c);
        if (*rs == TLS_IO_WANT_READ || *rs == TLS_IO_WANT_WRITE)
            *rs = tls_conn_handshake(s);
        if ((*rs == TLS_IO_OK || *rs >= TLS_IO_EOF) && (*rc == TLS_IO_OK || *rc >= TLS_IO_EOF))
            return;
    }
}

struct pair { int fd[2]; struct tls_conn *s, *c; };

static void pair_open(struct pair *p, struct tls_ctx *sctx, struct tls_ctx *cctx, const char *name)
{
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, p->fd) != 0)
        die("socketpair");
    p->s = tls_conn_accept(sctx, p->fd[0]);
    p->c = tls_conn_connect(cctx, p->fd[1], name);
    if (!p->s || !p->c)
        die("cannot make the sessions");
}

static void pair_close(struct pair *p)
{
    tls_conn_free(p->s);
    tls_conn_free(p->c);
    close(p->fd[0]);
    close(p->fd[1]);
}

/* Writes msg on `from` and reads it on `to`; true when it arrived whole. */
static bool carry(struct tls_conn *from, struct tls_conn *to, const char *msg)
{
    char buf[64];
    size_t n = 0, got = 0;

    if (tls_conn_write(from, msg, strlen(msg), &n) != TLS_IO_OK || n != strlen(msg))
        return false;
    for (int i = 0; i < 10 && got < strlen(msg); i++) {
        size_t k = 0;
        if (tls_conn_read(to, buf + got, sizeof buf - got, &k) == TLS_IO_OK)
            got += k;
    }
    return got == strlen(msg) && memcmp(buf, msg, got) == 0;
}

int main(void)
{
    char dir[] = "/tmp/test_tls.XXXXXX", err[256], cmd[PATH_MAX + 16];
    enum tls_io rs, rc;
    struct pair p;

    if (!mkdtemp(dir))
        die("mkdtemp");
    make_cert(dir);

    ok(tls_server_new("/nonexistent.pem", key_path, err, sizeof err) == NULL &&
       strstr(err, "/nonexistent.pem"), "a missing certificate is refused, named: %s", err);
    ok(tls_server_new(cert_path, cert_path, err, sizeof err) == NULL,
       "a certificate given as the key is refused: %s", err);
    struct tls_ctx *sctx = tls_server_new(cert_path, key_path, err, sizeof err);
    struct tls_ctx *cctx = tls_client_new(cert_path, err, sizeof err);
    ok(sctx && cctx, "server and client contexts");
    if (!sctx || !cctx)
        return done_testing();

    pair_open(&p, sctx, cctx, "dot.test");
    handshake(p.s, p.c, &rs, &rc);
    ok(rs == TLS_IO_OK && rc == TLS_IO_OK, "the non-blocking handshake completes (%d, %d)", rs, rc);
    ok(!tls_conn_resumed(p.c), "... a fresh session");
    ok(carry(p.c, p.s, "query"), "client to server");
    ok(carry(p.s, p.c, "answer"), "server to client (the client also takes its tickets)");
    ok(!tls_conn_pending(p.s) && !tls_conn_pending(p.c), "nothing left buffered");
    size_t n;
    ok(tls_conn_read(p.s, err, sizeof err, &n) == TLS_IO_WANT_READ, "a read with nothing there wants to read");
    struct tls_session *sess = tls_conn_session(p.c);
    ok(sess != NULL, "the client has a resumable session");
    pair_close(&p);

    pair_open(&p, sctx, cctx, "dot.test");
    tls_conn_offer_session(p.c, sess);
    handshake(p.s, p.c, &rs, &rc);
    ok(rs == TLS_IO_OK && rc == TLS_IO_OK && tls_conn_resumed(p.c) && tls_conn_resumed(p.s),
       "the next connection resumes it");
    pair_close(&p);
    tls_session_free(sess);

    pair_open(&p, sctx, cctx, "other.test");
    handshake(p.s, p.c, &rs, &rc);
    ok(rc == TLS_IO_ERROR, "a certificate without the AUTH-NAME fails the client's handshake");
    ok(tls_conn_cert_failed(p.c), "... as a certificate failure");
    ok(strstr(tls_conn_error(p.c), "certificate") != NULL, "... saying so: %s", tls_conn_error(p.c));
    ok(rs != TLS_IO_OK || !carry(p.s, p.c, "x"), "nothing reaches the client");
    pair_close(&p);

    struct tls_ctx *other = tls_client_new(NULL, err, sizeof err);  /* the system's store */
    ok(other != NULL, "a client context on the system's store");
    pair_open(&p, sctx, other, "dot.test");
    handshake(p.s, p.c, &rs, &rc);
    ok(rc == TLS_IO_ERROR && tls_conn_cert_failed(p.c), "a certificate the store does not trust fails");
    pair_close(&p);

    tls_ctx_free(other);
    tls_ctx_free(sctx);
    tls_ctx_free(cctx);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "test_tls: could not remove %s\n", dir);
    return done_testing();
}
