#ifndef SEALPOST_MIME_CORPUS_H
#define SEALPOST_MIME_CORPUS_H

/*
 * The MIME test corpus in t/data/mime/.  The files are kept with LF line
 * endings so they read well in review; the store holds CRLF, so tests
 * mostly run on the CRLF form and check that the LF form parses to the
 * same structure.  Tests run from the top of the tree, as `make unit` and
 * `prove build/t/unit/...` do.
 */

#include "buf.h"

#include <stdbool.h>
#include <stdio.h>

#define MIME_CORPUS_DIR "t/data/mime/"

/* Each LF not already preceded by CR becomes CRLF. */
static inline void corpus_to_crlf(const char *data, size_t len,
				  struct buf *out)
{
	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
			buf_append_char(out, '\r');
		buf_append_char(out, data[i]);
	}
}

/* Reads a corpus file into `out`, in CRLF form when `crlf`.  Returns 0, or
 * -1 when the file cannot be read. */
static inline int corpus_load(const char *name, bool crlf, struct buf *out)
{
	struct buf path = BUF_INIT, raw = BUF_INIT;
	char chunk[8192];
	size_t n;
	FILE *f;

	buf_printf(&path, "%s%s", MIME_CORPUS_DIR, name);
	f = fopen(buf_cstr(&path), "rb");
	buf_free(&path);
	if (f == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&raw, chunk, n);
	fclose(f);
	buf_clear(out);
	if (crlf)
		corpus_to_crlf(raw.data != NULL ? raw.data : "", raw.len, out);
	else
		buf_append(out, raw.data != NULL ? raw.data : "", raw.len);
	buf_free(&raw);
	return 0;
}

#endif
