#include "imapd/imap_mailbox_name.h"
#include "imapd/imap_client.h"
#include "imapd/imap_quote.h"
#include "imapd/imap_utf7.h"

#include <string.h>

static bool imap_mailbox_name_utf8(const struct imap_client *c)
{
	return (c->enabled & (IMAP_ENABLED_UTF8 | IMAP_ENABLED_IMAP4REV2)) != 0;
}

int imap_mailbox_name_in(const struct imap_client *c, const char *name,
			 char out[STORE_MAILBOX_NAME_MAX + 1],
			 const char **error_r)
{
	struct buf utf8 = BUF_INIT;
	const char *store_error;
	int ret;

	if (!imap_mailbox_name_utf8(c)) {
		if (imap_utf7_to_utf8(name, &utf8, error_r) < 0) {
			buf_free(&utf8);
			*error_r = "Invalid modified UTF-7 in mailbox name";
			return -1;
		}
		name = buf_cstr(&utf8);
	}
	ret = store_mailbox_name_check(name, out, &store_error);
	buf_free(&utf8);
	if (ret < 0)
		*error_r = "Invalid mailbox name";
	return ret;
}

void imap_mailbox_name_out(const struct imap_client *c, const char *name,
			   struct buf *out)
{
	struct buf utf7 = BUF_INIT;
	const char *error;

	if (imap_mailbox_name_utf8(c)) {
		imap_quote_astring(out, name, strlen(name), IMAP_QUOTE_UTF8);
		return;
	}
	if (imap_utf8_to_utf7(name, &utf7, &error) < 0) {
		/* The store only holds valid UTF-8; this can't happen. */
		buf_clear(&utf7);
		buf_append_str(&utf7, name);
	}
	imap_quote_astring(out, utf7.data != NULL ? utf7.data : "", utf7.len, 0);
	buf_free(&utf7);
}
