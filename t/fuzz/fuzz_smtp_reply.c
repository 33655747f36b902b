/*
 * libFuzzer entry point for the client-side reply parser and the EHLO reply
 * reader.  The first octet sets the chunk size the input is fed in (so
 * every split point gets tried) and whether the limits are tight; complete
 * 250 replies also go through smtp_ehlo_parse().
 */
#include "buf.h"
#include "smtp_ehlo.h"
#include "smtp_reply.h"
#include "smtp_reply_parser.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_reply_limits limits = smtp_reply_limits_default;
	struct smtp_reply_parser *parser;
	const struct smtp_reply *reply;
	struct smtp_ehlo *ehlo;
	const char *error;
	size_t chunk, pos = 1, n, used;
	int ret;

	if (size == 0)
		return 0;
	chunk = (data[0] & 0x3f) + 1;
	if ((data[0] & 0x40) != 0) {
		limits.line = 16;
		limits.lines = 3;
	}
	parser = smtp_reply_parser_new(&limits);
	while (pos < size) {
		n = size - pos < chunk ? size - pos : chunk;
		ret = smtp_reply_parser_feed(parser, data + pos, n, &used,
					     &reply, &error);
		if (ret < 0)
			break;
		pos += used;
		if (ret == 1 && reply->code == 250 &&
		    smtp_ehlo_parse(reply, &ehlo, &error) == 0)
			smtp_ehlo_free(&ehlo);
	}
	smtp_reply_parser_free(&parser);
	return 0;
}
