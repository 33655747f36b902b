#include "imapd/imap_message.h"
#include "imapd/imap_fetch_parse.h"
#include "mbox_cache_window.h"
#include "message_header.h"
#include "mime_cache.h"
#include "mime_decode.h"
#include "mime_parse.h"
#include "mime_part.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

static char imap_message_error[256];

/* One buffer per process for the small files read into memory: most
 * commands hold one message at a time.  A message read while another
 * holds it (a FETCH waiting for its client to read, while another
 * session's SEARCH runs) gets a buffer of its own. */
static struct buf imap_message_shared = BUF_INIT;
static bool imap_message_shared_busy;

static struct buf *imap_message_buf_take(void)
{
	if (!imap_message_shared_busy) {
		imap_message_shared_busy = true;
		return &imap_message_shared;
	}
	return xcalloc(1, sizeof(struct buf));
}

static void imap_message_buf_give(struct buf *b)
{
	if (b == &imap_message_shared) {
		imap_message_shared_busy = false;
		buf_clear(b);
		return;
	}
	buf_free(b);
	free(b);
}

static int imap_message_fail(struct imap_message *m, const char *what,
			     const char **error_r)
{
	snprintf(imap_message_error, sizeof(imap_message_error),
		 "message %u: %s%s%s", m->rec.uid, what, *what ? ": " : "",
		 strerror(errno));
	*error_r = imap_message_error;
	return -1;
}

/* Files found not to be in the page cache (see imap_message_read()). */
static uint64_t imap_message_cold;
/* The kernel or file system refuses RWF_NOWAIT: plain pread() only. */
static bool imap_message_no_nowait;
/* The next file read is to tell whether it was cached. */
static bool imap_message_check;

void imap_message_check_cold(bool on)
{
	imap_message_check = on;
}

uint64_t imap_message_cold_reads(void)
{
	return imap_message_cold;
}

bool imap_message_cold_known(void)
{
	return !imap_message_no_nowait;
}

/* When asked to tell (imap_message_check_cold()): reads what the page
 * cache holds of the file, without waiting for the disk (RWF_NOWAIT),
 * then the rest, if any, with a pread() that waits, and counts a file (or
 * its tail) that had to come from the disk, so that a SEARCH knows for
 * certain to read ahead.  A cached file costs one call either way, but
 * preadv2() a little more than pread(): only the reads asked to tell use
 * it. */
static ssize_t imap_message_pread(int fd, char *data, size_t len,
				  size_t expect)
{
	struct iovec iov = { data, len };
	ssize_t n = -1, more;
	bool check = imap_message_check && !imap_message_no_nowait;

	imap_message_check = false;
	if (!check)
		return pread(fd, data, len, 0);
	n = preadv2(fd, &iov, 1, 0, RWF_NOWAIT);
	if (n < 0 && errno != EAGAIN) {
		if (errno != EOPNOTSUPP && errno != EINVAL)
			return -1;
		imap_message_no_nowait = true;
	}
	if (n >= 0 && (size_t)n >= expect)
		return n;
	if (!imap_message_no_nowait)
		imap_message_cold++;
	if (n < 0)
		n = 0;
	more = pread(fd, data + n, len - (size_t)n, n);
	return more < 0 ? -1 : n + more;
}

/* A file of the size the index gives, read whole: asking for one byte
 * more shows the size is right without an fstat(). */
static bool imap_message_read(struct imap_message *m)
{
	struct buf *b = imap_message_buf_take();
	ssize_t n;

	buf_reserve(b, (size_t)m->rec.size + 1);
	n = imap_message_pread(m->fd, b->data, (size_t)m->rec.size + 1,
			       (size_t)m->rec.size);
	if (n < 0 || (uint64_t)n != m->rec.size) {
		imap_message_buf_give(b);
		return false;
	}
	b->len = (size_t)n;
	b->data[n] = '\0';
	m->read_buf = b;
	m->data = b->data;
	m->size = b->len;
	return true;
}

void imap_message_init(struct imap_message *m, struct mbox *mbox,
		       const struct mbox_record *rec)
{
	memset(m, 0, sizeof(*m));
	m->mbox = mbox;
	m->rec = *rec;
	m->fd = -1;
}

