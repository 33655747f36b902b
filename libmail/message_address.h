#ifndef SEALPOST_MESSAGE_ADDRESS_H
#define SEALPOST_MESSAGE_ADDRESS_H

/*
 * RFC 5322 address lists (section 3.4, with the obsolete forms of section
 * 4.4): mailboxes, name-addrs, groups, source routes, quoted strings and
 * comments, as IMAP ENVELOPE reports them (RFC 3501 section 7.4.2).
 *
 * The parser never fails.  Garbage between addresses is skipped up to the
 * next comma; what can be made sense of is kept, so one broken address does
 * not hide the others.  The shapes it gives:
 *
 *   - a mailbox: mailbox and domain set, name and route when present.  A
 *     local part is kept as written (quotes included) minus comments and
 *     white space, so mailbox "@" domain is a usable address.  A missing
 *     domain ("To: root") is "", never NULL, since NULL means a group.
 *   - "Name <addr>": the phrase with quotes removed, words joined by one
 *     space, RFC 2047 words left encoded (the IMAP client decodes them).
 *     With no phrase, the last comment is the name ("addr (Name)"), as UW
 *     imapd and Dovecot do.
 *   - a group start: mailbox is the group name, domain NULL; a group end:
 *     mailbox and domain NULL.  An unclosed group is closed at the end.
 */

#include <stdbool.h>
#include <stddef.h>

struct message_address {
	struct message_address *next;
	char *name;		/* display name, or NULL */
	char *route;		/* obs-route as "@a,@b", or NULL */
	char *mailbox;
	char *domain;
};

/* Addresses kept per field; a To with thousands is a mailing list gone
 * wrong, and later addresses are dropped. */
#define MESSAGE_ADDRESS_MAX 10000

/* Parses an unfolded field value into a list (NULL when it holds no
 * address).  Free it with message_address_free(). */
struct message_address *message_address_parse(const char *value, size_t len);

void message_address_free(struct message_address **list);

#endif
