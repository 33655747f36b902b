#ifndef SEALPOST_SMTPD_H
#define SEALPOST_SMTPD_H

/*
 * smtpd: the SMTP server in its three roles (RFC 5321 MX on port 25,
 * RFC 6409 submission on 587, RFC 8314 submissions on 465), one event loop
 * per process serving many sessions.  A session reads command lines,
 * checks each (smtp_command), then acts in the file of its command
 * (smtpd_cmd_*.c).  Messages go to the queue (queue_file.h); the 250 after
 * DATA is sent only once the file and its folder are on disk, and the
 * syncs are shared by every session that finished a message in the same
 * loop round (group commit, smtpd_commit.c).
 */

#include "log.h"
#include "mailauth_settings.h"
#include "mail_settings.h"
#include "queue_file.h"
#include "smtp_limits.h"
#include "smtp_params.h"
#include "smtpd_settings.h"

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

struct aliases;
struct authres_result;
struct dmarc_dkim;
struct public_suffix;
struct smtpd_mailauth;
struct spf;
struct dkim_verify;
struct dns;
struct smtpd_dkim_lookup;
struct auth_client;
struct buf;
struct event_loop;
struct event_timer;
struct queue_message;
struct queue_writer;
struct server;
struct server_conn;
struct smtp_address;
struct smtp_command;
struct store;
struct stream;
struct stream_data;
struct tls_ctx;
struct worker;

enum smtpd_role {
	SMTPD_ROLE_MX,
	SMTPD_ROLE_SUBMISSION,
	SMTPD_ROLE_SUBMISSIONS,
};

struct smtpd_network {
	int family;
	unsigned char addr[16];
	unsigned int prefix;
};

struct smtpd_login_entry {
	char *address;
	char *users;		/* comma-separated */
};

struct smtpd {
	struct event_loop *loop;
	struct worker *worker;
	struct smtpd_settings set;
	struct mail_settings mail;
	struct smtp_limits limits;
	struct tls_ctx *tls;
	struct server *server;
	struct store *store;
	struct aliases *aliases;
	char hostname[256];
	char *queue_dir;
	char *auth_socket;
	const char *auth_mechanisms;
	unsigned int auth_timeout;
	size_t auth_max_token;
	struct smtpd_network *trusted;
	size_t trusted_count;
	struct smtpd_login_entry *logins;
	size_t login_count;
	/* The authserv-id of Authentication-Results (RFC 8601). */
	const char *authserv_id;
	/* DKIM, SPF and DMARC on the MX role: the resolver (which caches
	 * records for their TTL). */
	struct dns *dns;
	/* SPF and DMARC (smtpd_mailauth.c); NULL when not checked. */
	struct mailauth_settings auth;
	struct spf *spf;
	struct public_suffix *psl;
	/* Sessions whose message waits for the next group commit, and the
	 * group whose files the running commit syncs off the loop: its
	 * sessions (NULL once one went away), their items in its
	 * sync_batch (which syncs its own dup of each session's fd) and
	 * what runs it (smtpd_commit.c). */
	struct smtpd_session *commit_head;
	struct smtpd_session **commit_group;
	int *commit_items;
	size_t commit_count;
	struct sync_batch_loop *commit_sync;
	struct event_timer *commit_timer;
	struct smtpd_session *sessions;
};

enum smtpd_state {
	SMTPD_STATE_TLS,	/* implicit TLS handshake before the greeting */
	SMTPD_STATE_COMMAND,
	SMTPD_STATE_AUTH,	/* waiting for the client's SASL response */
	SMTPD_STATE_WAIT,	/* waiting for authd or the commit */
	SMTPD_STATE_DATA,
	SMTPD_STATE_BDAT,
	SMTPD_STATE_CLOSING,
};

struct smtpd_rcpt {
	char *address;		/* delivery address (after aliases) */
	char *orig;		/* as the client gave it */
	unsigned int flags;	/* QUEUE_RCPT_FLAG_* */
};

