#include "imapd/imap_search_eval.h"
#include "imapd/imap_date.h"
#include "imapd/imap_message.h"
#include "imapd/imap_objectid.h"
#include "imapd/imap_search_parse.h"
#include "imapd/imap_selected.h"
#include "charset.h"
#include "message_header.h"
#include "mbox_cache_window.h"
#include "mime_cache.h"
#include "mime_decode.h"
#include "mime_field.h"
#include "mime_part.h"
#include "rfc2047.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* What has been read of one message, so several keys read it once. */
struct search_msg {
	const struct imap_selected *sel;
	size_t i;
	const struct mbox_record *rec;
	struct imap_message m;
	bool tried;
	bool ok;
	struct message_header hdr;
	bool hdr_parsed;
	struct buf body;	/* decoded text of every text part */
	bool body_done;
	/* The message's cache record and the header fields it stores, read
	 * once for every header key that they can answer. */
	struct mbox_cache_window *window;
	const struct imap_search_files *files;
	struct buf record;
	const char *record_data;	/* in `record` or the window */
	size_t record_len;
	bool record_tried;
	struct mime_cache_fields fields;
	bool fields_tried;
};

bool imap_search_contains(const char *hay, size_t hay_len, const char *needle)
{
	size_t nlen = strlen(needle);
	const char *p, *last, *c, *lo_at = NULL, *up_at = NULL;
	int lo, up;
	bool lo_none, up_none;

	if (nlen == 0)
		return true;
	if (nlen > hay_len)
		return false;
	/* The candidates are the places of the first character in either
	 * case, found with memchr() (which reads a word at a time); each
	 * memchr() starts where the last one of its case stopped, so the
	 * haystack is scanned once for each case. */
	lo = tolower((unsigned char)needle[0]);
	up = toupper((unsigned char)needle[0]);
	lo_none = false;
	up_none = up == lo;
	p = hay;
	last = hay + (hay_len - nlen);
	while (p <= last) {
		if (!lo_none && (lo_at == NULL || lo_at < p) &&
		    (lo_at = memchr(p, lo, (size_t)(last - p) + 1)) == NULL)
			lo_none = true;
		if (!up_none && (up_at == NULL || up_at < p) &&
		    (up_at = memchr(p, up, (size_t)(last - p) + 1)) == NULL)
			up_none = true;
		if (lo_none && up_none)
			return false;
		c = lo_none ? up_at : up_none ? lo_at :
			lo_at < up_at ? lo_at : up_at;
		if (strncasecmp(c + 1, needle + 1, nlen - 1) == 0)
			return true;
		p = c + 1;
	}
	return false;
}

static const char *const search_months[] = {
	"jan", "feb", "mar", "apr", "may", "jun",
	"jul", "aug", "sep", "oct", "nov", "dec",
};

bool imap_search_sent_days(const char *value, size_t len, long long *days_r)
{
	char text[128], *p, *end;
	struct imap_date d;
	long day, year;
	int m;

	if (len >= sizeof(text))
		len = sizeof(text) - 1;
	memcpy(text, value, len);
	text[len] = '\0';
	p = text;
	/* [day-of-week ","] day month year ... (RFC 5322 section 3.3). */
	if (strchr(p, ',') != NULL)
		p = strchr(p, ',') + 1;
	while (*p == ' ' || *p == '\t')
		p++;
	day = strtol(p, &end, 10);
	if (end == p)
		return false;
	p = end;
	while (*p == ' ' || *p == '\t' || *p == '-')
		p++;
	for (m = 0; m < 12; m++) {
		if (strncasecmp(p, search_months[m], 3) == 0)
			break;
	}
	if (m == 12)
		return false;
	p += 3;
	while (isalpha((unsigned char)*p))
		p++;
	while (*p == ' ' || *p == '\t' || *p == '-')
		p++;
	year = strtol(p, &end, 10);
	if (end == p)
		return false;
	/* Obsolete two- and three-digit years (RFC 5322 section 4.3). */
	if (end - p <= 2)
		year += year < 50 ? 2000 : 1900;
	else if (end - p == 3)
		year += 1900;
	if (day < 1 || day > 31 || year < 1 || year > 9999)
		return false;
	d.year = (int)year;
	d.month = m + 1;
	d.day = (int)day;
	*days_r = imap_date_days(&d);
	return true;
}

