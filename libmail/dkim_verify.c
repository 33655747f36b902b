/* DKIM verification; see dkim_verify.h. */
#include "dkim_verify.h"
#include "buf.h"
#include "dkim_canon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct dkim_check {
	struct dkim_sig sig;
	bool parsed;
	bool decided;
	enum dkim_result result;
	const char *reason;
	size_t field;		/* index of its DKIM-Signature field */
	struct dkim_body body;
	bool body_done;
	char key_name[DKIM_SELECTOR_SIZE + DKIM_DOMAIN_SIZE + 16];
};

struct dkim_verify {
	struct dkim_verify_limits limits;
	struct dkim_header header;
	struct dkim_check *checks;
	size_t count;
	bool started;		/* signatures parsed */
	bool finished;
};

struct dkim_verify *dkim_verify_new(const struct dkim_verify_limits *limits)
{
	struct dkim_verify *v = xcalloc(1, sizeof(*v));

	v->limits = *limits;
	dkim_header_init(&v->header, limits->header_size,
			 limits->header_fields);
	return v;
}

static void dkim_decide(struct dkim_check *c, enum dkim_result result,
			const char *reason)
{
	c->decided = true;
	c->result = result;
	c->reason = reason;
}

/* The header is complete: parse the signatures, start their hashers. */
static void dkim_verify_start(struct dkim_verify *v)
{
	size_t i;

	v->started = true;
	for (i = 0; i < v->header.count; i++) {
		const struct dkim_field *f = &v->header.fields[i];
		const char *data = dkim_header_data(&v->header, f);
		const char *error;
		struct dkim_check *c;
		size_t vstart;

		if (!dkim_field_is(&v->header, f, "DKIM-Signature", 14))
			continue;
		if (v->count == v->limits.signatures)
			break;
		v->checks = xrealloc(v->checks,
				     (v->count + 1) * sizeof(*v->checks));
		c = &v->checks[v->count++];
		memset(c, 0, sizeof(*c));
		c->field = i;
		vstart = f->name_len;
		while (vstart < f->len && data[vstart] != ':')
			vstart++;
		if (vstart == f->len) {
			/* A name alone at the end of a cut header. */
			dkim_decide(c, DKIM_RESULT_NEUTRAL, "no field value");
			continue;
		}
		vstart++;
		if (dkim_sig_parse(data + vstart, f->len - vstart, &c->sig,
				   &error) < 0) {
			/* RFC 8601 2.7.1: a signature with syntax errors
			 * is "neutral". */
			dkim_decide(c, DKIM_RESULT_NEUTRAL, error);
			continue;
		}
		c->parsed = true;
		if (str_format(c->key_name, sizeof(c->key_name),
			       "%s._domainkey.%s", c->sig.selector,
			       c->sig.domain) < 0) {
			dkim_decide(c, DKIM_RESULT_PERMERROR,
				    "key name too long");
			continue;
		}
		dkim_body_init(&c->body, c->sig.bcanon, c->sig.length);
		c->body_done = false;
	}
}

void dkim_verify_write(struct dkim_verify *v, const void *data, size_t len)
{
	size_t used = 0, i;

	if (!v->header.done) {
		used = dkim_header_write(&v->header, data, len);
		if (!v->header.done)
			return;
	}
	if (!v->started)
		dkim_verify_start(v);
	if (used == len)
		return;
	for (i = 0; i < v->count; i++)
		if (v->checks[i].parsed && !v->checks[i].decided)
			dkim_body_write(&v->checks[i].body,
					(const char *)data + used, len - used);
}

void dkim_verify_finish(struct dkim_verify *v)
{
	size_t i;

	if (v->finished)
		return;
	v->finished = true;
	if (!v->header.done)
		dkim_header_finish(&v->header);
	if (!v->started)
		dkim_verify_start(v);
	for (i = 0; i < v->count; i++) {
		struct dkim_check *c = &v->checks[i];
		unsigned char hash[32];

		if (!c->parsed || c->decided)
			continue;
		dkim_body_finish(&c->body, hash);
		c->body_done = true;
		if (v->header.too_big) {
			dkim_decide(c, DKIM_RESULT_PERMERROR,
				    "header section too big");
		} else if (c->sig.length != DKIM_BODY_NO_LIMIT &&
			   c->body.total < c->sig.length) {
			dkim_decide(c, DKIM_RESULT_FAIL,
				    "body shorter than l=");
		} else if (c->sig.bh_len != sizeof(hash) ||
			   memcmp(c->sig.bh, hash, sizeof(hash)) != 0) {
			dkim_decide(c, DKIM_RESULT_FAIL,
				    "body hash did not verify");
		}
	}
}

size_t dkim_verify_count(const struct dkim_verify *v)
{
	return v->count;
}

const char *dkim_verify_key_name(const struct dkim_verify *v, size_t i)
{
	const struct dkim_check *c = &v->checks[i];

	return c->decided || !c->parsed ? NULL : c->key_name;
}

/*
 * The header hash input (RFC 6376 3.7): the fields h= names, each taken
 * from the bottom up, then the signature's own field with b= emptied and
 * no final CRLF.
 */
