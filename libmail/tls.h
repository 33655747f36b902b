#ifndef SEALPOST_TLS_H
#define SEALPOST_TLS_H

/*
 * TLS (OpenSSL 3) as a stream transport.
 *
 * A context holds what is shared by every connection of one role: the
 * certificate, the private key, the trust anchors and the protocol
 * policy (TLS 1.2 at least, forward-secret AEAD ciphers, no
 * renegotiation, no compression).  Make contexts at start-up, before
 * privileges are dropped, since only then are the key files readable;
 * per connection, tls_stream_start() is cheap and reads no files.
 *
 * tls_stream_start() pushes TLS onto an existing stream, which serves both
 * STARTTLS (upgrade in place: bytes the peer sent before the handshake
 * are discarded, output already queued goes out in plain text first)
 * and implicit TLS (call it before any I/O).  The handshake runs from the
 * event loop (or inside the next read or flush in blocking mode); the
 * stream's `ready` callback says when it is done, its `error` callback
 * when it failed.
 */

#include <stdbool.h>

struct stream;
struct tls_ctx;

enum tls_role {
	TLS_ROLE_SERVER,
	TLS_ROLE_CLIENT,
};

struct tls_settings {
	/* PEM certificate chain and private key: required for a server,
	 * optional for a client (then a client certificate). */
	const char *cert_file;
	const char *key_file;
	/* PEM trust anchors for verifying the peer; NULL: the system's
	 * (client) or none (server). */
	const char *ca_file;
	/* Client: fail the handshake unless the server's certificate chains
	 * to a trust anchor and matches the name given to
	 * tls_stream_start().  Without it the handshake goes on and
	 * tls_stream_info() tells whether the peer would have verified
	 * (opportunistic STARTTLS between MTAs).  Server: ask for a client
	 * certificate and refuse one that does not verify. */
	bool verify_peer;
	/* TLS 1.2 cipher list (OpenSSL syntax); NULL for our default.  The
	 * TLS 1.3 suites are OpenSSL's, all of them AEAD. */
	const char *ciphers;
};

/*
 * Makes a context.  Reads the certificate, key and CA files now.  On
 * error returns -1 with *error_r naming the file and OpenSSL's reason
 * (static storage, valid until the next call).
 */
int tls_ctx_new(enum tls_role role, const struct tls_settings *set,
		struct tls_ctx **ctx_r, const char **error_r);
/* The context must outlive every stream started with it. */
void tls_ctx_free(struct tls_ctx **ctx);

/*
 * Pushes a TLS layer onto `s` (see stream_push_transport()).  A client
 * passes the server's host name for SNI and verification; `peer_name`
 * is ignored by a server and may be NULL.  Returns 0, or -1 with
 * *error_r (static storage) when OpenSSL cannot make the connection
 * state; the stream is then unchanged.  Never blocks.
 */
int tls_stream_start(struct stream *s, struct tls_ctx *ctx,
		     const char *peer_name, const char **error_r);

struct tls_info {
	bool handshake_done;
	/* Valid while the stream lives; "" before the handshake. */
	const char *protocol;	/* "TLSv1.3" */
	const char *cipher;	/* "TLS_AES_256_GCM_SHA384" */
	int cipher_bits;
	/* The peer's certificate chains to a trust anchor and, on a
	 * client, matches the name.  Otherwise verify_error says why. */
	bool peer_verified;
	const char *verify_error;
};

/* What the TLS layer on top of `s` negotiated, for the Received header
 * (RFC 8314 section 4.3) and logs.  -1 if TLS is not the stream's top
 * layer. */
int tls_stream_info(struct stream *s, struct tls_info *info_r);

#endif
