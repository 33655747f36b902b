#include "queue_settings.h"

#define F(field) offsetof(struct queue_settings, field)

static const struct config_key queue_keys[] = {
	{ "queue_socket", CONFIG_STRING, "queue.sock", 0, 0, F(queue_socket),
	  "The unix socket of the queue manager: sendmail(1) hands messages "
	  "to it, and mailq(1) and `sealpost queue` ask it about the queue. "
	  "Only root and mail_user can connect.  A relative path is taken "
	  "from state_dir." },
	{ "qmgr_workers", CONFIG_UINT, "1", 0, 1, F(qmgr_workers),
	  "The queue manager owns the spool alone, so this is 1 (or 0 to "
	  "stop delivery and keep mail in the queue)." },
	{ "minimal_backoff_time", CONFIG_TIME, "300s", 1, 86400,
	  F(minimal_backoff_time),
	  "The shortest wait before a deferred message is tried again.  The "
	  "wait grows with the message's age, as in Postfix." },
	{ "maximal_backoff_time", CONFIG_TIME, "4000s", 1, 604800,
	  F(maximal_backoff_time),
	  "The longest wait between two attempts of a deferred message." },
	{ "maximal_queue_lifetime", CONFIG_TIME, "5d", 0, 8640000,
	  F(maximal_queue_lifetime),
	  "How long a message may stay deferred before its remaining "
	  "recipients are bounced (RFC 5321 4.5.4.1 suggests 4-5 days).  0 "
	  "bounces at the first temporary failure." },
	{ "bounce_queue_lifetime", CONFIG_TIME, "5d", 0, 8640000,
	  F(bounce_queue_lifetime),
	  "The same for bounces (mail from the null sender), which are "
	  "dropped, never bounced, when they expire." },
	{ "delay_warning_time", CONFIG_TIME, "0", 0, 8640000,
	  F(delay_warning_time),
	  "After how long in the queue a sender is told that a message is "
	  "still undelivered (an RFC 3464 delay notice, sent once, to "
	  "recipients whose NOTIFY asks for it or who gave none).  0 sends "
	  "none, as in Postfix." },
	{ "qmgr_message_active_limit", CONFIG_UINT, "100", 1, 100000,
	  F(qmgr_message_active_limit),
	  "How many messages the queue manager works on at once; each "
	  "destination's own limit applies inside it." },
	{ "qmgr_relay_active_limit", CONFIG_UINT, "0", 0, 100000,
	  F(qmgr_relay_active_limit),
	  "How many of those the relay may take at once (messages being "
	  "sent, waiting for a connection, or woken from the park; see "
	  "smtp_destination_waiting_limit): the other places stay for local "
	  "mail.  0: half of qmgr_message_active_limit.  Above "
	  "qmgr_message_active_limit it is that limit." },
	{ "queue_run_delay", CONFIG_TIME, "300s", 1, 86400,
	  F(queue_run_delay),
	  "How often the queue manager looks for deferred messages whose "
	  "time has come, besides the moments it already knows of." },
	/* 64, not 16 (nor 4 before it): lmtpd commits the transactions
	 * that end together as one group, and the fewer at a time, the
	 * smaller its groups.  With 16, the local deliveries of 50 SMTP
	 * sessions fell behind their intake (the last message was in its
	 * mailbox a second after the last 250 of 3,000) while the cores
	 * idled; with 64 they kept up, at a tenth less CPU per message.
	 * With 10 sessions the intake is the bound, and the same. */
	{ "lmtp_destination_concurrency_limit", CONFIG_UINT, "64", 1, 100,
	  F(lmtp_destination_concurrency_limit),
	  "How many messages are handed to lmtpd at once, each over its "
	  "own connection (MAIL, the RCPTs and DATA in one write when the "
	  "server offers PIPELINING, RFC 2920).  Open connections, idle "
	  "ones included, never exceed it.  lmtpd makes the deliveries "
	  "that end together durable as one group, so more at once means "
	  "fewer syncs per message." },
	{ "lmtp_client_timeout", CONFIG_TIME, "300s", 1, 3600, F(lmtp_timeout),
	  "How long the queue manager waits for lmtpd at any step before "
	  "it gives up and defers the message." },
	{ "lmtp_connection_idle_timeout", CONFIG_TIME, "10s", 0, 3600,
	  F(lmtp_connection_idle_timeout),
	  "How long a connection to lmtpd is kept open without a message "
	  "to carry, for the next one (which then skips the connection, the "
	  "greeting and LHLO).  Keep it below lmtpd's lmtp_timeout; a "
	  "connection lmtpd closed meanwhile is replaced without delaying "
	  "the message.  0: a new connection for every message." },
	{ "lmtp_connection_reuse_limit", CONFIG_UINT, "100", 1, 1000000,
	  F(lmtp_connection_reuse_limit),
	  "How many messages one connection to lmtpd carries before it is "
	  "closed and a new one opened, so that the connections spread "
	  "again over the lmtpd processes.  1: a new connection for every "
	  "message." },
	{ "stats_listen", CONFIG_STRING, "", 0, 0, F(stats_listen),
	  "A loopback address and port (127.0.0.1:9187, [::1]:9187) where "
	  "the queue manager serves its counters over HTTP in the "
	  "Prometheus text format, at GET /metrics only.  Empty: none.  "
	  "Other addresses are refused: the counters are unauthenticated." },
};

const struct config_table queue_config_table = {
	"queue", "The queue manager: retries, lifetimes and local delivery.",
	CONFIG_KEYS(queue_keys)
};