static bool search_msg_open(struct search_msg *s)
{
	const char *error;

	if (s->tried)
		return s->ok;
	s->tried = true;
	if (s->sel->state[s->i] & IMAP_MSG_EXPUNGED)
		return false;
	/* Bytes the caller read already: imap_message_data() finds them
	 * and opens no file; deinit leaves them alone. */
	if (s->files != NULL &&
	    (s->m.data = s->files->read(s->files->ctx, s->i)) != NULL)
		s->m.size = (size_t)s->rec->size;
	s->ok = imap_message_data(&s->m, &error) == 0;
	return s->ok;
}

static bool search_header(struct search_msg *s)
{
	if (!search_msg_open(s))
		return false;
	if (!s->hdr_parsed) {
		message_header_init(&s->hdr, NULL);
		(void)message_header_parse(&s->hdr, s->m.data, s->m.size);
		s->hdr_parsed = true;
	}
	return true;
}

/* Reads the message's cache record once (length 0 when there is none or
 * it is bad). */
static void search_record(struct search_msg *s)
{
	const char *error;
	int ret;

	if (s->record_tried)
		return;
	s->record_tried = true;
	if (s->window != NULL) {
		ret = mbox_cache_window_read(s->sel->mbox, s->rec, s->window,
					     &s->record_data, &s->record_len,
					     &error);
	} else {
		ret = mbox_cache_read(s->sel->mbox, s->rec, &s->record,
				      &error);
		s->record_data = s->record.data;
		s->record_len = s->record.len;
	}
	if (ret < 0)
		s->record_len = 0;
}

/* The fields the mailbox keeps of the message (its fields entry, else its
 * cache record), when they hold every field `name` (else false: the file
 * must be read).  An expunged message reads as holding none, as
 * search_msg_open() has it. */
static bool search_cached(struct search_msg *s, const char *name,
			  struct mime_cache_fields *fields_r, int *id_r)
{
	int id = mime_cache_field_id(name, strlen(name));

	if (id < 0)
		return false;
	if (!s->fields_tried) {
		s->fields_tried = true;
		if (s->window == NULL ||
		    !imap_message_cached_fields(s->sel->mbox, s->rec, s->window,
						&s->fields))
			memset(&s->fields, 0, sizeof(s->fields));
	}
	if ((s->fields.covered & (1u << id)) == 0)
		return false;
	*fields_r = s->fields;
	*id_r = id;
	return true;
}

/* Whether decoding `value` would give it back as it is: ASCII without
 * NUL (which charset_utf8_sanitize() keeps) and no "=?" that could start
 * an encoded word (rfc2047_decode() then changes nothing else).  Most
 * values are, and a search of a large mailbox looks at one per message. */
static bool search_value_plain(const char *value, size_t len)
{
	const unsigned char *p = (const unsigned char *)value;
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] - 1u >= 0x7fu ||
		    (p[i] == '=' && i + 1 < len && p[i + 1] == '?'))
			return false;
	}
	return true;
}

/* Does an unfolded value contain `text` once its encoded words are
 * decoded? */
static bool search_value(const char *value, size_t len, const char *text,
			 struct buf *decoded)
{
	if (search_value_plain(value, len))
		return imap_search_contains(value, len, text);
	buf_clear(decoded);
	rfc2047_decode(value, len, decoded);
	return imap_search_contains(decoded->data != NULL ? decoded->data : "",
				    decoded->len, text);
}

/* Does any field named `name` contain `text` (decoded)?  From the cache
 * record when it stores every such field: the values there are what
 * message_header_unfold() makes of the file's, so the answer is the same
 * as reading the file. */
