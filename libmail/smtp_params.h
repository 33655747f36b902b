#ifndef SEALPOST_SMTP_PARAMS_H
#define SEALPOST_SMTP_PARAMS_H

/*
 * ESMTP parameters of MAIL and RCPT (RFC 5321 4.1.2 Mail-parameters and
 * Rcpt-parameters): parsed and checked on the server side, written back on
 * the client side (relay and LMTP client).  Pure functions; never block.
 *
 * MAIL: SIZE=n (RFC 1870), BODY=7BIT|8BITMIME|BINARYMIME (RFC 6152,
 * RFC 3030), SMTPUTF8 (RFC 6531), RET=FULL|HDRS and ENVID=xtext (RFC 3461),
 * AUTH=xtext|<> (RFC 4954 5).  RCPT: NOTIFY and ORCPT (RFC 3461).
 *
 * Keywords and keyword values are case-insensitive.  Parameters may be
 * separated by more than one space (a harmless sloppiness some clients
 * have).  Each keyword may appear once.  A parameter whose extension the
 * server did not advertise is as unknown as a made-up one.
 *
 * Replies, as RFC 5321 4.1.1.11 and RFC 3461 4.5 ask:
 *   555 5.5.4  unknown or not advertised parameter
 *   501 5.5.4  bad syntax or value, duplicate, too many parameters
 *   552 5.3.4  SIZE larger than the limit or than 64 bits (RFC 1870 6.1)
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct smtp_address;
struct smtp_limits;
struct smtp_status;

enum smtp_params_body {
	SMTP_PARAMS_BODY_UNSPECIFIED = 0,
	SMTP_PARAMS_BODY_7BIT,
	SMTP_PARAMS_BODY_8BITMIME,
	SMTP_PARAMS_BODY_BINARYMIME,
};

enum smtp_params_ret {
	SMTP_PARAMS_RET_UNSPECIFIED = 0,
	SMTP_PARAMS_RET_FULL,
	SMTP_PARAMS_RET_HDRS,
};

/* NOTIFY bits; none set means NOTIFY was not given. */
enum smtp_params_notify {
	SMTP_PARAMS_NOTIFY_NEVER = 1u << 0,
	SMTP_PARAMS_NOTIFY_SUCCESS = 1u << 1,
	SMTP_PARAMS_NOTIFY_FAILURE = 1u << 2,
	SMTP_PARAMS_NOTIFY_DELAY = 1u << 3,
};

/* RFC 3461 4.4 and 4.2. */
#define SMTP_PARAMS_ENVID_MAX 100
#define SMTP_PARAMS_ORCPT_MAX 500

struct smtp_mail_params {
	bool size_set;
	uint64_t size;
	enum smtp_params_body body;
	bool smtputf8;
	enum smtp_params_ret ret;
	/* Decoded ENVID: printable ASCII, at most 100 characters; NULL when
	 * absent. */
	char *envid;
	/* AUTH= was given; `auth` is its mailbox, NULL for AUTH=<>. */
	bool auth_set;
	struct smtp_address *auth;
};

struct smtp_rcpt_params {
	unsigned int notify;	/* SMTP_PARAMS_NOTIFY_* */
	/* ORCPT: the lowercased addr-type ("rfc822", "utf-8", ...) and the
	 * decoded address (printable ASCII, or UTF-8 for "utf-8").  Both NULL
	 * when absent. */
	char *orcpt_type;
	char *orcpt;
};

/*
 * Parses the parameters after MAIL FROM:<path>.  `s` is the text after the
 * space(s) that follow the path (may be empty); `extensions` the
 * SMTP_EXT_* bits the server advertised.  On success fills *params_r
 * (release with smtp_params_mail_deinit()).  On failure returns -1 with the
 * reply in *status_r, a static reason for the log in *error_r, and
 * *params_r empty.
 */
int smtp_params_parse_mail(const char *s, size_t len, unsigned int extensions,
			   const struct smtp_limits *limits,
			   struct smtp_mail_params *params_r,
			   struct smtp_status *status_r, const char **error_r);

/*
 * The same for RCPT.  `smtputf8` says whether the transaction's MAIL
 * carried SMTPUTF8: only then may ORCPT=utf-8; hold raw UTF-8 (RFC 6533 3).
 */
int smtp_params_parse_rcpt(const char *s, size_t len, unsigned int extensions,
			   bool smtputf8, const struct smtp_limits *limits,
			   struct smtp_rcpt_params *params_r,
			   struct smtp_status *status_r, const char **error_r);

void smtp_params_mail_deinit(struct smtp_mail_params *params);
void smtp_params_rcpt_deinit(struct smtp_rcpt_params *params);

/*
 * Client side: appends " KEY=value" for each parameter set in `params` whose
 * extension is in `extensions` (what the server offered), values encoded as
 * the RFCs want.  Parameters the server did not offer are left out; whether
 * that is acceptable (SMTPUTF8 is not: RFC 6531 3.2) is the caller's call,
 * made before sending.
 */
void smtp_params_write_mail(struct buf *out,
			    const struct smtp_mail_params *params,
			    unsigned int extensions);
void smtp_params_write_rcpt(struct buf *out,
			    const struct smtp_rcpt_params *params,
			    unsigned int extensions, bool smtputf8);

#endif
