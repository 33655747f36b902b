#ifndef SEALPOST_SMTP_EHLO_H
#define SEALPOST_SMTP_EHLO_H

/*
 * The EHLO/LHLO reply (RFC 5321 4.1.1.1): what a server offers, read by the
 * relay and LMTP clients, and written by smtpd and lmtpd.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct smtp_reply;

/* At most this many AUTH mechanisms are kept; a server offering more is
 * either broken or hostile, and we want only a few anyway. */
#define SMTP_EHLO_AUTH_MECHS_MAX 32

struct smtp_ehlo {
	/* The first word of the first line: the server's name as it gives
	 * it, for logs only (never trusted). */
	char *domain;
	unsigned int extensions;	/* SMTP_EXT_* */
	/* SIZE's argument (RFC 1870 4); 0 when absent or "no fixed limit";
	 * UINT64_MAX when the number did not fit in 64 bits. */
	uint64_t size;
	/* AUTH mechanisms, uppercased, without duplicates. */
	char *auth_mechs[SMTP_EHLO_AUTH_MECHS_MAX];
	size_t auth_mech_count;
};

/*
 * Reads a parsed EHLO or LHLO reply.  Keywords are case-insensitive;
 * unknown and malformed extension lines are ignored, as a client must
 * (RFC 5321 4.1.1.1).  The obsolete "AUTH=MECH ..." line some old servers
 * send is read as AUTH.  Returns 0 with a new *ehlo_r (free with
 * smtp_ehlo_free()), or -1 with a static *error_r when the reply is not a
 * 250.
 */
int smtp_ehlo_parse(const struct smtp_reply *reply, struct smtp_ehlo **ehlo_r,
		    const char **error_r);

void smtp_ehlo_free(struct smtp_ehlo **ehlo);

/* Whether the server offered the SASL mechanism `mech` (any case). */
bool smtp_ehlo_has_auth(const struct smtp_ehlo *ehlo, const char *mech);

/*
 * Server side: appends the whole 250 reply to EHLO/LHLO: "250-domain
 * greeting", then one line per bit of `extensions` in a fixed order, SIZE
 * with `size` (omitted when 0) and AUTH with `auth_mechs` (a space-separated
 * list; AUTH is left out when it is NULL or empty).  No enhanced codes
 * (RFC 2034 3).  Returns 0, or -1 with a static *error_r if a line would be
 * too long.
 */
int smtp_ehlo_write_reply(struct buf *out, const char *domain,
			  const char *greeting, unsigned int extensions,
			  uint64_t size, const char *auth_mechs,
			  const char **error_r);

#endif
