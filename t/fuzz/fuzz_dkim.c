/*
 * libFuzzer entry point for DKIM verification and Authentication-Results
 * recognition.  The input is a message, then optionally a NUL and a key
 * record given to every signature that asks for one.  The first octet
 * sets the chunk size the message is fed in, so every split point of the
 * header and body canonicalisation gets tried.  Seeds in
 * corpus/fuzz_dkim: the RFC 8463 example with and without its keys, and
 * the inputs that found bugs.
 */
#include "authres.h"
#include "dkim_verify.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dkim_verify_limits limits = { 4096, 64, 4 };
	const char *msg = (const char *)data + 1, *key = NULL, *nul;
	size_t msg_len, key_len = 0, chunk, pos, i;
	struct dkim_verify *v;

	if (size == 0)
		return 0;
	chunk = (data[0] & 0x7f) + 1;
	msg_len = size - 1;
	nul = memchr(msg, '\0', msg_len);
	if (nul != NULL) {
		key = nul + 1;
		key_len = msg_len - (size_t)(key - msg);
		msg_len = (size_t)(nul - msg);
	}
	(void)authres_field_is_ours(msg, msg_len, "mx.example.org");
	v = dkim_verify_new(&limits);
	for (pos = 0; pos < msg_len; pos += chunk)
		dkim_verify_write(v, msg + pos,
				  msg_len - pos < chunk ? msg_len - pos : chunk);
	dkim_verify_finish(v);
	for (i = 0; i < dkim_verify_count(v); i++) {
		struct dkim_outcome o;

		if (dkim_verify_key_name(v, i) != NULL)
			dkim_verify_set_key(v, i, key != NULL ? DKIM_KEY_FOUND :
					    DKIM_KEY_MISSING, key, key_len, 0);
		dkim_verify_outcome(v, i, &o);
	}
	dkim_verify_free(&v);
	return 0;
}
