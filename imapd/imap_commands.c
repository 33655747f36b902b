#include "imapd/imap_commands.h"

#include <string.h>

/* RFC 9051 section 6, with the commands of the extensions we announce. */
static const struct imap_cmd_def imap_cmd_defs[] = {
	{ "CAPABILITY", IMAP_CMD_ANY, cmd_capability },
	{ "NOOP", IMAP_CMD_ANY, cmd_noop },
	{ "LOGOUT", IMAP_CMD_ANY | IMAP_CMD_LEAVES, cmd_logout },
	{ "ID", IMAP_CMD_ANY, cmd_id },
	{ "STARTTLS", IMAP_CMD_NOT_AUTH, cmd_starttls },
	{ "LOGIN", IMAP_CMD_NOT_AUTH, cmd_login },
	{ "AUTHENTICATE", IMAP_CMD_NOT_AUTH, cmd_authenticate },
	{ "ENABLE", IMAP_CMD_AUTH, cmd_enable },
	{ "NAMESPACE", IMAP_CMD_AUTH | IMAP_CMD_SELECTED, cmd_namespace },
	{ "SELECT", IMAP_CMD_AUTH | IMAP_CMD_SELECTED | IMAP_CMD_LEAVES,
	  cmd_select },
	{ "EXAMINE", IMAP_CMD_AUTH | IMAP_CMD_SELECTED | IMAP_CMD_LEAVES,
	  cmd_examine },
	{ "CREATE", IMAP_CMD_AUTH | IMAP_CMD_SELECTED, cmd_create },
	{ "DELETE", IMAP_CMD_AUTH | IMAP_CMD_SELECTED, cmd_delete },
	{ "RENAME", IMAP_CMD_AUTH | IMAP_CMD_SELECTED, cmd_rename },
	{ "SUBSCRIBE", IMAP_CMD_AUTH | IMAP_CMD_SELECTED, cmd_subscribe },
	{ "UNSUBSCRIBE", IMAP_CMD_AUTH | IMAP_CMD_SELECTED, cmd_unsubscribe },
	{ "LIST", IMAP_CMD_AUTH | IMAP_CMD_SELECTED, cmd_list },
	{ "LSUB", IMAP_CMD_AUTH | IMAP_CMD_SELECTED, cmd_lsub },
	{ "STATUS", IMAP_CMD_AUTH | IMAP_CMD_SELECTED, cmd_status },
	{ "APPEND", IMAP_CMD_AUTH | IMAP_CMD_SELECTED, cmd_append },
	{ "IDLE", IMAP_CMD_AUTH | IMAP_CMD_SELECTED, cmd_idle },
	{ "CLOSE", IMAP_CMD_SELECTED, cmd_close },
	{ "UNSELECT", IMAP_CMD_SELECTED | IMAP_CMD_LEAVES, cmd_unselect },
	{ "CHECK", IMAP_CMD_SELECTED, cmd_check },
	{ "EXPUNGE", IMAP_CMD_SELECTED | IMAP_CMD_UID, cmd_expunge },
	{ "SEARCH", IMAP_CMD_SELECTED | IMAP_CMD_UID | IMAP_CMD_NO_EXPUNGE,
	  cmd_search },
	{ "SORT", IMAP_CMD_SELECTED | IMAP_CMD_UID | IMAP_CMD_NO_EXPUNGE,
	  cmd_sort },
	{ "THREAD", IMAP_CMD_SELECTED | IMAP_CMD_UID | IMAP_CMD_NO_EXPUNGE,
	  cmd_thread },
	{ "FETCH", IMAP_CMD_SELECTED | IMAP_CMD_UID | IMAP_CMD_NO_EXPUNGE,
	  cmd_fetch },
	{ "STORE", IMAP_CMD_SELECTED | IMAP_CMD_UID | IMAP_CMD_NO_EXPUNGE,
	  cmd_store },
	{ "COPY", IMAP_CMD_SELECTED | IMAP_CMD_UID, cmd_copy },
	{ "MOVE", IMAP_CMD_SELECTED | IMAP_CMD_UID, cmd_move },
	{ "SETACL", IMAP_CMD_AUTH | IMAP_CMD_SELECTED, cmd_setacl },
	{ "DELETEACL", IMAP_CMD_AUTH | IMAP_CMD_SELECTED, cmd_deleteacl },
	{ "GETACL", IMAP_CMD_AUTH | IMAP_CMD_SELECTED, cmd_getacl },
	{ "LISTRIGHTS", IMAP_CMD_AUTH | IMAP_CMD_SELECTED, cmd_listrights },
	{ "MYRIGHTS", IMAP_CMD_AUTH | IMAP_CMD_SELECTED, cmd_myrights },
	{ "COMPRESS", IMAP_CMD_AUTH | IMAP_CMD_SELECTED, cmd_compress },
	{ "GETQUOTA", IMAP_CMD_AUTH | IMAP_CMD_SELECTED, cmd_getquota },
	{ "GETQUOTAROOT", IMAP_CMD_AUTH | IMAP_CMD_SELECTED, cmd_getquotaroot },
	{ "SETQUOTA", IMAP_CMD_AUTH | IMAP_CMD_SELECTED, cmd_setquota },
	{ "GETMETADATA", IMAP_CMD_AUTH | IMAP_CMD_SELECTED, cmd_getmetadata },
	{ "SETMETADATA", IMAP_CMD_AUTH | IMAP_CMD_SELECTED, cmd_setmetadata },
};

const struct imap_cmd_def *imap_cmd_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(imap_cmd_defs) / sizeof(imap_cmd_defs[0]); i++) {
		if (strcmp(imap_cmd_defs[i].name, name) == 0)
			return &imap_cmd_defs[i];
	}
	return NULL;
}