int imap_message_data(struct imap_message *m, const char **error_r)
{
	struct stat st;
	void *p;

	if (m->data != NULL)
		return 0;
	m->fd = mbox_message_open(m->mbox, m->rec.uid);
	if (m->fd < 0)
		return imap_message_fail(m, "", error_r);
	if (m->rec.size <= IMAP_MESSAGE_READ_MAX && imap_message_read(m)) {
		/* Everything is in memory: the descriptor is not needed. */
		close(m->fd);
		m->fd = -1;
		return 0;
	}
	if (fstat(m->fd, &st) < 0)
		return imap_message_fail(m, "", error_r);
	m->size = (size_t)st.st_size;
	if (m->size == 0) {
		m->data = "";
		return 0;
	}
	p = mmap(NULL, m->size, PROT_READ, MAP_PRIVATE, m->fd, 0);
	if (p == MAP_FAILED)
		return imap_message_fail(m, "mmap", error_r);
	m->data = p;
	m->mapped = true;
	return 0;
}

/* The cache is derived data: parse the message again. */
static int imap_message_parse(struct imap_message *m, const char **error_r)
{
	struct buf record = BUF_INIT;
	struct mime_part *root;
	int ret;

	if (imap_message_data(m, error_r) < 0)
		return -1;
	root = mime_parse(m->data, m->size, NULL, NULL);
	mime_cache_write(root, m->data, m->size, &record);
	mime_part_free(&root);
	ret = mime_cache_read(record.data, record.len, m->size, &m->cache,
			      error_r);
	buf_free(&record);
	return ret;
}

int imap_message_structure_from(struct imap_message *m, const void *record,
				size_t len, const char **error_r)
{
	const char *error;

	if (m->cache != NULL)
		return 0;
	if (len > 0 && mime_cache_read(record, len, m->rec.size, &m->cache,
				       &error) == 0)
		return 0;
	return imap_message_parse(m, error_r);
}

int imap_message_structure(struct imap_message *m, const char **error_r)
{
	struct buf record = BUF_INIT;
	const char *error, *data;
	size_t len;
	int ret;

	if (m->cache != NULL)
		return 0;
	if (m->window != NULL) {
		if (mbox_cache_window_read(m->mbox, &m->rec, m->window, &data,
					   &len, &error) < 0)
			len = 0;
		return imap_message_structure_from(m, data, len, error_r);
	}
	if (mbox_cache_read(m->mbox, &m->rec, &record, &error) < 0)
		buf_clear(&record);
	ret = imap_message_structure_from(m, record.data, record.len, error_r);
	buf_free(&record);
	return ret;
}

bool imap_message_cached_fields(struct mbox *mbox,
				const struct mbox_record *rec,
				struct mbox_cache_window *w,
				struct mime_cache_fields *fields_r)
{
	const char *data, *error;
	size_t len;

	if (mbox_fields_window_read(mbox, rec, w, &data, &len, &error) == 0 &&
	    len > 0 && mime_cache_is_current(data, len) &&
	    mime_cache_fields_open(data, len, rec->size, fields_r,
				   &error) == 0)
		return true;
	return mbox_cache_window_read(mbox, rec, w, &data, &len, &error) == 0 &&
		len > 0 && mime_cache_fields_open(data, len, rec->size,
						  fields_r, &error) == 0 &&
		fields_r->covered != 0;
}

void imap_message_deinit(struct imap_message *m)
{
	if (m->mapped)
		munmap((void *)m->data, m->size);
	if (m->read_buf != NULL)
		imap_message_buf_give(m->read_buf);
	if (m->fd >= 0)
		close(m->fd);
	mime_cache_free(&m->cache);
	memset(m, 0, sizeof(*m));
	m->fd = -1;
}

static bool imap_message_field_listed(const char *name, size_t len,
				      char *const *fields, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++) {
		if (strlen(fields[i]) == len &&
		    strncasecmp(fields[i], name, len) == 0)
			return true;
	}
	return false;
}

void imap_message_header_fields(const char *data, size_t len,
				char *const *fields, size_t field_count,
				bool not, struct buf *out)
{
	size_t pos = 0;
	bool keep = false;

	/* Line by line: a field starts at a line that does not begin with
	 * white space, and continuation lines go with it. */
	while (pos < len) {
		const char *line = data + pos;
		const char *lf = memchr(line, '\n', len - pos);
		size_t line_len = lf != NULL ? (size_t)(lf - line) + 1 : len - pos;
		size_t text_len = line_len;

		while (text_len > 0 && (line[text_len - 1] == '\n' ||
					line[text_len - 1] == '\r'))
			text_len--;
		if (text_len == 0)
			break;	/* the blank line ending the header */
		if (line[0] != ' ' && line[0] != '\t') {
			const char *colon = memchr(line, ':', text_len);
			size_t name_len = colon != NULL ?
				(size_t)(colon - line) : 0;

			while (name_len > 0 && (line[name_len - 1] == ' ' ||
						line[name_len - 1] == '\t'))
				name_len--;
			keep = colon != NULL &&
				imap_message_field_listed(line, name_len, fields,
							  field_count) != not;
		}
		if (keep) {
			buf_append(out, line, text_len);
			buf_append(out, "\r\n", 2);
		}
		pos += line_len;
	}
	buf_append(out, "\r\n", 2);
}

