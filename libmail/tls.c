#include "tls.h"
#include "buf.h"
#include "log.h"
#include "stream.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

/* Forward-secret AEAD suites only for TLS 1.2; TLS 1.3 has nothing else. */
#define TLS_DEFAULT_CIPHERS \
	"ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20:!aNULL"

struct tls_ctx {
	SSL_CTX *ssl_ctx;
	enum tls_role role;
};

struct tls_transport {
	struct stream_transport t;
	SSL *ssl;
	bool handshake_done;
	/* Why the layer below failed, kept for the message OpenSSL's own
	 * error (a bare SSL_ERROR_SYSCALL) would not give. */
	char lower_error[160];
	char error[256];
};

static char tls_error_buf[512];

/* OpenSSL's reason for the most recent failure, and clears its queue so
 * that the next connection's errors are its own. */
static const char *tls_openssl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *reason = e != 0 ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return reason != NULL ? reason : "unknown OpenSSL error";
}

static const char *tls_fail(const char *what, const char *file)
{
	const char *reason = tls_openssl_reason();

	if (file != NULL)
		(void)str_format(tls_error_buf, sizeof(tls_error_buf),
				 "%s %s: %s", what, file, reason);
	else
		(void)str_format(tls_error_buf, sizeof(tls_error_buf),
				 "%s: %s", what, reason);
	return tls_error_buf;
}

/* ---- contexts ---- */

static int tls_ctx_load(SSL_CTX *c, enum tls_role role,
			const struct tls_settings *set, const char **error_r)
{
	if (role == TLS_ROLE_SERVER &&
	    (set->cert_file == NULL || set->key_file == NULL)) {
		*error_r = "TLS server needs a certificate and a key";
		return -1;
	}
	if (set->cert_file != NULL &&
	    SSL_CTX_use_certificate_chain_file(c, set->cert_file) != 1) {
		*error_r = tls_fail("cannot load certificate", set->cert_file);
		return -1;
	}
	if (set->key_file != NULL) {
		if (SSL_CTX_use_PrivateKey_file(c, set->key_file,
						SSL_FILETYPE_PEM) != 1) {
			*error_r = tls_fail("cannot load key", set->key_file);
			return -1;
		}
		if (SSL_CTX_check_private_key(c) != 1) {
			*error_r = tls_fail("key does not match certificate",
					    set->key_file);
			return -1;
		}
	}
	if (set->ca_file != NULL) {
		if (SSL_CTX_load_verify_locations(c, set->ca_file, NULL) != 1) {
			*error_r = tls_fail("cannot load CA file",
					    set->ca_file);
			return -1;
		}
	} else if (role == TLS_ROLE_CLIENT &&
		   SSL_CTX_set_default_verify_paths(c) != 1) {
		*error_r = tls_fail("cannot load the system CA store", NULL);
		return -1;
	}
	return 0;
}

int tls_ctx_new(enum tls_role role, const struct tls_settings *set,
		struct tls_ctx **ctx_r, const char **error_r)
{
	static const unsigned char sid_ctx[] = "sealpost";
	SSL_CTX *c;
	struct tls_ctx *ctx;

	c = SSL_CTX_new(role == TLS_ROLE_SERVER ? TLS_server_method() :
			TLS_client_method());
	if (c == NULL) {
		*error_r = tls_fail("SSL_CTX_new", NULL);
		return -1;
	}
	SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
	/*
	 * No renegotiation (a CPU sink and a source of old bugs), no
	 * compression (CRIME).  IGNORE_UNEXPECTED_EOF: many mail clients
	 * close without close_notify after QUIT/LOGOUT; every mail protocol
	 * frames its own end, so truncation is not an attack on it and an
	 * EOF is just an EOF.
	 */
	SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
			    SSL_OP_IGNORE_UNEXPECTED_EOF |
			    (role == TLS_ROLE_SERVER ?
			     SSL_OP_CIPHER_SERVER_PREFERENCE : 0));
	/* The stream retries a partial write from a buffer that may have
	 * moved (it compacts and grows). */
	SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE |
			 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
			 SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_set_cipher_list(c, set->ciphers != NULL ? set->ciphers :
				    TLS_DEFAULT_CIPHERS) != 1) {
		*error_r = tls_fail("bad cipher list", NULL);
		SSL_CTX_free(c);
		return -1;
	}
	if (tls_ctx_load(c, role, set, error_r) < 0) {
		SSL_CTX_free(c);
		return -1;
	}
	if (role == TLS_ROLE_SERVER) {
		/* Built-in DH groups sized to the key, or the DHE suites of
		 * the default list would never be offered. */
		SSL_CTX_set_dh_auto(c, 1);
		SSL_CTX_set_session_id_context(c, sid_ctx, sizeof(sid_ctx) - 1);
		SSL_CTX_set_verify(c, set->verify_peer ? SSL_VERIFY_PEER :
				   SSL_VERIFY_NONE, NULL);
	} else {
		/* Without verify_peer the chain is still checked and the
		 * result kept for tls_stream_info(); it just does not stop
		 * the handshake. */
		SSL_CTX_set_verify(c, set->verify_peer ? SSL_VERIFY_PEER :
				   SSL_VERIFY_NONE, NULL);
	}
	ctx = xcalloc(1, sizeof(*ctx));
	ctx->ssl_ctx = c;
	ctx->role = role;
	*ctx_r = ctx;
	return 0;
}