struct smtpd_txn {
	struct log_ctx log;
	char id[QUEUE_ID_SIZE];
	struct queue_envelope env;
	/* Recipients accepted (one RCPT may give several after aliases). */
	unsigned int rcpt_commands;
	char *first_rcpt;	/* for the Received "for" clause */
	/* The message being received. */
	struct queue_writer *writer;
	struct queue_message *message;
	/* The message's Message-ID, for the log (NULL: none). */
	char *message_id;
	struct stream_data *data;
	bool bdat;		/* the transaction uses BDAT */
	uint64_t bdat_left;	/* octets of the current chunk still due */
	bool bdat_last;
	uint64_t size;		/* octets received */
	size_t line_len;	/* of the current line, for the limit */
	bool last_cr;		/* BDAT: the previous octet was a CR */
	/* What was wrong with the message, decided at its end. */
	bool too_big, bare_eol, line_too_long, failed;
	/* DKIM verification (MX role) and its key lookups in flight. */
	struct dkim_verify *dkim;
	struct smtpd_dkim_lookup *dkim_lookups;
	size_t dkim_pending;
	/* SPF and DMARC, when the client is checked. */
	struct smtpd_mailauth *auth;
};

struct smtpd_session {
	struct smtpd *smtpd;
	struct smtpd_session *next, *prev;
	struct smtpd_session *commit_next;
	struct server_conn *conn;
	struct stream *stream;
	struct log_ctx log;
	enum smtpd_role role;
	enum smtpd_state state;
	char peer_ip[64];
	bool trusted;		/* in smtpd_trusted_networks */
	char *helo;
	bool esmtp;
	bool tls;
	char tls_desc[160];	/* for the Received header */
	char *user;		/* after AUTH */
	struct auth_client *auth;
	char auth_mech[32];
	unsigned int errors;
	struct smtpd_txn *txn;
	struct event_timer *session_timer;
	/* BDAT outside a valid transaction: octets still to skip. */
	uint64_t bdat_discard;
	bool free_pending;
};

/* ---- smtpd.c ---- */
void smtpd_init(struct smtpd *s, struct worker *w, struct event_loop *loop);
void smtpd_deinit(struct smtpd *s);
/* Refreshes the aliases and checks whether a local user exists: 1 yes,
 * 0 no, -1 the store failed. */
int smtpd_user_exists(struct smtpd *s, const char *user);