static bool search_field(struct search_msg *s, const char *name,
			 const char *text)
{
	struct buf raw = BUF_INIT, decoded = BUF_INIT;
	struct mime_cache_fields fields;
	const char *value;
	size_t value_len;
	unsigned int f, id;
	int want;
	bool found = false;

	if (s->sel->state[s->i] & IMAP_MSG_EXPUNGED)
		return false;
	if (!s->hdr_parsed && search_cached(s, name, &fields, &want)) {
		while (!found && mime_cache_fields_next(&fields, &id, &value,
							&value_len)) {
			if (id == (unsigned int)want)
				found = search_value(value, value_len, text,
						     &decoded);
		}
		buf_free(&decoded);
		return found;
	}
	if (!search_header(s))
		return false;
	for (f = 0; f < s->hdr.count && !found; f++) {
		const struct message_header_field *fld = &s->hdr.fields[f];

		if (strlen(name) != fld->name_len ||
		    strncasecmp(fld->name, name, fld->name_len) != 0)
			continue;
		buf_clear(&raw);
		message_header_unfold(fld->value, fld->value_len, &raw);
		found = search_value(raw.data != NULL ? raw.data : "", raw.len,
				     text, &decoded);
	}
	buf_free(&raw);
	buf_free(&decoded);
	return found;
}

/* The charset of a text part, from its own header. */
static void search_part_charset(const char *data, size_t len, char *out,
				size_t out_size)
{
	struct message_header hdr;
	struct buf value = BUF_INIT;
	struct mime_field ct;
	const char *cs;

	(void)str_copy(out, out_size, "us-ascii");
	message_header_init(&hdr, NULL);
	(void)message_header_parse(&hdr, data, len);
	if (message_header_get(&hdr, "Content-Type", &value) &&
	    mime_field_parse_content_type(buf_cstr(&value), value.len, &ct) == 0) {
		cs = mime_field_param(&ct, "charset");
		if (cs != NULL && str_copy(out, out_size, cs) < 0)
			(void)str_copy(out, out_size, "us-ascii");
		mime_field_deinit(&ct);
	}
	buf_free(&value);
	message_header_deinit(&hdr);
}

static void search_collect_text(struct search_msg *s,
				const struct mime_part *part)
{
	const struct mime_part *child;

	if (part->flags & (MIME_PART_MULTIPART | MIME_PART_MESSAGE)) {
		for (child = part->children; child != NULL; child = child->next)
			search_collect_text(s, child);
		return;
	}
	if ((part->flags & MIME_PART_TEXT) &&
	    part->body_offset + part->body_size <= s->m.size) {
		struct buf decoded = BUF_INIT;
		struct mime_decoder dec;
		char charset[CHARSET_NAME_MAX + 1];

		search_part_charset(s->m.data + part->header_offset,
				    part->header_size, charset, sizeof(charset));
		if (part->encoding != MIME_ENCODING_BASE64 &&
		    part->encoding != MIME_ENCODING_QUOTED_PRINTABLE) {
			/* The decoder would only copy these. */
			(void)charset_to_utf8(charset, s->m.data +
					      part->body_offset,
					      part->body_size, &s->body);
			buf_append_char(&s->body, '\n');
			return;
		}
		mime_decoder_init(&dec, part->encoding);
		mime_decoder_feed(&dec, s->m.data + part->body_offset,
				  part->body_size, &decoded);
		mime_decoder_finish(&dec, &decoded);
		(void)charset_to_utf8(charset, decoded.data != NULL ?
				      decoded.data : "", decoded.len, &s->body);
		buf_append_char(&s->body, '\n');
		buf_free(&decoded);
	}
}

static bool search_body(struct search_msg *s, const char *text)
{
	const char *error;

	if (!search_msg_open(s))
		return false;
	if (!s->body_done) {
		s->body_done = true;
		search_record(s);
		if (imap_message_structure_from(&s->m, s->record_data,
						s->record_len, &error) == 0)
			search_collect_text(s, s->m.cache->root);
	}
	return imap_search_contains(s->body.data != NULL ? s->body.data : "",
				    s->body.len, text);
}

static bool search_text(struct search_msg *s, const char *text)
{
	struct buf decoded = BUF_INIT;
	bool found;

	if (!search_header(s))
		return false;
	/* The header as the reader sees it: encoded words decoded. */
	rfc2047_decode(s->m.data, s->hdr.size, &decoded);
	found = imap_search_contains(decoded.data != NULL ? decoded.data : "",
				     decoded.len, text);
	buf_free(&decoded);
	return found || search_body(s, text);
}

static bool search_keyword(const struct search_msg *s, const char *name)
{
	unsigned int k;

	for (k = 0; k < s->sel->view.keyword_count; k++) {
		if (strcasecmp(s->sel->view.keywords[k], name) == 0)
			return (s->rec->keywords & (1ULL << k)) != 0;
	}
	return false;
}

