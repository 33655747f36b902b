#include "smtp_params.h"
#include "buf.h"
#include "smtp_address.h"
#include "smtp_ext.h"
#include "smtp_limits.h"
#include "smtp_status.h"
#include "smtp_utf8.h"
#include "xtext.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct smtp_status smtp_params_unknown = {
	555, "5.5.4", "Unsupported parameter" };
static const struct smtp_status smtp_params_syntax = {
	501, "5.5.4", "Syntax error in parameters" };
static const struct smtp_status smtp_params_bad_value = {
	501, "5.5.4", "Invalid parameter value" };
static const struct smtp_status smtp_params_duplicate = {
	501, "5.5.4", "Duplicate parameter" };
static const struct smtp_status smtp_params_too_many = {
	501, "5.5.4", "Too many parameters" };
static const struct smtp_status smtp_params_too_big = {
	552, "5.3.4", "Message size exceeds fixed maximum message size" };

enum smtp_params_cmd {
	SMTP_PARAMS_MAIL = 1u << 0,
	SMTP_PARAMS_RCPT = 1u << 1,
};

struct smtp_params_ctx {
	unsigned int extensions;
	bool smtputf8;
	const struct smtp_limits *limits;
	struct smtp_mail_params *mail;
	struct smtp_rcpt_params *rcpt;
	const struct smtp_status *status;
	const char *error;
};

/* `value` is NULL when the keyword had no "=". */
typedef int smtp_params_parse_fn(struct smtp_params_ctx *ctx,
				 const char *value, size_t len);

static int smtp_params_fail(struct smtp_params_ctx *ctx,
			    const struct smtp_status *status,
			    const char *error)
{
	ctx->status = status;
	ctx->error = error;
	return -1;
}

/* Value equals `word` (case-insensitive). */
static bool smtp_params_is(const char *value, size_t len, const char *word)
{
	return strlen(word) == len && strncasecmp(value, word, len) == 0;
}

/* RFC 1870 4: size-value = 1*20DIGIT.  Overflow is checked before each
 * step; a value past 64 bits is certainly past any limit we have. */
static int smtp_params_size(struct smtp_params_ctx *ctx, const char *value,
			    size_t len)
{
	uint64_t v = 0;
	size_t i;

	if (value == NULL || len == 0 || len > 20)
		return smtp_params_fail(ctx, &smtp_params_bad_value,
					"bad SIZE value");
	for (i = 0; i < len; i++) {
		unsigned int d = (unsigned int)(value[i] - '0');

		if (value[i] < '0' || value[i] > '9')
			return smtp_params_fail(ctx, &smtp_params_bad_value,
						"bad SIZE value");
		if (v > (UINT64_MAX - d) / 10)
			return smtp_params_fail(ctx, &smtp_params_too_big,
						"SIZE overflows 64 bits");
		v = v * 10 + d;
	}
	if (ctx->limits->message_size != 0 && v > ctx->limits->message_size)
		return smtp_params_fail(ctx, &smtp_params_too_big,
					"SIZE over the message size limit");
	ctx->mail->size_set = true;
	ctx->mail->size = v;
	return 0;
}

/* BODY (RFC 6152 2, RFC 3030 3): each value needs its own extension. */
static int smtp_params_body(struct smtp_params_ctx *ctx, const char *value,
			    size_t len)
{
	enum smtp_params_body body;

	if (value == NULL)
		body = SMTP_PARAMS_BODY_UNSPECIFIED;
	else if (smtp_params_is(value, len, "7BIT"))
		body = SMTP_PARAMS_BODY_7BIT;
	else if (smtp_params_is(value, len, "8BITMIME") &&
		 (ctx->extensions & SMTP_EXT_8BITMIME) != 0)
		body = SMTP_PARAMS_BODY_8BITMIME;
	else if (smtp_params_is(value, len, "BINARYMIME") &&
		 (ctx->extensions & SMTP_EXT_BINARYMIME) != 0 &&
		 (ctx->extensions & SMTP_EXT_CHUNKING) != 0)
		body = SMTP_PARAMS_BODY_BINARYMIME;
	else
		body = SMTP_PARAMS_BODY_UNSPECIFIED;
	if (body == SMTP_PARAMS_BODY_UNSPECIFIED)
		return smtp_params_fail(ctx, &smtp_params_bad_value,
					"bad or unsupported BODY value");
	ctx->mail->body = body;
	return 0;
}

