/*
 * libFuzzer entry point for the address parsers: RFC 5322 address lists
 * (From, To, Cc as ENVELOPE sees them) with their RFC 2047 display names,
 * and RFC 5321 paths, mailboxes and domains.  The first input byte picks
 * the SMTP parse flags; an address that parses must write back to a form
 * that parses again to the same form.
 */
#include "buf.h"
#include "log.h"
#include "message_address.h"
#include "rfc2047.h"
#include "smtp_address.h"
#include "smtp_limits.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_rfc5322(const char *s, size_t len)
{
	struct message_address *list = message_address_parse(s, len), *a;
	struct buf name = BUF_INIT;

	for (a = list; a != NULL; a = a->next) {
		if (a->name != NULL) {
			buf_clear(&name);
			rfc2047_decode(a->name, strlen(a->name), &name);
		}
	}
	buf_free(&name);
	message_address_free(&list);
}

static void check_rfc5321(const char *s, size_t len, unsigned int flags)
{
	struct smtp_limits limits = smtp_limits_default;
	enum smtp_address_error kind;
	struct smtp_address *addr, *again;
	struct buf out = BUF_INIT;
	const char *error;
	size_t used, used2;
	char *domain;
	bool literal;

	if (smtp_address_parse_path(s, len, flags, &limits, &addr, &used,
				    &kind, &error) == 0) {
		if (used > len)
			log_panic("path: consumed more than given");
		smtp_address_write_path(&out, addr);
		(void)smtp_address_routing(addr);
		if (smtp_address_parse_path(buf_cstr(&out), out.len, flags,
					    &limits, &again, &used2, &kind,
					    &error) == 0) {
			struct buf out2 = BUF_INIT;

			smtp_address_write_path(&out2, again);
			if (strcmp(buf_cstr(&out), buf_cstr(&out2)) != 0)
				log_panic("path: written form is not stable");
			buf_free(&out2);
			smtp_address_free(&again);
		}
		smtp_address_free(&addr);
	}
	if (smtp_address_parse_mailbox(s, len, flags, &limits, &addr, &kind,
				       &error) == 0)
		smtp_address_free(&addr);
	if (smtp_address_parse_domain(s, len, flags, &limits, &domain,
				      &literal, &kind, &error) == 0)
		free(domain);
	buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size < 1)
		return 0;
	s = xstrndup((const char *)data + 1, size - 1);
	check_rfc5322((const char *)data + 1, size - 1);
	check_rfc5321(s, strlen(s), data[0] & 0x0f);
	free(s);
	return 0;
}
