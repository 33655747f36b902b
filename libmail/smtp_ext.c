#include "smtp_ext.h"

#include <string.h>
#include <strings.h>

static const struct {
	unsigned int ext;
	const char *keyword;
} smtp_ext_names[] = {
	{ SMTP_EXT_PIPELINING, "PIPELINING" },
	{ SMTP_EXT_SIZE, "SIZE" },
	{ SMTP_EXT_8BITMIME, "8BITMIME" },
	{ SMTP_EXT_BINARYMIME, "BINARYMIME" },
	{ SMTP_EXT_CHUNKING, "CHUNKING" },
	{ SMTP_EXT_DSN, "DSN" },
	{ SMTP_EXT_SMTPUTF8, "SMTPUTF8" },
	{ SMTP_EXT_STARTTLS, "STARTTLS" },
	{ SMTP_EXT_AUTH, "AUTH" },
	{ SMTP_EXT_ENHANCEDSTATUSCODES, "ENHANCEDSTATUSCODES" },
};

#define SMTP_EXT_COUNT (sizeof(smtp_ext_names) / sizeof(smtp_ext_names[0]))

const char *smtp_ext_keyword(unsigned int ext)
{
	size_t i;

	for (i = 0; i < SMTP_EXT_COUNT; i++) {
		if (smtp_ext_names[i].ext == ext)
			return smtp_ext_names[i].keyword;
	}
	return NULL;
}

unsigned int smtp_ext_lookup(const char *keyword, size_t len)
{
	size_t i;

	for (i = 0; i < SMTP_EXT_COUNT; i++) {
		const char *name = smtp_ext_names[i].keyword;

		if (strlen(name) == len && strncasecmp(name, keyword, len) == 0)
			return smtp_ext_names[i].ext;
	}
	return 0;
}
