/* Unit tests for libmail/tls.c: real handshakes between a client and a
 * server stream over a socketpair in one event loop, with certificates
 * made at run time (no key is ever committed). */
#include "tap.h"
#include "buf.h"
#include "event.h"
#include "stream.h"
#include "tls.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static struct event_loop *loop;
static char dir[] = "/tmp/sealpost-tls-XXXXXX";
static struct buf cert_path = BUF_INIT, key_path = BUF_INIT,
	other_path = BUF_INIT, other_key_path = BUF_INIT;

/* ---- a self-signed certificate for "localhost" ---- */

static void add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	if (ext == NULL || X509_add_ext(x, ext, -1) != 1)
		abort();
	X509_EXTENSION_free(ext);
}

static void write_pem(const char *path, EVP_PKEY *key, X509 *x)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		abort();
	if (key != NULL &&
	    PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) != 1)
		abort();
	if (x != NULL && PEM_write_X509(f, x) != 1)
		abort();
	fclose(f);
}

static void make_cert(const char *cert_file, const char *key_file,
		      const char *cn)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	X509_NAME *name;

	if (key == NULL || x == NULL)
		abort();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, name);
	add_ext(x, NID_basic_constraints, "critical,CA:TRUE");
	add_ext(x, NID_subject_alt_name, "DNS:localhost");
	if (X509_sign(x, key, EVP_sha256()) == 0)
		abort();
	write_pem(cert_file, NULL, x);
	write_pem(key_file, key, NULL);
	X509_free(x);
	EVP_PKEY_free(key);
}

static void setup_files(void)
{
	if (mkdtemp(dir) == NULL)
		abort();
	buf_printf(&cert_path, "%s/cert.pem", dir);
	buf_printf(&key_path, "%s/key.pem", dir);
	buf_printf(&other_path, "%s/other.pem", dir);
	buf_printf(&other_key_path, "%s/other-key.pem", dir);
	make_cert(cert_path.data, key_path.data, "localhost");
	make_cert(other_path.data, other_key_path.data, "other");
}

static void cleanup_files(void)
{
	unlink(cert_path.data);
	unlink(key_path.data);
	unlink(other_path.data);
	unlink(other_key_path.data);
	rmdir(dir);
	buf_free(&cert_path);
	buf_free(&key_path);
	buf_free(&other_path);
	buf_free(&other_key_path);
}

/* ---- a peer: one stream plus what the test saw on it ---- */

struct peer {
	const char *name;
	struct stream *s;
	struct buf lines;	/* every line read, "|"-separated */
	bool ready, failed, eof;
	char error[256];
	/* large transfer */
	uint64_t to_send, sent, received, sum;
	/* STARTTLS dialogue */
	struct tls_ctx *starttls_ctx;
	int state;
};

static int pending_peers;

static void peer_done(struct peer *p)
{
	if (--pending_peers == 0)
		event_loop_stop(loop);
}

static void peer_error(void *ctx)
{
	struct peer *p = ctx;

	p->failed = true;
	(void)str_copy(p->error, sizeof(p->error),
		       stream_error(p->s) != NULL ? stream_error(p->s) : "?");
	peer_done(p);
}

static void peer_ready(void *ctx)
{
	struct peer *p = ctx;

	p->ready = true;
}

/* Echo peer: "ping x" gets "pong x"; "ping 2" and "pong 2" end its part. */
static void echo_input(void *ctx)
{
	struct peer *p = ctx;
	struct stream_line line;
	enum stream_result r;

	while ((r = stream_read_line(p->s, 100, &line)) == STREAM_OK) {
		buf_printf(&p->lines, "%s|", line.data);
		if (strncmp(line.data, "ping ", 5) == 0) {
			stream_printf(p->s, "pong %s\r\n", line.data + 5);
			stream_flush(p->s);
		}
		if (strcmp(line.data, "ping 2") == 0 ||
		    strcmp(line.data, "pong 2") == 0) {
			peer_done(p);
			return;
		}
	}
	if (r == STREAM_EOF || r == STREAM_ERROR) {
		p->eof = true;
		peer_done(p);
	}
}

static void make_pair(struct peer *server, struct peer *client,
		      const struct stream_callbacks *scb,
		      const struct stream_callbacks *ccb)
{
	int fds[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) < 0)
		abort();
	memset(server, 0, sizeof(*server));
	memset(client, 0, sizeof(*client));
	server->name = "server";
	client->name = "client";
	server->s = stream_new(loop, fds[0], NULL, scb, server);
	client->s = stream_new(loop, fds[1], NULL, ccb, client);
}

