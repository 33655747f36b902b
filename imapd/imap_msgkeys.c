#include "imapd/imap_msgkeys.h"
#include "imapd/imap_message.h"
#include "imapd/imap_search_eval.h"
#include "imapd/imap_selected.h"
#include "base_subject.h"
#include "buf.h"
#include "message_address.h"
#include "message_date.h"
#include "mbox_cache_window.h"
#include "message_header.h"
#include "mime_cache.h"
#include "rfc2047.h"

#include <stdlib.h>
#include <string.h>

int imap_msgkeys_casecmp(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)a;
	const unsigned char *y = (const unsigned char *)b;

	for (;; x++, y++) {
		unsigned int cx = *x >= 'a' && *x <= 'z' ? *x - 32u : *x;
		unsigned int cy = *y >= 'a' && *y <= 'z' ? *y - 32u : *y;

		if (cx != cy)
			return cx < cy ? -1 : 1;
		if (cx == 0)
			return 0;
	}
}

bool imap_msgkeys_next_msgid(const char *value, size_t len, size_t *pos,
			     struct buf *out)
{
	size_t p = *pos;

	while (p < len) {
		size_t start = out->len, at = 0, q;
		bool closed = false;

		while (p < len && value[p] != '<')
			p++;
		if (p == len)
			break;
		for (q = p + 1; q < len && value[q] != '<'; q++) {
			char ch = value[q];

			if (ch == '>') {
				closed = true;
				break;
			}
			if (ch == '\\' && q + 1 < len) {
				ch = value[++q];
			} else if (ch == '"' || ch == ' ' || ch == '\t' ||
				   ch == '\r' || ch == '\n') {
				continue;
			}
			if (ch == '\0')
				continue;
			if (ch == '@' && at == 0)
				at = out->len - start + 1;
			buf_append_char(out, ch);
		}
		/* A valid ID has text on both sides of its "@". */
		if (closed && at > 1 && out->len - start > at) {
			*pos = q + 1;
			return true;
		}
		buf_truncate(out, start);
		p = q;
	}
	*pos = len;
	return false;
}

/* addr-mailbox of the first address, and its RFC 5957 display value. */
static void msgkeys_address(const struct message_header *hdr,
			    const char *name, char **mailbox_r,
			    char **display_r)
{
	struct buf value = BUF_INIT, display = BUF_INIT;
	struct message_address *list = NULL;

	if (message_header_get(hdr, name, &value))
		list = message_address_parse(buf_cstr(&value), value.len);
	if (list != NULL && list->name != NULL)
		rfc2047_decode(list->name, strlen(list->name), &display);
	if (list != NULL && display.len == 0) {
		if (list->domain != NULL && list->domain[0] != '\0')
			buf_printf(&display, "%s@%s", list->mailbox,
				   list->domain);
		else if (list->mailbox != NULL)
			buf_append_str(&display, list->mailbox);
	}
	*mailbox_r = xstrdup(list != NULL && list->mailbox != NULL ?
			     list->mailbox : "");
	if (display_r != NULL)
		*display_r = xstrdup(buf_cstr(&display));
	message_address_free(&list);
	buf_free(&value);
	buf_free(&display);
}

static void msgkeys_refs(const struct message_header *hdr,
			 struct imap_msgkeys *keys)
{
	struct buf value = BUF_INIT, id = BUF_INIT;
	size_t pos = 0, cap = 0;

	if (message_header_get(hdr, "Message-ID", &value) &&
	    imap_msgkeys_next_msgid(value.data, value.len, &pos, &id))
		keys->message_id = xstrdup(buf_cstr(&id));
	buf_clear(&value);
	/* References, or else the first ID of In-Reply-To (RFC 5256 3). */
	if (message_header_get(hdr, "References", &value)) {
		pos = 0;
		buf_clear(&id);
		while (imap_msgkeys_next_msgid(value.data, value.len, &pos,
					       &id)) {
			if (keys->ref_count == cap) {
				cap = cap == 0 ? 8 : cap * 2;
				keys->refs = xrealloc(keys->refs,
						      cap * sizeof(*keys->refs));
			}
			keys->refs[keys->ref_count++] = xstrdup(buf_cstr(&id));
			buf_clear(&id);
		}
	}
	buf_clear(&value);
	pos = 0;
	buf_clear(&id);
	if (keys->ref_count == 0 &&
	    message_header_get(hdr, "In-Reply-To", &value) &&
	    imap_msgkeys_next_msgid(value.data, value.len, &pos, &id)) {
		keys->refs = xcalloc(1, sizeof(*keys->refs));
		keys->refs[0] = xstrdup(buf_cstr(&id));
		keys->ref_count = 1;
	}
	buf_free(&value);
	buf_free(&id);
}

void imap_msgkeys_from_header(const char *data, size_t len, unsigned int what,
			      struct imap_msgkeys *keys)
{
	struct message_header hdr;
	const struct message_header_field *subject;
	struct buf value = BUF_INIT, base = BUF_INIT;
	int64_t t;

