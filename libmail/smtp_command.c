#include "smtp_command.h"
#include "buf.h"
#include "smtp_address.h"
#include "smtp_ext.h"
#include "smtp_limits.h"
#include "smtp_utf8.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* RFC 4422 3.1: SASL mechanism names are 1-20 characters. */
#define SMTP_COMMAND_MECH_MAX 20

struct smtp_command_parser {
	const struct smtp_command_opts *opts;
	const struct smtp_limits *limits;
	struct smtp_command *cmd;
	struct smtp_status status;
	const char *reason;
};

typedef int smtp_command_parse_fn(struct smtp_command_parser *cp,
				  const char *args, size_t len);

static const struct smtp_status smtp_command_empty = {
	500, "5.5.2", "Syntax error, empty command" };
static const struct smtp_status smtp_command_bad_chars = {
	500, "5.5.2", "Syntax error, invalid characters in command" };
static const struct smtp_status smtp_command_too_long = {
	500, "5.5.2", "Line too long" };
static const struct smtp_status smtp_command_auth_too_long = {
	500, "5.5.6", "Authentication Exchange line is too long" };
static const struct smtp_status smtp_command_unknown = {
	500, "5.5.1", "Command unrecognized" };
static const struct smtp_status smtp_command_bad_args = {
	501, "5.5.4", "Syntax error in parameters or arguments" };
static const struct smtp_status smtp_command_args_refused = {
	501, "5.5.4", "Syntax error, no parameters allowed" };
static const struct smtp_status smtp_command_mail_syntax = {
	501, "5.5.4", "Syntax: MAIL FROM:<address>" };
static const struct smtp_status smtp_command_rcpt_syntax = {
	501, "5.5.4", "Syntax: RCPT TO:<address>" };
static const struct smtp_status smtp_command_sender_bad = {
	553, "5.1.7", "Sender address syntax error" };
static const struct smtp_status smtp_command_sender_long = {
	553, "5.1.7", "Sender address too long" };
static const struct smtp_status smtp_command_sender_utf8 = {
	550, "5.6.7", "Non-ASCII sender address needs SMTPUTF8" };
static const struct smtp_status smtp_command_rcpt_bad = {
	553, "5.1.3", "Recipient address syntax error" };
static const struct smtp_status smtp_command_rcpt_long = {
	553, "5.1.3", "Recipient address too long" };
static const struct smtp_status smtp_command_rcpt_utf8 = {
	553, "5.6.7", "Non-ASCII recipient address needs SMTPUTF8" };
static const struct smtp_status smtp_command_too_big = {
	552, "5.3.4", "Message size exceeds fixed maximum message size" };
static const struct smtp_status smtp_command_bad_base64 = {
	501, "5.5.2", "Cannot Base64-decode Client responses" };

static int smtp_command_fail(struct smtp_command_parser *cp,
			     const struct smtp_status *status,
			     const char *reason)
{
	cp->status = *status;
	cp->reason = reason;
	return -1;
}

static bool smtp_command_printable(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	}
	return true;
}

static size_t smtp_command_skip_spaces(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && s[i] == ' ')
		i++;
	return i;
}

/* HELO, EHLO, LHLO (RFC 5321 4.1.1.1, RFC 2033 4.1): one word. */
static int smtp_command_helo(struct smtp_command_parser *cp,
			     const char *args, size_t len)
{
	enum smtp_address_error kind;
	const char *error;
	char *domain;
	bool literal;

	if (len == 0)
		return smtp_command_fail(cp, &smtp_command_bad_args,
					 "HELO without a name");
	if (memchr(args, ' ', len) != NULL || !smtp_command_printable(args, len))
		return smtp_command_fail(cp, &smtp_command_bad_args,
					 "HELO name not one ASCII word");
	if (len > cp->limits->domain + 2)
		return smtp_command_fail(cp, &smtp_command_bad_args,
					 "HELO name too long");
	cp->cmd->helo = xstrndup(args, len);
	if (smtp_address_parse_domain(args, len, 0, cp->limits, &domain,
				      &literal, &kind, &error) == 0) {
		cp->cmd->helo_valid = true;
		free(domain);
	}
	return 0;
}

