/* DKIM signing; see dkim_sign.h. */
#include "dkim_sign.h"
#include "base64.h"
#include "buf.h"
#include "dkim_canon.h"
#include "message_address.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* What we sign when present (RFC 6376 5.4.1 lists the like).  From is
 * first so it is also the one oversigned. */
static const char *const dkim_sign_names[] = {
	"from", "reply-to", "sender", "to", "cc", "subject", "date",
	"message-id", "in-reply-to", "references", "mime-version",
	"content-type", "content-transfer-encoding", "content-disposition",
	"list-id", "list-unsubscribe", "list-unsubscribe-post",
};

#define DKIM_SIGN_FIELDS_MAX 1000

struct dkim_sign {
	struct dkim_header header;
	struct dkim_body body;
	bool finished;
	unsigned char bh[32];
};

struct dkim_sign *dkim_sign_new(size_t header_max)
{
	struct dkim_sign *s = xcalloc(1, sizeof(*s));

	dkim_header_init(&s->header, header_max, DKIM_SIGN_FIELDS_MAX);
	dkim_body_init(&s->body, DKIM_CANON_RELAXED, DKIM_BODY_NO_LIMIT);
	return s;
}

void dkim_sign_write(struct dkim_sign *s, const void *data, size_t len)
{
	size_t used = 0;

	if (!s->header.done)
		used = dkim_header_write(&s->header, data, len);
	if (used < len)
		dkim_body_write(&s->body, (const char *)data + used,
				len - used);
}

static void dkim_sign_end(struct dkim_sign *s)
{
	if (s->finished)
		return;
	s->finished = true;
	dkim_header_finish(&s->header);
	dkim_body_finish(&s->body, s->bh);
}

int dkim_sign_from_domain(struct dkim_sign *s, char *out, size_t size)
{
	const struct dkim_header *h = &s->header;
	const struct dkim_field *from = NULL;
	struct message_address *list;
	struct buf value = BUF_INIT;
	const char *data;
	size_t i;
	int ret = -1;

	dkim_sign_end(s);
	for (i = 0; i < h->count; i++) {
		if (!dkim_field_is(h, &h->fields[i], "from", 4))
			continue;
		if (from != NULL)
			return -1;
		from = &h->fields[i];
	}
	if (from == NULL)
		return -1;
	data = dkim_header_data(h, from);
	for (i = from->name_len + 1; i < from->len; i++)
		if (data[i] != '\r' && data[i] != '\n')
			buf_append_char(&value, data[i]);
	list = message_address_parse(value.data != NULL ? value.data : "",
				     value.len);
	if (list != NULL && list->next == NULL && list->domain != NULL &&
	    list->domain[0] != '\0' && str_copy(out, size, list->domain) == 0) {
		for (i = 0; out[i] != '\0'; i++)
			out[i] = (char)tolower((unsigned char)out[i]);
		ret = 0;
	}
	message_address_free(&list);
	buf_free(&value);
	return ret;
}

static size_t dkim_sign_count(const struct dkim_header *h, const char *name)
{
	size_t i, n = 0;

	for (i = 0; i < h->count; i++)
		if (dkim_field_is(h, &h->fields[i], name, strlen(name)))
			n++;
	return n;
}

/* Adds `text` to a field being folded at about 76 columns. */
static void dkim_fold_add(struct buf *out, size_t *col, const char *text,
			  size_t len)
{
	if (*col + len > 76) {
		buf_append_str(out, "\r\n\t");
		*col = 1;
	}
	buf_append(out, text, len);
	*col += len;
}

