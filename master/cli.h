#ifndef SEALPOST_CLI_H
#define SEALPOST_CLI_H

/*
 * The subcommands of `sealpost`.  Each takes the arguments after its own
 * name (argv[0] is the subcommand) and returns the process exit status:
 * 0 success, 1 failure the user can fix, 64 bad usage (EX_USAGE), 75
 * temporary failure (EX_TEMPFAIL).
 */

#define CLI_EX_USAGE 64
#define CLI_EX_TEMPFAIL 75

struct config;

/* Loads the config named by --config (or SEALPOST_CONFIG, or the built-in
 * default path), applying --set overrides; prints the error and returns
 * NULL when it is bad. */
struct config *cli_load_config(const char *path, char **sets, int nsets);

int cli_config(int argc, char **argv);
int cli_master(int argc, char **argv);
int cli_dev(int argc, char **argv);
int cli_auth(int argc, char **argv);
int cli_user(int argc, char **argv);
int cli_mailbox(int argc, char **argv);
int cli_reconstruct(int argc, char **argv);
/* In master/cli_mailauth.c. */
int cli_spf(int argc, char **argv);
int cli_dmarc(int argc, char **argv);
int cli_import(int argc, char **argv);
int cli_export(int argc, char **argv);
int cli_setup(int argc, char **argv);
/* In master/cli_dkim.c. */
int cli_dkim(int argc, char **argv);
int cli_quota(int argc, char **argv);
/* In queue/cli_queue.c: the queue belongs to the queue manager. */
int cli_queue(int argc, char **argv);
/* In queue/cli_trace.c and queue/cli_stats.c: they read the log and ask
 * the queue manager. */
int cli_trace(int argc, char **argv);
int cli_stats(int argc, char **argv);

struct store;
/* Opens the store of the config's state_dir as mail_user (dropping root
 * for good when run as root); prints the error and returns NULL. */
struct store *cli_open_store(struct config *cfg);

/*
 * The start of every command that works on the store: loads the config at
 * `path` (NULL: the default) and opens its store with cli_open_store().
 * Returns 0, or the exit status the command should return after the error
 * was printed: 1 for a bad config, CLI_EX_TEMPFAIL for a store that cannot
 * be opened (nothing is left open then).
 */
int cli_store_begin(const char *path, struct config **cfg_r,
		    struct store **st_r);
/* Closes what cli_store_begin() opened. */
void cli_store_end(struct config **cfg, struct store **st);

/* In master/cli_acl.c: access control lists. */
int cli_acl(int argc, char **argv);

/* The owner word of the sealpost commands for the shared namespace. */
#define CLI_SHARED "Shared"

#endif
