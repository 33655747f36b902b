/* The SASL client messages: PLAIN's split and GSSAPI's layer choice. */
#include "sasl_message.h"
#include "tap.h"

#include <string.h>

static int plain(const char *in, size_t len, struct sasl_plain *out)
{
	const char *error;

	memset(out, 0, sizeof(*out));
	return sasl_plain_split(in, len, out, &error);
}

static void test_plain(void)
{
	struct sasl_plain m;
	char big[600];

	is_int(plain("\0alice\0secret", 13, &m), 0, "PLAIN without authzid");
	is_str(m.authzid, "", "empty authzid");
	is_str(m.authcid, "alice", "authcid");
	is_str(m.passwd, "secret", "passwd");
	is_int(plain("bob\0alice\0pw", 12, &m), 0, "PLAIN with authzid");
	is_str(m.authzid, "bob", "authzid");
	is_int(plain("\0alice\0", 7, &m), 0, "an empty password splits (authd refuses it)");
	is_str(m.passwd, "", "empty");
	is_int(plain("alice\0secret", 12, &m), -1, "one NUL: refused");
	is_int(plain("", 0, &m), -1, "nothing: refused");
	is_int(plain("\0alice\0pw\0extra", 15, &m), -1, "a third NUL: refused");
	memset(big, 'x', sizeof(big));
	big[0] = '\0';
	big[6] = '\0';
	is_int(plain(big, 6 + 1 + SASL_FIELD_MAX, &m), 0, "a 255-octet password");
	is_int(plain(big, 6 + 1 + SASL_FIELD_MAX + 1, &m), -1, "256 octets: refused");
	memset(big, 'y', sizeof(big));
	big[SASL_FIELD_MAX + 1] = '\0';
	big[SASL_FIELD_MAX + 3] = '\0';
	is_int(plain(big, SASL_FIELD_MAX + 6, &m), -1, "a 256-octet authzid: refused");
}

static void test_gssapi(void)
{
	char authzid[32];
	const char *error;

	is_int(sasl_gssapi_layer_choice("\x01\0\0\0", 4, authzid,
					sizeof(authzid), &error), 0,
	       "no layer, no authzid");
	is_str(authzid, "", "empty authzid");
	is_int(sasl_gssapi_layer_choice("\x01\0\0\0" "bob", 7, authzid,
					sizeof(authzid), &error), 0,
	       "no layer, authzid bob");
	is_str(authzid, "bob", "authzid");
	is_int(sasl_gssapi_layer_choice("\x02\0\0\0", 4, authzid,
					sizeof(authzid), &error), -1,
	       "integrity layer: refused");
	is_str(error, "security layer not offered", "reason");
	is_int(sasl_gssapi_layer_choice("\x01\0\0", 3, authzid,
					sizeof(authzid), &error), -1,
	       "short: refused");
	is_int(sasl_gssapi_layer_choice("\x01\0\0\0" "a\0b", 7, authzid,
					sizeof(authzid), &error), -1,
	       "NUL in authzid: refused");
	is_int(sasl_gssapi_layer_choice("\x01\0\0\0" "0123456789012345678901234567890123",
					38, authzid, sizeof(authzid), &error),
	       -1, "authzid longer than the buffer: refused");
}

int main(void)
{
	test_plain();
	test_gssapi();
	return tap_done();
}
