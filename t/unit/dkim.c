/* Unit tests for libmail/dkim_*.c: the canonicalisation examples of RFC
 * 6376 3.4.6, tag parsing, and the signed example of RFC 8463 with its
 * Ed25519 and RSA keys (t/data/dkim/). */
#include "buf.h"
#include "dkim_canon.h"
#include "dkim_key.h"
#include "dkim_sign.h"
#include "dkim_verify.h"
#include "tap.h"

#include <openssl/evp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DATA "t/data/dkim/"
/* RFC 8463's signing time. */
#define RFC8463_T 1528637909

static void read_file(const char *path, struct buf *out)
{
	char chunk[4096];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL) {
		tap_diag(path);
		return;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(out, chunk, n);
	fclose(f);
}

static void read_record(const char *path, struct buf *out)
{
	read_file(path, out);
	while (out->len > 0 && (out->data[out->len - 1] == '\n'))
		buf_truncate(out, out->len - 1);
}

/* SHA-256 of the canonical body, as hex, fed in pieces of `step`. */
static void body_hash(enum dkim_canon canon, const char *body, size_t step,
		      uint64_t limit, unsigned char hash[32])
{
	struct dkim_body b;
	size_t i, len = strlen(body);

	dkim_body_init(&b, canon, limit);
	for (i = 0; i < len; i += step)
		dkim_body_write(&b, body + i, len - i < step ? len - i : step);
	dkim_body_finish(&b, hash);
	dkim_body_deinit(&b);
}

static void expect_body(enum dkim_canon canon, const char *body,
			const char *canonical, const char *name)
{
	unsigned char got[32], want[32];
	unsigned int n = 32;
	size_t step;
	bool same = true;

	EVP_Digest(canonical, strlen(canonical), want, &n, EVP_sha256(),
		   NULL);
	for (step = 1; step <= strlen(body) + 1; step++) {
		body_hash(canon, body, step, DKIM_BODY_NO_LIMIT, got);
		if (memcmp(got, want, 32) != 0)
			same = false;
	}
	ok(same, name);
}

static void test_canon(void)
{
	/* RFC 6376 3.4.6. */
	static const char header[] = "A: X\r\nB : Y\t\r\n\tZ  \r\n";
	static const char body[] = " C \r\nD \t E\r\n\r\n\r\n";
	struct buf out = BUF_INIT;

	dkim_canon_header(DKIM_CANON_RELAXED, "A: X", 4, &out);
	is_str(buf_cstr(&out), "a:X", "relaxed header A");
	buf_clear(&out);
	dkim_canon_header(DKIM_CANON_RELAXED, "B : Y\t\r\n\tZ  ", 12, &out);
	is_str(buf_cstr(&out), "b:Y Z", "relaxed header B, unfolded");
	buf_clear(&out);
	dkim_canon_header(DKIM_CANON_SIMPLE, "B : Y\t\r\n\tZ  ", 12, &out);
	is_str(buf_cstr(&out), "B : Y\t\r\n\tZ  ", "simple header unchanged");
	buf_free(&out);
	(void)header;

	expect_body(DKIM_CANON_RELAXED, body, " C\r\nD E\r\n",
		    "relaxed body of 3.4.6, in every piece size");
	expect_body(DKIM_CANON_SIMPLE, body, " C \r\nD \t E\r\n",
		    "simple body of 3.4.6, in every piece size");
	expect_body(DKIM_CANON_SIMPLE, "", "\r\n", "simple empty body");
	expect_body(DKIM_CANON_RELAXED, "", "", "relaxed empty body");
	expect_body(DKIM_CANON_RELAXED, "\r\n \r\n", "",
		    "relaxed blank lines are no body");
	expect_body(DKIM_CANON_SIMPLE, "a", "a\r\n",
		    "a last line gets its CRLF");
	expect_body(DKIM_CANON_RELAXED, "a \r\n\r\nb\t\r\n", "a\r\n\r\nb\r\n",
		    "inner empty lines kept");
	{
		unsigned char got[32], want[32];

		body_hash(DKIM_CANON_SIMPLE, "abc\r\ndef\r\n", 3, 5, got);
		body_hash(DKIM_CANON_SIMPLE, "abc\r\n", 5, DKIM_BODY_NO_LIMIT,
			  want);
		ok(memcmp(got, want, 32) == 0, "l= stops the hash");
	}
}

