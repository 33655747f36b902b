#ifndef SEALPOST_IMAP_COMMANDS_H
#define SEALPOST_IMAP_COMMANDS_H

/*
 * The command table: each command's name, the states it is valid in, and
 * the function that runs it (one file per command with real logic, named
 * cmd_NAME.c).  A command function answers with imap_client_done() before
 * it returns, or later from the event loop.
 */

#include <stdbool.h>

#include "imapd/imap_client.h"

/* States a command is valid in. */
#define IMAP_CMD_NOT_AUTH	0x01
#define IMAP_CMD_AUTH		0x02
#define IMAP_CMD_SELECTED	0x04
#define IMAP_CMD_ANY		0x07
/* May follow "UID". */
#define IMAP_CMD_UID		0x10
/* RFC 9051 section 7.5.1: no EXPUNGE while answering FETCH, STORE or
 * SEARCH (their UID forms may have them). */
#define IMAP_CMD_NO_EXPUNGE	0x20
/* Leaves the selected mailbox (or the session) without using it, so it
 * runs even when the mailbox was deleted meanwhile. */
#define IMAP_CMD_LEAVES		0x40

typedef void imap_cmd_fn(struct imap_client *c,
			 const struct imap_command *cmd);

struct imap_cmd_def {
	const char *name;
	unsigned int flags;
	imap_cmd_fn *fn;
};

/* The table entry for an upper-case command name, or NULL. */
const struct imap_cmd_def *imap_cmd_find(const char *name);

imap_cmd_fn cmd_capability, cmd_noop, cmd_logout, cmd_id, cmd_enable,
	cmd_namespace, cmd_starttls, cmd_login, cmd_authenticate,
	cmd_select, cmd_examine, cmd_close, cmd_unselect, cmd_check,
	cmd_create, cmd_delete, cmd_rename, cmd_subscribe, cmd_unsubscribe,
	cmd_list, cmd_lsub, cmd_status, cmd_append, cmd_idle, cmd_expunge,
	cmd_search, cmd_fetch, cmd_store, cmd_copy, cmd_move;
/* RFC 4314 (cmd_acl.c). */
imap_cmd_fn cmd_setacl, cmd_deleteacl, cmd_getacl, cmd_listrights,
	cmd_myrights;
imap_cmd_fn cmd_compress;
imap_cmd_fn cmd_getquota, cmd_getquotaroot, cmd_setquota;
imap_cmd_fn cmd_getmetadata, cmd_setmetadata;
/* RFC 5256 */
imap_cmd_fn cmd_sort, cmd_thread;

#endif
