/* The services the master runs.  A service whose listen keys are all empty
 * or whose worker count is 0 is not started. */
#include "master.h"

const struct master_service_def master_service_defs[] = {
	/* The auth service runs as auth_user, the only user that can read
	 * the keytab; each worker serves one exchange at a time. */
	{ "auth", "authd", "auth_user", "auth_workers", false,
	  { { "auth_socket", "auth" } } },
	/* smtpd is exec'd as root only to read the TLS key, and drops to
	 * mail_user itself before it reads from the network. */
	{ "smtp", "smtpd", "mail_user", "smtpd_workers", true,
	  { { "smtp_listen", "smtp" }, { "submission_listen", "submission" },
	    { "submissions_listen", "submissions" } } },
	/* One queue manager owns the spool; the socket serves sendmail(1),
	 * mailq(1) and the queue commands. */
	{ "queue", "qmgr", "mail_user", "qmgr_workers", false,
	  { { "queue_socket", "queue" } } },
	/* imapd loads the TLS key as root, then drops to mail_user. */
	{ "imap", "imapd", "mail_user", "imap_workers", true,
	  { { "imap_listen", "imap" }, { "imaps_listen", "imaps" } } },
	/* Delivery into the store: no secrets, so exec'd as mail_user. */
	{ "lmtp", "lmtpd", "mail_user", "lmtp_workers", false,
	  { { "lmtp_socket", "lmtp" }, { "lmtp_listen", "lmtp_tcp" } } },
	/* pop3d loads the TLS key as root and drops to mail_user itself,
	 * before it opens the store or reads from the network. */
	{ "pop3", "pop3d", "mail_user", "pop3_workers", true,
	  { { "pop3_listen", "pop3" }, { "pop3s_listen", "pop3s" },
	    { "kpop_listen", "kpop" } } },
	{ NULL, NULL, NULL, NULL, false, { { NULL, NULL } } },
};

const size_t master_service_def_count =
	sizeof(master_service_defs) / sizeof(master_service_defs[0]) - 1;
