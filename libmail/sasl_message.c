/* SASL client messages, as bytes (see sasl_message.h). */
#include "sasl_message.h"

#include <string.h>

int sasl_field_copy(const void *in, size_t len, char *dst, size_t size)
{
	const unsigned char *p = in;

	if (len >= size || len > SASL_FIELD_MAX || memchr(p, '\0', len) != NULL)
		return -1;
	memcpy(dst, p, len);
	dst[len] = '\0';
	return 0;
}

int sasl_plain_split(const void *in, size_t len, struct sasl_plain *out,
		     const char **error_r)
{
	const unsigned char *p = in, *nul1, *nul2;

	/* The rest after the second NUL is the password; a third NUL in it
	 * is refused by sasl_field_copy(). */
	nul1 = len > 0 ? memchr(p, '\0', len) : NULL;
	nul2 = nul1 == NULL ? NULL :
		memchr(nul1 + 1, '\0', len - (size_t)(nul1 + 1 - p));
	if (nul2 == NULL) {
		*error_r = "malformed PLAIN: fewer than two NULs";
		return -1;
	}
	if (sasl_field_copy(p, (size_t)(nul1 - p), out->authzid,
		       sizeof(out->authzid)) < 0 ||
	    sasl_field_copy(nul1 + 1, (size_t)(nul2 - nul1 - 1), out->authcid,
		       sizeof(out->authcid)) < 0 ||
	    sasl_field_copy(nul2 + 1, len - (size_t)(nul2 + 1 - p), out->passwd,
		       sizeof(out->passwd)) < 0) {
		*error_r = "malformed PLAIN: a field too long or with a NUL";
		return -1;
	}
	return 0;
}

int sasl_gssapi_layer_choice(const void *in, size_t len, char *authzid,
			     size_t size, const char **error_r)
{
	const unsigned char *p = in;

	if (len < 4) {
		*error_r = "layer choice shorter than four octets";
		return -1;
	}
	if (p[0] != SASL_GSSAPI_LAYER_NONE) {
		*error_r = "security layer not offered";
		return -1;
	}
	if (size == 0 || len - 4 >= size || len - 4 > SASL_FIELD_MAX ||
	    memchr(p + 4, '\0', len - 4) != NULL) {
		*error_r = "bad authzid";
		return -1;
	}
	memcpy(authzid, p + 4, len - 4);
	authzid[len - 4] = '\0';
	return 0;
}