void tls_ctx_free(struct tls_ctx **ctxp)
{
	struct tls_ctx *ctx = *ctxp;

	if (ctx == NULL)
		return;
	*ctxp = NULL;
	SSL_CTX_free(ctx->ssl_ctx);
	free(ctx);
}

/* ---- a BIO over the layer below, so TLS stacks on any transport ---- */

static int tls_bio_result(BIO *b, ssize_t n, const char *error)
{
	struct tls_transport *tt = BIO_get_data(b);

	if (n >= 0)
		return (int)n;
	if (n == STREAM_IO_WANT_READ) {
		BIO_set_retry_read(b);
	} else if (n == STREAM_IO_WANT_WRITE) {
		BIO_set_retry_write(b);
	} else if (str_copy(tt->lower_error, sizeof(tt->lower_error),
			    error != NULL ? error : "I/O error") < 0) {
		(void)str_copy(tt->lower_error, sizeof(tt->lower_error),
			       "I/O error");
	}
	return -1;
}

static int tls_bio_read(BIO *b, char *data, int size)
{
	struct tls_transport *tt = BIO_get_data(b);
	struct stream_transport *lower = tt->t.lower;
	const char *error = NULL;
	ssize_t n;

	BIO_clear_retry_flags(b);
	if (size <= 0)
		return 0;
	/* Two statements: the error is set by the call, and argument
	 * evaluation order is unspecified. */
	n = lower->v->read(lower, data, (size_t)size, &error);
	return tls_bio_result(b, n, error);
}

static int tls_bio_write(BIO *b, const char *data, int size)
{
	struct tls_transport *tt = BIO_get_data(b);
	struct stream_transport *lower = tt->t.lower;
	const char *error = NULL;
	ssize_t n;

	BIO_clear_retry_flags(b);
	if (size <= 0)
		return 0;
	n = lower->v->write(lower, data, (size_t)size, &error);
	return tls_bio_result(b, n, error);
}

static long tls_bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	/* Writes go straight down, so there is never anything to flush. */
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int tls_bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static BIO_METHOD *tls_bio_method(void)
{
	static BIO_METHOD *method;

	if (method != NULL)
		return method;
	method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
			      "sealpost stream");
	if (method == NULL ||
	    BIO_meth_set_read(method, tls_bio_read) != 1 ||
	    BIO_meth_set_write(method, tls_bio_write) != 1 ||
	    BIO_meth_set_ctrl(method, tls_bio_ctrl) != 1 ||
	    BIO_meth_set_create(method, tls_bio_create) != 1)
		log_panic("cannot make the TLS BIO method");
	return method;
}

/* ---- the transport ---- */

/* Maps an OpenSSL result to a STREAM_IO_* code, with a message. */
static ssize_t tls_result(struct tls_transport *tt, int ret, const char *op,
			  const char **error_r)
{
	const char *reason;
	long vr;

	switch (SSL_get_error(tt->ssl, ret)) {
	case SSL_ERROR_WANT_READ:
		return STREAM_IO_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return STREAM_IO_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		reason = tt->lower_error[0] != '\0' ? tt->lower_error :
			"connection closed";
		break;
	default:
		reason = tls_openssl_reason();
		break;
	}
	vr = SSL_get_verify_result(tt->ssl);
	if (!tt->handshake_done && vr != X509_V_OK)
		(void)str_format(tt->error, sizeof(tt->error),
				 "TLS %s: %s (%s)", op, reason,
				 X509_verify_cert_error_string(vr));
	else
		(void)str_format(tt->error, sizeof(tt->error), "TLS %s: %s",
				 op, reason);
	*error_r = tt->error[0] != '\0' ? tt->error : "TLS error";
	return STREAM_IO_ERROR;
}

static int tls_handshake(struct stream_transport *t, const char **error_r)
{
	struct tls_transport *tt = (struct tls_transport *)t;
	int ret;
	ssize_t r;

	ERR_clear_error();
	ret = SSL_do_handshake(tt->ssl);
	if (ret == 1) {
		tt->handshake_done = true;
		return 1;
	}
	r = tls_result(tt, ret, "handshake", error_r);
	if (r == 0) {
		/* A close_notify in the middle of a handshake. */
		*error_r = "TLS handshake: connection closed";
		return STREAM_IO_ERROR;
	}
	return (int)r;
}

