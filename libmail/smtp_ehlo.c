#include "smtp_ehlo.h"
#include "buf.h"
#include "smtp_ext.h"
#include "smtp_reply.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* RFC 4422 3.1: mechanism names, 1-20 of A-Z 0-9 - _. */
static bool smtp_ehlo_mech_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > 20)
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return true;
}

static void smtp_ehlo_add_mechs(struct smtp_ehlo *ehlo, const char *s)
{
	size_t len, i;
	char *mech;

	for (;;) {
		while (*s == ' ')
			s++;
		len = strcspn(s, " ");
		if (len == 0)
			return;
		if (smtp_ehlo_mech_ok(s, len) &&
		    ehlo->auth_mech_count < SMTP_EHLO_AUTH_MECHS_MAX) {
			mech = xstrndup(s, len);
			for (i = 0; i < len; i++) {
				if (mech[i] >= 'a' && mech[i] <= 'z')
					mech[i] = (char)(mech[i] - 'a' + 'A');
			}
			if (smtp_ehlo_has_auth(ehlo, mech))
				free(mech);
			else
				ehlo->auth_mechs[ehlo->auth_mech_count++] = mech;
		}
		s += len;
	}
}

/* RFC 1870 4: "SIZE" [SP 1*20DIGIT]. */
static uint64_t smtp_ehlo_size(const char *s)
{
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned int d = (unsigned int)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return UINT64_MAX;
		v = v * 10 + d;
	}
	return *s == '\0' || *s == ' ' ? v : 0;
}

/* ehlo-keyword (RFC 5321 4.1.1.1): (ALPHA / DIGIT) *(ALPHA / DIGIT / "-") */
static size_t smtp_ehlo_keyword_len(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0' && s[i] != ' '; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || (c == '-' && i > 0)))
			return 0;
	}
	return i;
}

static void smtp_ehlo_line(struct smtp_ehlo *ehlo, const char *line)
{
	size_t len;
	unsigned int ext;
	const char *params;

	/* Pre-RFC 2554 servers wrote "AUTH=LOGIN PLAIN". */
	if (strncasecmp(line, "AUTH=", 5) == 0) {
		ehlo->extensions |= SMTP_EXT_AUTH;
		smtp_ehlo_add_mechs(ehlo, line + 5);
		return;
	}
	len = smtp_ehlo_keyword_len(line);
	if (len == 0 || (ext = smtp_ext_lookup(line, len)) == 0)
		return;
	ehlo->extensions |= ext;
	params = line + len;
	while (*params == ' ')
		params++;
	if (ext == SMTP_EXT_SIZE)
		ehlo->size = smtp_ehlo_size(params);
	else if (ext == SMTP_EXT_AUTH)
		smtp_ehlo_add_mechs(ehlo, params);
}

int smtp_ehlo_parse(const struct smtp_reply *reply, struct smtp_ehlo **ehlo_r,
		    const char **error_r)
{
	struct smtp_ehlo *ehlo;
	size_t i;

	if (reply->code != 250 || reply->line_count == 0) {
		*error_r = "EHLO reply is not 250";
		return -1;
	}
	ehlo = xcalloc(1, sizeof(*ehlo));
	ehlo->domain = xstrndup(reply->lines[0],
				strcspn(reply->lines[0], " "));
	for (i = 1; i < reply->line_count; i++)
		smtp_ehlo_line(ehlo, reply->lines[i]);
	*ehlo_r = ehlo;
	return 0;
}

void smtp_ehlo_free(struct smtp_ehlo **ehlo)
{
	size_t i;

	if (*ehlo == NULL)
		return;
	for (i = 0; i < (*ehlo)->auth_mech_count; i++)
		free((*ehlo)->auth_mechs[i]);
	free((*ehlo)->domain);
	free(*ehlo);
	*ehlo = NULL;
}

bool smtp_ehlo_has_auth(const struct smtp_ehlo *ehlo, const char *mech)
{
	size_t i;

	for (i = 0; i < ehlo->auth_mech_count; i++) {
		if (strcasecmp(ehlo->auth_mechs[i], mech) == 0)
			return true;
	}
	return false;
}

int smtp_ehlo_write_reply(struct buf *out, const char *domain,
			  const char *greeting, unsigned int extensions,
			  uint64_t size, const char *auth_mechs,
			  const char **error_r)
{
	struct buf text = BUF_INIT;
	unsigned int bit;
	const char *keyword;
	int ret;

	buf_append_str(&text, domain);
	if (greeting != NULL && *greeting != '\0') {
		buf_append_char(&text, ' ');
		buf_append_str(&text, greeting);
	}
	for (bit = 1; bit != 0; bit <<= 1) {
		if ((extensions & bit) == 0 ||
		    (keyword = smtp_ext_keyword(bit)) == NULL)
			continue;
		if (bit == SMTP_EXT_AUTH &&
		    (auth_mechs == NULL || *auth_mechs == '\0'))
			continue;
		buf_append_char(&text, '\n');
		buf_append_str(&text, keyword);
		if (bit == SMTP_EXT_SIZE && size != 0)
			buf_printf(&text, " %llu", (unsigned long long)size);
		else if (bit == SMTP_EXT_AUTH)
			buf_printf(&text, " %s", auth_mechs);
	}
	ret = smtp_reply_write(out, 250, NULL, buf_cstr(&text), error_r);
	buf_free(&text);
	return ret;
}
