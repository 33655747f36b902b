#ifndef SEALPOST_SMTP_COMMAND_H
#define SEALPOST_SMTP_COMMAND_H

/*
 * One SMTP or LMTP command line, parsed and checked (RFC 5321 4.1, RFC 2033,
 * RFC 3030, RFC 4954).  The line reader, a separate module, hands over a
 * complete line without its CRLF; it has already refused bare LF and lines
 * longer than smtp_limits_line_max().  This module then checks the line
 * against the limit of its own verb, validates everything, and hands back a
 * structure the session acts on (OpenSMTPD's split: check, then proceed).
 * Nothing here does I/O, keeps state between lines, or knows the session's
 * state: whether a command is allowed now (503) or at all (502) is the
 * session's business.  Only the parameters of MAIL and RCPT depend on what
 * the server advertised, passed in struct smtp_command_opts.
 *
 * Strict by default, with a short list of accepted client sloppiness:
 *
 *   - Verbs and keywords (FROM:, TO:, LAST, parameter names) in any case;
 *     the RFC allows that.
 *   - Spaces after "MAIL FROM:" / "RCPT TO:" (`MAIL FROM: <a@b>`), which
 *     many clients and scripts send.
 *   - Runs of spaces where one is required, and trailing spaces at the end
 *     of the line.
 *
 * Refused, though some servers accept them: paths without angle brackets
 * (`MAIL FROM:a@b`), a space before the colon (`MAIL FROM :<a@b>`), TABs,
 * EHLO names of more than one word or with non-ASCII octets, and any
 * control character or NUL anywhere in the line (a lone CR or LF inside a
 * line is how command smuggling starts).  EHLO names that are not a valid
 * Domain or address literal (`EHLO my_pc`) are accepted with `helo_valid`
 * false, for policy to judge.
 *
 * Errors and their replies:
 *   500 5.5.2  empty line, control characters, line too long for its verb
 *   500 5.5.6  AUTH line too long (RFC 4954 4)
 *   500 5.5.1  unknown verb (also HELO/EHLO on LMTP, LHLO on SMTP: RFC 2033 4.1)
 *   501 5.5.4  bad or missing arguments, arguments where none are allowed
 *   501 5.5.2  AUTH initial response that is not base64 (RFC 4954 4)
 *   553 5.1.7  MAIL address syntax or length;  553 5.1.3 the same for RCPT
 *   550 5.6.7  non-ASCII MAIL address without SMTPUTF8 (RFC 6531 3.5)
 *   553 5.6.7  non-ASCII RCPT address outside an SMTPUTF8 transaction
 *   552 5.3.4  SIZE= or BDAT size over the limit or over 64 bits
 *   555/501    parameter errors, see smtp_params.h
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smtp_params.h"
#include "smtp_status.h"

struct smtp_address;
struct smtp_limits;

enum smtp_command_verb {
	SMTP_COMMAND_UNKNOWN = 0,
	SMTP_COMMAND_HELO,
	SMTP_COMMAND_EHLO,
	SMTP_COMMAND_LHLO,
	SMTP_COMMAND_MAIL,
	SMTP_COMMAND_RCPT,
	SMTP_COMMAND_DATA,
	SMTP_COMMAND_BDAT,
	SMTP_COMMAND_RSET,
	SMTP_COMMAND_NOOP,
	SMTP_COMMAND_QUIT,
	SMTP_COMMAND_VRFY,
	SMTP_COMMAND_EXPN,
	SMTP_COMMAND_HELP,
	SMTP_COMMAND_STARTTLS,
	SMTP_COMMAND_AUTH,
};

struct smtp_command_opts {
	/* LMTP: LHLO instead of HELO and EHLO (RFC 2033 4.1). */
	bool lmtp;
	/* SMTP_EXT_* bits advertised to this client: 0 after HELO, since
	 * parameters need EHLO (RFC 5321 4.1.1.1). */
	unsigned int extensions;
	/* The transaction's MAIL carried SMTPUTF8, so RCPT addresses and
	 * ORCPT may be UTF-8 (RFC 6531 3.4). */
	bool smtputf8;
};

struct smtp_command {
	enum smtp_command_verb verb;
	/* HELO, EHLO, LHLO: the name as sent (printable ASCII, one word), and
	 * whether it is a Domain or address literal (RFC 5321 4.1.1.1). */
	char *helo;
	bool helo_valid;
	/* MAIL, RCPT: the path and its parameters. */
	struct smtp_address *path;
	struct smtp_mail_params mail;
	struct smtp_rcpt_params rcpt;
	/* BDAT (RFC 3030 2): the chunk size the client claims, checked only
	 * against limits->message_size and 64 bits; the session still counts
	 * the octets that really arrive against its own limits. */
	uint64_t bdat_size;
	bool bdat_last;
	/* NOOP, HELP (optional), VRFY, EXPN (required): the argument as sent,
	 * printable ASCII (UTF-8 for VRFY/EXPN under SMTPUTF8); NULL when
	 * absent. */
	char *arg;
	/* AUTH: the mechanism, uppercased; the initial response, checked to
	 * be base64 but not decoded, "" for "=" and NULL when absent. */
	char *auth_mech;
	char *auth_initial;
};

struct smtp_command_error {
	/* What the line was, when the verb was recognised; the session may
	 * count errors per verb or must skip a BDAT chunk. */
	enum smtp_command_verb verb;
	/* The reply: fixed text that never echoes the client's input. */
	struct smtp_status status;
	/* Static, more precise, for the log only. */
	const char *reason;
};

/*
 * Parses one command line of `len` octets (no CRLF; may hold NULs, which
 * are refused).  On success returns 0 with a new command in *cmd_r (free with
 * smtp_command_free()).  On failure returns -1 with *cmd_r NULL and
 * *error_r filled.
 *
 * A failed BDAT leaves the chunk's octets unread on the wire; when the size
 * could not be parsed nobody knows how many there are, so the session must
 * reply and close the connection rather than guess (RFC 3030 has no way
 * to resynchronise).
 */
int smtp_command_parse(const char *line, size_t len,
		       const struct smtp_command_opts *opts,
		       const struct smtp_limits *limits,
		       struct smtp_command **cmd_r,
		       struct smtp_command_error *error_r);

void smtp_command_free(struct smtp_command **cmd);

/* "MAIL", "EHLO", ...; "UNKNOWN" for SMTP_COMMAND_UNKNOWN. */
const char *smtp_command_verb_name(enum smtp_command_verb verb);

#endif