static void free_pair(struct peer *server, struct peer *client)
{
	stream_free(&server->s);
	stream_free(&client->s);
	buf_free(&server->lines);
	buf_free(&client->lines);
}

static struct event_timer *watchdog;

static void watchdog_fire(void *ctx)
{
	tap_diag("watchdog: the loop hung");
	event_loop_stop(loop);
}

static void run(int peers)
{
	pending_peers = peers;
	event_timer_reset(watchdog);
	event_loop_run(loop);
	event_timer_stop(watchdog);
}

/* ---- implicit TLS: handshake first, then lines both ways ---- */

static void test_echo(struct tls_ctx *sctx, struct tls_ctx *cctx)
{
	static const struct stream_callbacks cb = {
		.input = echo_input, .error = peer_error, .ready = peer_ready,
	};
	struct peer server, client;
	struct tls_info info;
	const char *error;

	make_pair(&server, &client, &cb, &cb);
	ok(tls_stream_start(server.s, sctx, NULL, &error) == 0,
	   "server TLS starts");
	ok(tls_stream_start(client.s, cctx, "localhost", &error) == 0,
	   "client TLS starts");
	ok(tls_stream_info(client.s, &info) == 0 && !info.handshake_done,
	   "no handshake before the loop runs");
	/* Queued before the handshake: must wait for it, then go
	 * encrypted. */
	stream_printf(client.s, "ping 1\r\nping 2\r\n");
	stream_flush(client.s);
	run(2);
	ok(server.ready && client.ready, "both sides report ready");
	is_str(buf_cstr(&server.lines), "ping 1|ping 2|", "server got lines");
	is_str(buf_cstr(&client.lines), "pong 1|pong 2|",
	       "client got replies");
	ok(tls_stream_info(client.s, &info) == 0, "client has TLS info");
	is_str(info.protocol, "TLSv1.3", "TLS 1.3 negotiated");
	ok(info.cipher[0] != '\0' && info.cipher_bits >= 128,
	   "cipher reported");
	ok(info.peer_verified && info.verify_error == NULL,
	   "client verified the server");
	ok(tls_stream_info(server.s, &info) == 0 && !info.peer_verified,
	   "server saw no client certificate");
	free_pair(&server, &client);
}

/* ---- a large transfer with flow control ---- */

static void bulk_fill(struct peer *p)
{
	char chunk[16384];

	/* Keep the queue near the output limit; drained refills it. */
	while (p->sent < p->to_send &&
	       stream_output_queued(p->s) < 64 * 1024) {
		size_t n = sizeof(chunk);

		if (n > p->to_send - p->sent)
			n = (size_t)(p->to_send - p->sent);
		for (size_t i = 0; i < n; i++)
			chunk[i] = (char)((p->sent + i) % 251);
		stream_write(p->s, chunk, n);
		p->sent += n;
	}
	if (stream_flush(p->s) == 1 && p->sent < p->to_send)
		bulk_fill(p);
}

static void bulk_drained(void *ctx)
{
	bulk_fill(ctx);
}

static void bulk_client_ready(void *ctx)
{
	struct peer *p = ctx;

	p->ready = true;
	bulk_fill(p);
}

static void bulk_client_input(void *ctx)
{
	struct peer *p = ctx;
	struct stream_line line;

	if (stream_read_line(p->s, 100, &line) == STREAM_OK) {
		buf_append_str(&p->lines, line.data);
		peer_done(p);
	}
}

static void bulk_server_input(void *ctx)
{
	struct peer *p = ctx;
	const char *data;
	size_t n;
	enum stream_result r;

	while ((r = stream_read_bytes(p->s, SIZE_MAX, &data, &n)) ==
	       STREAM_OK) {
		for (size_t i = 0; i < n; i++) {
			if ((unsigned char)data[i] !=
			    (p->received + i) % 251)
				p->sum++;
		}
		p->received += n;
		if (p->received == p->to_send) {
			stream_printf(p->s, "got %llu bad %llu\r\n",
				      (unsigned long long)p->received,
				      (unsigned long long)p->sum);
			stream_flush(p->s);
			peer_done(p);
			return;
		}
	}
}

