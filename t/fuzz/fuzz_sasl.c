/*
 * libFuzzer entry point for the SASL client messages authd reads: PLAIN's
 * three fields and the GSSAPI layer choice (after unwrapping), then the
 * login name through the realm mapping and the authzid check.  A split
 * that succeeds must give fields that fit and hold no NUL.
 */
#include "auth_name.h"
#include "log.h"
#include "sasl_message.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct auth_realms realms = { "EXAMPLE.ORG", "OTHER.ORG" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sasl_plain m;
	struct auth_name name;
	char authzid[64];
	const char *error, *authz;

	if (sasl_plain_split(data, size, &m, &error) == 0) {
		if (strlen(m.authzid) > SASL_FIELD_MAX ||
		    strlen(m.authcid) > SASL_FIELD_MAX ||
		    strlen(m.passwd) > SASL_FIELD_MAX ||
		    strlen(m.authzid) + strlen(m.authcid) +
		    strlen(m.passwd) + 2 != size)
			log_panic("sasl: PLAIN fields do not add up");
		if (auth_name_from_login(m.authcid, &realms, &name, &error) == 0)
			(void)auth_name_authorize(name.user, m.authzid, "admin",
						  &realms, &authz, &error);
	}
	if (sasl_gssapi_layer_choice(data, size, authzid, sizeof(authzid),
				     &error) == 0 && strlen(authzid) != size - 4)
		log_panic("sasl: GSSAPI authzid length differs");
	return 0;
}