static void dkim_verify_header_data(const struct dkim_verify *v,
				    const struct dkim_check *c,
				    struct buf *out)
{
	const struct dkim_header *h = &v->header;
	const struct dkim_field *sf = &h->fields[c->field];
	const char *sdata = dkim_header_data(h, sf);
	bool *used = xcalloc(h->count + 1, sizeof(*used));
	struct dkim_tag tags[DKIM_TAGS_MAX];
	struct buf self = BUF_INIT;
	const struct dkim_tag *b;
	const char *error;
	size_t i, count, vstart;

	for (i = 0; i < c->sig.header_count; i++) {
		const char *name = c->sig.headers[i];
		size_t j;

		for (j = h->count; j-- > 0;) {
			if (used[j] ||
			    !dkim_field_is(h, &h->fields[j], name,
					   strlen(name)))
				continue;
			used[j] = true;
			dkim_canon_header(c->sig.hcanon,
					  dkim_header_data(h, &h->fields[j]),
					  h->fields[j].len, out);
			buf_append_str(out, "\r\n");
			break;
		}
	}
	free(used);
	vstart = sf->name_len;
	while (vstart < sf->len && sdata[vstart] != ':')
		vstart++;
	vstart++;
	/* Parsed once already, so this cannot fail. */
	if (dkim_tags_parse(sdata + vstart, sf->len - vstart, tags,
			    DKIM_TAGS_MAX, &count, &error) < 0 ||
	    (b = dkim_tag_find(tags, count, "b")) == NULL)
		return;
	buf_append(&self, sdata, vstart + b->raw_off);
	buf_append(&self, sdata + vstart + b->raw_off + b->raw_len,
		   sf->len - vstart - b->raw_off - b->raw_len);
	dkim_canon_header(c->sig.hcanon, self.data, self.len, out);
	buf_free(&self);
}

static bool dkim_auid_exact(const char *auid, const char *domain)
{
	const char *at = strrchr(auid, '@');

	return auid[0] == '\0' || (at != NULL && strcasecmp(at + 1, domain) == 0);
}

void dkim_verify_set_key(struct dkim_verify *v, size_t i,
			 enum dkim_key_status status, const char *record,
			 size_t len, time_t now)
{
	struct dkim_check *c = &v->checks[i];
	struct dkim_pubkey key;
	struct buf data = BUF_INIT;
	const char *error;

	if (c->decided || !c->parsed)
		return;
	if (status == DKIM_KEY_TEMPFAIL) {
		dkim_decide(c, DKIM_RESULT_TEMPERROR, "key lookup failed");
		return;
	}
	if (status == DKIM_KEY_MISSING) {
		dkim_decide(c, DKIM_RESULT_PERMERROR, "no key record");
		return;
	}
	if (dkim_pubkey_parse(record, len, &key, &error) < 0) {
		dkim_decide(c, DKIM_RESULT_PERMERROR, error);
		return;
	}
	if (key.alg != c->sig.alg) {
		dkim_decide(c, DKIM_RESULT_PERMERROR, "key type mismatch");
	} else if (key.strict && !dkim_auid_exact(c->sig.auid,
						   c->sig.domain)) {
		dkim_decide(c, DKIM_RESULT_PERMERROR,
			    "i= not d= under a strict key");
	} else {
		dkim_verify_header_data(v, c, &data);
		if (dkim_key_verify(key.pkey, c->sig.alg, data.data, data.len,
				    c->sig.b->data, c->sig.b->len) < 0)
			dkim_decide(c, DKIM_RESULT_FAIL,
				    "signature did not verify");
		else if (c->sig.expire >= 0 && (long long)now > c->sig.expire)
			dkim_decide(c, DKIM_RESULT_FAIL, "signature expired");
		else if (c->sig.length != DKIM_BODY_NO_LIMIT &&
			 c->body.total > c->sig.length)
			/* Good, but for only part of the body: whatever
			 * follows could be anyone's. */
			dkim_decide(c, DKIM_RESULT_POLICY,
				    "l= leaves part of the body unsigned");
		else
			dkim_decide(c, DKIM_RESULT_PASS, NULL);
	}
	buf_free(&data);
	dkim_pubkey_deinit(&key);
}

void dkim_verify_outcome(const struct dkim_verify *v, size_t i,
			 struct dkim_outcome *out)
{
	const struct dkim_check *c = &v->checks[i];

	out->result = c->decided ? c->result : DKIM_RESULT_TEMPERROR;
	out->reason = c->decided ? c->reason : "not checked";
	out->domain = c->sig.domain;
	out->selector = c->sig.selector;
	out->b = c->sig.b_text;
}

void dkim_verify_free(struct dkim_verify **vp)
{
	struct dkim_verify *v = *vp;
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->count; i++) {
		if (v->checks[i].parsed)
			dkim_body_deinit(&v->checks[i].body);
		dkim_sig_deinit(&v->checks[i].sig);
	}
	free(v->checks);
	dkim_header_deinit(&v->header);
	free(v);
	*vp = NULL;
}

const char *dkim_result_name(enum dkim_result result)
{
	static const char *const names[] = {
		"none", "pass", "fail", "neutral", "policy", "temperror",
		"permerror",
	};

	return names[result];
}
