#ifndef SEALPOST_IMAP_CONDSTORE_H
#define SEALPOST_IMAP_CONDSTORE_H

/*
 * CONDSTORE and QRESYNC (RFC 7162) as a session sees them: whether the
 * client has announced it knows of mod-sequences, the VANISHED responses
 * that replace EXPUNGE once QRESYNC is enabled, and the QRESYNC parameter
 * of SELECT and EXAMINE.  The mod-sequences themselves come from the
 * mailbox's change log (mbox.h), which every change already carries.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "imapd/imap_arg.h"

struct imap_client;
struct imap_seqset;

/* A CONDSTORE enabling command (RFC 7162 section 3.1) ran: from now on
 * every untagged FETCH carries MODSEQ.  The first one with a mailbox
 * selected tells its HIGHESTMODSEQ. */
void imap_condstore_enable(struct imap_client *c);
bool imap_condstore_enabled(const struct imap_client *c);
bool imap_qresync_enabled(const struct imap_client *c);

/* " MODSEQ (n)" for an untagged FETCH when CONDSTORE is on; nothing
 * otherwise. */
void imap_condstore_fetch_modseq(const struct imap_client *c, uint64_t modseq,
				 struct buf *out);

/* "* VANISHED uid-set" for expunged UIDs (ascending), the QRESYNC form of
 * EXPUNGE (section 3.2.10.2). */
void imap_qresync_send_vanished(struct imap_client *c, const uint32_t *uids,
				size_t count);

/* "* VANISHED (EARLIER) uid-set": the UIDs of `known` (NULL: every UID
 * below UIDNEXT) expunged since `since`, leaving out those at or below
 * `floor` (known not to be expunged).  Nothing when there are none. */
int imap_qresync_send_earlier(struct imap_client *c, uint64_t since,
			      const struct imap_seqset *known, uint32_t floor,
			      const char **error_r);

/* The SELECT/EXAMINE parameters (RFC 7162 sections 3.1.8 and 3.2.5). */
struct imap_select_params {
	bool condstore;
	bool qresync;
	uint32_t uidvalidity;
	uint64_t modseq;
	struct imap_seqset *known_uids;		/* may be NULL */
	struct imap_seqset *match_seqs;		/* both or neither */
	struct imap_seqset *match_uids;
};

/* Parses the parenthesised list after the mailbox name.  -1 with a fixed
 * *error_r for BAD, which includes QRESYNC before ENABLE QRESYNC. */
int imap_select_params_parse(struct imap_client *c, const struct imap_arg *list,
			     struct imap_select_params *p,
			     const char **error_r);
void imap_select_params_free(struct imap_select_params *p);

/* After SELECT's usual responses: the resynchronisation QRESYNC asked
 * for (VANISHED (EARLIER), then FETCH of what changed). */
void imap_qresync_select(struct imap_client *c,
			 const struct imap_select_params *p);

#endif
