#ifndef SEALPOST_CMD_SEARCH_H
#define SEALPOST_CMD_SEARCH_H

/*
 * The ESEARCH answer and the saved result of SEARCH, which SORT's RETURN
 * options (ESORT, RFC 5267) share.
 */

#include <stddef.h>
#include <stdint.h>

struct imap_client;
struct imap_command;
struct imap_selected;

/* Sends "* ESEARCH (TAG ...) [UID] MIN MAX COUNT ALL [MODSEQ]" as
 * `returns` asks; MIN and MAX are the first and last of `res`, ALL keeps
 * its order; MODSEQ only when `modseq` is not 0 (RFC 7162 3.1.5). */
void cmd_search_esearch(struct imap_client *c, const struct imap_command *cmd,
			unsigned int returns, const uint32_t *res, size_t n,
			uint64_t modseq);

/* Saves `res` (UIDs with cmd->uid, else sequence numbers) as "$" (RFC
 * 5182), only its first and last with MIN or MAX alone. */
void cmd_search_save(struct imap_selected *sel, const struct imap_command *cmd,
		     unsigned int returns, const uint32_t *res, size_t n);

#endif
