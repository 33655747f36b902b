#ifndef SEALPOST_LOG_H
#define SEALPOST_LOG_H

/*
 * One logging API.  A line is an event name followed by key=value fields:
 *
 *     log_info("auth_ok", "user=%s mech=%s", user, mech);
 *
 * gives `auth_ok user=alice mech=GSSAPI session=7Q2M4XK9AB1C`.  Every %s
 * value is quoted and escaped when it holds spaces, quotes or control bytes,
 * so a peer can never forge a field or a line.  Keys come from the list in
 * libmail/log_keys.txt; t/lint/log_keys.t rejects unknown ones.  The session
 * and queue IDs of the current context are appended to every line, so
 * callers never format them.  Never log passwords, tickets or bodies.
 */

#include <stdarg.h>

enum log_level {
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_INFO,
	LOG_LEVEL_WARN,
	LOG_LEVEL_ERROR,
};

enum log_target {
	LOG_TARGET_STDERR,
	LOG_TARGET_SYSLOG,
};

#define LOG_ID_SIZE 24

/* The IDs attached to every line while this context is current. */
struct log_ctx {
	char session[LOG_ID_SIZE];
	char queue_id[LOG_ID_SIZE];
};

/* `ident` names the program ("imapd"); it is copied. */
void log_open(const char *ident, enum log_target target, enum log_level min);

/* Parses "stderr"/"syslog" and "debug"/"info"/"warn"/"error"; -1 if unknown. */
int log_target_parse(const char *s, enum log_target *target_r);
int log_level_parse(const char *s, enum log_level *level_r);

/* Makes `ctx` (may be NULL) the context of the following lines.  The caller
 * keeps ownership and must reset it before freeing the context. */
void log_set_ctx(const struct log_ctx *ctx);
const struct log_ctx *log_get_ctx(void);

/* Fills `id` with a fresh random session ID (12 characters of Crockford
 * base32). */
void log_new_session_id(char id[LOG_ID_SIZE]);

void log_event(enum log_level level, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void log_vevent(enum log_level level, const char *event, const char *fmt,
		va_list ap) __attribute__((format(printf, 3, 0)));

#define log_debug(...) log_event(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_info(...)  log_event(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warn(...)  log_event(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_error(...) log_event(LOG_LEVEL_ERROR, __VA_ARGS__)

/* The environment is wrong (bad config, missing keytab, unwritable spool):
 * logs `fatal reason=...` and exits with EX_TEMPFAIL (75). */
_Noreturn void log_fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* The code is wrong (a broken invariant): logs `panic reason=...` and aborts
 * so there is a core to study. */
_Noreturn void log_panic(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* Test hook: redirect lines to a callback instead of stderr/syslog. */
typedef void log_sink_fn(enum log_level level, const char *line);
void log_set_sink(log_sink_fn *sink);

#endif
