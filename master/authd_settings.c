#include "authd_settings.h"
#include "auth_proto.h"

#define F(field) offsetof(struct authd_settings, field)

static const struct config_key authd_keys[] = {
	{ "auth_keytab", CONFIG_STRING, "/etc/sealpost/krb5.keytab", 0, 0,
	  F(auth_keytab),
	  "The Kerberos keytab holding the keys of the mail services "
	  "(smtp/HOST, imap/HOST, pop/HOST).  Only authd reads it: it must "
	  "be readable by auth_user and by nobody else.  GSSAPI accepts a "
	  "ticket for any principal in it whose first component is the "
	  "service being logged in to; password checks are verified "
	  "against the same keys.  A relative path is taken from state_dir." },
	{ "auth_krb5_config", CONFIG_STRING, "", 0, 0, F(auth_krb5_config),
	  "A krb5.conf for authd to use instead of the system's (it becomes "
	  "KRB5_CONFIG before any Kerberos call).  Empty means the system "
	  "configuration.  A relative path is taken from state_dir." },
	{ "auth_realm", CONFIG_STRING, "", 0, 0, F(auth_realm),
	  "The local Kerberos realm: its principals user@REALM are the local "
	  "users of the same name.  Empty means the default realm of the "
	  "Kerberos configuration." },
	{ "auth_foreign_realms", CONFIG_STRING, "", 0, 0,
	  F(auth_foreign_realms),
	  "Other realms whose principals may log in, separated by spaces or "
	  "commas.  Their users keep the realm in their name "
	  "(bob@OTHER.EDU), so they never share a mailbox with a local user. "
	  "Empty means only the local realm." },
	{ "auth_admins", CONFIG_STRING, "", 0, 0, F(auth_admins),
	  "Users who may give an authorization identity other than their "
	  "own (RFC 4422 section 3.4.1) and so log in as any user, separated "
	  "by spaces or commas.  Everyone else must leave it empty or give "
	  "their own name.  The same users administer the mail store: they "
	  "hold the l and a rights on every mailbox and every right on the "
	  "shared bulletin boards, which they create (see imapd(8))." },
	{ "auth_mechanisms", CONFIG_STRING, "GSSAPI PLAIN LOGIN", 0, 0,
	  F(auth_mechanisms),
	  "The SASL mechanisms authd offers, separated by spaces: GSSAPI "
	  "(RFC 4752), PLAIN (RFC 4616) and LOGIN.  PLAIN and LOGIN carry "
	  "a password and are refused outside TLS whatever this says." },
	{ "auth_socket", CONFIG_STRING, "auth.sock", 0, 0, F(auth_socket),
	  "The unix socket on which authd serves the protocol daemons and "
	  "the sealpost command.  A relative path is taken from state_dir." },
	{ "auth_workers", CONFIG_UINT, "4", 1, 256, F(auth_workers),
	  "How many authd processes serve requests.  Each serves one "
	  "exchange at a time, since a password check waits for the KDC; "
	  "this is the number of logins that can be checked at once." },
	{ "auth_request_timeout", CONFIG_TIME, "60s", 1, 3600,
	  F(auth_request_timeout),
	  "The longest one authentication exchange may take, from "
	  "connection to verdict, including every round trip to the "
	  "client.  A slower exchange fails and frees its worker." },
	{ "auth_cache_ttl", CONFIG_TIME, "5m", 0, 86400, F(auth_cache_ttl),
	  "How long a password the KDC accepted is accepted again, for the "
	  "same user and service, without asking the KDC (see sealpost(8)).  "
	  "The time counts from that KDC check; using the password again "
	  "does not extend it, so a password changed or an account disabled "
	  "in the KDC stops working at most this long afterwards.  Refused "
	  "passwords are never cached.  Each authd worker has its own cache.  "
	  "The default, five minutes, spares the KDC the logins of clients "
	  "that reconnect every minute or so while keeping a changed "
	  "password short-lived; an hour would save the KDC little more "
	  "and leave an old password usable far longer.  0 turns the cache "
	  "off." },
	{ "auth_cache_size", CONFIG_UINT, "10000", 0, 1000000,
	  F(auth_cache_size),
	  "How many verified passwords each authd worker remembers at most; "
	  "when full, the least recently used one is forgotten.  An entry "
	  "takes under a hundred bytes.  0 turns the cache off." },
	{ "auth_max_token_size", CONFIG_SIZE, "64k", 1024,
	  AUTH_PROTO_TOKEN_HARD_MAX, F(auth_max_token_size),
	  "The largest SASL message (decoded) accepted in either direction. "
	  "Kerberos tickets carrying large authorization data (for example "
	  "from Active Directory) can need more than the default." },
};

const struct config_table authd_config_table = {
	"auth", "The authentication service, the only holder of the keytab.",
	CONFIG_KEYS(authd_keys)
};
