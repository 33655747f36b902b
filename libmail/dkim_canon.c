/* DKIM canonicalisation; see dkim_canon.h. */
#include "dkim_canon.h"
#include "buf.h"
#include "log.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool dkim_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* RFC 6376 3.4.2: lower-case name, unfolded value, whitespace runs made
 * one space, none at the ends of the value or around the colon. */
static void dkim_canon_relaxed(const char *field, size_t len, struct buf *out)
{
	const char *colon = memchr(field, ':', len);
	size_t name_len = colon != NULL ? (size_t)(colon - field) : len;
	size_t i;
	bool wsp = false, any = false;

	while (name_len > 0 && dkim_wsp(field[name_len - 1]))
		name_len--;
	for (i = 0; i < name_len; i++)
		buf_append_char(out, (char)tolower((unsigned char)field[i]));
	if (colon == NULL)
		return;
	buf_append_char(out, ':');
	for (i = (size_t)(colon - field) + 1; i < len; i++) {
		char c = field[i];

		if (c == '\r' || c == '\n' || dkim_wsp(c)) {
			wsp = true;
			continue;
		}
		if (wsp && any)
			buf_append_char(out, ' ');
		wsp = false;
		any = true;
		buf_append_char(out, c);
	}
}

void dkim_canon_header(enum dkim_canon canon, const char *field, size_t len,
		       struct buf *out)
{
	if (canon == DKIM_CANON_SIMPLE)
		buf_append(out, field, len);
	else
		dkim_canon_relaxed(field, len, out);
}

/* ---- the body ---- */

void dkim_body_init(struct dkim_body *b, enum dkim_canon canon,
		    uint64_t limit)
{
	memset(b, 0, sizeof(*b));
	b->canon = canon;
	b->limit = limit;
	b->md = EVP_MD_CTX_new();
	if (b->md == NULL || EVP_DigestInit_ex(b->md, EVP_sha256(), NULL) != 1)
		log_panic("dkim: SHA-256 unavailable");
}

static void dkim_body_flush(struct dkim_body *b)
{
	if (b->out_len > 0)
		EVP_DigestUpdate(b->md, b->out, b->out_len);
	b->out_len = 0;
}

static void dkim_body_emit(struct dkim_body *b, const char *data, size_t len)
{
	size_t i;

	b->any = true;
	b->total += len;
	for (i = 0; i < len && b->hashed < b->limit; i++) {
		if (b->out_len == sizeof(b->out))
			dkim_body_flush(b);
		b->out[b->out_len++] = (unsigned char)data[i];
		b->hashed++;
	}
}

/* An octet of line content: first the empty lines it proves were not
 * the end of the body, then the whitespace before it. */
static void dkim_body_content(struct dkim_body *b, char c)
{
	if (!b->in_line) {
		for (; b->empty_lines > 0; b->empty_lines--)
			dkim_body_emit(b, "\r\n", 2);
		b->in_line = true;
	}
	if (b->wsp)
		dkim_body_emit(b, " ", 1);
	b->wsp = false;
	dkim_body_emit(b, &c, 1);
}

static void dkim_body_line_end(struct dkim_body *b)
{
	/* Relaxed: whitespace at the end of a line goes (3.4.4 a). */
	if (b->canon == DKIM_CANON_SIMPLE && b->wsp)
		log_panic("dkim: whitespace held in simple mode");
	b->wsp = false;
	if (b->in_line)
		dkim_body_emit(b, "\r\n", 2);
	else
		b->empty_lines++;
	b->in_line = false;
}

void dkim_body_write(struct dkim_body *b, const void *data, size_t len)
{
	const char *p = data;
	size_t i;

	for (i = 0; i < len; i++) {
		char c = p[i];

		if (b->cr) {
			b->cr = false;
			if (c == '\n') {
				dkim_body_line_end(b);
				continue;
			}
			dkim_body_content(b, '\r');
		}
		if (c == '\r')
			b->cr = true;
		else if (b->canon == DKIM_CANON_RELAXED && dkim_wsp(c))
			b->wsp = true;
		else
			dkim_body_content(b, c);
	}
}

void dkim_body_finish(struct dkim_body *b, unsigned char hash[32])
{
	unsigned int n = 0;

	if (b->cr)
		dkim_body_content(b, '\r');
	b->cr = false;
	/* A last line without its CRLF gets one (3.4.3, 3.4.4); an empty
	 * body is one CRLF in simple form and nothing in relaxed form. */
	if (b->in_line)
		dkim_body_line_end(b);
	else if (!b->any && b->canon == DKIM_CANON_SIMPLE)
		dkim_body_emit(b, "\r\n", 2);
	dkim_body_flush(b);
	if (EVP_DigestFinal_ex(b->md, hash, &n) != 1 || n != 32)
		log_panic("dkim: SHA-256 failed");
}