static bool search_in_set(const struct search_msg *s,
			  const struct imap_seqset *set, bool uid)
{
	const struct imap_selected *sel = s->sel;
	size_t k;

	if (set->saved) {
		for (k = 0; k < sel->saved_count; k++) {
			if (sel->saved[k] == s->rec->uid)
				return true;
		}
		return false;
	}
	if (uid)
		return imap_seqset_contains(set, s->rec->uid, sel->count ?
			sel->msgs[sel->count - 1].uid : 0);
	return imap_seqset_contains(set, (uint32_t)s->i + 1,
				    (uint32_t)sel->count);
}

/* Days since the epoch of a time in seconds, flooring. */
static int64_t search_utc_days(int64_t t)
{
	return t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
}

/* INTERNALDATE's day in its own zone. */
static int64_t search_internal_days(const struct mbox_record *rec)
{
	return search_utc_days(rec->internal_date +
			       (int64_t)rec->tz_minutes * 60);
}

static bool search_sent_cmp(struct search_msg *s, const struct imap_search_key *k)
{
	struct buf value = BUF_INIT;
	struct mime_cache_fields fields;
	const char *date;
	size_t date_len;
	long long days;
	int64_t want = imap_date_days(&k->date);
	unsigned int id;
	int date_id;
	bool ok = false;

	if (s->sel->state[s->i] & IMAP_MSG_EXPUNGED)
		return false;
	if (!s->hdr_parsed && search_cached(s, "Date", &fields, &date_id)) {
		/* The first Date, as message_header_get() takes it. */
		while (mime_cache_fields_next(&fields, &id, &date, &date_len)) {
			if (id == (unsigned int)date_id) {
				ok = imap_search_sent_days(date, date_len,
							   &days);
				break;
			}
		}
	} else {
		if (!search_header(s))
			return false;
		ok = message_header_get(&s->hdr, "Date", &value) &&
			imap_search_sent_days(buf_cstr(&value), value.len,
					      &days);
		buf_free(&value);
	}
	if (!ok)
		return false;
	switch (k->type) {
	case IMAP_SEARCH_SENTBEFORE: return days < want;
	case IMAP_SEARCH_SENTON: return days == want;
	default: return days >= want;
	}
}