static const struct smtp_status *
smtp_command_address_status(bool mail, enum smtp_address_error kind)
{
	switch (kind) {
	case SMTP_ADDRESS_ERROR_TOO_LONG:
		return mail ? &smtp_command_sender_long :
			&smtp_command_rcpt_long;
	case SMTP_ADDRESS_ERROR_UTF8:
		return mail ? &smtp_command_sender_utf8 :
			&smtp_command_rcpt_utf8;
	case SMTP_ADDRESS_ERROR_SYNTAX:
		break;
	}
	return mail ? &smtp_command_sender_bad : &smtp_command_rcpt_bad;
}

/*
 * MAIL FROM:<path> [params] and RCPT TO:<path> [params] (RFC 5321 4.1.1.2,
 * 4.1.1.3).  `keyword` is "FROM:" or "TO:".
 */
static int smtp_command_path(struct smtp_command_parser *cp, bool mail,
			     const char *args, size_t len,
			     const char **params_r, size_t *params_len_r)
{
	const char *keyword = mail ? "FROM:" : "TO:";
	size_t klen = strlen(keyword), i, used;
	enum smtp_address_error kind;
	unsigned int flags;
	const char *error;

	if (len < klen || strncasecmp(args, keyword, klen) != 0)
		return smtp_command_fail(cp, mail ? &smtp_command_mail_syntax :
					 &smtp_command_rcpt_syntax,
					 "no FROM:/TO:");
	/* Accepted sloppiness: "MAIL FROM: <a@b>". */
	i = klen + smtp_command_skip_spaces(args + klen, len - klen);
	if (i >= len || args[i] != '<')
		return smtp_command_fail(cp, mail ? &smtp_command_mail_syntax :
					 &smtp_command_rcpt_syntax,
					 "path not in angle brackets");
	/* MAIL may be UTF-8 if its own SMTPUTF8 parameter says so, which is
	 * only known after the parameters: checked by the caller. */
	if (mail)
		flags = SMTP_ADDRESS_ALLOW_NULL | SMTP_ADDRESS_ALLOW_UTF8;
	else
		flags = SMTP_ADDRESS_ALLOW_POSTMASTER |
			(cp->opts->smtputf8 ? SMTP_ADDRESS_ALLOW_UTF8 : 0);
	if (smtp_address_parse_path(args + i, len - i, flags, cp->limits,
				    &cp->cmd->path, &used, &kind,
				    &error) < 0)
		return smtp_command_fail(cp,
			smtp_command_address_status(mail, kind), error);
	i += used;
	if (i < len && args[i] != ' ')
		return smtp_command_fail(cp, mail ? &smtp_command_sender_bad :
					 &smtp_command_rcpt_bad,
					 "junk after path");
	i += smtp_command_skip_spaces(args + i, len - i);
	*params_r = args + i;
	*params_len_r = len - i;
	return 0;
}

static int smtp_command_mail(struct smtp_command_parser *cp,
			     const char *args, size_t len)
{
	const char *params;
	size_t params_len;

	if (smtp_command_path(cp, true, args, len, &params, &params_len) < 0)
		return -1;
	if (smtp_params_parse_mail(params, params_len, cp->opts->extensions,
				   cp->limits, &cp->cmd->mail, &cp->status,
				   &cp->reason) < 0)
		return -1;
	if (cp->cmd->path->utf8 && !cp->cmd->mail.smtputf8)
		return smtp_command_fail(cp, &smtp_command_sender_utf8,
					 "non-ASCII sender without SMTPUTF8");
	return 0;
}

static int smtp_command_rcpt(struct smtp_command_parser *cp,
			     const char *args, size_t len)
{
	const char *params;
	size_t params_len;

	if (smtp_command_path(cp, false, args, len, &params, &params_len) < 0)
		return -1;
	return smtp_params_parse_rcpt(params, params_len, cp->opts->extensions,
				      cp->opts->smtputf8, cp->limits,
				      &cp->cmd->rcpt, &cp->status,
				      &cp->reason);
}

/* DATA, RSET, QUIT, STARTTLS: RFC 5321 4.3.2 wants 501 for arguments. */
static int smtp_command_no_args(struct smtp_command_parser *cp,
				const char *args, size_t len)
{
	if (len != 0)
		return smtp_command_fail(cp, &smtp_command_args_refused,
					 "arguments where none are allowed");
	return 0;
}

