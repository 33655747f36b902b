#ifndef SEALPOST_SMTP_EXT_H
#define SEALPOST_SMTP_EXT_H

/*
 * The SMTP service extensions sealpost knows, as bits.  A server passes the
 * set it advertised to the command parser (a parameter of an extension not
 * advertised is refused); a client gets the set a server offered from
 * smtp_ehlo_parse().
 */

#include <stddef.h>

enum smtp_ext {
	SMTP_EXT_PIPELINING = 1u << 0,		/* RFC 2920 */
	SMTP_EXT_SIZE = 1u << 1,		/* RFC 1870 */
	SMTP_EXT_8BITMIME = 1u << 2,		/* RFC 6152 */
	SMTP_EXT_BINARYMIME = 1u << 3,		/* RFC 3030 */
	SMTP_EXT_CHUNKING = 1u << 4,		/* RFC 3030 */
	SMTP_EXT_DSN = 1u << 5,			/* RFC 3461 */
	SMTP_EXT_SMTPUTF8 = 1u << 6,		/* RFC 6531 */
	SMTP_EXT_STARTTLS = 1u << 7,		/* RFC 3207 */
	SMTP_EXT_AUTH = 1u << 8,		/* RFC 4954 */
	SMTP_EXT_ENHANCEDSTATUSCODES = 1u << 9,	/* RFC 2034 */
};

/* The EHLO keyword of one extension bit ("8BITMIME"); NULL for anything
 * that is not exactly one known bit. */
const char *smtp_ext_keyword(unsigned int ext);

/* The bit of an EHLO keyword (case-insensitive, `len` octets); 0 if
 * unknown. */
unsigned int smtp_ext_lookup(const char *keyword, size_t len);

#endif
