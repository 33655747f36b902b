/* ID (RFC 2971): the client names itself, we name ourselves. */
#include "imapd/imap_commands.h"
#include "imapd/imap_client.h"
#include "log.h"

#include <string.h>

/* RFC 2971 section 3.3: at most 30 pairs, field names of at most 30
 * octets, values of at most 1024. */
#define CMD_ID_MAX_PAIRS 30
#define CMD_ID_MAX_FIELD 30
#define CMD_ID_MAX_VALUE 1024

static int cmd_id_check(const struct imap_arg *list, size_t count,
			struct buf *summary)
{
	size_t i;

	if (count % 2 != 0 || count / 2 > CMD_ID_MAX_PAIRS)
		return -1;
	for (i = 0; i < count; i += 2) {
		const char *field, *value;
		size_t flen, vlen;

		if (!imap_arg_get_string(&list[i], &field, &flen) ||
		    flen > CMD_ID_MAX_FIELD ||
		    !imap_arg_get_nstring(&list[i + 1], &value, &vlen) ||
		    vlen > CMD_ID_MAX_VALUE)
			return -1;
		if (value != NULL && (strcasecmp(field, "name") == 0 ||
				      strcasecmp(field, "version") == 0)) {
			if (summary->len > 0)
				buf_append_char(summary, ' ');
			buf_append(summary, value, vlen < 64 ? vlen : 64);
		}
	}
	return 0;
}

void cmd_id(struct imap_client *c, const struct imap_command *cmd)
{
	const struct imap_arg *list;
	struct buf summary = BUF_INIT;
	size_t count;

	if (cmd->arg_count != 1 ||
	    (!imap_arg_is_nil(&cmd->args[0]) &&
	     (!imap_arg_get_list(&cmd->args[0], &list, &count) ||
	      cmd_id_check(list, count, &summary) < 0))) {
		buf_free(&summary);
		imap_client_done_plain(c, "BAD Invalid ID arguments");
		return;
	}
	if (summary.len > 0)
		log_info("client_id", "detail=%s", buf_cstr(&summary));
	buf_free(&summary);
	imap_client_send(c, "* ID (\"name\" \"sealpost\" \"vendor\" "
			 "\"sealpost\")");
	imap_client_done(c, "OK ID completed");
}
