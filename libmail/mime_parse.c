#include "mime_parse.h"
#include "buf.h"
#include "imap_envelope.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

const struct mime_parse_limits mime_parse_default_limits = {
	.header = {
		.max_field_size = 64 * 1024,
		.max_fields = 1000,
		.max_header_size = 1024 * 1024,
	},
	.max_depth = 100,
	.max_parts = 5000,
	.max_info_size = 4 * 1024 * 1024,
};

/* RFC 2046 section 5.1.1 allows 70 characters; a little slack costs
 * nothing and longer ones are not boundaries anyone generates. */
#define MAX_BOUNDARY_LEN 200

/* A part between its first line and its end.  The open parts are always
 * the path from the root to the part being read; only the last can be in
 * its header. */
struct open_part {
	struct mime_part *part;
	struct mime_part **child_tail;
	size_t body_line0;	/* line number where the body starts */
	const char *boundary;	/* while its delimiters are live */
	size_t boundary_len;
	bool digest;		/* multipart/digest: children default to
				   message/rfc822 */
};

struct mime_parser {
	const char *data;
	size_t len;
	const struct mime_parse_limits *limits;
	struct open_part *open;
	unsigned int depth;	/* open parts */
	bool in_header;		/* the last open part is in its header */
	struct message_header hdr;
	size_t line_no;		/* number of the line being looked at */
	size_t prev_line_start;
	unsigned int part_count;
	size_t info_size;
	bool limited;
};

static struct open_part *top(struct mime_parser *mp)
{
	return &mp->open[mp->depth - 1];
}

static bool can_add_part(struct mime_parser *mp)
{
	if (mp->part_count < mp->limits->max_parts &&
	    mp->info_size < mp->limits->max_info_size)
		return true;
	mp->limited = true;
	return false;
}

/* Opens a part whose header starts at `offset`, as the last child of the
 * last open part (or as the root). */
static void open_part(struct mime_parser *mp, size_t offset)
{
	struct mime_part *part = xcalloc(1, sizeof(*part));
	struct open_part *op;

	if (mp->depth > 0) {
		op = top(mp);
		part->parent = op->part;
		*op->child_tail = part;
		op->child_tail = &part->next;
		op->part->child_count++;
	}
	part->header_offset = part->body_offset = offset;
	op = &mp->open[mp->depth++];
	memset(op, 0, sizeof(*op));
	op->part = part;
	op->child_tail = &part->children;
	op->body_line0 = mp->line_no;
	mp->part_count++;
	mp->in_header = true;
	message_header_init(&mp->hdr, &mp->limits->header);
}

static bool type_is(const struct mime_part_info *info, const char *type,
		    const char *subtype)
{
	return strcasecmp(info->content_type.type, type) == 0 &&
		(subtype == NULL ||
		 strcasecmp(info->content_type.subtype, subtype) == 0);
}

/* A structure the parser will not descend into is shown as a leaf of
 * opaque data: a MESSAGE or MULTIPART type with no children would not be
 * valid BODYSTRUCTURE. */
static void decline(struct mime_part_info *info)
{
	mime_part_info_set_type(info, "APPLICATION", "OCTET-STREAM");
}

static void start_multipart(struct mime_parser *mp, struct open_part *op)
{
	struct mime_part_info *info = op->part->info;
	const char *boundary = mime_field_param(&info->content_type,
						"boundary");
	size_t len = boundary != NULL ? strlen(boundary) : 0;

	if (len == 0 || len > MAX_BOUNDARY_LEN) {
		/* Nothing can delimit its parts: it is one text. */
		mime_part_info_set_type(info, "TEXT", "PLAIN");
		return;
	}
	if (mp->depth >= mp->limits->max_depth) {
		mp->limited = true;
		decline(info);
		return;
	}
	op->part->flags |= MIME_PART_MULTIPART;
	op->boundary = boundary;
	op->boundary_len = len;
	op->digest = strcasecmp(info->content_type.subtype, "digest") == 0;
}

