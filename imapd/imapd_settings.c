#include "imapd_settings.h"
#include "file_readers.h"

#include <stddef.h>

#define F(field) offsetof(struct imapd_settings, field)

static const struct config_key imapd_keys[] = {
	{ "imap_listen", CONFIG_STRING, "127.0.0.1:143", 0, 0, F(imap_listen),
	  "Address for IMAP with STARTTLS (RFC 9051): host:port, "
	  "[v6]:port or *:port.  Empty: no such listener.  Passwords are "
	  "refused on it until the client has run STARTTLS." },
	{ "imaps_listen", CONFIG_STRING, "127.0.0.1:993", 0, 0,
	  F(imaps_listen),
	  "Address for IMAP over implicit TLS (RFC 8314).  Empty: no such "
	  "listener.  Needs tls_cert_file and tls_key_file." },
	{ "imap_workers", CONFIG_UINT, "4", 0, 256, F(imap_workers),
	  "How many imapd processes serve IMAP.  Each serves many "
	  "connections from one event loop; more processes use more cores. "
	  "A process that waits on the disk (a message not in the page "
	  "cache; a flush after a change, with imap_group_commit off) delays "
	  "only its own connections, "
	  "so about twice as many processes as cores keeps the cores busy: "
	  "on two cores, 4 served the benchmark's mixed load 1.4-1.7x faster "
	  "than 2, with a lower p99.  0 turns the service off." },
	{ "imap_max_connections", CONFIG_UINT, "5000", 0, 1000000,
	  F(imap_max_connections),
	  "Connections one imapd process serves at most; further ones get "
	  "\"* BYE [UNAVAILABLE]\" and are closed.  0: no limit." },
	{ "imap_max_connections_per_ip", CONFIG_UINT, "100", 0, 1000000,
	  F(imap_max_connections_per_ip),
	  "Connections from one client address that one imapd process "
	  "serves at most.  0: no limit." },
	{ "imap_max_user_sessions", CONFIG_UINT, "20", 1, 10000,
	  F(imap_max_user_sessions),
	  "Logged-in IMAP sessions one user may have at once, across every "
	  "imapd process.  A login past the limit gets \"NO [LIMIT]\"." },
	{ "imap_max_command_size", CONFIG_SIZE, "64k", 1024, 16777216,
	  F(imap_max_command_size),
	  "The longest command line accepted, literals excluded; a longer "
	  "one gets \"BAD [TOOBIG]\" without being buffered." },
	{ "imap_max_literal_size", CONFIG_SIZE, "64k", 1024, 16777216,
	  F(imap_max_literal_size),
	  "The largest literal accepted in a command other than APPEND "
	  "(a search string, a password, a mailbox name); the literals of "
	  "one command together may take 16 times this." },
	{ "imap_max_append_size", CONFIG_SIZE, "50m", 1024, 4294967295ULL,
	  F(imap_max_append_size),
	  "The largest message APPEND accepts, announced as APPENDLIMIT "
	  "(RFC 7889); a larger one gets \"NO [TOOBIG]\"." },
	{ "imap_max_list_depth", CONFIG_UINT, "16", 2, 1000,
	  F(imap_max_list_depth),
	  "How deeply parenthesised lists may nest in a command (and "
	  "NOT/OR/parentheses in a SEARCH); deeper gets \"BAD\"." },
	{ "imap_max_arguments", CONFIG_UINT, "10000", 16, 1000000,
	  F(imap_max_arguments),
	  "How many arguments, at every nesting level together, one command "
	  "may have." },
	{ "imap_search_slice_ms", CONFIG_UINT, "5", 0, 10000,
	  F(imap_search_slice_ms),
	  "How long, in milliseconds, a SEARCH looks at messages before it "
	  "lets the other sessions of its imapd process go on; it carries "
	  "on after they have had their turn.  0: after every message." },
	{ "imap_search_read_ahead", CONFIG_UINT, "256", 0, 4096,
	  F(imap_search_read_ahead),
	  "How many message files a SEARCH that reads them from the disk "
	  "(BODY, TEXT) reads ahead of the one it looks at: the most disk "
	  "reads one SEARCH has in flight, and the most files whose bytes it "
	  "keeps (up to 32 KiB each).  0: none ahead, one file at a time." },
	{ "imap_search_read_threads", CONFIG_UINT, "2", 0,
	  FILE_READERS_MAX_THREADS,
	  F(imap_search_read_threads),
	  "How many helper threads open and read the files a SEARCH reads "
	  "ahead (imap_search_read_ahead), while the imapd process's own "
	  "thread matches them: opening a file not cached costs more CPU than "
	  "searching it.  They last while the SEARCH reads from the disk.  "
	  "0: the process's own thread reads ahead too." },
	{ "imap_search_read_threads_max", CONFIG_UINT, "8", 0, 256,
	  F(imap_search_read_threads_max),
	  "The most helper threads (imap_search_read_threads) one imapd "
	  "process runs for all its SEARCHes at once.  A SEARCH that would "
	  "pass it reads ahead from the process's own thread: more helpers "
	  "than cores only wait for each other." },
	{ "imap_thread_max_references", CONFIG_UINT, "100", 1, 100000,
	  F(imap_thread_max_references),
	  "How many of a message's References (the last ones) THREAD "
	  "REFERENCES links it by.  Each link costs a walk up the thread, so "
	  "this bounds what messages with huge References headers can make "
	  "one THREAD command cost." },
	{ "imap_login_timeout", CONFIG_TIME, "60s", 5, 3600,
	  F(imap_login_timeout),
	  "How long a connection may stay without logging in, and how long "
	  "an unauthenticated client may stay silent." },
	{ "imap_idle_timeout", CONFIG_TIME, "30m", 60, 86400,
	  F(imap_idle_timeout),
	  "How long a logged-in client may stay silent (IDLE included) "
	  "before it is logged out.  RFC 9051 section 5.4 asks for at least "
	  "30 minutes." },
	{ "imap_notify_poll", CONFIG_BOOL, "no", 0, 0, F(imap_notify_poll),
	  "Look at selected mailboxes' change logs once a second instead of "
	  "being woken by inotify: for a store on a network file system, "
	  "where inotify does not see other hosts' writes.  imapd also falls "
	  "back to this on its own when the kernel refuses a watch." },
	{ "imap_auth_fail_delay", CONFIG_TIME, "2s", 0, 60,
	  F(imap_auth_fail_delay),
	  "How long a failed LOGIN or AUTHENTICATE waits before its answer, "
	  "to slow down password guessing." },
	{ "imap_max_auth_failures", CONFIG_UINT, "3", 1, 100,
	  F(imap_max_auth_failures),
	  "Failed logins after which the connection is closed." },
	{ "imap_max_bad_commands", CONFIG_UINT, "20", 1, 10000,
	  F(imap_max_bad_commands),
	  "Consecutive commands answered BAD after which the connection is "
	  "closed: a client that speaks another protocol is not kept." },
	{ "imap_metadata_max_size", CONFIG_SIZE, "4k", 1024, 1048576,
	  F(imap_metadata_max_size),
	  "The largest value of one annotation (RFC 5464 SETMETADATA); a "
	  "larger one gets \"NO [METADATA MAXSIZE n]\".  Values also come "
	  "as literals, so imap_max_literal_size bounds it too." },
	{ "imap_metadata_max_entries", CONFIG_UINT, "100", 10, 100000,
	  F(imap_metadata_max_entries),
	  "How many annotations one mailbox, or the server, may carry as one "
	  "user sees them (the shared ones and that user's private ones); a "
	  "SETMETADATA that would pass it gets \"NO [METADATA TOOMANY]\"." },
	{ "imap_group_commit", CONFIG_BOOL, "yes", 0, 0, F(imap_group_commit),
	  "Make the changes of writing commands (STORE, EXPUNGE, APPEND, "
	  "COPY, MOVE...) durable on a thread of their own while the imapd "
	  "process goes on serving its other sessions: the commands that end "
	  "while one commit runs are made durable together by the next.  "
	  "Each command's tagged answer is held until its change is on "
	  "disk.  No: each command waits for its own flushes, and so do all "
	  "the sessions of its process." },
	{ "imap_commit_max_commands", CONFIG_UINT, "256", 1, 100000,
	  F(imap_commit_max_commands),
	  "The most commands one group commit makes durable; commands past "
	  "it wait for the next one, which starts as soon as this one is "
	  "done.  Bounds the work of one commit (one descriptor per file "
	  "it syncs)." },
};

const struct config_table imapd_config_table = {
	"imap", "The IMAP server, imapd.", CONFIG_KEYS(imapd_keys)
};
