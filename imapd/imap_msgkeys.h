#ifndef SEALPOST_IMAP_MSGKEYS_H
#define SEALPOST_IMAP_MSGKEYS_H

/*
 * What SORT (RFC 5256, RFC 5957) and THREAD compare, read once per message
 * before any comparison: a sort of n messages reads n headers, never one
 * per comparison.  The index gives the arrival date and size; the rest
 * comes from one parse of the message's header: of the header fields the
 * mailbox keeps for SEARCH (its fields file, a quarter of the cache's
 * size or less, instead of a page or more of every message file), or of
 * the file's when they are not all kept.  The cached ENVELOPE would give most
 * fields but not References, and its strings are still RFC 2047 encoded.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct imap_selected;
struct mbox_cache_window;

/* Which keys to read, so SORT (SIZE) needs no file at all. */
#define IMAP_MSGKEYS_HEADER	0x01	/* addresses, subject, sent date */
#define IMAP_MSGKEYS_THREAD	0x02	/* Message-ID, references */

struct imap_msgkeys {
	uint32_t seq;			/* 1-based */
	uint32_t uid;
	int64_t arrival;		/* INTERNALDATE, seconds */
	int64_t sent;			/* RFC 5256 2.2; INTERNALDATE if none */
	uint64_t size;
	/* Never NULL; "" when the field or address is absent. */
	char *from, *to, *cc;		/* addr-mailbox of the first address */
	char *display_from, *display_to; /* RFC 5957 section 3 */
	char *subject;			/* base subject (RFC 5256 2.1) */
	bool subject_is_reply;
	/* The normalised Message-ID (no angle brackets), or NULL. */
	char *message_id;
	/* References (or the first In-Reply-To ID), normalised. */
	char **refs;
	size_t ref_count;
};

/* Fills `keys` for message `i` of the selection (index into sel->msgs).
 * `what` is IMAP_MSGKEYS_*.  The header fields come from what the
 * mailbox keeps of them, read through `window` (mbox_cache_window.h;
 * NULL: from the file), when it keeps every one needed; else from the
 * file.  A message whose file is gone gets empty strings and its
 * INTERNALDATE as sent date.  Never fails. */
void imap_msgkeys_load(const struct imap_selected *sel, size_t i,
		       unsigned int what, struct mbox_cache_window *window,
		       struct imap_msgkeys *keys);

/* Fills the header-derived keys from a header already in memory; the
 * index-derived ones are left alone.  For tests and for _load(). */
void imap_msgkeys_from_header(const char *data, size_t len, unsigned int what,
			      struct imap_msgkeys *keys);

void imap_msgkeys_deinit(struct imap_msgkeys *keys);

struct imap_search;

/* Evaluates `search` over the selection and loads the keys of each match,
 * in sequence order: a new array of *count_r entries, freed with
 * imap_msgkeys_free_array(). */
struct imap_msgkeys *imap_msgkeys_search(const struct imap_selected *sel,
					 const struct imap_search *search,
					 unsigned int what, size_t *count_r);
void imap_msgkeys_free_array(struct imap_msgkeys **keys, size_t count);

/* Finds the next msg-id ("<left@right>") in value[*pos..len), appends its
 * normalised form to `out` (quotes, escapes and white space removed, so
 * <"a b"@x> and <ab@x> are the same ID, RFC 5256 section 3) and moves *pos
 * past it.  Returns false when there is none left. */
bool imap_msgkeys_next_msgid(const char *value, size_t len, size_t *pos,
			     struct buf *out);

/* i;ascii-casemap (RFC 4790 section 9.2): a-z compare as A-Z, otherwise
 * octet by octet; the empty string sorts first. */
int imap_msgkeys_casecmp(const char *a, const char *b);

#endif