static ssize_t tls_read(struct stream_transport *t, void *data, size_t size,
			const char **error_r)
{
	struct tls_transport *tt = (struct tls_transport *)t;
	size_t n = 0;
	int ret;

	ERR_clear_error();
	ret = SSL_read_ex(tt->ssl, data, size, &n);
	if (ret == 1)
		return (ssize_t)n;
	return tls_result(tt, ret, "read", error_r);
}

static ssize_t tls_write(struct stream_transport *t, const void *data,
			 size_t size, const char **error_r)
{
	struct tls_transport *tt = (struct tls_transport *)t;
	size_t n = 0;
	int ret;

	ERR_clear_error();
	ret = SSL_write_ex(tt->ssl, data, size, &n);
	if (ret == 1)
		return (ssize_t)n;
	ret = (int)tls_result(tt, ret, "write", error_r);
	/* A write never sees end of file: the peer closed on us. */
	if (ret == 0) {
		*error_r = "TLS write: peer closed the connection";
		return STREAM_IO_ERROR;
	}
	return ret;
}

static size_t tls_pending(struct stream_transport *t)
{
	struct tls_transport *tt = (struct tls_transport *)t;
	int n = SSL_pending(tt->ssl);

	return n > 0 ? (size_t)n : 0;
}

static void tls_free(struct stream_transport *t)
{
	struct tls_transport *tt = (struct tls_transport *)t;

	/* One try at close_notify; a peer that is gone or slow does not
	 * hold the session open. */
	if (tt->handshake_done) {
		ERR_clear_error();
		(void)SSL_shutdown(tt->ssl);
		ERR_clear_error();
	}
	SSL_free(tt->ssl);
	free(tt);
}

static const struct stream_transport_vfuncs tls_vfuncs = {
	.name = "tls",
	.read = tls_read,
	.write = tls_write,
	.handshake = tls_handshake,
	.pending = tls_pending,
	.free = tls_free,
};

int tls_stream_start(struct stream *s, struct tls_ctx *ctx,
		     const char *peer_name, const char **error_r)
{
	struct tls_transport *tt;
	BIO *bio;

	ERR_clear_error();
	tt = xcalloc(1, sizeof(*tt));
	tt->t.v = &tls_vfuncs;
	tt->ssl = SSL_new(ctx->ssl_ctx);
	bio = tt->ssl != NULL ? BIO_new(tls_bio_method()) : NULL;
	if (bio == NULL) {
		*error_r = tls_fail("cannot start TLS", NULL);
		SSL_free(tt->ssl);
		free(tt);
		return -1;
	}
	BIO_set_data(bio, tt);
	SSL_set_bio(tt->ssl, bio, bio);
	if (ctx->role == TLS_ROLE_SERVER) {
		SSL_set_accept_state(tt->ssl);
	} else {
		SSL_set_connect_state(tt->ssl);
		/* The name is checked even without verify_peer, so that
		 * tls_stream_info() reports a mismatch. */
		if (peer_name != NULL &&
		    (SSL_set_tlsext_host_name(tt->ssl, peer_name) != 1 ||
		     SSL_set1_host(tt->ssl, peer_name) != 1)) {
			*error_r = tls_fail("bad peer name", NULL);
			SSL_free(tt->ssl);
			free(tt);
			return -1;
		}
	}
	stream_push_transport(s, &tt->t);
	return 0;
}

int tls_stream_info(struct stream *s, struct tls_info *info_r)
{
	struct stream_transport *t = stream_transport(s);
	struct tls_transport *tt;
	X509 *peer;
	long vr;

	if (t->v != &tls_vfuncs)
		return -1;
	tt = (struct tls_transport *)t;
	memset(info_r, 0, sizeof(*info_r));
	info_r->handshake_done = tt->handshake_done;
	info_r->protocol = "";
	info_r->cipher = "";
	info_r->verify_error = "no handshake yet";
	if (!tt->handshake_done)
		return 0;
	info_r->protocol = SSL_get_version(tt->ssl);
	info_r->cipher = SSL_get_cipher_name(tt->ssl);
	info_r->cipher_bits = SSL_get_cipher_bits(tt->ssl, NULL);
	peer = SSL_get0_peer_certificate(tt->ssl);
	vr = SSL_get_verify_result(tt->ssl);
	info_r->peer_verified = peer != NULL && vr == X509_V_OK;
	info_r->verify_error = peer == NULL ? "no peer certificate" :
		vr == X509_V_OK ? NULL : X509_verify_cert_error_string(vr);
	return 0;
}