	message_header_init(&hdr, NULL);
	(void)message_header_parse(&hdr, data, len);
	msgkeys_address(&hdr, "From", &keys->from, &keys->display_from);
	msgkeys_address(&hdr, "To", &keys->to, &keys->display_to);
	msgkeys_address(&hdr, "Cc", &keys->cc, NULL);
	subject = message_header_find(&hdr, "Subject");
	if (subject != NULL)
		keys->subject_is_reply =
			base_subject_extract(subject->value,
					     subject->value_len, &base);
	keys->subject = xstrdup(buf_cstr(&base));
	if (message_header_get(&hdr, "Date", &value) &&
	    message_date_parse(value.data, value.len, &t))
		keys->sent = t;
	if (what & IMAP_MSGKEYS_THREAD)
		msgkeys_refs(&hdr, keys);
	buf_free(&value);
	buf_free(&base);
	message_header_deinit(&hdr);
}

/* The fields a SORT or THREAD of `what` reads (mime_cache.h). */
static unsigned int msgkeys_fields(unsigned int what)
{
	unsigned int need = 1u << MIME_CACHE_FIELD_FROM |
		1u << MIME_CACHE_FIELD_TO | 1u << MIME_CACHE_FIELD_CC |
		1u << MIME_CACHE_FIELD_SUBJECT | 1u << MIME_CACHE_FIELD_DATE;

	if (what & IMAP_MSGKEYS_THREAD)
		need |= 1u << MIME_CACHE_FIELD_MESSAGE_ID |
			1u << MIME_CACHE_FIELD_REFERENCES |
			1u << MIME_CACHE_FIELD_IN_REPLY_TO;
	return need;
}

/* The keys from the fields the mailbox keeps of the message, when they
 * hold every field needed: written out as a header of those fields
 * alone, each value as message_header_unfold() made it, which the
 * parser and message_header_get() give back unchanged, so the keys are
 * the ones the file gives. */
static bool msgkeys_from_cache(const struct imap_selected *sel,
			       const struct mbox_record *rec,
			       unsigned int what,
			       struct mbox_cache_window *window,
			       struct imap_msgkeys *keys)
{
	unsigned int need = msgkeys_fields(what), id;
	struct mime_cache_fields fields;
	struct buf header = BUF_INIT;
	const char *value;
	size_t len;

	if (!imap_message_cached_fields(sel->mbox, rec, window, &fields) ||
	    (fields.covered & need) != need)
		return false;
	while (mime_cache_fields_next(&fields, &id, &value, &len)) {
		if ((need & (1u << id)) == 0)
			continue;
		buf_append_str(&header, mime_cache_field_name(id));
		buf_append(&header, ": ", 2);
		buf_append(&header, value, len);
		buf_append(&header, "\r\n", 2);
	}
	buf_append(&header, "\r\n", 2);
	imap_msgkeys_from_header(header.data, header.len, what, keys);
	buf_free(&header);
	return true;
}

void imap_msgkeys_load(const struct imap_selected *sel, size_t i,
		       unsigned int what, struct mbox_cache_window *window,
		       struct imap_msgkeys *keys)
{
	const struct mbox_record *rec = &sel->msgs[i];
	struct imap_message m;
	const char *error;

	memset(keys, 0, sizeof(*keys));
	keys->seq = (uint32_t)i + 1;
	keys->uid = rec->uid;
	keys->arrival = rec->internal_date;
	keys->sent = rec->internal_date;
	keys->size = rec->size;
	if (what != 0 && (sel->state[i] & IMAP_MSG_EXPUNGED) == 0 &&
	    (window == NULL ||
	     !msgkeys_from_cache(sel, rec, what, window, keys))) {
		imap_message_init(&m, sel->mbox, rec);
		if (imap_message_data(&m, &error) == 0)
			imap_msgkeys_from_header(m.data, m.size, what, keys);
		imap_message_deinit(&m);
	}
	if (keys->from == NULL) {
		keys->from = xstrdup("");
		keys->to = xstrdup("");
		keys->cc = xstrdup("");
		keys->display_from = xstrdup("");
		keys->display_to = xstrdup("");
		keys->subject = xstrdup("");
	}
}

void imap_msgkeys_deinit(struct imap_msgkeys *keys)
{
	free(keys->from);
	free(keys->to);
	free(keys->cc);
	free(keys->display_from);
	free(keys->display_to);
	free(keys->subject);
	free(keys->message_id);
	for (size_t i = 0; i < keys->ref_count; i++)
		free(keys->refs[i]);
	free(keys->refs);
	memset(keys, 0, sizeof(*keys));
}

struct imap_msgkeys *imap_msgkeys_search(const struct imap_selected *sel,
					 const struct imap_search *search,
					 unsigned int what, size_t *count_r)
{
	struct imap_msgkeys *keys = xcalloc(sel->count + 1, sizeof(*keys));
	struct mbox_cache_window window = MBOX_CACHE_WINDOW_INIT;
	size_t i, n = 0;

	for (i = 0; i < sel->count; i++) {
		if (imap_search_eval(sel, search, i, &window))
			imap_msgkeys_load(sel, i, what, &window, &keys[n++]);
	}
	mbox_cache_window_free(&window);
	*count_r = n;
	return keys;
}

void imap_msgkeys_free_array(struct imap_msgkeys **keysp, size_t count)
{
	struct imap_msgkeys *keys = *keysp;

	if (keys == NULL)
		return;
	*keysp = NULL;
	for (size_t i = 0; i < count; i++)
		imap_msgkeys_deinit(&keys[i]);
	free(keys);
}
