/*
 * `sealpost dkim`: making DKIM keys and checking signed messages.
 *
 *   sealpost dkim keygen DOMAIN SELECTOR [--type rsa|ed25519] [--bits N]
 *                                       [--out FILE]
 *   sealpost dkim verify FILE [--key-record NAME=TXT]... [--dns SERVERS]
 *
 * keygen writes the private key (PEM, PKCS #8, mode 0600, never over an
 * existing file) and prints the TXT record to publish.  verify checks
 * every DKIM-Signature of a message with the same code smtpd uses; key
 * records come from --key-record, else from the DNS.
 */
#include "cli.h"
#include "buf.h"
#include "dkim_key.h"
#include "dkim_verify.h"
#include "dns.h"
#include "event.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static const char cli_dkim_usage_text[] =
	"usage: sealpost dkim keygen DOMAIN SELECTOR [--type rsa|ed25519] "
	"[--bits N] [--out FILE]\n"
	"       sealpost dkim verify FILE [--key-record NAME=TXT]... "
	"[--dns SERVERS]\n";

static int cli_dkim_usage(void)
{
	fputs(cli_dkim_usage_text, stderr);
	return CLI_EX_USAGE;
}

/* The record as a zone file line, in strings of at most 255 octets. */
static void cli_dkim_print_record(const char *domain, const char *selector,
				  const struct buf *rec)
{
	size_t i, n;

	printf("%s._domainkey.%s. IN TXT (", selector, domain);
	for (i = 0; i < rec->len; i += n) {
		n = rec->len - i > 250 ? 250 : rec->len - i;
		printf(" \"%.*s\"", (int)n, rec->data + i);
	}
	printf(" )\n");
}

static int cli_dkim_keygen(int argc, char **argv)
{
	const char *type = "rsa", *out = NULL, *domain, *selector, *error;
	unsigned long bits = 2048;
	struct buf path = BUF_INIT, rec = BUF_INIT;
	int i, ret = 1;

	if (argc < 3)
		return cli_dkim_usage();
	domain = argv[1];
	selector = argv[2];
	for (i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--type") == 0 && i + 1 < argc) {
			type = argv[++i];
		} else if (strcmp(argv[i], "--bits") == 0 && i + 1 < argc) {
			char *end;

			bits = strtoul(argv[++i], &end, 10);
			if (*end != '\0' || bits < 1024 || bits > 8192) {
				fprintf(stderr, "sealpost dkim: --bits must be "
					"1024 to 8192 (2048 advised)\n");
				return CLI_EX_USAGE;
			}
		} else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
			out = argv[++i];
		} else {
			return cli_dkim_usage();
		}
	}
	if (strchr(domain, '/') != NULL || strchr(selector, '/') != NULL ||
	    strchr(domain, ':') != NULL || strchr(selector, ':') != NULL)
		return cli_dkim_usage();
	if (strcmp(type, "rsa") != 0 && strcmp(type, "ed25519") != 0)
		return cli_dkim_usage();
	if (out != NULL)
		buf_append_str(&path, out);
	else
		buf_printf(&path, "%s.%s.pem", domain, selector);
	if (dkim_key_generate(buf_cstr(&path), strcmp(type, "rsa") == 0 ?
			      DKIM_ALG_RSA_SHA256 : DKIM_ALG_ED25519_SHA256,
			      (unsigned int)bits, &rec, &error) < 0) {
		fprintf(stderr, "sealpost dkim: %s\n", error);
		goto out;
	}
	fprintf(stderr, "wrote %s; make it owned by the mail user and add "
		"`%s:%s:%s` to dkim_sign.  Publish:\n", buf_cstr(&path),
		domain, selector, buf_cstr(&path));
	cli_dkim_print_record(domain, selector, &rec);
	ret = 0;
out:
	buf_free(&path);
	buf_free(&rec);
	return ret;
}

/* ---- verify ---- */

struct cli_dkim_lookup {
	struct dkim_verify *v;
	size_t index;
	size_t *pending;
	struct event_loop *loop;
};

static void cli_dkim_on_key(void *ctx, const struct dns_rr_result *r)
{
	struct cli_dkim_lookup *l = ctx;
	enum dkim_key_status status =
		r->status == DNS_OK && r->count > 0 ? DKIM_KEY_FOUND :
		r->status == DNS_TEMPFAIL ? DKIM_KEY_TEMPFAIL :
		DKIM_KEY_MISSING;

	dkim_verify_set_key(l->v, l->index, status,
			    r->count > 0 ? r->rrs[0].text : NULL,
			    r->count > 0 ? r->rrs[0].text_len : 0, time(NULL));
	if (--*l->pending == 0)
		event_loop_stop(l->loop);
}