static void test_bulk(struct tls_ctx *sctx, struct tls_ctx *cctx)
{
	static const struct stream_callbacks scb = {
		.input = bulk_server_input, .error = peer_error,
	};
	static const struct stream_callbacks ccb = {
		.input = bulk_client_input, .error = peer_error,
		.ready = bulk_client_ready, .drained = bulk_drained,
	};
	struct peer server, client;
	const char *error;

	make_pair(&server, &client, &scb, &ccb);
	server.to_send = client.to_send = 8 * 1024 * 1024;
	tls_stream_start(server.s, sctx, NULL, &error);
	tls_stream_start(client.s, cctx, "localhost", &error);
	run(2);
	is_int(server.received, client.to_send, "8 MiB arrived");
	is_int(server.sum, 0, "every byte intact and in order");
	is_str(buf_cstr(&client.lines), "got 8388608 bad 0",
	       "reply after the bulk data");
	free_pair(&server, &client);
}

/* ---- STARTTLS: pipelined plain text before the handshake is dropped ---- */

static void starttls_server_input(void *ctx)
{
	struct peer *p = ctx;
	struct stream_line line;
	const char *error;

	while (stream_read_line(p->s, 100, &line) == STREAM_OK) {
		buf_printf(&p->lines, "%s|", line.data);
		if (p->state == 0 && strcmp(line.data, "STARTTLS") == 0) {
			/* Queued, not flushed: it must still go out in
			 * plain text ahead of the handshake. */
			stream_write_str(p->s, "220 go ahead\r\n");
			if (tls_stream_start(p->s, p->starttls_ctx, NULL,
					     &error) < 0)
				abort();
			p->state = 1;
			return;
		}
		if (p->state == 1) {
			peer_done(p);
			return;
		}
	}
}

static void starttls_client_input(void *ctx)
{
	struct peer *p = ctx;
	struct stream_line line;
	const char *error;

	while (stream_read_line(p->s, 100, &line) == STREAM_OK) {
		buf_printf(&p->lines, "%s|", line.data);
		if (p->state == 0 && strncmp(line.data, "220 ", 4) == 0) {
			if (tls_stream_start(p->s, p->starttls_ctx,
					     "localhost", &error) < 0)
				abort();
			stream_write_str(p->s, "EHLO after\r\n");
			stream_flush(p->s);
			p->state = 1;
			peer_done(p);
			return;
		}
	}
}

static void test_starttls(struct tls_ctx *sctx, struct tls_ctx *cctx)
{
	static const struct stream_callbacks scb = {
		.input = starttls_server_input, .error = peer_error,
		.ready = peer_ready,
	};
	static const struct stream_callbacks ccb = {
		.input = starttls_client_input, .error = peer_error,
		.ready = peer_ready,
	};
	struct peer server, client;

	make_pair(&server, &client, &scb, &ccb);
	server.starttls_ctx = sctx;
	client.starttls_ctx = cctx;
	/* The injection: a command pipelined behind STARTTLS, in the same
	 * packet, must not be executed after the upgrade. */
	stream_write_str(client.s, "STARTTLS\r\nINJECTED\r\n");
	stream_flush(client.s);
	run(2);
	is_str(buf_cstr(&server.lines), "STARTTLS|EHLO after|",
	       "bytes pipelined before the handshake are discarded");
	is_str(buf_cstr(&client.lines), "220 go ahead|",
	       "the 220 went out in plain text before the handshake");
	ok(server.ready && client.ready, "STARTTLS handshake completed");
	free_pair(&server, &client);
}

/* ---- verification failure, and opportunistic TLS ---- */

static void test_verify(struct tls_ctx *sctx, struct tls_ctx *bad_cctx,
			struct tls_ctx *opp_cctx)
{
	static const struct stream_callbacks cb = {
		.input = echo_input, .error = peer_error, .ready = peer_ready,
	};
	struct peer server, client;
	struct tls_info info;
	const char *error;

	make_pair(&server, &client, &cb, &cb);
	tls_stream_start(server.s, sctx, NULL, &error);
	tls_stream_start(client.s, bad_cctx, "localhost", &error);
	run(2);
	ok(client.failed && !client.ready, "client refuses an untrusted "
	   "server");
	ok(strstr(client.error, "certificate verify failed") != NULL,
	   "the client's error names the verification failure");
	tap_diag(client.error);
	ok(server.failed || server.eof, "the server's handshake ends too");
	free_pair(&server, &client);

	/* Same untrusted server, verification off: it goes ahead, and the
	 * result is reported for the logs. */
	make_pair(&server, &client, &cb, &cb);
	tls_stream_start(server.s, sctx, NULL, &error);
	tls_stream_start(client.s, opp_cctx, "localhost", &error);
	stream_write_str(client.s, "ping 2\r\n");
	stream_flush(client.s);
	run(2);
	ok(client.ready && !client.failed, "opportunistic client goes on");
	ok(tls_stream_info(client.s, &info) == 0 && !info.peer_verified &&
	   info.verify_error != NULL, "and reports the server unverified");
	free_pair(&server, &client);
}

