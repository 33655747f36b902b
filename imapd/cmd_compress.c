/* COMPRESS (RFC 4978): DEFLATE on the connection, above TLS. */
#include "imapd/imap_commands.h"
#include "imapd/imap_client.h"
#include "deflate_stream.h"
#include "log.h"

void cmd_compress(struct imap_client *c, const struct imap_command *cmd)
{
	const char *error;

	if (cmd->arg_count != 1 || !imap_arg_atom_equals(&cmd->args[0],
							 "DEFLATE")) {
		imap_client_done_plain(c, "BAD Only COMPRESS DEFLATE is known");
		return;
	}
	/* Section 3: compressing twice gains nothing; say it is on. */
	if (deflate_stream_active(c->stream)) {
		imap_client_done_plain(c, "NO [COMPRESSIONACTIVE] DEFLATE is "
				       "active already");
		return;
	}
	/* The OK is queued before the layer is pushed, so it goes out
	 * uncompressed; everything after it is compressed both ways. */
	imap_client_done_plain(c, "OK DEFLATE active");
	if (c->destroyed || c->closing)
		return;
	if (deflate_stream_start(c->stream, &error) < 0) {
		log_error("compress_failed", "reason=%s", error);
		imap_client_bye(c, "Compression failed");
		return;
	}
	log_info("compress", "compression=%s", "DEFLATE");
	/* The client may send nothing before our OK (section 3), so what
	 * is buffered was read uncompressed and is not a command. */
	imap_client_discard_input(c);
}
