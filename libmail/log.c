#include "log.h"
#include "buf.h"
#include "self_pid.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define EX_TEMPFAIL_CODE 75

static char log_ident[32] = "sealpost";
static enum log_target log_target = LOG_TARGET_STDERR;
static enum log_level log_min = LOG_LEVEL_INFO;
static const struct log_ctx *log_ctx;
static log_sink_fn *log_sink;

void log_open(const char *ident, enum log_target target, enum log_level min)
{
	if (str_copy(log_ident, sizeof(log_ident), ident) < 0)
		(void)str_copy(log_ident, sizeof(log_ident), "sealpost");
	log_target = target;
	log_min = min;
	if (target == LOG_TARGET_SYSLOG)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

int log_target_parse(const char *s, enum log_target *target_r)
{
	if (strcmp(s, "stderr") == 0)
		*target_r = LOG_TARGET_STDERR;
	else if (strcmp(s, "syslog") == 0)
		*target_r = LOG_TARGET_SYSLOG;
	else
		return -1;
	return 0;
}

int log_level_parse(const char *s, enum log_level *level_r)
{
	static const char *const names[] = { "debug", "info", "warn", "error" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i]) == 0) {
			*level_r = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

void log_set_ctx(const struct log_ctx *ctx)
{
	log_ctx = ctx;
}

const struct log_ctx *log_get_ctx(void)
{
	return log_ctx;
}

void log_set_sink(log_sink_fn *sink)
{
	log_sink = sink;
}

void log_new_session_id(char id[LOG_ID_SIZE])
{
	static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	unsigned char rnd[12];
	size_t i;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		log_panic("getrandom failed: %s", strerror(errno));
	for (i = 0; i < sizeof(rnd); i++)
		id[i] = alphabet[rnd[i] & 31];
	id[sizeof(rnd)] = '\0';
}

/* A value needs quotes when it is empty or holds anything a reader could
 * mistake for a separator. */
static int log_value_needs_quotes(const char *s)
{
	if (*s == '\0')
		return 1;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= ' ' || c == '"' || c == '\\' || c == '=' || c == 0x7f)
			return 1;
	}
	return 0;
}

static void log_append_value(struct buf *out, const char *s)
{
	if (!log_value_needs_quotes(s)) {
		buf_append_str(out, s);
		return;
	}
	buf_append_char(out, '"');
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			buf_append_char(out, '\\');
			buf_append_char(out, (char)c);
		} else if (c < ' ' || c == 0x7f) {
			buf_printf(out, "\\x%02x", c);
		} else {
			buf_append_char(out, (char)c);
		}
	}
	buf_append_char(out, '"');
}

/* Formats `fmt` like printf, but every %s argument goes through
 * log_append_value.  Fields are values, not layout, so only plain
 * conversions are known: %s %.*s %c %d %i %u %x with the l, ll and z length
 * modifiers, and %%.  Anything else is a programming error. */