static void test_header_split(void)
{
	static const char msg[] =
		"A: 1\r\nB: 2\r\n\tcont\r\nC:3\r\n\r\nbody\r\n";
	struct dkim_header h;
	size_t used = 0, i, len = strlen(msg);

	dkim_header_init(&h, 1000, 10);
	for (i = 0; i < len && !h.done; i++)
		used += dkim_header_write(&h, msg + i, 1);
	is_int(used, len - 6, "header ends at the empty line");
	is_int(h.count, 3, "three fields");
	ok(h.count == 3 && h.fields[1].len == 11 &&
	   memcmp(dkim_header_data(&h, &h.fields[1]), "B: 2\r\n\tcont", 11)
	   == 0, "folded field kept whole");
	dkim_header_deinit(&h);

	dkim_header_init(&h, 10, 10);
	used = 0;
	for (i = 0; i < len && !h.done; i += 4)
		used += dkim_header_write(&h, msg + i,
					  len - i < 4 ? len - i : 4);
	ok(h.too_big && h.done && used == len - 6,
	   "over-long header: end still found");
	dkim_header_deinit(&h);
}

static void test_tags(void)
{
	struct dkim_tag tags[4];
	struct dkim_sig sig;
	size_t count;
	const char *error = NULL;

	ok(dkim_tags_parse(" a = 1 ;b=x y\r\n\tz;", 18, tags, 4, &count,
			   &error) == 0 && count == 2, "tag list");
	ok(count == 2 && tags[1].len == 7 &&
	   memcmp(tags[1].value, "x y\r\n\tz", 7) == 0,
	   "value keeps inner FWS");
	ok(dkim_tags_parse("a=1; a=2", 8, tags, 4, &count, &error) < 0,
	   "duplicate tag refused");
	ok(dkim_tags_parse("a=1;b=2;c=3;d=4;e=5", 19, tags, 4, &count,
			   &error) < 0, "too many tags refused");
	ok(dkim_tags_parse("=1", 2, tags, 4, &count, &error) < 0,
	   "no tag name refused");
	ok(dkim_tags_parse("a 1", 3, tags, 4, &count, &error) < 0,
	   "no = refused");

#define SIG(text, want, name) do { \
	int r_ = dkim_sig_parse(text, strlen(text), &sig, &error); \
	ok(want ? r_ == 0 : r_ < 0, name); \
	dkim_sig_deinit(&sig); } while (0)
	SIG("v=1; a=rsa-sha256; d=x.org; s=s; h=from; bh=AAAA; b=AAAA", 1,
	    "minimal signature");
	SIG("v=1; a=rsa-sha1; d=x.org; s=s; h=from; bh=AAAA; b=AAAA", 0,
	    "rsa-sha1 refused");
	SIG("v=1; a=rsa-sha256; d=x.org; s=s; h=to; bh=AAAA; b=AAAA", 0,
	    "From not signed: refused");
	SIG("v=1; a=rsa-sha256; d=x.org; s=s; h=from; bh=AAAA", 0,
	    "no b=: refused");
	SIG("v=1; a=rsa-sha256; d=x.org; s=s; h=from; bh=AAAA; b=AAAA; "
	    "i=@y.org", 0, "i= outside d= refused");
	SIG("v=1; a=rsa-sha256; d=x.org; s=s; h=from; bh=AAAA; b=AAAA; "
	    "i=u@a.x.org; t=10; x=5", 0, "x= before t= refused");
	SIG("v=2; a=rsa-sha256; d=x.org; s=s; h=from; bh=AAAA; b=AAAA", 0,
	    "version 2 refused");
	SIG("v=1; a=rsa-sha256; d=x.org; s=s; h=from; bh=AAAA; b=AAAA; "
	    "c=bogus", 0, "unknown canonicalisation refused");
	SIG("v=1; a=ed25519-sha256; c=relaxed; d=X.Org; s=s; "
	    "h=From : To; bh=AA AA; b=AA\r\n AA; l=10", 1,
	    "spaces, folding, c=relaxed");
	if (dkim_sig_parse("v=1; a=ed25519-sha256; c=relaxed; d=X.Org; s=s; "
			   "h=From : To; bh=AAAA; b=AAAA; l=10", 70, &sig,
			   &error) == 0) {
		ok(sig.hcanon == DKIM_CANON_RELAXED &&
		   sig.bcanon == DKIM_CANON_SIMPLE, "c=relaxed is "
		   "relaxed/simple");
		is_str(sig.domain, "x.org", "d= lower-cased");
		ok(sig.header_count == 2 && strcmp(sig.headers[1], "To") == 0,
		   "h= names");
		is_int(sig.length, 10, "l=");
	}
	dkim_sig_deinit(&sig);
}