/* The part a section's numbers name, or NULL. */
static const struct mime_part *imap_message_part(const struct imap_message *m,
						 const struct imap_fetch_body *b)
{
	struct buf num = BUF_INIT;
	const struct mime_part *part;
	size_t i;

	for (i = 0; i < b->part_count; i++)
		buf_printf(&num, "%s%u", i ? "." : "", b->parts[i]);
	part = mime_part_find_section(m->cache->root, buf_cstr(&num));
	buf_free(&num);
	return part;
}

enum imap_section_result
imap_message_section(struct imap_message *m, const struct imap_fetch_body *b,
		     struct buf *owned, const char **data_r, size_t *len_r,
		     const char **error_r)
{
	const struct mime_part *part, *msg;
	size_t off, len;

	if (imap_message_data(m, error_r) < 0 ||
	    imap_message_structure(m, error_r) < 0)
		return IMAP_SECTION_ERROR;
	if (b->part_count == 0 && b->text == IMAP_SECTION_WHOLE) {
		*data_r = m->data;
		*len_r = m->size;
		return IMAP_SECTION_OK;
	}
	part = b->part_count == 0 ? m->cache->root : imap_message_part(m, b);
	if (part == NULL)
		return IMAP_SECTION_NONE;
	/* HEADER and TEXT of a part name the encapsulated message's. */
	msg = part;
	if (b->part_count > 0 && (b->text == IMAP_SECTION_HEADER ||
				  b->text == IMAP_SECTION_HEADER_FIELDS ||
				  b->text == IMAP_SECTION_HEADER_FIELDS_NOT ||
				  b->text == IMAP_SECTION_TEXT)) {
		if (!(part->flags & MIME_PART_MESSAGE) || part->children == NULL)
			return IMAP_SECTION_NONE;
		msg = part->children;
	}
	switch (b->text) {
	case IMAP_SECTION_WHOLE:
		off = part->body_offset;
		len = part->body_size;
		break;
	case IMAP_SECTION_MIME:
		off = part->header_offset;
		len = part->header_size;
		break;
	case IMAP_SECTION_TEXT:
		off = msg->body_offset;
		len = msg->body_size;
		break;
	default:
		off = msg->header_offset;
		len = msg->header_size;
		break;
	}
	if (off > m->size || len > m->size - off)
		return IMAP_SECTION_NONE;
	if (b->text == IMAP_SECTION_HEADER_FIELDS ||
	    b->text == IMAP_SECTION_HEADER_FIELDS_NOT) {
		buf_clear(owned);
		imap_message_header_fields(m->data + off, len, b->fields,
					   b->field_count,
					   b->text == IMAP_SECTION_HEADER_FIELDS_NOT,
					   owned);
		*data_r = owned->data;
		*len_r = owned->len;
		return IMAP_SECTION_OK;
	}
	if (b->kind != IMAP_FETCH_BODY_SECTION && b->part_count > 0 &&
	    !(part->flags & (MIME_PART_MULTIPART | MIME_PART_MESSAGE))) {
		struct mime_decoder dec;

		/* RFC 3516 section 4.2: BINARY decodes the transfer
		 * encoding of a leaf part. */
		if (part->encoding == MIME_ENCODING_UNKNOWN)
			return IMAP_SECTION_UNKNOWN_CTE;
		if (!mime_encoding_is_identity(part->encoding)) {
			buf_clear(owned);
			mime_decoder_init(&dec, part->encoding);
			mime_decoder_feed(&dec, m->data + off, len, owned);
			mime_decoder_finish(&dec, owned);
			*data_r = owned->data != NULL ? owned->data : "";
			*len_r = owned->len;
			return IMAP_SECTION_OK;
		}
	}
	*data_r = m->data + off;
	*len_r = len;
	return IMAP_SECTION_OK;
}
