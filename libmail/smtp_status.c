#include "smtp_status.h"

#include <string.h>

/* Subject.detail and text; the class does not change the meaning
 * (RFC 3463 3).  Only codes sealpost sends or acts on are listed. */
static const struct {
	const char *code;
	const char *text;
} smtp_status_texts[] = {
	{ "0.0", "Other undefined Status" },
	{ "1.0", "Other address status" },
	{ "1.1", "Bad destination mailbox address" },
	{ "1.2", "Bad destination system address" },
	{ "1.3", "Bad destination mailbox address syntax" },
	{ "1.5", "Destination address valid" },
	{ "1.6", "Destination mailbox has moved, No forwarding address" },
	{ "1.7", "Bad sender's mailbox address syntax" },
	{ "1.8", "Bad sender's system address" },
	{ "1.10", "Recipient address has null MX" },		/* RFC 7505 */
	{ "2.0", "Other or undefined mailbox status" },
	{ "2.1", "Mailbox disabled, not accepting messages" },
	{ "2.2", "Mailbox full" },
	{ "2.3", "Message length exceeds administrative limit" },
	{ "3.0", "Other or undefined mail system status" },
	{ "3.1", "Mail system full" },
	{ "3.2", "System not accepting network messages" },
	{ "3.4", "Message too big for system" },
	{ "3.5", "System incorrectly configured" },
	{ "4.0", "Other or undefined network or routing status" },
	{ "4.1", "No answer from host" },
	{ "4.2", "Bad connection" },
	{ "4.3", "Directory server failure" },
	{ "4.4", "Unable to route" },
	{ "4.5", "Mail system congestion" },
	{ "4.6", "Routing loop detected" },
	{ "4.7", "Delivery time expired" },
	{ "5.0", "Other or undefined protocol status" },
	{ "5.1", "Invalid command" },
	{ "5.2", "Syntax error" },
	{ "5.3", "Too many recipients" },
	{ "5.4", "Invalid command arguments" },
	{ "5.5", "Wrong protocol version" },
	{ "5.6", "Authentication Exchange line is too long" },	/* RFC 4954 */
	{ "6.0", "Other or undefined media error" },
	{ "6.3", "Conversion required but not supported" },
	{ "6.7", "Non-ASCII addresses not permitted for that sender/recipient" },
	{ "7.0", "Other or undefined security status" },
	{ "7.1", "Delivery not authorized, message refused" },
	{ "7.8", "Authentication credentials invalid" },	/* RFC 4954 */
	{ "7.9", "Authentication mechanism is too weak" },	/* RFC 4954 */
	{ "7.11", "Encryption required for requested authentication mechanism" },
};

/* 1-3 digits, no leading zero unless the number is 0 (RFC 3463 2 writes
 * them as numbers, "1*3digit"; a leading zero would give two spellings). */
static size_t smtp_status_number(const char *s, size_t len)
{
	size_t n = 0;

	while (n < len && n < 4 && s[n] >= '0' && s[n] <= '9')
		n++;
	if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
		return 0;
	return n;
}

size_t smtp_status_enhanced_parse(const char *s, size_t len,
				  char out[SMTP_STATUS_ENHANCED_SIZE])
{
	size_t i, n;

	if (len < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') ||
	    s[1] != '.')
		return 0;
	i = 2;
	n = smtp_status_number(s + i, len - i);
	if (n == 0)
		return 0;
	i += n;
	if (i >= len || s[i] != '.')
		return 0;
	i++;
	n = smtp_status_number(s + i, len - i);
	if (n == 0)
		return 0;
	i += n;
	if (i < len && s[i] != ' ')
		return 0;
	if (out != NULL) {
		memcpy(out, s, i);
		out[i] = '\0';
	}
	return i;
}

bool smtp_status_enhanced_matches(unsigned int code, const char *enhanced)
{
	size_t len = strlen(enhanced);

	if (code < 200 || code > 599 || code / 100 == 3)
		return false;
	return smtp_status_enhanced_parse(enhanced, len, NULL) == len &&
		(unsigned int)(enhanced[0] - '0') == code / 100;
}

const char *smtp_status_enhanced_text(const char *enhanced)
{
	size_t len = strlen(enhanced), i;

	if (smtp_status_enhanced_parse(enhanced, len, NULL) != len)
		return NULL;
	for (i = 0; i < sizeof(smtp_status_texts) / sizeof(smtp_status_texts[0]);
	     i++) {
		if (strcmp(enhanced + 2, smtp_status_texts[i].code) == 0)
			return smtp_status_texts[i].text;
	}
	return NULL;
}