static void start_message(struct mime_parser *mp, struct open_part *op)
{
	struct mime_part *part = op->part;

	/* RFC 2045 section 6.4: an encoded message is opaque to us. */
	if (!mime_encoding_is_identity(part->encoding)) {
		decline(part->info);
		return;
	}
	if (mp->depth >= mp->limits->max_depth) {
		mp->limited = true;
		decline(part->info);
		return;
	}
	if (!can_add_part(mp)) {
		decline(part->info);
		return;
	}
	part->flags |= MIME_PART_MESSAGE;
	open_part(mp, part->body_offset);
}

/* The header of the last open part ended; its body starts at
 * `body_offset`, on line `body_line`.  Decides what the part is, and may
 * open the child of a message part. */
static void end_header(struct mime_parser *mp, size_t body_offset,
		       size_t body_line)
{
	struct open_part *op = top(mp);
	struct mime_part *part = op->part;
	struct mime_part_info *info;
	bool digest_child = false, is_message;

	mp->in_header = false;
	part->header_size = body_offset - part->header_offset;
	part->body_offset = body_offset;
	op->body_line0 = body_line;
	is_message = part->parent == NULL ||
		(part->parent->flags & MIME_PART_MESSAGE) != 0;
	if (!is_message && mp->depth >= 2)
		digest_child = mp->open[mp->depth - 2].digest;
	info = part->info = mime_part_info_parse(&mp->hdr, digest_child);
	part->encoding = mime_encoding_parse(info->encoding,
		info->encoding != NULL ? strlen(info->encoding) : 0);
	if (is_message) {
		struct buf env = BUF_INIT;

		imap_envelope_write(&mp->hdr, &env);
		info->envelope = buf_steal(&env);
	}
	message_header_deinit(&mp->hdr);
	mp->info_size += mime_part_info_size(info);

	if (type_is(info, "multipart", NULL))
		start_multipart(mp, op);
	else if (type_is(info, "message", "rfc822") ||
		 type_is(info, "message", "global"))
		start_message(mp, op);
	if (type_is(info, "text", NULL))
		part->flags |= MIME_PART_TEXT;
}

/* Lines started in [body_offset, body_end).  At a boundary, line `line_no`
 * is the boundary line and the line before it may have lost its line
 * ending to the boundary (RFC 2046 section 5.1.1). */
static size_t body_lines(struct mime_parser *mp, const struct open_part *op,
			 size_t body_end, bool at_eof)
{
	size_t n;

	if (body_end <= op->part->body_offset)
		return 0;
	n = mp->line_no - op->body_line0;
	if (!at_eof && mp->prev_line_start >= body_end)
		n--;
	return n;
}

/* Ends the last open part at `end` (a boundary's preceding line break, or
 * the end of the message).  A part still in its header is given its body
 * first, which may open a child, closed in turn by the caller's loop. */
static void close_top(struct mime_parser *mp, size_t end, bool at_eof)
{
	struct open_part *op = top(mp);
	struct mime_part *part = op->part;

	if (mp->in_header) {
		end_header(mp, end > part->header_offset ? end :
			   part->header_offset, mp->line_no);
		if (top(mp) != op)
			return;
		op = top(mp);
	}
	if (end < part->body_offset)
		end = part->body_offset;
	part->body_size = end - part->body_offset;
	part->body_lines = body_lines(mp, op, end, at_eof);
	if ((part->flags & MIME_PART_MULTIPART) != 0 && part->children == NULL) {
		/* Not one boundary line: show its text rather than nothing. */
		part->flags &= ~(unsigned int)MIME_PART_MULTIPART;
		part->flags |= MIME_PART_TEXT;
		mime_part_info_set_type(part->info, "TEXT", "PLAIN");
	}
	mp->depth--;
}

/* Which open multipart's delimiter is this line, if any?  Returns its
 * index in mp->open (innermost first), or -1.  RFC 2046 section 5.1.1:
 * "--" boundary, "--" again for the close delimiter, then optional
 * white space. */
