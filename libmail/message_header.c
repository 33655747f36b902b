#include "message_header.h"
#include "buf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

const struct message_header_limits message_header_default_limits = {
	.max_field_size = 64 * 1024,
	.max_fields = 1000,
	.max_header_size = 1024 * 1024,
};

void message_header_init(struct message_header *hdr,
			 const struct message_header_limits *limits)
{
	memset(hdr, 0, sizeof(*hdr));
	hdr->limits = limits != NULL ? limits : &message_header_default_limits;
}

void message_header_deinit(struct message_header *hdr)
{
	free(hdr->fields);
	hdr->fields = NULL;
	hdr->count = hdr->alloc = 0;
}

static size_t content_len(const char *line, size_t len)
{
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	return len;
}

/* RFC 5322 section 3.6.8: ftext is printable US-ASCII except ':'.  Returns
 * the name length when the line starts a field, else 0; `colon_r` gets the
 * colon's index.  White space between name and colon is obs-syntax
 * (section 4.5.3) and still seen in the wild. */
static size_t field_name_len(const char *line, size_t len, size_t *colon_r)
{
	size_t i = 0, name_len;

	while (i < len && (unsigned char)line[i] > ' ' &&
	       (unsigned char)line[i] < 0x7f && line[i] != ':')
		i++;
	name_len = i;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (name_len == 0 || i >= len || line[i] != ':')
		return 0;
	*colon_r = i;
	return name_len;
}

static void set_value_end(struct message_header *hdr,
			  struct message_header_field *f, const char *end)
{
	size_t len = (size_t)(end - f->value);

	if (len > hdr->limits->max_field_size) {
		len = hdr->limits->max_field_size;
		f->truncated = true;
		hdr->truncated = true;
	}
	f->value_len = len;
}

static void add_field(struct message_header *hdr, const char *line,
		      size_t name_len, size_t colon, size_t clen)
{
	struct message_header_field *f;

	if (hdr->count >= hdr->limits->max_fields ||
	    hdr->size > hdr->limits->max_header_size) {
		hdr->truncated = true;
		hdr->in_field = false;
		return;
	}
	if (hdr->count == hdr->alloc) {
		hdr->alloc = hdr->alloc == 0 ? 16 : hdr->alloc * 2;
		if (hdr->alloc > hdr->limits->max_fields)
			hdr->alloc = hdr->limits->max_fields;
		hdr->fields = xrealloc(hdr->fields,
				       hdr->alloc * sizeof(*hdr->fields));
	}
	f = &hdr->fields[hdr->count++];
	f->name = line;
	f->name_len = name_len;
	f->value = line + colon + 1;
	f->truncated = false;
	set_value_end(hdr, f, line + clen);
	hdr->in_field = true;
}

enum message_header_line
message_header_feed_line(struct message_header *hdr, const char *line,
			 size_t len)
{
	size_t clen = content_len(line, len), name_len, colon = 0;

	if (clen == 0) {
		hdr->size += len;
		hdr->ended = hdr->has_blank_line = true;
		return MESSAGE_HEADER_LINE_END;
	}
	if (line[0] == ' ' || line[0] == '\t') {
		/* A continuation with no field before it (or after one we
		 * did not record) is kept in the header but has no name to
		 * be found by. */
		if (hdr->in_field) {
			struct message_header_field *f =
				&hdr->fields[hdr->count - 1];

			if (!f->truncated)
				set_value_end(hdr, f, line + clen);
		}
		hdr->size += len;
		return MESSAGE_HEADER_LINE_FIELD;
	}
	name_len = field_name_len(line, clen, &colon);
	if (name_len == 0) {
		hdr->ended = true;
		return MESSAGE_HEADER_LINE_BODY;
	}
	add_field(hdr, line, name_len, colon, clen);
	hdr->size += len;
	return MESSAGE_HEADER_LINE_FIELD;
}

size_t message_header_parse(struct message_header *hdr, const char *data,
			    size_t len)
{
	size_t pos = 0;

	while (pos < len) {
		const char *eol = memchr(data + pos, '\n', len - pos);
		size_t line_len = eol != NULL ?
			(size_t)(eol - (data + pos)) + 1 : len - pos;

		if (message_header_feed_line(hdr, data + pos, line_len) ==
		    MESSAGE_HEADER_LINE_BODY)
			break;
		pos += line_len;
		if (hdr->ended)
			break;
	}
	return pos;
}

const struct message_header_field *
message_header_find(const struct message_header *hdr, const char *name)
{
	size_t len = strlen(name);

	for (unsigned int i = 0; i < hdr->count; i++) {
		const struct message_header_field *f = &hdr->fields[i];

		if (f->name_len == len && strncasecmp(f->name, name, len) == 0)
			return f;
	}
	return NULL;
}

void message_header_unfold(const char *value, size_t len, struct buf *out)
{
	size_t start = 0, end = len, run;

	while (start < end && (value[start] == ' ' || value[start] == '\t' ||
			       value[start] == '\r' || value[start] == '\n'))
		start++;
	while (end > start && (value[end - 1] == ' ' ||
			       value[end - 1] == '\t' ||
			       value[end - 1] == '\r' ||
			       value[end - 1] == '\n'))
		end--;
	/* Appending nothing still leaves the terminator, for buf_cstr(). */
	buf_append(out, value + start, 0);
	buf_reserve(out, end - start);
	while (start < end) {
		/* Copy runs between line breaks and NULs in one go. */
		for (run = start; run < end; run++) {
			char c = value[run];

			if (c == '\n' || c == '\0' ||
			    (c == '\r' && run + 1 < end && value[run + 1] == '\n'))
				break;
		}
		buf_append(out, value + start, run - start);
		start = run < end ? run + 1 : run;
	}
}

bool message_header_get(const struct message_header *hdr, const char *name,
			struct buf *out)
{
	const struct message_header_field *f = message_header_find(hdr, name);

	if (f == NULL)
		return false;
	message_header_unfold(f->value, f->value_len, out);
	return true;
}