/* BDAT chunk-size [SP "LAST"] (RFC 3030 2). */
static int smtp_command_bdat(struct smtp_command_parser *cp,
			     const char *args, size_t len)
{
	uint64_t size = 0;
	size_t i = 0;

	while (i < len && args[i] >= '0' && args[i] <= '9') {
		unsigned int d = (unsigned int)(args[i] - '0');

		if (size > (UINT64_MAX - d) / 10)
			return smtp_command_fail(cp, &smtp_command_too_big,
						 "BDAT size overflows 64 bits");
		size = size * 10 + d;
		i++;
	}
	if (i == 0 || (i < len && args[i] != ' '))
		return smtp_command_fail(cp, &smtp_command_bad_args,
					 "bad BDAT size");
	i += smtp_command_skip_spaces(args + i, len - i);
	if (i < len) {
		if (len - i != 4 || strncasecmp(args + i, "LAST", 4) != 0)
			return smtp_command_fail(cp, &smtp_command_bad_args,
						 "junk after BDAT size");
		cp->cmd->bdat_last = true;
	}
	cp->cmd->bdat_size = size;
	if (cp->limits->message_size != 0 && size > cp->limits->message_size)
		return smtp_command_fail(cp, &smtp_command_too_big,
					 "BDAT size over the message limit");
	return 0;
}

/* NOOP and HELP take an optional String (RFC 5321 4.1.1.9, 4.1.1.8). */
static int smtp_command_optional_arg(struct smtp_command_parser *cp,
				     const char *args, size_t len)
{
	if (len == 0)
		return 0;
	if (!smtp_command_printable(args, len))
		return smtp_command_fail(cp, &smtp_command_bad_args,
					 "non-ASCII argument");
	cp->cmd->arg = xstrndup(args, len);
	return 0;
}

/* VRFY and EXPN need a String (RFC 5321 4.1.1.6, 4.1.1.7); UTF-8 when
 * SMTPUTF8 is advertised (RFC 6531 3.7.4.2). */
static int smtp_command_required_arg(struct smtp_command_parser *cp,
				     const char *args, size_t len)
{
	bool utf8 = (cp->opts->extensions & SMTP_EXT_SMTPUTF8) != 0;
	size_t i;

	if (len == 0)
		return smtp_command_fail(cp, &smtp_command_bad_args,
					 "missing argument");
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)args[i];

		if ((c < 0x20 || c > 0x7e) && !(c >= 0x80 && utf8))
			return smtp_command_fail(cp, &smtp_command_bad_args,
						 "bad characters in argument");
	}
	if (utf8 && !smtp_utf8_valid(args, len))
		return smtp_command_fail(cp, &smtp_command_bad_args,
					 "malformed UTF-8 in argument");
	cp->cmd->arg = xstrndup(args, len);
	return 0;
}

/* RFC 4954 4: only the base64 alphabet, "=" only as final padding. */
static bool smtp_command_base64_ok(const char *s, size_t len)
{
	size_t i, pad = 0;

	if (len == 0 || len % 4 != 0)
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || !((c >= 'A' && c <= 'Z') ||
				 (c >= 'a' && c <= 'z') ||
				 (c >= '0' && c <= '9') || c == '+' || c == '/'))
			return false;
	}
	return pad <= 2;
}