/* RFC 6531 3.4: SMTPUTF8 takes no value. */
static int smtp_params_smtputf8(struct smtp_params_ctx *ctx,
				const char *value, size_t len)
{
	if (value != NULL)
		return smtp_params_fail(ctx, &smtp_params_bad_value,
					"SMTPUTF8 with a value");
	ctx->mail->smtputf8 = true;
	return 0;
}

static int smtp_params_ret(struct smtp_params_ctx *ctx, const char *value,
			   size_t len)
{
	if (value != NULL && smtp_params_is(value, len, "FULL"))
		ctx->mail->ret = SMTP_PARAMS_RET_FULL;
	else if (value != NULL && smtp_params_is(value, len, "HDRS"))
		ctx->mail->ret = SMTP_PARAMS_RET_HDRS;
	else
		return smtp_params_fail(ctx, &smtp_params_bad_value,
					"bad RET value");
	return 0;
}

/* Whether decoded DSN text is printable US-ASCII (RFC 3461 4.2, 4.4): no
 * control characters, so it can never break a DSN or queue record. */
static bool smtp_params_printable(const struct buf *b)
{
	size_t i;

	for (i = 0; i < b->len; i++) {
		if (b->data[i] < 0x20 || b->data[i] > 0x7e)
			return false;
	}
	return b->len > 0;
}

static int smtp_params_envid(struct smtp_params_ctx *ctx, const char *value,
			     size_t len)
{
	struct buf decoded = BUF_INIT;
	const char *error;

	if (value == NULL || xtext_decode(&decoded, value, len, &error) < 0 ||
	    !smtp_params_printable(&decoded) ||
	    decoded.len > SMTP_PARAMS_ENVID_MAX) {
		buf_free(&decoded);
		return smtp_params_fail(ctx, &smtp_params_bad_value,
					"bad ENVID value");
	}
	ctx->mail->envid = buf_steal(&decoded);
	return 0;
}

/* RFC 4954 5: AUTH=<> or the xtext of an addr-spec. */
static int smtp_params_auth(struct smtp_params_ctx *ctx, const char *value,
			    size_t len)
{
	struct buf decoded = BUF_INIT;
	enum smtp_address_error kind;
	const char *error;
	int ret;

	if (value == NULL)
		return smtp_params_fail(ctx, &smtp_params_bad_value,
					"AUTH without a value");
	if (smtp_params_is(value, len, "<>")) {
		ctx->mail->auth_set = true;
		return 0;
	}
	ret = xtext_decode(&decoded, value, len, &error);
	if (ret == 0)
		ret = smtp_address_parse_mailbox(decoded.data, decoded.len, 0,
						 ctx->limits,
						 &ctx->mail->auth, &kind,
						 &error);
	buf_free(&decoded);
	if (ret < 0)
		return smtp_params_fail(ctx, &smtp_params_bad_value,
					"bad AUTH= mailbox");
	ctx->mail->auth_set = true;
	return 0;
}

/* RFC 3461 4.1: "NEVER", or a list of SUCCESS, FAILURE, DELAY. */
static int smtp_params_notify(struct smtp_params_ctx *ctx, const char *value,
			      size_t len)
{
	unsigned int notify = 0, bit;
	size_t i = 0, n;

	if (value == NULL)
		return smtp_params_fail(ctx, &smtp_params_bad_value,
					"NOTIFY without a value");
	while (i <= len) {
		n = 0;
		while (i + n < len && value[i + n] != ',')
			n++;
		if (smtp_params_is(value + i, n, "NEVER"))
			bit = SMTP_PARAMS_NOTIFY_NEVER;
		else if (smtp_params_is(value + i, n, "SUCCESS"))
			bit = SMTP_PARAMS_NOTIFY_SUCCESS;
		else if (smtp_params_is(value + i, n, "FAILURE"))
			bit = SMTP_PARAMS_NOTIFY_FAILURE;
		else if (smtp_params_is(value + i, n, "DELAY"))
			bit = SMTP_PARAMS_NOTIFY_DELAY;
		else
			bit = 0;
		if (bit == 0 || (notify & bit) != 0)
			return smtp_params_fail(ctx, &smtp_params_bad_value,
						"bad NOTIFY value");
		notify |= bit;
		i += n + 1;
	}
	/* NEVER excludes the others (RFC 3461 4.1). */
	if ((notify & SMTP_PARAMS_NOTIFY_NEVER) != 0 &&
	    notify != SMTP_PARAMS_NOTIFY_NEVER)
		return smtp_params_fail(ctx, &smtp_params_bad_value,
					"NOTIFY=NEVER with other values");
	ctx->rcpt->notify = notify;
	return 0;
}

