/* libFuzzer entry point for the parsers of single strings: sequence sets,
 * dates, date-times and modified UTF-7 mailbox names, with round trips that
 * must hold. */
#include "buf.h"
#include "log.h"
#include "imapd/imap_date.h"
#include "imapd/imap_quote.h"
#include "imapd/imap_seqset.h"
#include "imapd/imap_utf7.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xstrndup((const char *)data, size);
	struct buf a = BUF_INIT, b = BUF_INIT;
	struct imap_seqset *set;
	struct imap_date date;
	const char *error;
	time_t t;
	int tz;

	if (imap_seqset_parse(s, 1000, &set, &error) == 0) {
		struct imap_seqset *again;

		imap_seqset_format(set, &a);
		if (imap_seqset_parse(buf_cstr(&a), 1000, &again, &error) < 0)
			log_panic("seqset: canonical form does not parse");
		imap_seqset_format(again, &b);
		if (strcmp(buf_cstr(&a), buf_cstr(&b)) != 0)
			log_panic("seqset: canonical form is not stable");
		imap_seqset_free(&again);
		imap_seqset_free(&set);
	}
	buf_clear(&a);
	buf_clear(&b);
	if (imap_date_parse(s, &date) == 0)
		imap_date_format(&date, &a);
	if (imap_datetime_parse(s, &t, &tz) == 0) {
		char out[IMAP_DATETIME_SIZE];

		imap_datetime_format(t, tz, out);
	}
	buf_clear(&a);
	if (imap_utf7_to_utf8(s, &a, &error) == 0) {
		if (imap_utf8_to_utf7(buf_cstr(&a), &b, &error) < 0 ||
		    strcmp(buf_cstr(&b), s) != 0)
			log_panic("utf7: round trip differs");
	}
	buf_clear(&a);
	imap_quote_astring(&a, data, size, IMAP_QUOTE_UTF8);
	buf_free(&a);
	buf_free(&b);
	free(s);
	return 0;
}