static int match_boundary(struct mime_parser *mp, const char *line,
			  size_t len, bool *close_r)
{
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' ||
			   line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	if (len < 3 || line[0] != '-' || line[1] != '-')
		return -1;
	line += 2;
	len -= 2;
	for (unsigned int i = mp->depth; i-- > 0;) {
		const struct open_part *op = &mp->open[i];
		size_t blen = op->boundary_len;

		if (op->boundary == NULL || (len != blen && len != blen + 2))
			continue;
		if (memcmp(line, op->boundary, blen) != 0)
			continue;
		if (len == blen + 2 && (line[blen] != '-' || line[blen + 1] != '-'))
			continue;
		*close_r = len == blen + 2;
		return (int)i;
	}
	return -1;
}

static void handle_boundary(struct mime_parser *mp, unsigned int owner,
			    bool close, size_t pos, size_t line_end)
{
	const struct mime_part *inner = top(mp)->part;
	size_t end = pos;
	size_t start = mp->in_header ? inner->header_offset : inner->body_offset;

	/* The line break before the delimiter is part of it.  When that
	 * line break also ended the innermost part's header (a blank line
	 * right before the delimiter), it stays in that header, and every
	 * part closed here ends there too, so none ends before its child. */
	if (end > 0 && mp->data[end - 1] == '\n') {
		end--;
		if (end > 0 && mp->data[end - 1] == '\r')
			end--;
	}
	if (end < start)
		end = start;
	while (mp->depth - 1 > owner)
		close_top(mp, end, false);
	if (close) {
		/* What follows is the epilogue; an enclosing boundary or the
		 * end of the message ends it. */
		mp->open[owner].boundary = NULL;
	} else if (can_add_part(mp)) {
		open_part(mp, line_end);
	}
}

static void parse_lines(struct mime_parser *mp)
{
	size_t pos = 0;

	while (pos < mp->len) {
		const char *line = mp->data + pos;
		const char *eol = memchr(line, '\n', mp->len - pos);
		size_t len = eol != NULL ? (size_t)(eol - line) + 1 :
			mp->len - pos;
		bool close = false;
		int owner = -1;

		if (len >= 3 && line[0] == '-' && line[1] == '-')
			owner = match_boundary(mp, line, len, &close);
		if (owner >= 0) {
			handle_boundary(mp, (unsigned int)owner, close, pos,
					pos + len);
		} else if (mp->in_header) {
			switch (message_header_feed_line(&mp->hdr, line, len)) {
			case MESSAGE_HEADER_LINE_FIELD:
				break;
			case MESSAGE_HEADER_LINE_END:
				end_header(mp, pos + len, mp->line_no + 1);
				break;
			case MESSAGE_HEADER_LINE_BODY:
				/* The line starts the body: look at it
				 * again as such (it may even be the first
				 * delimiter of the multipart just found). */
				end_header(mp, pos, mp->line_no);
				continue;
			}
		}
		mp->prev_line_start = pos;
		mp->line_no++;
		pos += len;
	}
}

struct mime_part *mime_parse(const char *data, size_t len,
			     const struct mime_parse_limits *limits,
			     bool *limited_r)
{
	struct mime_parser mp;
	struct mime_part *root;

	memset(&mp, 0, sizeof(mp));
	mp.data = data;
	mp.len = len;
	mp.limits = limits != NULL ? limits : &mime_parse_default_limits;
	/* start_multipart() and start_message() keep depth <= max_depth;
	 * the root needs a slot even when max_depth is 0. */
	mp.open = xcalloc((size_t)mp.limits->max_depth + 1, sizeof(*mp.open));
	open_part(&mp, 0);
	root = mp.open[0].part;
	parse_lines(&mp);
	while (mp.depth > 0)
		close_top(&mp, len, true);
	message_header_deinit(&mp.hdr);
	free(mp.open);
	if (limited_r != NULL)
		*limited_r = mp.limited;
	return root;
}