static void test_pubkey(void)
{
	struct dkim_pubkey key;
	struct buf rec = BUF_INIT;
	const char *error = NULL;

	read_record(DATA "rfc8463-brisbane.txt", &rec);
	ok(dkim_pubkey_parse(rec.data, rec.len, &key, &error) == 0 &&
	   key.alg == DKIM_ALG_ED25519_SHA256, "Ed25519 key record");
	dkim_pubkey_deinit(&key);
	buf_clear(&rec);
	read_record(DATA "rfc8463-test.txt", &rec);
	ok(dkim_pubkey_parse(rec.data, rec.len, &key, &error) == 0 &&
	   key.alg == DKIM_ALG_RSA_SHA256, "RSA key record");
	dkim_pubkey_deinit(&key);
	buf_free(&rec);
	ok(dkim_pubkey_parse("v=DKIM1; p=", 11, &key, &error) < 0 &&
	   strcmp(error, "key revoked") == 0, "revoked key");
	ok(dkim_pubkey_parse("k=rsa; v=DKIM1; p=AAAA", 22, &key, &error) < 0,
	   "v= not first refused");
	ok(dkim_pubkey_parse("v=DKIM1; k=dsa; p=AAAA", 22, &key, &error) < 0,
	   "unknown k= refused");
	ok(dkim_pubkey_parse("v=DKIM1; h=sha1; p=AAAA", 23, &key,
			     &error) < 0, "h=sha1 only refused");
	ok(dkim_pubkey_parse("v=DKIM1; k=ed25519; p=AAAA", 26, &key,
			     &error) < 0, "short Ed25519 key refused");
}

/* Verifies `msg` with the two RFC 8463 key records; results into
 * `res` (two). */
static size_t verify(const char *msg, size_t len, size_t step, time_t now,
		     enum dkim_result res[2])
{
	struct dkim_verify_limits lim = { 65536, 1000, 5 };
	struct dkim_verify *v = dkim_verify_new(&lim);
	struct buf ed = BUF_INIT, rsa = BUF_INIT;
	size_t i, count;

	read_record(DATA "rfc8463-brisbane.txt", &ed);
	read_record(DATA "rfc8463-test.txt", &rsa);
	for (i = 0; i < len; i += step)
		dkim_verify_write(v, msg + i, len - i < step ? len - i : step);
	dkim_verify_finish(v);
	count = dkim_verify_count(v);
	for (i = 0; i < count && i < 2; i++) {
		const char *name = dkim_verify_key_name(v, i);
		struct dkim_outcome o;
		const struct buf *rec = name != NULL &&
			strncmp(name, "brisbane.", 9) == 0 ? &ed : &rsa;

		if (name != NULL)
			dkim_verify_set_key(v, i, DKIM_KEY_FOUND, rec->data,
					    rec->len, now);
		dkim_verify_outcome(v, i, &o);
		res[i] = o.result;
	}
	dkim_verify_free(&v);
	buf_free(&ed);
	buf_free(&rsa);
	return count;
}

static void test_rfc8463(void)
{
	struct buf msg = BUF_INIT;
	enum dkim_result res[2] = { 0, 0 };
	char *p;

	read_file(DATA "rfc8463.eml", &msg);
	ok(verify(msg.data, msg.len, msg.len, RFC8463_T, res) == 2 &&
	   res[0] == DKIM_RESULT_PASS, "RFC 8463 Ed25519 signature passes");
	ok(res[1] == DKIM_RESULT_PASS, "RFC 8463 RSA signature passes");
	verify(msg.data, msg.len, 7, RFC8463_T, res);
	ok(res[0] == DKIM_RESULT_PASS && res[1] == DKIM_RESULT_PASS,
	   "the same in 7-octet pieces");

	p = memmem(msg.data, msg.len, "We lost", 7);
	if (p != NULL)
		p[3] = 'w';
	verify(msg.data, msg.len, msg.len, RFC8463_T, res);
	ok(res[0] == DKIM_RESULT_FAIL && res[1] == DKIM_RESULT_FAIL,
	   "changed body fails");
	if (p != NULL)
		p[3] = 'l';
	p = memmem(msg.data, msg.len, "dinner", 6);
	if (p != NULL)
		p[0] = 'D';
	verify(msg.data, msg.len, msg.len, RFC8463_T, res);
	ok(res[0] == DKIM_RESULT_FAIL && res[1] == DKIM_RESULT_FAIL,
	   "changed signed header fails");
	buf_free(&msg);
}

