/*
 * libFuzzer entry point for the mail authentication parsers that read DNS
 * data: SPF records, SPF macro expansion (domain-specs and explanations),
 * DMARC records, and public suffix lists with a lookup in them.  The first
 * octet picks the parser.
 */
#include "buf.h"
#include "dmarc.h"
#include "public_suffix.h"
#include "spf_macro.h"
#include "spf_record.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct spf_ip ip6 = {
		10, { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 },
	};
	const struct spf_macro_env env = {
		"strong-bad@email.example.com", "email.example.com",
		"mx.example.org", &ip6, NULL, 0,
	};
	const char *text = (const char *)data + 1, *error;
	size_t len = size - 1;
	struct spf_record rec;
	struct dmarc_record drec;
	struct public_suffix *psl;
	struct buf out = BUF_INIT;
	char err[200], org[256];

	if (size == 0)
		return 0;
	switch (data[0] % 5) {
	case 0:
		if (spf_record_parse(text, len, &rec, err, sizeof(err)) == 0)
			spf_record_free(&rec);
		break;
	case 1:
		(void)spf_macro_expand(text, len, &env, true, &out, &error);
		break;
	case 2:
		if (memchr(text, '\0', len) == NULL) {
			char *spec = strndup(text, len);

			if (spec != NULL)
				(void)spf_macro_domain(spec, &env, &out, &error);
			free(spec);
		}
		break;
	case 3:
		(void)dmarc_record_parse(text, len, &drec, &error);
		break;
	case 4:
		if (public_suffix_parse(text, len, &psl, &error) == 0) {
			(void)public_suffix_org_domain(psl, "a.b.example.co.uk",
						       org, sizeof(org));
			public_suffix_free(&psl);
		}
		break;
	}
	buf_free(&out);
	return 0;
}
