#ifndef SEALPOST_ALIASES_H
#define SEALPOST_ALIASES_H

/*
 * The aliases file (aliases(5)), read by smtpd to validate recipients and
 * expand them into the queue file, and by qmgr for sendmail(1):
 *
 *     # comment
 *     postmaster: admin
 *     abuse:      admin
 *     staff:      alice, bob,
 *                 carol@elsewhere.example
 *
 * A name is a local part (case-insensitive); its targets are local user
 * names or addresses, separated by commas, continued on lines that start
 * with white space.  Targets that are names or addresses in a local
 * domain are expanded again; a name that lists itself ("alice: alice,
 * archive") means the user of that name, as in sendmail.  Any other cycle,
 * or expansion deeper than ALIASES_MAX_DEPTH, is a loop: the expansion
 * reports it and the message is bounced for that recipient.
 *
 * postmaster and abuse must be defined (RFC 5321 4.5.1, RFC 2142); a file
 * without them is loaded with a warning in the log.  The file is stat()ed
 * at most once a second and reloaded when it changed; a file that fails to
 * parse keeps the previous table in service.
 */

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define ALIASES_MAX_DEPTH 20
/* Bounds on what the file may make us hold. */
#define ALIASES_MAX_LINE 8192
#define ALIASES_MAX_TARGETS 10000

struct aliases;
struct buf;

/* Opens (and loads, when it exists) the file at `path`.  A missing file is
 * an empty table, not an error.  -1 with a reason when it cannot be read
 * or parsed. */
int aliases_open(const char *path, struct aliases **a_r, const char **error_r);
void aliases_free(struct aliases **a);

/* Reloads the file when it changed on disk (checked at most once a second,
 * by `now`).  Logs the outcome; never fails. */
void aliases_refresh(struct aliases *a, time_t now);

/* Parses a whole file from memory into `a`, replacing its table; for tests
 * and aliases_open().  -1 with a reason (static storage) naming the line. */
int aliases_parse(struct aliases *a, const char *text, size_t len,
		  const char **error_r);
struct aliases *aliases_new_empty(void);

/* Whether the table has an entry for `name` (a lowercase local part). */
bool aliases_has(const struct aliases *a, const char *name);

/* Decides for the expansion whether an address's domain is ours. */
typedef bool aliases_is_local_fn(void *ctx, const char *domain);

struct aliases_result {
	char **addresses;	/* final addresses: user@domain or remote */
	size_t count;
	bool loop;		/* a loop was found (addresses may be partial) */
};

/*
 * Expands `local_part` (lowercase, no detail) of a local address in
 * `domain`.  Returns 1 with the final addresses in *result_r when it is an
 * alias, 0 when it is not (result empty).  Bare names among the targets
 * get `domain`.  Duplicates are removed.
 */
int aliases_expand(const struct aliases *a, const char *local_part,
		   const char *domain, aliases_is_local_fn *is_local,
		   void *ctx, struct aliases_result *result_r);
void aliases_result_deinit(struct aliases_result *result);

#endif
