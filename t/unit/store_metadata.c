/* Entry names of annotations (store_metadata_entry_check). */
#include "store_metadata.h"
#include "tap.h"

#include <string.h>

static const struct {
	const char *in;
	const char *want;	/* NULL: refused */
} cases[] = {
	{ "/private/comment", "/private/comment" },
	{ "/Shared/Comment", "/shared/comment" },
	{ "/PRIVATE/vendor/x/y", "/private/vendor/x/y" },
	{ "/private", NULL },
	{ "/private/", NULL },
	{ "/shared", NULL },
	{ "/other/comment", NULL },
	{ "private/comment", NULL },
	{ "/private//x", NULL },
	{ "/private/x/", NULL },
	{ "/private/a*", NULL },
	{ "/private/a%", NULL },
	{ "/private/\x01", NULL },
	{ "/private/\xc3\xa9", NULL },
	{ "", NULL },
};

int main(void)
{
	char out[STORE_METADATA_ENTRY_MAX + 1], longname[400];
	const char *error;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ret = store_metadata_entry_check(cases[i].in, out, &error);

		if (cases[i].want == NULL) {
			ok(ret < 0, cases[i].in);
		} else {
			ok(ret == 0, cases[i].in);
			is_str(out, cases[i].want, "lower-cased");
		}
	}
	memset(longname, 'a', sizeof(longname));
	memcpy(longname, "/private/", 9);
	longname[STORE_METADATA_ENTRY_MAX] = '\0';
	ok(store_metadata_entry_check(longname, out, &error) == 0, "255 bytes");
	longname[STORE_METADATA_ENTRY_MAX] = 'a';
	longname[STORE_METADATA_ENTRY_MAX + 1] = '\0';
	ok(store_metadata_entry_check(longname, out, &error) < 0, "256 bytes refused");
	return tap_done();
}