/* AUTH mechanism [initial-response] (RFC 4954 4). */
static int smtp_command_auth(struct smtp_command_parser *cp,
			     const char *args, size_t len)
{
	size_t mech_len = 0, i;
	char *mech;

	while (mech_len < len && args[mech_len] != ' ')
		mech_len++;
	if (mech_len == 0 || mech_len > SMTP_COMMAND_MECH_MAX)
		return smtp_command_fail(cp, &smtp_command_bad_args,
					 "bad SASL mechanism name");
	mech = xstrndup(args, mech_len);
	for (i = 0; i < mech_len; i++) {
		char c = mech[i];

		if (c >= 'a' && c <= 'z')
			mech[i] = (char)(c - 'a' + 'A');
		else if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			   c == '-' || c == '_')) {
			free(mech);
			return smtp_command_fail(cp, &smtp_command_bad_args,
						 "bad SASL mechanism name");
		}
	}
	cp->cmd->auth_mech = mech;
	i = mech_len + smtp_command_skip_spaces(args + mech_len,
						len - mech_len);
	if (i == len)
		return 0;
	if (memchr(args + i, ' ', len - i) != NULL)
		return smtp_command_fail(cp, &smtp_command_bad_args,
					 "junk after initial response");
	if (len - i == 1 && args[i] == '=') {
		cp->cmd->auth_initial = xstrdup("");
		return 0;
	}
	if (!smtp_command_base64_ok(args + i, len - i))
		return smtp_command_fail(cp, &smtp_command_bad_base64,
					 "initial response is not base64");
	cp->cmd->auth_initial = xstrndup(args + i, len - i);
	return 0;
}

enum smtp_command_line_kind {
	SMTP_COMMAND_LINE_PLAIN,
	SMTP_COMMAND_LINE_MAIL_RCPT,
	SMTP_COMMAND_LINE_AUTH,
};

enum smtp_command_proto {
	SMTP_COMMAND_SMTP_ONLY = 1u << 0,
	SMTP_COMMAND_LMTP_ONLY = 1u << 1,
};

static const struct smtp_command_def {
	const char *name;
	enum smtp_command_verb verb;
	enum smtp_command_line_kind line;
	unsigned int proto;
	smtp_command_parse_fn *parse;
} smtp_command_defs[] = {
	{ "HELO", SMTP_COMMAND_HELO, SMTP_COMMAND_LINE_PLAIN,
	  SMTP_COMMAND_SMTP_ONLY, smtp_command_helo },
	{ "EHLO", SMTP_COMMAND_EHLO, SMTP_COMMAND_LINE_PLAIN,
	  SMTP_COMMAND_SMTP_ONLY, smtp_command_helo },
	{ "LHLO", SMTP_COMMAND_LHLO, SMTP_COMMAND_LINE_PLAIN,
	  SMTP_COMMAND_LMTP_ONLY, smtp_command_helo },
	{ "MAIL", SMTP_COMMAND_MAIL, SMTP_COMMAND_LINE_MAIL_RCPT, 0,
	  smtp_command_mail },
	{ "RCPT", SMTP_COMMAND_RCPT, SMTP_COMMAND_LINE_MAIL_RCPT, 0,
	  smtp_command_rcpt },
	{ "DATA", SMTP_COMMAND_DATA, SMTP_COMMAND_LINE_PLAIN, 0,
	  smtp_command_no_args },
	{ "BDAT", SMTP_COMMAND_BDAT, SMTP_COMMAND_LINE_PLAIN, 0,
	  smtp_command_bdat },
	{ "RSET", SMTP_COMMAND_RSET, SMTP_COMMAND_LINE_PLAIN, 0,
	  smtp_command_no_args },
	{ "NOOP", SMTP_COMMAND_NOOP, SMTP_COMMAND_LINE_PLAIN, 0,
	  smtp_command_optional_arg },
	{ "QUIT", SMTP_COMMAND_QUIT, SMTP_COMMAND_LINE_PLAIN, 0,
	  smtp_command_no_args },
	{ "VRFY", SMTP_COMMAND_VRFY, SMTP_COMMAND_LINE_PLAIN, 0,
	  smtp_command_required_arg },
	{ "EXPN", SMTP_COMMAND_EXPN, SMTP_COMMAND_LINE_PLAIN, 0,
	  smtp_command_required_arg },
	{ "HELP", SMTP_COMMAND_HELP, SMTP_COMMAND_LINE_PLAIN, 0,
	  smtp_command_optional_arg },
	{ "STARTTLS", SMTP_COMMAND_STARTTLS, SMTP_COMMAND_LINE_PLAIN, 0,
	  smtp_command_no_args },
	{ "AUTH", SMTP_COMMAND_AUTH, SMTP_COMMAND_LINE_AUTH, 0,
	  smtp_command_auth },
};

#define SMTP_COMMAND_DEF_COUNT \
	(sizeof(smtp_command_defs) / sizeof(smtp_command_defs[0]))