/* RFC 3461 4.2: addr-type ";" xtext, at most 500 characters in all; the
 * "utf-8" type has its own encoding (RFC 6533 3). */
static int smtp_params_orcpt(struct smtp_params_ctx *ctx, const char *value,
			     size_t len)
{
	struct buf type = BUF_INIT, decoded = BUF_INIT;
	const char *semi, *error;
	size_t type_len, i;
	int ret;

	if (value == NULL || len + strlen("ORCPT=") > SMTP_PARAMS_ORCPT_MAX ||
	    (semi = memchr(value, ';', len)) == NULL || semi == value)
		return smtp_params_fail(ctx, &smtp_params_bad_value,
					"bad ORCPT value");
	type_len = (size_t)(semi - value);
	for (i = 0; i < type_len; i++) {
		char c = value[i];

		/* addr-type is an atom; registered types are letters,
		 * digits and hyphens. */
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-')) {
			buf_free(&type);
			return smtp_params_fail(ctx, &smtp_params_bad_value,
						"bad ORCPT address type");
		}
		buf_append_char(&type, c >= 'A' && c <= 'Z' ?
				(char)(c - 'A' + 'a') : c);
	}
	if (strcmp(buf_cstr(&type), "utf-8") == 0) {
		ret = xtext_utf8_addr_decode(&decoded, semi + 1,
					     len - type_len - 1,
					     ctx->smtputf8, &error);
	} else {
		ret = xtext_decode(&decoded, semi + 1, len - type_len - 1,
				   &error);
		if (ret == 0 && !smtp_params_printable(&decoded))
			ret = -1;
	}
	if (ret < 0 || decoded.len == 0) {
		buf_free(&type);
		buf_free(&decoded);
		return smtp_params_fail(ctx, &smtp_params_bad_value,
					"bad ORCPT address");
	}
	ctx->rcpt->orcpt_type = buf_steal(&type);
	ctx->rcpt->orcpt = buf_steal(&decoded);
	return 0;
}

static const struct smtp_params_def {
	const char *keyword;
	unsigned int cmd;		/* SMTP_PARAMS_MAIL/_RCPT */
	unsigned int ext;		/* any of these must be advertised */
	smtp_params_parse_fn *parse;
} smtp_params_defs[] = {
	{ "SIZE", SMTP_PARAMS_MAIL, SMTP_EXT_SIZE, smtp_params_size },
	{ "BODY", SMTP_PARAMS_MAIL, SMTP_EXT_8BITMIME | SMTP_EXT_BINARYMIME,
	  smtp_params_body },
	{ "SMTPUTF8", SMTP_PARAMS_MAIL, SMTP_EXT_SMTPUTF8,
	  smtp_params_smtputf8 },
	{ "RET", SMTP_PARAMS_MAIL, SMTP_EXT_DSN, smtp_params_ret },
	{ "ENVID", SMTP_PARAMS_MAIL, SMTP_EXT_DSN, smtp_params_envid },
	{ "AUTH", SMTP_PARAMS_MAIL, SMTP_EXT_AUTH, smtp_params_auth },
	{ "NOTIFY", SMTP_PARAMS_RCPT, SMTP_EXT_DSN, smtp_params_notify },
	{ "ORCPT", SMTP_PARAMS_RCPT, SMTP_EXT_DSN, smtp_params_orcpt },
};