void dkim_body_deinit(struct dkim_body *b)
{
	EVP_MD_CTX_free(b->md);
	b->md = NULL;
}

/* ---- the header fields ---- */

void dkim_header_init(struct dkim_header *h, size_t max_size,
		      size_t max_fields)
{
	memset(h, 0, sizeof(*h));
	h->max_size = max_size;
	h->max_fields = max_fields;
	h->held = xcalloc(1, sizeof(*h->held));
}

/* Cuts the held header (its first `len` octets) into fields. */
static void dkim_header_split(struct dkim_header *h, size_t len)
{
	const char *d = h->held->data;
	size_t p = 0;

	h->done = true;
	while (p < len) {
		const char *nl;
		size_t end = p, colon;

		/* A field runs to the CRLF not followed by whitespace. */
		for (;;) {
			nl = memchr(d + end, '\n', len - end);
			end = nl != NULL ? (size_t)(nl - d) + 1 : len;
			if (end >= len || !dkim_wsp(d[end]))
				break;
		}
		if (h->count == h->max_fields) {
			h->too_big = true;
			return;
		}
		h->fields = xrealloc(h->fields,
				     (h->count + 1) * sizeof(*h->fields));
		h->fields[h->count].off = p;
		h->fields[h->count].len = end - p;
		if (end - p >= 2 && d[end - 2] == '\r' && d[end - 1] == '\n')
			h->fields[h->count].len -= 2;
		else if (end - p >= 1 && d[end - 1] == '\n')
			h->fields[h->count].len -= 1;
		for (colon = p; colon < end && d[colon] != ':'; colon++)
			;
		h->fields[h->count].name_len = colon - p;
		while (h->fields[h->count].name_len > 0 &&
		       dkim_wsp(d[p + h->fields[h->count].name_len - 1]))
			h->fields[h->count].name_len--;
		h->count++;
		p = end;
	}
}

size_t dkim_header_write(struct dkim_header *h, const char *data, size_t len)
{
	size_t before, from;
	const char *hit;

	if (h->done)
		return 0;
	before = h->held->len;
	if (h->too_big) {
		/* Past the bound: look only for the end, hold nothing. */
		buf_append(h->held, data, len);
		hit = memmem(h->held->data, h->held->len, "\r\n\r\n", 4);
		if (hit != NULL) {
			size_t used = (size_t)(hit - h->held->data) + 4 -
				before;

			h->done = true;
			buf_free(h->held);
			return used;
		}
		buf_consume(h->held, h->held->len > 3 ? h->held->len - 3 : 0);
		return len;
	}
	buf_append(h->held, data, len);
	if (h->held->len >= 2 && memcmp(h->held->data, "\r\n", 2) == 0) {
		/* No header fields at all. */
		buf_truncate(h->held, 0);
		h->done = true;
		return 2 - before;
	}
	from = h->scan;
	hit = memmem(h->held->data + from, h->held->len - from, "\r\n\r\n", 4);
	if (hit != NULL) {
		size_t hlen = (size_t)(hit - h->held->data) + 2;

		if (hlen > h->max_size) {
			h->too_big = true;
			h->done = true;
			buf_free(h->held);
			return hlen + 2 - before;
		}
		dkim_header_split(h, hlen);
		buf_truncate(h->held, hlen);
		return hlen + 2 - before;
	}
	h->scan = h->held->len > 3 ? h->held->len - 3 : 0;
	if (h->held->len > h->max_size) {
		h->too_big = true;
		buf_consume(h->held, h->held->len > 3 ? h->held->len - 3 : 0);
	}
	return len;
}

void dkim_header_finish(struct dkim_header *h)
{
	if (!h->done && !h->too_big)
		dkim_header_split(h, h->held->len);
	h->done = true;
}

const char *dkim_header_data(const struct dkim_header *h,
			     const struct dkim_field *f)
{
	return h->held->data + f->off;
}

bool dkim_field_is(const struct dkim_header *h, const struct dkim_field *f,
		   const char *name, size_t name_len)
{
	return f->name_len == name_len &&
		strncasecmp(h->held->data + f->off, name, name_len) == 0;
}

void dkim_header_deinit(struct dkim_header *h)
{
	if (h->held != NULL)
		buf_free(h->held);
	free(h->held);
	free(h->fields);
	memset(h, 0, sizeof(*h));
}
