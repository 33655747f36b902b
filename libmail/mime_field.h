#ifndef SEALPOST_MIME_FIELD_H
#define SEALPOST_MIME_FIELD_H

/*
 * Structured MIME field values: Content-Type (RFC 2045 section 5.1),
 * Content-Disposition (RFC 2183) and Content-Language (RFC 3282), with
 * parameters decoded per RFC 2231 (continuations, charset'lang'value).
 *
 * Parameters keep the spelling of the message, because BODYSTRUCTURE
 * reports them as sent.  RFC 2231 sections are merged into one parameter
 * ("title*0", "title*1*" become "title*" when any section was extended, or
 * "title" when none was), with the extended form kept percent-encoded as
 * "charset'lang'value", as Dovecot reports it and as IMAP clients decode
 * it; mime_field_param_utf8() gives the decoded text.
 *
 * Parsing is lenient in the ways MUAs are: unquoted values may hold
 * tspecials and spaces (up to the next ';'), 8-bit bytes are kept,
 * parameters without '=' are skipped, and the first of two parameters
 * with the same name wins.
 */

#include <stdbool.h>
#include <stddef.h>

struct buf;

/* Parameters kept per field.  Real fields carry fewer than ten. */
#define MIME_FIELD_MAX_PARAMS 64
/* Highest RFC 2231 section number honoured; sections past a gap or past
 * this are ignored, so "name*999999" cannot make us allocate. */
#define MIME_FIELD_MAX_SECTION 99

struct mime_param {
	char *name;
	char *value;
};

struct mime_field {
	/* "text" and "plain" as written, or NULL when the value had no valid
	 * type (RFC 2045 section 5.2: then the caller uses the default).
	 * Dispositions have a type and no subtype. */
	char *type;
	char *subtype;
	struct mime_param *params;
	unsigned int param_count;
};

/* Parses a Content-Type value (unfolded).  Returns 0, or -1 when there is
 * no valid "type/subtype" (then type and subtype are NULL and no
 * parameters are kept, since the RFC says to ignore the whole field).
 * Either way `field_r` must be released with mime_field_deinit(). */
int mime_field_parse_content_type(const char *value, size_t len,
				  struct mime_field *field_r);

/* Parses a Content-Disposition value: a type token and parameters.
 * Returns -1 (with nothing kept) when there is no type. */
int mime_field_parse_disposition(const char *value, size_t len,
				 struct mime_field *field_r);

void mime_field_deinit(struct mime_field *field);

/* The value of parameter `name` (ASCII case-insensitive) exactly as merged,
 * or NULL. */
const char *mime_field_param(const struct mime_field *field,
			     const char *name);

/* Appends the UTF-8 text of parameter `name`: the RFC 2231 extended form
 * ("name*") when present, else the plain value with any RFC 2047 words in
 * it decoded (wrong, but what many MUAs send for file names).  Returns
 * false when neither is present. */
bool mime_field_param_utf8(const struct mime_field *field, const char *name,
			   struct buf *out);

/* Splits a Content-Language value (RFC 3282: a comma-separated list of
 * language tags with CFWS) into `tags_r`, at most `max` of them, each
 * allocated.  Returns the count. */
unsigned int mime_field_parse_language(const char *value, size_t len,
				       char **tags_r, unsigned int max);

#endif
