#ifndef SEALPOST_QUEUE_FILE_H
#define SEALPOST_QUEUE_FILE_H

/*
 * The queue file: one file per message holding its envelope and the
 * message, written by smtpd (and by qmgr for sendmail(1) and bounces) and
 * read and updated by qmgr and the queue commands.
 *
 * Folders, under state_dir/queue (the Postfix layout):
 *
 *   tmp/       files being written; never read by anyone but the writer
 *   incoming/  complete files qmgr has not looked at yet
 *   active/    files qmgr is working on
 *   deferred/  files waiting for their next attempt (mtime = that time)
 *   hold/      files the postmaster put aside
 *   corrupt/   files qmgr could not read, kept for the postmaster
 *
 * A file is only ever made visible complete: it is written in tmp/,
 * fsynced, then linked into incoming/ (link(2) refuses to replace an
 * existing file, rename(2) would not).  The folder itself is fsynced by
 * queue_dir_sync(), which callers run once for a batch of files (group
 * commit) before they acknowledge any of them.
 *
 * Format, version 1: text records, one per line, then the message:
 *
 *     sealpost-queue 1
 *     id 0K8Q2M4XK9AB1CD
 *     arrival 1764342911
 *     from XTEXT                (empty: the null sender)
 *     ret full|hdrs             (RFC 3461 RET; optional)
 *     envid XTEXT               (RFC 3461 ENVID; optional)
 *     body 7bit|8bitmime        (RFC 6152 BODY; optional)
 *     smtputf8                  (RFC 6531; optional)
 *     auth USER                 (the authenticated submitter; optional)
 *     trusted                   (sent from smtpd_trusted_networks;
 *                                optional)
 *     client IP                 (optional)
 *     origin QUEUEID            (a bounce: the message it reports on)
 *     rcpt XTEXT XTEXT NOTIFY ORCPT FLAGS
 *         (delivery address, address as given, NOTIFY bits in decimal,
 *          "-" or TYPE;XTEXT, "-" or "loop"; once per recipient, in order)
 *     message 000000001234      (fixed width, filled in at the end)
 *     <1234 octets of message, CRLF line ends, not dot-stuffed>
 *     end
 *
 * and after "end", the outcome of each attempt, appended by qmgr and
 * fsynced before it moves on (so an outcome is never lost or repeated):
 *
 *     status INDEX D|F|T XTEXT [XTEXT]
 *                               (delivered, failed for good, deferred;
 *                                the reply text that said so; the remote
 *                                host that sent it, when one did)
 *     status INDEX W XTEXT      (a delay notice was sent; the reply is
 *                                left as it was)
 *
 * A writer may also put, right after "end" and before the file is made
 * durable, fields to be delivered in front of the message, known only
 * once the message was complete (Authentication-Results, which needs the
 * whole body hashed and the DNS asked):
 *
 *     header XTEXT              (one header field, CRLF included)
 *
 * Readers present them as the first octets of the message, so every
 * delivery path and the bounce copy see one message; message_size
 * counts them.
 *
 * (The optional remote host and the W record came with the relay, before
 * any release; version 1 readers of the files in the wild know them.)
 *
 * A file without "end" was never acknowledged and is corrupt.  A status
 * line without its LF is the torn tail of a crash and is dropped (and cut
 * off before the next append).  Every length and count is checked against
 * struct queue_file_limits before anything is allocated.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define QUEUE_FILE_VERSION 1
/* 11 characters of microseconds since 1970 and 4 random ones, Crockford
 * base32: sortable by arrival, unique without a counter shared between
 * processes. */
#define QUEUE_ID_LEN 15
#define QUEUE_ID_SIZE (QUEUE_ID_LEN + 1)

enum queue_folder {
	QUEUE_INCOMING,
	QUEUE_ACTIVE,
	QUEUE_DEFERRED,
	QUEUE_HOLD,
	QUEUE_CORRUPT,
	QUEUE_FOLDER_COUNT
};

enum queue_rcpt_state {
	QUEUE_RCPT_PENDING = 0,
	QUEUE_RCPT_DELIVERED,	/* 'D' */
	QUEUE_RCPT_FAILED,	/* 'F' */
};

/* The recipient's address was found in a loop of aliases: fail it. */
#define QUEUE_RCPT_FLAG_LOOP 0x1u

struct queue_rcpt {
	char *address;		/* where to deliver */
	char *orig;		/* as the client gave it */
	unsigned int notify;	/* SMTP_PARAMS_NOTIFY_* */
	char *orcpt_type;	/* RFC 3461 ORCPT; NULL when absent */
	char *orcpt;
	unsigned int flags;	/* QUEUE_RCPT_FLAG_* */
	enum queue_rcpt_state state;
	/* The reply of the last attempt (failed or deferred), or NULL. */
	char *reply;
	/* The remote host that gave `reply` (relay), or NULL. */
	char *remote;
	/* A delay notice (RFC 3464 Action: delayed) went out for it. */
	bool warned;
	/* Outcomes recorded for it (D, F or T status records): the
	 * attempts made, as `sealpost queue show` reports them. */
	unsigned int attempts;
};

struct queue_envelope {
	char id[QUEUE_ID_SIZE];
	time_t arrival;
	char *sender;		/* "" for the null sender */
	int ret;		/* enum smtp_params_ret */
	char *envid;		/* NULL when absent */
	int body;		/* enum smtp_params_body */
	bool smtputf8;
	char *auth_user;	/* NULL when absent */
	bool trusted;		/* the client was in smtpd_trusted_networks */
	char *client;		/* NULL when absent */
	char origin[QUEUE_ID_SIZE];	/* "" unless a bounce */
	struct queue_rcpt *rcpts;
	size_t rcpt_count;
	/* Where the message is in the file (reader only). */
	uint64_t message_offset;
	uint64_t message_size;	/* the header records' fields included */
	/* The fields of the header records, delivered first (reader). */
	char *prepend;
	size_t prepend_len;
};