/* Asks the DNS for the keys not given on the command line. */
static int cli_dkim_lookup_keys(struct dkim_verify *v, const char *servers)
{
	size_t i, count = dkim_verify_count(v), pending = 0;
	struct cli_dkim_lookup *ls = xcalloc(count + 1, sizeof(*ls));
	struct event_loop *loop = event_loop_new();
	struct dns *dns = NULL;
	const char *error;

	if (dns_new(loop, servers, 5000, &dns, &error) < 0) {
		fprintf(stderr, "sealpost dkim: dns: %s\n", error);
		free(ls);
		event_loop_free(&loop);
		return -1;
	}
	for (i = 0; i < count; i++) {
		const char *name = dkim_verify_key_name(v, i);

		if (name == NULL)
			continue;
		ls[i].v = v;
		ls[i].index = i;
		ls[i].pending = &pending;
		ls[i].loop = loop;
		pending++;
		(void)dns_lookup_rr(dns, name, DNS_TYPE_TXT, cli_dkim_on_key,
				    &ls[i]);
	}
	if (pending > 0)
		event_loop_run(loop);
	dns_free(&dns);
	event_loop_free(&loop);
	free(ls);
	return 0;
}

/* A message file may have LF line ends; DKIM is defined on CRLF. */
static int cli_dkim_read(const char *path, struct buf *out)
{
	char chunk[65536];
	FILE *f = fopen(path, "rb");
	size_t n, i;
	bool cr = false;

	if (f == NULL) {
		fprintf(stderr, "sealpost dkim: %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		for (i = 0; i < n; i++) {
			if (chunk[i] == '\n' && !cr)
				buf_append_char(out, '\r');
			cr = chunk[i] == '\r';
			buf_append_char(out, chunk[i]);
		}
	}
	fclose(f);
	return 0;
}

static int cli_dkim_verify(int argc, char **argv)
{
	struct dkim_verify_limits limits = { 1024 * 1024, 10000, 10 };
	const char *servers = NULL;
	struct buf msg = BUF_INIT;
	struct dkim_verify *v;
	size_t i, count, passed = 0;
	int j;

	if (argc < 2)
		return cli_dkim_usage();
	for (j = 2; j < argc; j++) {
		if ((strcmp(argv[j], "--key-record") == 0 ||
		     strcmp(argv[j], "--dns") == 0) && j + 1 < argc)
			j++;
		else
			return cli_dkim_usage();
		if (strcmp(argv[j - 1], "--dns") == 0)
			servers = argv[j];
		else if (strchr(argv[j], '=') == NULL)
			return cli_dkim_usage();
	}
	if (cli_dkim_read(argv[1], &msg) < 0)
		return 1;
	v = dkim_verify_new(&limits);
	dkim_verify_write(v, msg.data, msg.len);
	dkim_verify_finish(v);
	count = dkim_verify_count(v);
	/* The keys given on the command line first. */
	for (i = 0; i < count; i++) {
		const char *name = dkim_verify_key_name(v, i);

		for (j = 2; name != NULL && j + 1 < argc; j += 2) {
			const char *arg = argv[j + 1], *eq = strchr(arg, '=');
			size_t nlen = (size_t)(eq - arg);

			if (strcmp(argv[j], "--key-record") != 0 ||
			    nlen != strlen(name) ||
			    strncasecmp(arg, name, nlen) != 0)
				continue;
			dkim_verify_set_key(v, i, DKIM_KEY_FOUND, eq + 1,
					    strlen(eq + 1), time(NULL));
			break;
		}
	}
	if (cli_dkim_lookup_keys(v, servers) < 0) {
		dkim_verify_free(&v);
		buf_free(&msg);
		return CLI_EX_TEMPFAIL;
	}
	if (count == 0)
		printf("dkim=none\n");
	for (i = 0; i < count; i++) {
		struct dkim_outcome o;

		dkim_verify_outcome(v, i, &o);
		printf("dkim=%s header.d=%s header.s=%s header.b=%s%s%s%s\n",
		       dkim_result_name(o.result), o.domain, o.selector, o.b,
		       o.reason != NULL ? " (" : "",
		       o.reason != NULL ? o.reason : "",
		       o.reason != NULL ? ")" : "");
		if (o.result == DKIM_RESULT_PASS)
			passed++;
	}
	dkim_verify_free(&v);
	buf_free(&msg);
	return count > 0 && passed == count ? 0 : 1;
}

int cli_dkim(int argc, char **argv)
{
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
			  strcmp(argv[1], "-h") == 0)) {
		fputs(cli_dkim_usage_text, stdout);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "keygen") == 0)
		return cli_dkim_keygen(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "verify") == 0)
		return cli_dkim_verify(argc - 1, argv + 1);
	return cli_dkim_usage();
}
