#include "relay_settings.h"

#define F(field) offsetof(struct relay_settings, field)

static const struct config_key relay_keys[] = {
	{ "relayhost", CONFIG_STRING, "", 0, 0, F(relayhost),
	  "Send all mail for other domains through this host instead of "
	  "looking up the recipient domain's MX records.  Postfix's notation: "
	  "`host` or `host:port` looks up the MX records of host, `[host]` "
	  "or `[host]:port` (or an address in brackets) uses the host's own "
	  "address records.  Empty: deliver directly to each domain's MX." },
	{ "dns_servers", CONFIG_STRING, "", 0, 0, F(dns_servers),
	  "The DNS servers the relay asks, as a list of `address:port` "
	  "(IPv6 as `[address]:port`) separated by spaces or commas.  "
	  "Empty: the servers of /etc/resolv.conf." },
	{ "dns_timeout", CONFIG_TIME, "5s", 1, 300, F(dns_timeout),
	  "How long the resolver waits for one answer before it asks again "
	  "(three tries, then the lookup fails temporarily and the message "
	  "is deferred)." },
	{ "smtp_port", CONFIG_UINT, "25", 1, 65535, F(smtp_port),
	  "The port the relay connects to on an MX host (RFC 5321 4.5.4: "
	  "25).  A relayhost with a port of its own uses that one." },
	{ "smtp_tls", CONFIG_BOOL, "yes", 0, 0, F(smtp_tls),
	  "Use STARTTLS (RFC 3207) whenever a server offers it, without "
	  "insisting on a valid certificate (opportunistic TLS, as between "
	  "most MTAs).  smtp_tls_policy makes it a requirement for chosen "
	  "destinations." },
	{ "smtp_tls_policy", CONFIG_STRING, "", 0, 0, F(smtp_tls_policy),
	  "Per-destination TLS requirements, a list of `domain:level` "
	  "separated by spaces or commas; the domain is the recipient's "
	  "domain, or the relayhost as written.  Levels: `none` (never "
	  "STARTTLS), `may` (opportunistic), `encrypt` (STARTTLS required, "
	  "any certificate), `verify` (STARTTLS required and the certificate "
	  "must chain to smtp_tls_ca_file and match the MX host name).  "
	  "When a requirement is not met the host is skipped and the mail "
	  "deferred, never sent in the clear." },
	{ "smtp_tls_ca_file", CONFIG_STRING, "", 0, 0, F(smtp_tls_ca_file),
	  "PEM trust anchors for verifying servers.  Empty: the system's." },
	{ "smtp_sasl_password_file", CONFIG_STRING, "", 0, 0,
	  F(smtp_sasl_password_file),
	  "A file with one line `user password` the relay sends with AUTH "
	  "PLAIN (RFC 4954, RFC 4616) to a relayhost that offers it, and "
	  "only inside TLS.  Empty: no AUTH.  A relative path is taken "
	  "from state_dir; it should be readable by mail_user only." },
	{ "smtp_destination_concurrency_limit", CONFIG_UINT, "5", 1, 1000,
	  F(smtp_destination_concurrency_limit),
	  "How many connections the relay opens at once to one destination "
	  "(a recipient domain, or the relayhost)." },
	{ "smtp_destination_waiting_limit", CONFIG_UINT, "20", 0, 100000,
	  F(smtp_destination_waiting_limit),
	  "How many messages may wait in the queue manager for a connection "
	  "to one destination, beyond those being sent.  Further messages "
	  "for it are parked: left in the queue, unread, until it catches "
	  "up, so a slow or tarpitting destination cannot take the places "
	  "of qmgr_message_active_limit that local mail and other "
	  "destinations need.  The relay as a whole (messages being sent, "
	  "waiting or woken from the park) never takes more than "
	  "qmgr_relay_active_limit." },
	{ "smtp_concurrency_limit", CONFIG_UINT, "50", 1, 10000,
	  F(smtp_concurrency_limit),
	  "How many SMTP connections the relay has open at once in all." },
	{ "smtp_connection_cache_time", CONFIG_TIME, "2s", 0, 300,
	  F(smtp_connection_cache_time),
	  "How long a connection stays open after a delivery, for the next "
	  "message to the same destination.  0 closes it at once." },
	{ "smtp_connect_timeout", CONFIG_TIME, "30s", 1, 600,
	  F(smtp_connect_timeout),
	  "How long to wait for a TCP connection before trying the next "
	  "address." },
	{ "smtp_helo_timeout", CONFIG_TIME, "300s", 1, 3600,
	  F(smtp_helo_timeout),
	  "How long to wait for the greeting and the EHLO or HELO reply "
	  "(RFC 5321 4.5.3.2.1: 5 minutes)." },
	{ "smtp_starttls_timeout", CONFIG_TIME, "300s", 1, 3600,
	  F(smtp_starttls_timeout),
	  "How long to wait for the STARTTLS reply and the TLS handshake." },
	{ "smtp_mail_timeout", CONFIG_TIME, "300s", 1, 3600,
	  F(smtp_mail_timeout),
	  "How long to wait for the reply to MAIL (RFC 5321 4.5.3.2.2)." },
	{ "smtp_rcpt_timeout", CONFIG_TIME, "300s", 1, 3600,
	  F(smtp_rcpt_timeout),
	  "How long to wait for the reply to RCPT (RFC 5321 4.5.3.2.3)." },
	{ "smtp_data_init_timeout", CONFIG_TIME, "120s", 1, 3600,
	  F(smtp_data_init_timeout),
	  "How long to wait for the 354 reply to DATA (RFC 5321 "
	  "4.5.3.2.4)." },
	{ "smtp_data_xfer_timeout", CONFIG_TIME, "180s", 1, 3600,
	  F(smtp_data_xfer_timeout),
	  "How long one write of message data may stall (RFC 5321 "
	  "4.5.3.2.5)." },
	{ "smtp_data_done_timeout", CONFIG_TIME, "600s", 1, 7200,
	  F(smtp_data_done_timeout),
	  "How long to wait for the reply after the final dot (RFC 5321 "
	  "4.5.3.2.6: 10 minutes, since the server may be processing)." },
	{ "smtp_quit_timeout", CONFIG_TIME, "300s", 1, 3600,
	  F(smtp_quit_timeout),
	  "How long to wait for the replies to RSET and QUIT." },
	{ "dkim_sign", CONFIG_STRING, "", 0, 0, F(dkim_sign),
	  "DKIM signing keys (RFC 6376, RFC 8463), as a list separated by "
	  "commas of `domain:selector:keyfile`, e.g. `example.org:rsa1:"
	  "dkim/example.org.rsa1.pem, example.org:ed1:dkim/example.org.ed1."
	  "pem`.  A message leaving by the relay that came from an "
	  "authenticated user, a client in smtpd_trusted_networks or "
	  "sendmail(1), and whose From address is in one of these domains "
	  "(exactly, not a subdomain), is signed relaxed/relaxed with every "
	  "key of that domain (an RSA and an Ed25519 key give two "
	  "signatures).  Key files are PEM (PKCS #8 or PKCS #1, RSA of at "
	  "least 1024 bits, 2048 advised, or Ed25519), read by qmgr as the "
	  "mail user at start; a relative path is taken from state_dir.  "
	  "`sealpost dkim keygen` makes them.  Empty signs nothing." },
	{ "dkim_signature_expire", CONFIG_TIME, "0", 0, 31536000,
	  F(dkim_signature_expire),
	  "How long a DKIM signature stays valid (its x= tag, RFC 6376 "
	  "3.5), counted from the signing time t=.  0 puts no x= tag." },
};

const struct config_table relay_config_table = {
	"relay", "The relay: delivery to other domains over SMTP.",
	CONFIG_KEYS(relay_keys)
};