static void test_limit(void)
{
	struct dkim_verify_limits lim = { 65536, 1000, 1 };
	struct dkim_verify *v = dkim_verify_new(&lim);
	struct buf msg = BUF_INIT;

	read_file(DATA "rfc8463.eml", &msg);
	dkim_verify_write(v, msg.data, msg.len);
	dkim_verify_finish(v);
	is_int(dkim_verify_count(v), 1, "signature limit: the first only");
	dkim_verify_free(&v);

	/* Found by fuzzing: a field name alone at the end of the message. */
	v = dkim_verify_new(&lim);
	dkim_verify_write(v, "From: a@b\r\nDKIM-Signature", 25);
	dkim_verify_finish(v);
	{
		struct dkim_outcome o;

		dkim_verify_outcome(v, 0, &o);
		ok(dkim_verify_count(v) == 1 &&
		   o.result == DKIM_RESULT_NEUTRAL, "signature field without "
		   "a colon: neutral");
	}
	dkim_verify_free(&v);
	buf_free(&msg);
}

static void test_sign(void)
{
	struct buf msg = BUF_INIT, out = BUF_INIT, ed_pem = BUF_INIT;
	struct dkim_sign_key keys[2];
	struct dkim_sign *s;
	enum dkim_result res[2] = { 0, 0 };
	const char *error = NULL;
	char domain[256] = "";
	void *pkey;
	int i;

	read_file(DATA "rfc8463-unsigned.eml", &msg);
	s = dkim_sign_new(65536);
	for (i = 0; i < (int)msg.len; i += 5)
		dkim_sign_write(s, msg.data + i,
				msg.len - (size_t)i < 5 ? msg.len - (size_t)i :
				5);
	ok(dkim_sign_from_domain(s, domain, sizeof(domain)) == 0, "From "
	   "domain found");
	is_str(domain, "football.example.com", "From domain");
	memset(keys, 0, sizeof(keys));
	ok(dkim_privkey_load(DATA "rfc8463-ed25519.pem", &keys[0].alg,
			     &keys[0].pkey, &error) == 0 &&
	   keys[0].alg == DKIM_ALG_ED25519_SHA256, "Ed25519 PEM key");
	ok(dkim_privkey_load(DATA "rfc8463-rsa.pem", &keys[1].alg,
			     &keys[1].pkey, &error) == 0 &&
	   keys[1].alg == DKIM_ALG_RSA_SHA256, "RSA PEM key");
	str_copy(keys[0].domain, sizeof(keys[0].domain), domain);
	str_copy(keys[0].selector, sizeof(keys[0].selector), "brisbane");
	str_copy(keys[1].domain, sizeof(keys[1].domain), domain);
	str_copy(keys[1].selector, sizeof(keys[1].selector), "test");
	ok(keys[0].pkey != NULL && keys[1].pkey != NULL &&
	   dkim_sign_field(s, &keys[0], RFC8463_T, 3600, &out, &error) == 0 &&
	   dkim_sign_field(s, &keys[1], RFC8463_T, 3600, &out, &error) == 0,
	   "signed with both keys");
	{
		struct buf flat = BUF_INIT;
		size_t j;

		for (j = 0; j < out.len; j++)
			if (out.data[j] != '\r' && out.data[j] != '\n' &&
			    out.data[j] != '\t')
				buf_append_char(&flat, out.data[j]);
		ok(strstr(buf_cstr(&flat), "h=from:from:to:subject:date:"
			  "message-id;") != NULL, "From oversigned");
		buf_free(&flat);
	}
	buf_append(&out, msg.data, msg.len);
	ok(verify(out.data, out.len, 3, RFC8463_T + 10, res) == 2 &&
	   res[0] == DKIM_RESULT_PASS && res[1] == DKIM_RESULT_PASS,
	   "our signatures verify");
	verify(out.data, out.len, out.len, RFC8463_T + 3601, res);
	ok(res[0] == DKIM_RESULT_FAIL && res[1] == DKIM_RESULT_FAIL,
	   "expired x= fails");
	buf_clear(&ed_pem);
	ok(dkim_privkey_record(keys[0].pkey, keys[0].alg, &ed_pem, &error) == 0,
	   "record from the private key");
	is_str(buf_cstr(&ed_pem),
	       "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
	       "Ed25519 record as RFC 8463 publishes it");
	pkey = keys[0].pkey;
	dkim_privkey_free(&pkey);
	pkey = keys[1].pkey;
	dkim_privkey_free(&pkey);
	dkim_sign_free(&s);
	buf_free(&msg);
	buf_free(&out);
	buf_free(&ed_pem);
}

int main(void)
{
	test_canon();
	test_header_split();
	test_tags();
	test_pubkey();
	test_rfc8463();
	test_limit();
	test_sign();
	return tap_done();
}