#define SMTP_PARAMS_DEF_COUNT \
	(sizeof(smtp_params_defs) / sizeof(smtp_params_defs[0]))

/* esmtp-keyword (RFC 5321 4.1.2): (ALPHA / DIGIT) *(ALPHA / DIGIT / "-") */
static bool smtp_params_keyword_ok(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || (c == '-' && i > 0)))
			return false;
	}
	return len > 0;
}

/* esmtp-value (RFC 5321 4.1.2): %d33-60 / %d62-126, plus UTF-8 under
 * SMTPUTF8 (RFC 6531 3.3). */
static bool smtp_params_value_ok(const char *s, size_t len, bool utf8)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x80 && utf8)
			continue;
		if (c < 33 || c > 126 || c == '=')
			return false;
	}
	return len > 0 && (!utf8 || smtp_utf8_valid(s, len));
}

static int smtp_params_parse(struct smtp_params_ctx *ctx, unsigned int cmd,
			     const char *s, size_t len)
{
	unsigned int seen = 0, count = 0;
	size_t i = 0, tok, klen, d;
	const char *eq;

	while (i < len) {
		if (s[i] == ' ') {
			i++;
			continue;
		}
		for (tok = i; i < len && s[i] != ' '; i++)
			;
		if (++count > ctx->limits->params)
			return smtp_params_fail(ctx, &smtp_params_too_many,
						"too many parameters");
		eq = memchr(s + tok, '=', i - tok);
		klen = eq != NULL ? (size_t)(eq - (s + tok)) : i - tok;
		if (!smtp_params_keyword_ok(s + tok, klen))
			return smtp_params_fail(ctx, &smtp_params_syntax,
						"bad parameter keyword");
		if (eq != NULL &&
		    !smtp_params_value_ok(eq + 1, (size_t)(s + i - eq - 1),
					  cmd == SMTP_PARAMS_RCPT &&
					  ctx->smtputf8))
			return smtp_params_fail(ctx, &smtp_params_syntax,
						"bad parameter value");
		for (d = 0; d < SMTP_PARAMS_DEF_COUNT; d++) {
			const struct smtp_params_def *def = &smtp_params_defs[d];

			if ((def->cmd & cmd) != 0 &&
			    (def->ext & ctx->extensions) != 0 &&
			    smtp_params_is(s + tok, klen, def->keyword))
				break;
		}
		if (d == SMTP_PARAMS_DEF_COUNT)
			return smtp_params_fail(ctx, &smtp_params_unknown,
						"unknown parameter");
		if ((seen & (1u << d)) != 0)
			return smtp_params_fail(ctx, &smtp_params_duplicate,
						"duplicate parameter");
		seen |= 1u << d;
		if (smtp_params_defs[d].parse(ctx, eq != NULL ? eq + 1 : NULL,
					      eq != NULL ?
					      (size_t)(s + i - eq - 1) : 0) < 0)
			return -1;
	}
	return 0;
}

int smtp_params_parse_mail(const char *s, size_t len, unsigned int extensions,
			   const struct smtp_limits *limits,
			   struct smtp_mail_params *params_r,
			   struct smtp_status *status_r, const char **error_r)
{
	struct smtp_params_ctx ctx = {
		.extensions = extensions,
		.limits = limits,
		.mail = params_r,
	};

	memset(params_r, 0, sizeof(*params_r));
	if (smtp_params_parse(&ctx, SMTP_PARAMS_MAIL, s, len) < 0) {
		smtp_params_mail_deinit(params_r);
		*status_r = *ctx.status;
		*error_r = ctx.error;
		return -1;
	}
	return 0;
}

int smtp_params_parse_rcpt(const char *s, size_t len, unsigned int extensions,
			   bool smtputf8, const struct smtp_limits *limits,
			   struct smtp_rcpt_params *params_r,
			   struct smtp_status *status_r, const char **error_r)
{
	struct smtp_params_ctx ctx = {
		.extensions = extensions,
		.smtputf8 = smtputf8,
		.limits = limits,
		.rcpt = params_r,
	};

