#include "mime_part.h"
#include "buf.h"
#include "message_header.h"
#include "rfc822_lex.h"

#include <stdlib.h>
#include <string.h>

/* Content-Language tags kept; RFC 3282 lists rarely hold more than two. */
#define MAX_LANGUAGES 16

static char *get_value(const struct message_header *hdr, const char *name)
{
	struct buf value = BUF_INIT;

	if (!message_header_get(hdr, name, &value))
		return NULL;
	return buf_steal(&value);
}

static void parse_content_type(const struct message_header *hdr,
			       bool digest_child, struct mime_part_info *info)
{
	struct buf value = BUF_INIT;

	/* RFC 2045 section 5.2: no field, or one that cannot be parsed,
	 * means text/plain; charset=us-ascii (message/rfc822 in a digest,
	 * RFC 2046 section 5.1.5).  The charset is added when writing. */
	if (!message_header_get(hdr, "Content-Type", &value) ||
	    mime_field_parse_content_type(buf_cstr(&value), value.len,
					  &info->content_type) < 0) {
		memset(&info->content_type, 0, sizeof(info->content_type));
		if (digest_child)
			mime_part_info_set_type(info, "MESSAGE", "RFC822");
		else
			mime_part_info_set_type(info, "TEXT", "PLAIN");
	}
	buf_free(&value);
}

static char *parse_encoding(const struct message_header *hdr)
{
	struct buf value = BUF_INIT, token = BUF_INIT;
	struct rfc822_lex lx;

	if (!message_header_get(hdr, "Content-Transfer-Encoding", &value))
		return NULL;
	rfc822_lex_init(&lx, buf_cstr(&value), value.len);
	rfc822_lex_skip_cfws(&lx, NULL);
	rfc822_lex_run(&lx, RFC822_TOKEN_SPECIALS, &token);
	buf_free(&value);
	if (token.len == 0) {
		buf_free(&token);
		return NULL;
	}
	return buf_steal(&token);
}

struct mime_part_info *
mime_part_info_parse(const struct message_header *hdr, bool digest_child)
{
	struct mime_part_info *info = xcalloc(1, sizeof(*info));
	struct buf value = BUF_INIT;

	parse_content_type(hdr, digest_child, info);
	info->encoding = parse_encoding(hdr);
	info->id = get_value(hdr, "Content-ID");
	info->description = get_value(hdr, "Content-Description");
	info->md5 = get_value(hdr, "Content-MD5");
	info->location = get_value(hdr, "Content-Location");
	if (message_header_get(hdr, "Content-Disposition", &value) &&
	    mime_field_parse_disposition(buf_cstr(&value), value.len,
					 &info->disposition) < 0)
		memset(&info->disposition, 0, sizeof(info->disposition));
	buf_clear(&value);
	if (message_header_get(hdr, "Content-Language", &value)) {
		info->languages = xcalloc(MAX_LANGUAGES,
					  sizeof(*info->languages));
		info->language_count =
			mime_field_parse_language(buf_cstr(&value), value.len,
						  info->languages,
						  MAX_LANGUAGES);
	}
	buf_free(&value);
	return info;
}

void mime_part_info_set_type(struct mime_part_info *info, const char *type,
			     const char *subtype)
{
	free(info->content_type.type);
	free(info->content_type.subtype);
	info->content_type.type = xstrdup(type);
	info->content_type.subtype = xstrdup(subtype);
}

static size_t str_size(const char *s)
{
	return s != NULL ? strlen(s) : 0;
}

static size_t field_size(const struct mime_field *f)
{
	size_t n = str_size(f->type) + str_size(f->subtype);

	for (unsigned int i = 0; i < f->param_count; i++)
		n += str_size(f->params[i].name) + str_size(f->params[i].value);
	return n;
}

size_t mime_part_info_size(const struct mime_part_info *info)
{
	size_t n = field_size(&info->content_type) +
		field_size(&info->disposition) + str_size(info->encoding) +
		str_size(info->id) + str_size(info->description) +
		str_size(info->md5) + str_size(info->location) +
		str_size(info->envelope);

	for (unsigned int i = 0; i < info->language_count; i++)
		n += str_size(info->languages[i]);
	return n;
}