/* ---- a peer that closes in the middle of the handshake ---- */

static struct event_timer *pause_timer;

static void stop_cb(void *ctx)
{
	event_loop_stop(loop);
}

static void test_abort(struct tls_ctx *sctx, struct tls_ctx *cctx)
{
	static const struct stream_callbacks cb = {
		.input = echo_input, .error = peer_error, .ready = peer_ready,
	};
	/* The start of a ClientHello record, cut short. */
	static const char partial[] = "\x16\x03\x01\x02\x00\x01\x00\x01";
	struct peer server, client;
	const char *error;
	int fds[2];
	char hello[64];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) < 0)
		abort();
	memset(&server, 0, sizeof(server));
	server.s = stream_new(loop, fds[0], NULL, &cb, &server);
	tls_stream_start(server.s, sctx, NULL, &error);
	if (write(fds[1], partial, sizeof(partial) - 1) < 0)
		abort();
	close(fds[1]);
	run(1);
	ok(server.failed && !server.ready, "server: client vanished "
	   "mid-handshake is an error");
	tap_diag(server.error);
	stream_free(&server.s);

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) < 0)
		abort();
	memset(&client, 0, sizeof(client));
	client.s = stream_new(loop, fds[1], NULL, &cb, &client);
	tls_stream_start(client.s, cctx, "localhost", &error);
	/* Let the ClientHello go out, read some of it, hang up. */
	pause_timer = event_timer_add(loop, 20, 0, stop_cb, NULL);
	event_loop_run(loop);
	event_timer_remove(&pause_timer);
	ok(read(fds[0], hello, sizeof(hello)) > 0, "ClientHello was sent");
	close(fds[0]);
	run(1);
	ok(client.failed && !client.ready, "client: server vanished "
	   "mid-handshake is an error");
	tap_diag(client.error);
	stream_free(&client.s);
}

static void test_ctx_errors(void)
{
	struct tls_settings set = { 0 };
	struct tls_ctx *ctx = NULL;
	const char *error = NULL;

	ok(tls_ctx_new(TLS_ROLE_SERVER, &set, &ctx, &error) < 0 &&
	   error != NULL, "a server without a certificate is refused");
	set.cert_file = cert_path.data;
	set.key_file = "/nonexistent/key.pem";
	ok(tls_ctx_new(TLS_ROLE_SERVER, &set, &ctx, &error) < 0 &&
	   strstr(error, "/nonexistent/key.pem") != NULL,
	   "a missing key file is named in the error");
	set.key_file = other_key_path.data;
	ok(tls_ctx_new(TLS_ROLE_SERVER, &set, &ctx, &error) < 0,
	   "a key that does not match the certificate is refused");
	ok(ctx == NULL, "no context on error");
}

int main(void)
{
	struct tls_settings sset = { 0 }, cset = { 0 };
	struct tls_ctx *sctx, *cctx, *bad_cctx, *opp_cctx;
	const char *error = "";

	setup_files();
	loop = event_loop_new();
	watchdog = event_timer_add(loop, 20000, 0, watchdog_fire, NULL);
	event_timer_stop(watchdog);

	sset.cert_file = cert_path.data;
	sset.key_file = key_path.data;
	ok(tls_ctx_new(TLS_ROLE_SERVER, &sset, &sctx, &error) == 0,
	   "server context");
	cset.ca_file = cert_path.data;
	cset.verify_peer = true;
	ok(tls_ctx_new(TLS_ROLE_CLIENT, &cset, &cctx, &error) == 0,
	   "verifying client context");
	cset.ca_file = other_path.data;
	ok(tls_ctx_new(TLS_ROLE_CLIENT, &cset, &bad_cctx, &error) == 0,
	   "client context trusting another CA");
	cset.verify_peer = false;
	ok(tls_ctx_new(TLS_ROLE_CLIENT, &cset, &opp_cctx, &error) == 0,
	   "opportunistic client context");

	test_echo(sctx, cctx);
	test_bulk(sctx, cctx);
	test_starttls(sctx, cctx);
	test_verify(sctx, bad_cctx, opp_cctx);
	test_abort(sctx, cctx);
	test_ctx_errors();

	tls_ctx_free(&sctx);
	tls_ctx_free(&cctx);
	tls_ctx_free(&bad_cctx);
	tls_ctx_free(&opp_cctx);
	event_timer_remove(&watchdog);
	event_loop_free(&loop);
	cleanup_files();
	return tap_done();
}