static void log_format(struct buf *out, const char *fmt, va_list ap)
{
	char tmp[32];

	while (*fmt != '\0') {
		int longs = 0, size = 0, prec = -1;
		char conv;

		if (*fmt != '%') {
			buf_append_char(out, *fmt++);
			continue;
		}
		fmt++;
		if (fmt[0] == '.' && fmt[1] == '*') {
			prec = va_arg(ap, int);
			fmt += 2;
		}
		for (; *fmt == 'l'; fmt++)
			longs++;
		if (*fmt == 'z') {
			size = 1;
			fmt++;
		}
		conv = *fmt;
		if (conv == '\0')
			log_panic("bad log format");
		fmt++;
		if (conv == '%') {
			buf_append_char(out, '%');
		} else if (conv == 's') {
			const char *s = va_arg(ap, const char *);
			char *cut;

			if (s == NULL)
				s = "(null)";
			if (prec < 0) {
				log_append_value(out, s);
				continue;
			}
			cut = xstrndup(s, (size_t)prec);
			log_append_value(out, cut);
			free(cut);
		} else if (conv == 'c') {
			tmp[0] = (char)va_arg(ap, int);
			tmp[1] = '\0';
			log_append_value(out, tmp);
		} else if (conv == 'd' || conv == 'i') {
			long long v = size ? (long long)va_arg(ap, ssize_t) :
				longs == 0 ? va_arg(ap, int) :
				longs == 1 ? va_arg(ap, long) :
				va_arg(ap, long long);

			snprintf(tmp, sizeof(tmp), "%lld", v);
			buf_append_str(out, tmp);
		} else if (conv == 'u' || conv == 'x') {
			unsigned long long v = size ? va_arg(ap, size_t) :
				longs == 0 ? va_arg(ap, unsigned int) :
				longs == 1 ? va_arg(ap, unsigned long) :
				va_arg(ap, unsigned long long);

			snprintf(tmp, sizeof(tmp), conv == 'u' ? "%llu" : "%llx",
				 v);
			buf_append_str(out, tmp);
		} else {
			log_panic("bad log conversion");
		}
	}
}

static void log_write(enum log_level level, const char *line)
{
	static const int prio[] = { LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR };
	struct buf out = BUF_INIT;
	struct timespec ts;
	struct tm tm;

	if (log_sink != NULL) {
		log_sink(level, line);
		return;
	}
	if (log_target == LOG_TARGET_SYSLOG) {
		syslog(prio[level], "%s", line);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	buf_printf(&out, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s[%ld]: %s\n",
		   tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		   tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, log_ident,
		   (long)self_pid(), line);
	/* One write per line, so lines from many processes sharing stderr
	 * never interleave. */
	if (write(STDERR_FILENO, out.data, out.len) < 0) {
		/* Nowhere left to report it. */
	}
	buf_free(&out);
}

void log_vevent(enum log_level level, const char *event, const char *fmt,
		va_list ap)
{
	struct buf line = BUF_INIT;
	int saved_errno = errno;

	if (level < log_min) {
		errno = saved_errno;
		return;
	}
	buf_append_str(&line, event);
	if (fmt != NULL && *fmt != '\0') {
		buf_append_char(&line, ' ');
		log_format(&line, fmt, ap);
	}
	if (log_ctx != NULL && log_ctx->session[0] != '\0') {
		buf_append_str(&line, " session=");
		log_append_value(&line, log_ctx->session);
	}
	if (log_ctx != NULL && log_ctx->queue_id[0] != '\0') {
		buf_append_str(&line, " qid=");
		log_append_value(&line, log_ctx->queue_id);
	}
	log_write(level, buf_cstr(&line));
	buf_free(&line);
	errno = saved_errno;
}

void log_event(enum log_level level, const char *event, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vevent(level, event, fmt, ap);
	va_end(ap);
}

static void log_reason(enum log_level level, const char *event,
		       const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static void log_reason(enum log_level level, const char *event,
		       const char *fmt, va_list ap)
{
	struct buf reason = BUF_INIT;

	buf_vprintf(&reason, fmt, ap);
	log_event(level, event, "reason=%s", buf_cstr(&reason));
	buf_free(&reason);
}

void log_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_reason(LOG_LEVEL_ERROR, "fatal", fmt, ap);
	va_end(ap);
	exit(EX_TEMPFAIL_CODE);
}

void log_panic(const char *fmt, ...)
{
	static int in_panic;
	va_list ap;

	/* A panic while formatting a panic (say, out of memory) must not
	 * recurse: write a fixed line and abort. */
	if (in_panic++) {
		static const char msg[] = "panic while panicking\n";

		if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
			/* nothing more to do */
		}
		abort();
	}
	va_start(ap, fmt);
	log_reason(LOG_LEVEL_ERROR, "panic", fmt, ap);
	va_end(ap);
	abort();
}
