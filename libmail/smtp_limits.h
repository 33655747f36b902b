#ifndef SEALPOST_SMTP_LIMITS_H
#define SEALPOST_SMTP_LIMITS_H

/*
 * The bounds every SMTP/LMTP command parser checks before it copies or
 * allocates anything.  Lengths count octets on the wire; line lengths include
 * the CRLF, as RFC 5321 4.5.3.1 counts them.  A daemon fills one from its
 * settings (or copies smtp_limits_default) and passes it to every parse.
 */

#include <stddef.h>
#include <stdint.h>

struct smtp_limits {
	/* Any command line: 512 (RFC 5321 4.5.3.1.4).  May be raised for
	 * sloppy clients, never lowered below 512. */
	size_t command_line;
	/* MAIL and RCPT lines.  Each extension lets them grow: SIZE by 26
	 * (RFC 1870 7), ENVID/RET by 100+ and ORCPT by 500 (RFC 3461 4.1-4.4),
	 * AUTH= by 500 (RFC 4954 5), BODY and SMTPUTF8 a few more, so 2048. */
	size_t mail_rcpt_line;
	/* AUTH with an initial response: 12288 (RFC 4954 4). */
	size_t auth_line;
	/* A whole path with its angle brackets: 256 (RFC 5321 4.5.3.1.3). */
	size_t path;
	/* Local part and domain: 64 and 255 (RFC 5321 4.5.3.1.1, 4.5.3.1.2). */
	size_t local_part;
	size_t domain;
	/* ESMTP parameters on one MAIL or RCPT.  MAIL knows six (SIZE, BODY,
	 * SMTPUTF8, RET, ENVID, AUTH); anything past a handful is an attack. */
	unsigned int params;
	/* Largest message SIZE= or BDAT chunk the server will consider; 0
	 * means no limit besides 64-bit overflow (RFC 1870 6.1: 552). */
	uint64_t message_size;
};

/* RFC values, 2048 for MAIL/RCPT, 10 parameters, no message size limit. */
extern const struct smtp_limits smtp_limits_default;

/* The longest line (with CRLF) any command may have under `limits`: what the
 * line reader must accept before it hands a line to smtp_command_parse(). */
size_t smtp_limits_line_max(const struct smtp_limits *limits);

#endif