	memset(params_r, 0, sizeof(*params_r));
	if (smtp_params_parse(&ctx, SMTP_PARAMS_RCPT, s, len) < 0) {
		smtp_params_rcpt_deinit(params_r);
		*status_r = *ctx.status;
		*error_r = ctx.error;
		return -1;
	}
	return 0;
}

void smtp_params_mail_deinit(struct smtp_mail_params *params)
{
	free(params->envid);
	smtp_address_free(&params->auth);
	memset(params, 0, sizeof(*params));
}

void smtp_params_rcpt_deinit(struct smtp_rcpt_params *params)
{
	free(params->orcpt_type);
	free(params->orcpt);
	memset(params, 0, sizeof(*params));
}

void smtp_params_write_mail(struct buf *out,
			    const struct smtp_mail_params *params,
			    unsigned int extensions)
{
	static const char *const body_names[] = {
		[SMTP_PARAMS_BODY_7BIT] = "7BIT",
		[SMTP_PARAMS_BODY_8BITMIME] = "8BITMIME",
		[SMTP_PARAMS_BODY_BINARYMIME] = "BINARYMIME",
	};
	struct buf addr = BUF_INIT;

	if (params->size_set && (extensions & SMTP_EXT_SIZE) != 0)
		buf_printf(out, " SIZE=%llu",
			   (unsigned long long)params->size);
	if ((params->body == SMTP_PARAMS_BODY_7BIT ||
	     params->body == SMTP_PARAMS_BODY_8BITMIME) &&
	    (extensions & SMTP_EXT_8BITMIME) != 0)
		buf_printf(out, " BODY=%s", body_names[params->body]);
	else if (params->body == SMTP_PARAMS_BODY_BINARYMIME &&
		 (extensions & SMTP_EXT_BINARYMIME) != 0)
		buf_printf(out, " BODY=%s", body_names[params->body]);
	if (params->smtputf8 && (extensions & SMTP_EXT_SMTPUTF8) != 0)
		buf_append_str(out, " SMTPUTF8");
	if ((extensions & SMTP_EXT_DSN) != 0) {
		if (params->ret != SMTP_PARAMS_RET_UNSPECIFIED)
			buf_append_str(out, params->ret == SMTP_PARAMS_RET_FULL ?
				       " RET=FULL" : " RET=HDRS");
		if (params->envid != NULL) {
			buf_append_str(out, " ENVID=");
			xtext_encode(out, params->envid,
				     strlen(params->envid));
		}
	}
	if (params->auth_set && (extensions & SMTP_EXT_AUTH) != 0) {
		buf_append_str(out, " AUTH=");
		if (params->auth == NULL) {
			buf_append_str(out, "<>");
		} else {
			smtp_address_write(&addr, params->auth);
			xtext_encode(out, addr.data, addr.len);
		}
	}
	buf_free(&addr);
}

void smtp_params_write_rcpt(struct buf *out,
			    const struct smtp_rcpt_params *params,
			    unsigned int extensions, bool smtputf8)
{
	static const struct {
		unsigned int bit;
		const char *name;
	} notify_names[] = {
		{ SMTP_PARAMS_NOTIFY_NEVER, "NEVER" },
		{ SMTP_PARAMS_NOTIFY_SUCCESS, "SUCCESS" },
		{ SMTP_PARAMS_NOTIFY_FAILURE, "FAILURE" },
		{ SMTP_PARAMS_NOTIFY_DELAY, "DELAY" },
	};
	const char *sep = " NOTIFY=";
	size_t i;

	if ((extensions & SMTP_EXT_DSN) == 0)
		return;
	for (i = 0; i < sizeof(notify_names) / sizeof(notify_names[0]); i++) {
		if ((params->notify & notify_names[i].bit) != 0) {
			buf_append_str(out, sep);
			buf_append_str(out, notify_names[i].name);
			sep = ",";
		}
	}
	if (params->orcpt != NULL && params->orcpt_type != NULL) {
		buf_printf(out, " ORCPT=%s;", params->orcpt_type);
		if (strcmp(params->orcpt_type, "utf-8") == 0)
			xtext_utf8_addr_encode(out, params->orcpt,
					       strlen(params->orcpt),
					       smtputf8);
		else
			xtext_encode(out, params->orcpt,
				     strlen(params->orcpt));
	}
}
