#ifndef SEALPOST_SMTP_ADDRESS_H
#define SEALPOST_SMTP_ADDRESS_H

/*
 * Envelope addresses: the Path, Reverse-path and Mailbox of RFC 5321 4.1.2,
 * with the SMTPUTF8 extensions of RFC 6531 3.3.  Pure parsing; never blocks.
 *
 * What the parser accepts, and what it refuses on purpose:
 *
 *   - Local parts are a Dot-string or a Quoted-string.  Quoted strings are
 *     decoded (quotes and backslashes removed), so `"john"@x` and `john@x`
 *     are the same address.  An empty local part (`""@x`) is refused.
 *   - Domains are dot-separated labels of letters, digits and inner hyphens
 *     (RFC 5321 4.1.2 sub-domain), at most 63 octets per ASCII label
 *     (RFC 1035 2.3.4).  A trailing dot (`x@example.com.`) is refused: it
 *     names the same host, and two spellings of a domain are how relay
 *     checks get fooled.  ASCII letters are lowercased.
 *   - Address literals `[192.0.2.1]` and `[IPv6:2001:db8::1]` are checked
 *     and rewritten in one canonical form (no leading zeros; inet_ntop's
 *     IPv6 form).  General literals (`[tag:...]`) are refused: no other
 *     tag has ever been registered.
 *   - Source routes, `<@a,@b:user@c>`, are accepted and ignored, as RFC 5321
 *     4.1.1.3 and appendix C ask: the address is `user@c`, and
 *     `source_route` is set so policy can log it.  Relay decisions are
 *     taken on `user@c`, so a route through a local domain never makes a
 *     foreign destination look local.
 *   - Non-ASCII octets are refused unless SMTP_ADDRESS_ALLOW_UTF8 is given,
 *     and must then be well-formed UTF-8.  Domains in U-labels are checked
 *     for octet shape only; IDNA mapping is not done here.
 *   - Control characters and NUL are never accepted, quoted or not.
 *
 * Lengths are checked on the octets as sent: local part 64, domain 255,
 * whole path 256 (RFC 5321 4.5.3.1).  The input itself is bounded by the
 * caller's line limit, so the parser's copies are too.
 */

#include <stdbool.h>
#include <stddef.h>

struct buf;
struct smtp_limits;

struct smtp_address {
	/* Decoded local part; "postmaster" for the bare <postmaster>; NULL
	 * for the null path. */
	char *local_part;
	/* Normalised domain or address literal (with its brackets); NULL for
	 * the null path and the bare <postmaster>. */
	char *domain;
	bool null_path;		/* <> */
	bool postmaster;	/* <postmaster> without a domain (RCPT only) */
	bool source_route;	/* a route was given and dropped */
	bool domain_literal;	/* domain is [1.2.3.4] or [IPv6:...] */
	bool utf8;		/* non-ASCII in local part or domain */
};

enum smtp_address_flags {
	SMTP_ADDRESS_ALLOW_NULL = 1u << 0,	  /* <> (MAIL FROM, AUTH=) */
	SMTP_ADDRESS_ALLOW_POSTMASTER = 1u << 1, /* <postmaster> (RCPT TO) */
	SMTP_ADDRESS_ALLOW_UTF8 = 1u << 2,	  /* RFC 6531 addresses */
};

enum smtp_address_error {
	SMTP_ADDRESS_ERROR_SYNTAX = 1,
	SMTP_ADDRESS_ERROR_TOO_LONG,
	/* Valid only with SMTPUTF8: RFC 6531 3.5 wants 553/550 5.6.7. */
	SMTP_ADDRESS_ERROR_UTF8,
};

/* Bits of smtp_address_routing(). */
enum smtp_address_routing {
	SMTP_ADDRESS_ROUTE_SOURCE = 1u << 0,	/* <@a:user@b> */
	SMTP_ADDRESS_ROUTE_AT = 1u << 1,	/* "user@other"@local */
	SMTP_ADDRESS_ROUTE_PERCENT = 1u << 2,	/* user%other@local */
	SMTP_ADDRESS_ROUTE_BANG = 1u << 3,	/* other!user@local */
};

/*
 * Parses a path in angle brackets at the start of `s` (`len` octets).  On
 * success stores a new address in *addr_r (free with smtp_address_free())
 * and the octets used, up to and including ">", in *consumed_r; whatever
 * follows is the caller's.  On failure returns -1 with *kind_r and a static
 * *error_r for the log, and *addr_r NULL.
 */
int smtp_address_parse_path(const char *s, size_t len, unsigned int flags,
			    const struct smtp_limits *limits,
			    struct smtp_address **addr_r, size_t *consumed_r,
			    enum smtp_address_error *kind_r,
			    const char **error_r);

/* The same for a bare Mailbox (`user@domain`, no brackets, no route) that
 * must fill all of `s`; the AUTH= parameter and configuration use it.
 * SMTP_ADDRESS_ALLOW_POSTMASTER accepts a bare "postmaster";
 * SMTP_ADDRESS_ALLOW_NULL is ignored. */
int smtp_address_parse_mailbox(const char *s, size_t len, unsigned int flags,
			       const struct smtp_limits *limits,
			       struct smtp_address **addr_r,
			       enum smtp_address_error *kind_r,
			       const char **error_r);

/*
 * Parses a bare Domain or address literal (the argument of EHLO, a domain
 * in configuration) that must fill all of `s`.  On success stores the
 * normalised form (as in struct smtp_address) in *domain_r, which the
 * caller frees, and whether it was a literal in *literal_r.  On failure
 * returns -1 with *kind_r and a static *error_r.
 */
int smtp_address_parse_domain(const char *s, size_t len, unsigned int flags,
			      const struct smtp_limits *limits,
			      char **domain_r, bool *literal_r,
			      enum smtp_address_error *kind_r,
			      const char **error_r);

void smtp_address_free(struct smtp_address **addr);

struct smtp_address *smtp_address_dup(const struct smtp_address *addr);

/* Appends the canonical `local@domain`: the local part unquoted when it is
 * a Dot-string, otherwise quoted with only `"` and `\` escaped (RFC 5321
 * 4.1.2).  The null path appends nothing. */
void smtp_address_write(struct buf *out, const struct smtp_address *addr);

/* The same inside angle brackets: `<local@domain>`, `<>`. */
void smtp_address_write_path(struct buf *out, const struct smtp_address *addr);

/*
 * Which relay tricks an address carries (SMTP_ADDRESS_ROUTE_* bits): a
 * dropped source route, and "@", "%" or "!" in the decoded local part.  An
 * MX or submission server that does not implement these old routing forms
 * (sealpost does not) should refuse a local part with any of them with
 * 550 5.7.1 rather than guess what a downstream host would make of it.
 */
unsigned int smtp_address_routing(const struct smtp_address *addr);

/* Whether a decoded local part holds routing characters ("@", "%", "!"). */
bool smtp_address_local_part_has_routing(const char *local_part);

/*
 * Splits `user+detail`: finds the first octet of `delimiters` (e.g. "+" or
 * "+-") in `local_part`.  Returns true with the length of the user part in
 * *user_len_r and the text after the delimiter in *detail_r; false when
 * there is no delimiter, or only at the very start (an empty user is never
 * a user).  An empty or NULL `delimiters` never splits.
 */
bool smtp_address_split_detail(const char *local_part, const char *delimiters,
			       size_t *user_len_r, const char **detail_r);

#endif