/* ---- smtpd_session.c ---- */
void smtpd_session_accept(void *ctx, struct server_conn *conn);
void smtpd_session_shutdown(void *ctx);
/* Queues a reply (text without CRLF; "\n" separates lines). */
void smtpd_reply(struct smtpd_session *sess, unsigned int code,
		 const char *enhanced, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Queues a parser's error reply, with its enhanced code. */
struct smtp_status;
void smtpd_reply_status(struct smtpd_session *sess,
			const struct smtp_status *status);
/* Counts a refused command; past the limit, says 421 and closes. */
void smtpd_session_error(struct smtpd_session *sess);
/* Says 421 (or nothing, when `code` is 0) and closes after the flush. */
void smtpd_session_close(struct smtpd_session *sess, unsigned int code,
			 const char *enhanced, const char *text);
/* Flushes replies and goes back to reading (after an asynchronous wait). */
void smtpd_session_resume(struct smtpd_session *sess);
void smtpd_session_wait(struct smtpd_session *sess);
void smtpd_txn_free(struct smtpd_session *sess);
/* The protocol name for Received (RFC 3848): ESMTPSA and so on. */
const char *smtpd_session_protocol(const struct smtpd_session *sess);

/* ---- the commands ---- */
void smtpd_cmd_helo(struct smtpd_session *sess, struct smtp_command *cmd);
void smtpd_cmd_ehlo(struct smtpd_session *sess, struct smtp_command *cmd);
void smtpd_greet(struct smtpd_session *sess);
unsigned int smtpd_extensions(const struct smtpd_session *sess);
void smtpd_cmd_starttls(struct smtpd_session *sess);
void smtpd_tls_ready(struct smtpd_session *sess);
void smtpd_cmd_auth(struct smtpd_session *sess, struct smtp_command *cmd);
void smtpd_auth_response(struct smtpd_session *sess, const char *line,
			 size_t len);
void smtpd_cmd_mail(struct smtpd_session *sess, struct smtp_command *cmd);
void smtpd_cmd_rcpt(struct smtpd_session *sess, struct smtp_command *cmd);
void smtpd_cmd_data(struct smtpd_session *sess);
void smtpd_cmd_bdat(struct smtpd_session *sess, struct smtp_command *cmd);
/* The Received header of the transaction (RFC 5321 4.4). */
void smtpd_received(struct smtpd_session *sess, struct buf *out);
/* Reads message octets in the DATA or BDAT state; false when it must
 * wait for more input. */
bool smtpd_data_input(struct smtpd_session *sess);
bool smtpd_bdat_input(struct smtpd_session *sess);

/* ---- smtpd_commit.c ---- */
/* Finishes the message of the transaction: writes it and waits for the
 * group fsync, then replies.  Takes over the session until then. */
void smtpd_commit_message(struct smtpd_session *sess);
/* A session going away must leave the commit list. */
void smtpd_commit_forget(struct smtpd_session *sess);
/* Waits for a running commit's syncs (shutting down). */
void smtpd_commit_deinit(struct smtpd *s);

/* ---- smtpd_dkim.c ---- */
void smtpd_dkim_init(struct smtpd *s);
void smtpd_dkim_deinit(struct smtpd *s);
/* Starts verifying the transaction's message when the role asks for it. */
void smtpd_dkim_begin(struct smtpd_session *sess);
void smtpd_dkim_write(struct smtpd_session *sess, const char *data,
		      size_t size);
/* The message is complete and good: looks up the keys, adds the
 * Authentication-Results field, then commits.  Takes over the session. */
void smtpd_dkim_commit(struct smtpd_session *sess);
/* Cancels the lookups of a transaction going away. */
void smtpd_dkim_txn_free(struct smtpd_txn *t);

/* ---- smtpd_mailauth.c ---- */
void smtpd_mailauth_init(struct smtpd *s);
void smtpd_mailauth_deinit(struct smtpd *s);
/* MAIL was accepted: starts the SPF check when the client is checked. */
void smtpd_mailauth_mail(struct smtpd_session *sess);
/* Message octets, for the From field. */
void smtpd_mailauth_write(struct smtpd_session *sess, const char *data,
			  size_t size);
bool smtpd_mailauth_active(const struct smtpd_txn *t);
/* Hands over DKIM's results (heap arrays; `res` with room for two more
 * after `count`), or frees them when SPF and DMARC are not checked. */
void smtpd_mailauth_set_dkim(struct smtpd_txn *t,
			     struct authres_result *res, size_t count,
			     struct dmarc_dkim *dkim, size_t dkim_count);
/* The message is complete and DKIM is done: waits for SPF, runs DMARC,
 * adds the field, then commits or refuses.  Takes over the session. */
void smtpd_mailauth_finish(struct smtpd_session *sess);
void smtpd_mailauth_txn_free(struct smtpd_txn *t);

/* ---- smtpd_policy.c ---- */
int smtpd_policy_load(struct smtpd *s, const char **error_r);
void smtpd_policy_free(struct smtpd *s);
bool smtpd_policy_trusted(const struct smtpd *s, const char *ip);
/* Whether the authenticated `user` may use `sender` ("" the null
 * sender). */
bool smtpd_policy_sender_ok(const struct smtpd *s, const char *user,
			    const struct smtp_address *sender);
bool smtpd_policy_domain_is_local(const struct smtpd *s, const char *domain);

#endif
