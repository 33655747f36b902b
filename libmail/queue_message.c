/* The header fixups on the way into the queue; see queue_message.h. */
#include "queue_message.h"
#include "authres.h"
#include "buf.h"
#include "queue_file.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

struct queue_message {
	struct queue_writer *w;
	struct queue_message_opts opts;
	struct buf header;
	bool header_done;
	unsigned int hops;
	unsigned int authres_dropped;
	char *message_id;
};

struct queue_message *queue_message_new(struct queue_writer *w,
					const struct queue_message_opts *opts)
{
	struct queue_message *m = xcalloc(1, sizeof(*m));

	m->w = w;
	m->opts = *opts;
	if (opts->prepend != NULL)
		queue_writer_write(w, opts->prepend, strlen(opts->prepend));
	return m;
}

void queue_message_date(struct buf *out, long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char text[64];

	localtime_r(&tt, &tm);
	if (strftime(text, sizeof(text), "%a, %d %b %Y %H:%M:%S %z", &tm) == 0)
		text[0] = '\0';
	buf_append_str(out, text);
}

/* Whether a header line (at a line start) names the field `name`. */
static bool queue_field_is(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);

	return len > n && strncasecmp(line, name, n) == 0 && line[n] == ':';
}

/* Keeps the msg-id of a Message-ID field (its first line; bounded), for
 * the log that joins a message's story. */
static void queue_message_keep_id(struct queue_message *m, const char *v,
				  size_t len)
{
	const char *lt, *gt;

	if (m->message_id != NULL || len > 998)
		return;
	lt = memchr(v, '<', len);
	gt = lt != NULL ? memchr(lt, '>', len - (size_t)(lt - v)) : NULL;
	if (lt != NULL && gt != NULL && gt > lt + 1)
		m->message_id = xstrndup(lt + 1, (size_t)(gt - lt - 1));
}

static void queue_message_scan(struct queue_message *m, size_t len,
			       bool *has_id_r, bool *has_date_r)
{
	const char *p = m->header.data, *end = p + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);

		if (queue_field_is(p, n, "Received"))
			m->hops++;
		else if (queue_field_is(p, n, "Message-ID")) {
			*has_id_r = true;
			queue_message_keep_id(m, p + 11, n - 11);
		}
		else if (queue_field_is(p, n, "Date"))
			*has_date_r = true;
		p += n + 1;
	}
}

/* Writes the first `len` octets of the held header, leaving out the
 * Authentication-Results fields that claim our authserv-id. */
static void queue_message_write_fields(struct queue_message *m, size_t len)
{
	const char *d = m->header.data, *p = d, *end = d + len;

	if (m->opts.drop_authres_id == NULL) {
		queue_writer_write(m->w, d, len);
		return;
	}
	while (p < end) {
		const char *q = p;

		/* A field runs to the line end not followed by a fold. */
		do {
			const char *nl = memchr(q, '\n', (size_t)(end - q));

			q = nl != NULL ? nl + 1 : end;
		} while (q < end && (*q == ' ' || *q == '\t'));
		if (authres_field_is_ours(p, (size_t)(q - p),
					  m->opts.drop_authres_id))
			m->authres_dropped++;
		else
			queue_writer_write(m->w, p, (size_t)(q - p));
		p = q;
	}
}

/* Emits the held header (its first `len` octets), with the additions. */
static void queue_message_emit(struct queue_message *m, size_t len)
{
	bool has_id = false, has_date = false;
	struct buf add = BUF_INIT;

	queue_message_scan(m, len, &has_id, &has_date);
	queue_message_write_fields(m, len);
	if (m->opts.add_missing && (!has_id || !has_date)) {
		if (len > 0 && m->header.data[len - 1] != '\n')
			buf_append_str(&add, "\r\n");
		if (!has_id) {
			unsigned int rnd = 0;
			struct buf id = BUF_INIT;

			(void)getrandom(&rnd, sizeof(rnd), 0);
			buf_printf(&id, "%s.%08x@%s", m->opts.queue_id, rnd,
				   m->opts.hostname);
			buf_printf(&add, "Message-ID: <%s>\r\n", buf_cstr(&id));
			free(m->message_id);
			m->message_id = buf_steal(&id);
		}
		if (!has_date) {
			buf_append_str(&add, "Date: ");
			queue_message_date(&add, (long long)time(NULL));
			buf_append_str(&add, "\r\n");
		}
		queue_writer_write(m->w, add.data, add.len);
	}
	buf_free(&add);
	queue_writer_write(m->w, m->header.data + len, m->header.len - len);
	buf_free(&m->header);
	m->header_done = true;
}

/* The end of the header section: an empty line.  Returns the length of
 * the header before it (the empty line stays with the body), or -1. */
static long queue_header_end(const struct buf *h)
{
	const char *p;

	if (h->len >= 2 && memcmp(h->data, "\r\n", 2) == 0)
		return 0;
	p = h->len >= 4 ? memmem(h->data, h->len, "\r\n\r\n", 4) : NULL;
	return p != NULL ? (long)(p - h->data) + 2 : -1;
}

void queue_message_write(struct queue_message *m, const void *data,
			 size_t len)
{
	long end;

	if (m->header_done) {
		queue_writer_write(m->w, data, len);
		return;
	}
	buf_append(&m->header, data, len);
	end = queue_header_end(&m->header);
	if (end >= 0) {
		queue_message_emit(m, (size_t)end);
	} else if (m->header.len > m->opts.header_max) {
		bool add = m->opts.add_missing;

		m->opts.add_missing = false;
		queue_message_emit(m, m->header.len);
		m->opts.add_missing = add;
	}
}

void queue_message_finish(struct queue_message *m)
{
	if (!m->header_done)
		queue_message_emit(m, m->header.len);
}

unsigned int queue_message_hops(const struct queue_message *m)
{
	return m->hops;
}

unsigned int queue_message_authres_dropped(const struct queue_message *m)
{
	return m->authres_dropped;
}

const char *queue_message_id(const struct queue_message *m)
{
	return m->message_id;
}

void queue_message_free(struct queue_message **mp)
{
	struct queue_message *m = *mp;

	if (m == NULL)
		return;
	buf_free(&m->header);
	free(m->message_id);
	free(m);
	*mp = NULL;
}