static const struct smtp_command_def *
smtp_command_lookup(const char *verb, size_t len, bool lmtp)
{
	size_t i;

	for (i = 0; i < SMTP_COMMAND_DEF_COUNT; i++) {
		const struct smtp_command_def *def = &smtp_command_defs[i];

		if (strlen(def->name) != len ||
		    strncasecmp(def->name, verb, len) != 0)
			continue;
		if ((def->proto & (lmtp ? SMTP_COMMAND_SMTP_ONLY :
				   SMTP_COMMAND_LMTP_ONLY)) != 0)
			return NULL;
		return def;
	}
	return NULL;
}

static size_t smtp_command_line_limit(const struct smtp_limits *limits,
				      enum smtp_command_line_kind kind)
{
	switch (kind) {
	case SMTP_COMMAND_LINE_MAIL_RCPT:
		return limits->mail_rcpt_line;
	case SMTP_COMMAND_LINE_AUTH:
		return limits->auth_line;
	case SMTP_COMMAND_LINE_PLAIN:
		break;
	}
	return limits->command_line;
}

static int smtp_command_parse_line(struct smtp_command_parser *cp,
				   const char *line, size_t len)
{
	const struct smtp_command_def *def;
	size_t verb_len = 0, line_len = len, limit, i;

	if (len == 0)
		return smtp_command_fail(cp, &smtp_command_empty, "empty line");
	/* Before anything else: a CR, LF or NUL inside a line is never a
	 * client's honest mistake in a command (smuggling, injection). */
	for (i = 0; i < len; i++) {
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			return smtp_command_fail(cp, &smtp_command_bad_chars,
						 "control character in command");
	}
	/* Accepted sloppiness: trailing spaces. */
	while (len > 0 && line[len - 1] == ' ')
		len--;
	if (len == 0)
		return smtp_command_fail(cp, &smtp_command_empty,
					 "blank line");
	while (verb_len < len && line[verb_len] != ' ')
		verb_len++;
	def = smtp_command_lookup(line, verb_len, cp->opts->lmtp);
	if (def == NULL)
		return smtp_command_fail(cp, &smtp_command_unknown,
					 "unknown command");
	cp->cmd->verb = def->verb;
	/* The limits count the CRLF the line reader removed, and the
	 * trailing spaces we just forgave. */
	limit = smtp_command_line_limit(cp->limits, def->line);
	if (limit < 2 || line_len > limit - 2)
		return smtp_command_fail(cp, def->verb == SMTP_COMMAND_AUTH ?
					 &smtp_command_auth_too_long :
					 &smtp_command_too_long,
					 "line too long for its command");
	i = verb_len + smtp_command_skip_spaces(line + verb_len,
						len - verb_len);
	return def->parse(cp, line + i, len - i);
}

int smtp_command_parse(const char *line, size_t len,
		       const struct smtp_command_opts *opts,
		       const struct smtp_limits *limits,
		       struct smtp_command **cmd_r,
		       struct smtp_command_error *error_r)
{
	struct smtp_command_parser cp = {
		.opts = opts,
		.limits = limits,
		.cmd = xcalloc(1, sizeof(struct smtp_command)),
	};

	if (smtp_command_parse_line(&cp, line, len) < 0) {
		error_r->verb = cp.cmd->verb;
		error_r->status = cp.status;
		error_r->reason = cp.reason;
		smtp_command_free(&cp.cmd);
		*cmd_r = NULL;
		return -1;
	}
	*cmd_r = cp.cmd;
	return 0;
}

void smtp_command_free(struct smtp_command **cmd)
{
	struct smtp_command *c = *cmd;

	if (c == NULL)
		return;
	free(c->helo);
	smtp_address_free(&c->path);
	smtp_params_mail_deinit(&c->mail);
	smtp_params_rcpt_deinit(&c->rcpt);
	free(c->arg);
	free(c->auth_mech);
	free(c->auth_initial);
	free(c);
	*cmd = NULL;
}

const char *smtp_command_verb_name(enum smtp_command_verb verb)
{
	size_t i;

	for (i = 0; i < SMTP_COMMAND_DEF_COUNT; i++) {
		if (smtp_command_defs[i].verb == verb)
			return smtp_command_defs[i].name;
	}
	return "UNKNOWN";
}