struct queue_file_limits {
	size_t record;		/* one record line */
	size_t rcpts;
	uint64_t message;
};

/* 8 KiB records, 100000 recipients, 4 GiB messages. */
extern const struct queue_file_limits queue_file_limits_default;

const char *queue_folder_name(enum queue_folder folder);

/* Fills `id` with a new queue ID. */
void queue_id_new(char id[QUEUE_ID_SIZE]);
/* Whether `name` has the shape of a queue ID (and so is safe in a path). */
bool queue_id_valid(const char *name);

/* Creates the queue folder and its subfolders (mode 0700) if missing.
 * 0, or -1 with a reason in static storage. */
int queue_dirs_create(const char *queue_dir, const char **error_r);

/* fsyncs one folder of the queue, making the links and renames into it
 * durable.  0 or -1. */
int queue_dir_sync(const char *queue_dir, enum queue_folder folder,
		   const char **error_r);

/* "QUEUE_DIR/FOLDER/ID" (a new string). */
char *queue_path(const char *queue_dir, enum queue_folder folder,
		 const char *id);

/* Adds a recipient (strings copied; orig, orcpt_type and orcpt may be
 * NULL). */
void queue_envelope_add_rcpt(struct queue_envelope *env, const char *address,
			     const char *orig, unsigned int notify,
			     const char *orcpt_type, const char *orcpt,
			     unsigned int flags);
/* Frees what the envelope holds and zeroes it. */
void queue_envelope_deinit(struct queue_envelope *env);

/* ---- writing ---- */

struct queue_writer;

/*
 * Starts a new queue file in tmp/ for `env` (its id is assigned here when
 * empty; arrival too when 0), writing the envelope.  The message follows
 * with queue_writer_write().  Blocks on disk.  0, or -1 with a reason.
 */
int queue_writer_begin(const char *queue_dir, struct queue_envelope *env,
		       struct queue_writer **w_r, const char **error_r);

/* Appends message octets.  Errors are kept and reported by finish. */
void queue_writer_write(struct queue_writer *w, const void *data, size_t len);

/* Adds a header field (complete with its CRLF) to be delivered before the
 * message: written after "end" by queue_writer_end().  At most
 * QUEUE_HEADER_MAX octets. */
#define QUEUE_HEADER_MAX 4000
void queue_writer_add_header(struct queue_writer *w, const char *field);

/* Octets of message written so far. */
uint64_t queue_writer_size(const struct queue_writer *w);

/*
 * Completes the file: message size, "end", fsync, then links it into
 * `folder` (incoming/ normally).  The caller must queue_dir_sync() that
 * folder before acknowledging.  Frees the writer either way; on error the
 * temporary file is removed.  0, or -1 with a reason.  The same as
 * queue_writer_end(), queue_writer_sync() and queue_writer_link().
 */
int queue_writer_finish(struct queue_writer **w, enum queue_folder folder,
			const char **error_r);

/*
 * The three steps of queue_writer_finish(), for a caller that makes many
 * files durable at once (group commit: smtpd fsyncs the queue_writer_fd()
 * of a batch concurrently, with sync_many(), instead of
 * queue_writer_sync() on each in turn).  end writes the
 * message size and "end" (no more octets after it); sync fsyncs the file;
 * link makes it visible in `folder` and frees the writer either way (on
 * error the file is removed).  Each returns 0, or -1 with a reason; after
 * a failed end or sync, abort the writer.  A file must be durable before
 * it is linked, so that no reader ever sees a file whose data a machine
 * crash could still lose.
 */
int queue_writer_end(struct queue_writer *w, const char **error_r);
int queue_writer_fd(const struct queue_writer *w);
int queue_writer_sync(struct queue_writer *w, const char **error_r);
int queue_writer_link(struct queue_writer **w, enum queue_folder folder,
		      const char **error_r);

/* Throws the file away. */
void queue_writer_abort(struct queue_writer **w);

/* ---- reading and updating ---- */

struct queue_file {
	int fd;
	struct queue_envelope env;
	off_t end;		/* where the next status record goes */
};

/*
 * Opens and parses a queue file (read-write when `writable`).  0 with a new
 * *qf_r; -1 with a reason when it cannot be opened (errno kept, ENOENT
 * when it is gone) or *corrupt_r set when it is not a valid queue file.
 */
int queue_file_open(const char *path, bool writable,
		    const struct queue_file_limits *limits,
		    struct queue_file **qf_r, bool *corrupt_r,
		    const char **error_r);
void queue_file_close(struct queue_file **qf);

/* Appends a status record for recipient `index` and updates the
 * envelope.  Not durable until queue_file_sync(). */
int queue_file_set_status(struct queue_file *qf, size_t index,
			  char state_char, const char *reply,
			  const char **error_r);
/* The same with the remote host that gave the reply (NULL: none).  State
 * 'W' records a delay notice and changes nothing else. */
int queue_file_set_status_remote(struct queue_file *qf, size_t index,
				 char state_char, const char *reply,
				 const char *remote, const char **error_r);
int queue_file_sync(struct queue_file *qf, const char **error_r);

/* Puts header fields (CRLFs included) in front of the message as this
 * reader presents it, without changing the file: a DKIM signature made
 * for one delivery attempt. */
void queue_file_prepend(struct queue_file *qf, const char *fields,
			size_t len);

/* Reads up to `size` message octets at `offset` into the message.
 * Returns the count read, 0 at its end, -1 on error. */
ssize_t queue_file_read_message(struct queue_file *qf, uint64_t offset,
				void *data, size_t size);

#endif