static bool search_key(struct search_msg *s, const struct imap_search_key *k)
{
	const struct mbox_record *rec = s->rec;
	size_t c;

	switch (k->type) {
	case IMAP_SEARCH_AND:
		for (c = 0; c < k->child_count; c++) {
			if (!search_key(s, &k->children[c]))
				return false;
		}
		return true;
	case IMAP_SEARCH_OR:
		return search_key(s, &k->children[0]) ||
			search_key(s, &k->children[1]);
	case IMAP_SEARCH_NOT:
		return !search_key(s, &k->children[0]);
	case IMAP_SEARCH_SEQSET: return search_in_set(s, k->seqset, false);
	case IMAP_SEARCH_UID: return search_in_set(s, k->seqset, true);
	case IMAP_SEARCH_ALL: return true;
	case IMAP_SEARCH_ANSWERED: return rec->flags & MBOX_ANSWERED;
	case IMAP_SEARCH_DELETED: return rec->flags & MBOX_DELETED;
	case IMAP_SEARCH_DRAFT: return rec->flags & MBOX_DRAFT;
	case IMAP_SEARCH_FLAGGED: return rec->flags & MBOX_FLAGGED;
	case IMAP_SEARCH_SEEN: return rec->flags & MBOX_SEEN;
	case IMAP_SEARCH_UNANSWERED: return !(rec->flags & MBOX_ANSWERED);
	case IMAP_SEARCH_UNDELETED: return !(rec->flags & MBOX_DELETED);
	case IMAP_SEARCH_UNDRAFT: return !(rec->flags & MBOX_DRAFT);
	case IMAP_SEARCH_UNFLAGGED: return !(rec->flags & MBOX_FLAGGED);
	case IMAP_SEARCH_UNSEEN: return !(rec->flags & MBOX_SEEN);
	/* No message is ever \Recent here (see cmd_select.c). */
	case IMAP_SEARCH_NEW: return false;
	case IMAP_SEARCH_RECENT: return false;
	case IMAP_SEARCH_OLD: return true;
	case IMAP_SEARCH_KEYWORD: return search_keyword(s, k->str);
	case IMAP_SEARCH_UNKEYWORD: return !search_keyword(s, k->str);
	case IMAP_SEARCH_LARGER: return rec->size > k->number;
	case IMAP_SEARCH_SMALLER: return rec->size < k->number;
	case IMAP_SEARCH_MODSEQ: return rec->modseq >= k->number;
	case IMAP_SEARCH_BEFORE:
		return search_internal_days(rec) < imap_date_days(&k->date);
	case IMAP_SEARCH_ON:
		return search_internal_days(rec) == imap_date_days(&k->date);
	case IMAP_SEARCH_SINCE:
		return search_internal_days(rec) >= imap_date_days(&k->date);
	case IMAP_SEARCH_SAVEDBEFORE:
		return search_utc_days(rec->save_date) < imap_date_days(&k->date);
	case IMAP_SEARCH_SAVEDON:
		return search_utc_days(rec->save_date) == imap_date_days(&k->date);
	case IMAP_SEARCH_SAVEDSINCE:
		return search_utc_days(rec->save_date) >= imap_date_days(&k->date);
	/* Every mailbox here records when a message was saved. */
	case IMAP_SEARCH_SAVEDATESUPPORTED: return true;
	case IMAP_SEARCH_EMAILID: {
		char id[IMAP_EMAILID_SIZE];

		return imap_emailid(s->sel->mbox, rec->uid, id) &&
			strcmp(id, k->str) == 0;
	}
	case IMAP_SEARCH_THREADID: return false;	/* no THREADIDs */
	case IMAP_SEARCH_OLDER:
		return (int64_t)time(NULL) - rec->internal_date >= (int64_t)k->number;
	case IMAP_SEARCH_YOUNGER:
		return (int64_t)time(NULL) - rec->internal_date <= (int64_t)k->number;
	case IMAP_SEARCH_SENTBEFORE:
	case IMAP_SEARCH_SENTON:
	case IMAP_SEARCH_SENTSINCE:
		return search_sent_cmp(s, k);
	case IMAP_SEARCH_FROM: return search_field(s, "From", k->str);
	case IMAP_SEARCH_TO: return search_field(s, "To", k->str);
	case IMAP_SEARCH_CC: return search_field(s, "Cc", k->str);
	case IMAP_SEARCH_BCC: return search_field(s, "Bcc", k->str);
	case IMAP_SEARCH_SUBJECT: return search_field(s, "Subject", k->str);
	case IMAP_SEARCH_HEADER: return search_field(s, k->str, k->value);
	case IMAP_SEARCH_BODY: return search_body(s, k->str);
	case IMAP_SEARCH_TEXT: return search_text(s, k->str);
	}
	return false;
}

static bool search_key_reads_files(const struct imap_search_key *k)
{
	size_t c;

	if (k->type == IMAP_SEARCH_BODY || k->type == IMAP_SEARCH_TEXT ||
	    (k->type == IMAP_SEARCH_HEADER &&
	     mime_cache_field_id(k->str, strlen(k->str)) < 0))
		return true;
	for (c = 0; c < k->child_count; c++) {
		if (search_key_reads_files(&k->children[c]))
			return true;
	}
	return false;
}

bool imap_search_reads_files(const struct imap_search *search)
{
	return search_key_reads_files(&search->root);
}

bool imap_search_eval(const struct imap_selected *sel,
		      const struct imap_search *search, size_t i,
		      struct mbox_cache_window *window)
{
	return imap_search_eval_files(sel, search, i, window, NULL);
}

bool imap_search_eval_files(const struct imap_selected *sel,
			    const struct imap_search *search, size_t i,
			    struct mbox_cache_window *window,
			    const struct imap_search_files *files)
{
	struct search_msg s;
	bool match;

	memset(&s, 0, sizeof(s));
	s.sel = sel;
	s.i = i;
	s.rec = &sel->msgs[i];
	s.window = window;
	s.files = files;
	imap_message_init(&s.m, sel->mbox, s.rec);
	match = search_key(&s, &search->root);
	if (s.hdr_parsed)
		message_header_deinit(&s.hdr);
	buf_free(&s.body);
	buf_free(&s.record);
	imap_message_deinit(&s.m);
	return match;
}
