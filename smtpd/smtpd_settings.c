#include "smtpd_settings.h"

#define F(field) offsetof(struct smtpd_settings, field)

static const struct config_key smtpd_keys[] = {
	{ "smtp_listen", CONFIG_STRING, "127.0.0.1:25", 0, 0, F(smtp_listen),
	  "Where smtpd receives mail from other servers (the MX role, RFC "
	  "5321): mail for local_domains is accepted without "
	  "authentication, and relayed for nobody who is not authenticated "
	  "or in smtpd_trusted_networks.  host:port, [v6]:port or *:port; "
	  "empty turns the role off." },
	{ "submission_listen", CONFIG_STRING, "127.0.0.1:587", 0, 0,
	  F(submission_listen),
	  "Where users submit mail (RFC 6409): STARTTLS is offered and "
	  "AUTH is required before MAIL FROM.  Empty turns the role off." },
	{ "submissions_listen", CONFIG_STRING, "127.0.0.1:465", 0, 0,
	  F(submissions_listen),
	  "Submission over implicit TLS (RFC 8314): the TLS handshake comes "
	  "first, then the same dialogue as on submission_listen.  Needs "
	  "tls_cert_file and tls_key_file.  Empty turns the role off." },
	{ "smtpd_workers", CONFIG_UINT, "2", 0, 256, F(smtpd_workers),
	  "How many smtpd processes share the listeners.  Each serves many "
	  "sessions at once from one event loop; 0 stops the service." },
	{ "smtpd_trusted_networks", CONFIG_STRING, "", 0, 0,
	  F(smtpd_trusted_networks),
	  "Client networks (address/prefix, separated by spaces or commas) "
	  "whose mail is relayed without authentication, like Postfix's "
	  "mynetworks.  Empty trusts nobody; loopback is not implied." },
	{ "smtpd_sender_login_map", CONFIG_STRING, "", 0, 0,
	  F(smtpd_sender_login_map),
	  "A file of lines `address user[,user...]` naming who may use an "
	  "envelope sender address.  An authenticated user may always use "
	  "user@ and user+detail@ any local domain; any other sender needs "
	  "a line here, and a mismatch gets 553 5.7.1.  A relative path is "
	  "taken from state_dir; empty means only the built-in rule." },
	{ "message_size_limit", CONFIG_SIZE, "50m", 1024,
	  (unsigned long long)1 << 32, F(message_size_limit),
	  "The largest message accepted, in octets as received (RFC 1870 "
	  "SIZE is announced with this value).  Larger messages get "
	  "552 5.3.4." },
	{ "smtpd_recipient_limit", CONFIG_UINT, "1000", 1, 100000,
	  F(smtpd_recipient_limit),
	  "Recipients accepted for one message; later RCPT commands get "
	  "452 4.5.3 so the client sends the rest in another transaction "
	  "(RFC 5321 4.5.3.1.10)." },
	{ "smtpd_max_line_length", CONFIG_SIZE, "10000", 1000, 1048576,
	  F(smtpd_max_line_length),
	  "The longest line of a message, CRLF excluded.  RFC 5321 asks "
	  "senders for at most 998; some send more.  A message with a "
	  "longer line is refused with 554 5.6.0." },
	{ "smtpd_header_size_limit", CONFIG_SIZE, "100k", 1024, 16777216,
	  F(smtpd_header_size_limit),
	  "How much of a message's header section smtpd holds to count "
	  "Received fields and add a missing Message-ID or Date.  A longer "
	  "header is passed through unchanged." },
	{ "smtpd_hop_count_limit", CONFIG_UINT, "50", 1, 1000,
	  F(smtpd_hop_count_limit),
	  "A message with more Received fields than this is looping and "
	  "is refused with 554 5.4.6 (RFC 5321 6.3)." },
	{ "smtpd_hard_error_limit", CONFIG_UINT, "20", 1, 1000,
	  F(smtpd_hard_error_limit),
	  "Bad or refused commands a session may send before it is "
	  "dropped with 421 4.7.0." },
	{ "smtpd_timeout", CONFIG_TIME, "300s", 1, 3600, F(smtpd_timeout),
	  "How long smtpd waits for the next command or the next piece of "
	  "a message, and for the client to take its replies (RFC 5321 "
	  "4.5.3.2 asks for at least 5 minutes)." },
	{ "smtpd_max_session_time", CONFIG_TIME, "1h", 10, 604800,
	  F(smtpd_max_session_time),
	  "The longest a session may last however busy it is; then it gets "
	  "421 4.4.2 and is closed." },
	{ "smtpd_max_connections", CONFIG_UINT, "1000", 0, 1000000,
	  F(smtpd_max_connections),
	  "Sessions one smtpd process serves at once; more get 421 4.7.0. "
	  "0 means no limit." },
	{ "smtpd_client_connection_limit", CONFIG_UINT, "20", 0, 100000,
	  F(smtpd_client_connection_limit),
	  "Sessions one client address may hold at once in one smtpd "
	  "process; more get 421 4.7.0.  0 means no limit." },
	{ "authserv_id", CONFIG_STRING, "", 0, 0, F(authserv_id),
	  "The authserv-id of our Authentication-Results header fields "
	  "(RFC 8601 2.5): the name this post office signs its "
	  "authentication results with.  Fields claiming this id that "
	  "arrive with a message are removed, on every role, since only we "
	  "may write them.  Empty means the hostname." },
	{ "smtpd_dkim_verify", CONFIG_BOOL, "yes", 0, 0,
	  F(smtpd_dkim_verify),
	  "Whether smtpd verifies the DKIM signatures (RFC 6376, RFC 8463) "
	  "of mail arriving on smtp_listen (the MX role; never on "
	  "submission) and records the outcome in an "
	  "Authentication-Results header field.  Nothing is refused "
	  "because of DKIM alone.  Keys are looked up with dns_servers "
	  "and dns_timeout, and cached for their TTL (at most an hour); a "
	  "lookup that fails gives dkim=temperror." },
	{ "smtpd_dkim_max_signatures", CONFIG_UINT, "5", 1, 10,
	  F(smtpd_dkim_max_signatures),
	  "DKIM-Signature fields verified per message, from the top; the "
	  "others are ignored, so a message cannot make us ask the DNS "
	  "without end." },
	{ "smtpd_mailauth_verify", CONFIG_BOOL, "yes", 0, 0,
	  F(smtpd_mailauth_verify),
	  "Whether smtpd checks SPF (RFC 7208) and DMARC (RFC 7489) for "
	  "mail arriving on smtp_listen from outside: never on submission "
	  "and never for clients in smtpd_trusted_networks, which are our "
	  "own hosts, not the sender's.  The results go into the "
	  "Authentication-Results field with DKIM's; see spf_timeout, "
	  "public_suffix_list and dmarc_reject." },
};

const struct config_table smtpd_config_table = {
	"smtpd", "The SMTP server: MX, submission and submissions.",
	CONFIG_KEYS(smtpd_keys)
};
