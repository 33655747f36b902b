#include "imap_bodystructure.h"
#include "buf.h"
#include "imap_string.h"
#include "mime_part.h"

#include <string.h>

static void write_params(const struct mime_field *field, bool add_charset,
			 struct buf *out)
{
	if (field->param_count == 0 && !add_charset) {
		buf_append_str(out, "NIL");
		return;
	}
	buf_append_char(out, '(');
	for (unsigned int i = 0; i < field->param_count; i++) {
		if (i > 0)
			buf_append_char(out, ' ');
		imap_nstring_append(out, field->params[i].name);
		buf_append_char(out, ' ');
		imap_nstring_append(out, field->params[i].value);
	}
	if (add_charset) {
		if (field->param_count > 0)
			buf_append_char(out, ' ');
		buf_append_str(out, "\"CHARSET\" \"US-ASCII\"");
	}
	buf_append_char(out, ')');
}

static void write_disposition(const struct mime_part_info *info,
			      struct buf *out)
{
	if (info->disposition.type == NULL) {
		buf_append_str(out, "NIL");
		return;
	}
	buf_append_char(out, '(');
	imap_nstring_append(out, info->disposition.type);
	buf_append_char(out, ' ');
	write_params(&info->disposition, false, out);
	buf_append_char(out, ')');
}

static void write_language(const struct mime_part_info *info,
			   struct buf *out)
{
	if (info->language_count == 0) {
		buf_append_str(out, "NIL");
		return;
	}
	if (info->language_count == 1) {
		imap_nstring_append(out, info->languages[0]);
		return;
	}
	buf_append_char(out, '(');
	for (unsigned int i = 0; i < info->language_count; i++) {
		if (i > 0)
			buf_append_char(out, ' ');
		imap_nstring_append(out, info->languages[i]);
	}
	buf_append_char(out, ')');
}

/* body-ext-1part / body-ext-mpart after the first member. */
static void write_ext_tail(const struct mime_part_info *info, struct buf *out)
{
	buf_append_char(out, ' ');
	write_disposition(info, out);
	buf_append_char(out, ' ');
	write_language(info, out);
	buf_append_char(out, ' ');
	imap_nstring_append(out, info->location);
}

static void write_multipart(const struct mime_part *part, bool extended,
			    struct buf *out)
{
	const struct mime_part_info *info = part->info;

	buf_append_char(out, '(');
	for (const struct mime_part *c = part->children; c != NULL; c = c->next)
		imap_bodystructure_write(c, extended, out);
	buf_append_char(out, ' ');
	imap_nstring_append(out, info->content_type.subtype);
	if (extended) {
		buf_append_char(out, ' ');
		write_params(&info->content_type, false, out);
		write_ext_tail(info, out);
	}
	buf_append_char(out, ')');
}

static void write_leaf(const struct mime_part *part, bool extended,
		       struct buf *out)
{
	const struct mime_part_info *info = part->info;
	bool text = (part->flags & MIME_PART_TEXT) != 0;

	buf_append_char(out, '(');
	imap_nstring_append(out, info->content_type.type);
	buf_append_char(out, ' ');
	imap_nstring_append(out, info->content_type.subtype);
	buf_append_char(out, ' ');
	write_params(&info->content_type,
		     text && mime_field_param(&info->content_type,
					      "charset") == NULL, out);
	buf_append_char(out, ' ');
	imap_nstring_append(out, info->id);
	buf_append_char(out, ' ');
	imap_nstring_append(out, info->description);
	buf_append_char(out, ' ');
	imap_nstring_append(out, info->encoding != NULL ?
			    info->encoding : "7BIT");
	buf_printf(out, " %zu", part->body_size);
	if ((part->flags & MIME_PART_MESSAGE) != 0) {
		const struct mime_part *msg = part->children;

		buf_append_char(out, ' ');
		buf_append_str(out, msg->info->envelope);
		buf_append_char(out, ' ');
		imap_bodystructure_write(msg, extended, out);
		buf_printf(out, " %zu", part->body_lines);
	} else if (text) {
		buf_printf(out, " %zu", part->body_lines);
	}
	if (extended) {
		buf_append_char(out, ' ');
		imap_nstring_append(out, info->md5);
		write_ext_tail(info, out);
	}
	buf_append_char(out, ')');
}

void imap_bodystructure_write(const struct mime_part *part, bool extended,
			      struct buf *out)
{
	if ((part->flags & MIME_PART_MULTIPART) != 0)
		write_multipart(part, extended, out);
	else
		write_leaf(part, extended, out);
}