int dkim_sign_field(struct dkim_sign *s, const struct dkim_sign_key *key,
		    time_t now, unsigned int expire, struct buf *out,
		    const char **error_r)
{
	const struct dkim_header *h = &s->header;
	struct buf field = BUF_INIT, data = BUF_INIT, sig = BUF_INIT,
		b64 = BUF_INIT, hlist = BUF_INIT;
	size_t i, j, col, n;
	bool *used;

	dkim_sign_end(s);
	if (h->too_big) {
		*error_r = "header section too big to sign";
		return -1;
	}
	/* The header hash input, in h= order, bottom-up per name. */
	used = xcalloc(h->count + 1, sizeof(*used));
	for (i = 0; i < sizeof(dkim_sign_names) / sizeof(*dkim_sign_names);
	     i++) {
		const char *name = dkim_sign_names[i];

		n = dkim_sign_count(h, name);
		if (i == 0)
			n++;
		for (; n > 0; n--) {
			if (hlist.len > 0)
				buf_append_char(&hlist, ':');
			buf_append_str(&hlist, name);
			for (j = h->count; j-- > 0;) {
				if (used[j] ||
				    !dkim_field_is(h, &h->fields[j], name,
						   strlen(name)))
					continue;
				used[j] = true;
				dkim_canon_header(
					DKIM_CANON_RELAXED,
					dkim_header_data(h, &h->fields[j]),
					h->fields[j].len, &data);
				buf_append_str(&data, "\r\n");
				break;
			}
		}
	}
	free(used);

	buf_printf(&field, "DKIM-Signature: v=1; a=%s; c=relaxed/relaxed;",
		   dkim_alg_name(key->alg));
	col = field.len;
	{
		struct buf part = BUF_INIT;

		buf_printf(&part, " d=%s;", key->domain);
		dkim_fold_add(&field, &col, part.data, part.len);
		buf_clear(&part);
		buf_printf(&part, " s=%s;", key->selector);
		dkim_fold_add(&field, &col, part.data, part.len);
		buf_clear(&part);
		buf_printf(&part, " t=%lld;", (long long)now);
		dkim_fold_add(&field, &col, part.data, part.len);
		if (expire > 0) {
			buf_clear(&part);
			buf_printf(&part, " x=%lld;",
				   (long long)now + expire);
			dkim_fold_add(&field, &col, part.data, part.len);
		}
		buf_free(&part);
	}
	/* h= folded after its colons. */
	dkim_fold_add(&field, &col, " h=", 3);
	for (i = 0; i < hlist.len;) {
		const char *colon = memchr(hlist.data + i, ':', hlist.len - i);
		size_t end = colon != NULL ? (size_t)(colon - hlist.data) + 1 :
			hlist.len;

		dkim_fold_add(&field, &col, hlist.data + i, end - i);
		i = end;
	}
	dkim_fold_add(&field, &col, ";", 1);
	buf_append_str(&b64, " bh=");
	base64_encode(&b64, s->bh, sizeof(s->bh));
	buf_append_char(&b64, ';');
	dkim_fold_add(&field, &col, b64.data, b64.len);
	dkim_fold_add(&field, &col, " b=", 3);
	/* The field with an empty b= ends the hash input, no CRLF. */
	dkim_canon_header(DKIM_CANON_RELAXED, field.data, field.len, &data);
	if (dkim_key_sign(key->pkey, key->alg, data.data, data.len, &sig,
			  error_r) < 0) {
		buf_free(&field);
		buf_free(&data);
		buf_free(&hlist);
		buf_free(&b64);
		return -1;
	}
	buf_clear(&b64);
	base64_encode(&b64, sig.data, sig.len);
	for (i = 0; i < b64.len; i += n) {
		n = col >= 76 ? 0 : 76 - col;
		if (n == 0) {
			buf_append_str(&field, "\r\n\t");
			col = 1;
			continue;
		}
		if (n > b64.len - i)
			n = b64.len - i;
		buf_append(&field, b64.data + i, n);
		col += n;
	}
	buf_append_str(&field, "\r\n");
	buf_append(out, field.data, field.len);
	buf_free(&field);
	buf_free(&data);
	buf_free(&sig);
	buf_free(&b64);
	buf_free(&hlist);
	return 0;
}

void dkim_sign_free(struct dkim_sign **sp)
{
	struct dkim_sign *s = *sp;

	if (s == NULL)
		return;
	dkim_header_deinit(&s->header);
	dkim_body_deinit(&s->body);
	free(s);
	*sp = NULL;
}
