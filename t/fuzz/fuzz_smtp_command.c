/*
 * libFuzzer entry point for the SMTP/LMTP command parser (and through MAIL
 * and RCPT, the address, parameter and xtext parsers).  The first octet
 * picks the session options and limits, the rest is one command line.
 * Whatever parses is written back, and whatever fails must carry a
 * well-formed reply (smtp_reply_write_status() panics otherwise).
 */
#include "buf.h"
#include "smtp_address.h"
#include "smtp_command.h"
#include "smtp_ext.h"
#include "smtp_limits.h"
#include "smtp_params.h"
#include "smtp_reply.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_limits limits = smtp_limits_default;
	struct smtp_command_opts opts = { false, 0, false };
	struct smtp_command_error error;
	struct smtp_command *cmd;
	struct buf out = BUF_INIT;

	if (size == 0)
		return 0;
	opts.lmtp = (data[0] & 1) != 0;
	opts.smtputf8 = (data[0] & 2) != 0;
	opts.extensions = (data[0] & 4) != 0 ? 0x3ff : 0;
	if ((data[0] & 8) != 0) {
		/* Tight limits reach the length checks with short inputs. */
		limits.local_part = 4;
		limits.domain = 8;
		limits.path = 16;
		limits.params = 2;
		limits.message_size = 1000;
	}
	if (smtp_command_parse((const char *)data + 1, size - 1, &opts,
			       &limits, &cmd, &error) < 0) {
		smtp_reply_write_status(&out, &error.status, true);
		buf_free(&out);
		return 0;
	}
	if (cmd->path != NULL) {
		smtp_address_write_path(&out, cmd->path);
		(void)smtp_address_routing(cmd->path);
	}
	smtp_params_write_mail(&out, &cmd->mail, 0x3ff);
	smtp_params_write_rcpt(&out, &cmd->rcpt, 0x3ff, opts.smtputf8);
	smtp_command_free(&cmd);
	buf_free(&out);
	return 0;
}
