/* Reading a queue file, and recording outcomes in it; see queue_file.h.
 * Everything in the file is checked: a file that fails any check is
 * reported corrupt, never half-used. */
#include "queue_file.h"
#include "buf.h"
#include "smtp_params.h"
#include "xtext.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct queue_reader {
	int fd;
	struct buf in;
	size_t pos;		/* parsed up to here in `in` */
	off_t in_offset;	/* file offset of in.data[0] */
	size_t max_line;
	bool eof;
};

/* The next LF-terminated line, without its LF, or NULL at end of file or
 * when the line is too long (*too_long_r).  A final unterminated piece is
 * not a line. */
static char *queue_reader_line(struct queue_reader *r, size_t *len_r,
			       bool *too_long_r)
{
	for (;;) {
		char *start = r->in.data != NULL ? r->in.data + r->pos : NULL;
		char *lf = start != NULL ?
			memchr(start, '\n', r->in.len - r->pos) : NULL;
		ssize_t n;

		if (lf != NULL) {
			*lf = '\0';
			*len_r = (size_t)(lf - start);
			r->pos += *len_r + 1;
			return start;
		}
		if (r->in.len - r->pos > r->max_line) {
			*too_long_r = true;
			return NULL;
		}
		if (r->eof)
			return NULL;
		r->in_offset += (off_t)r->pos;
		buf_consume(&r->in, r->pos);
		r->pos = 0;
		buf_reserve(&r->in, 8192);
		n = read(r->fd, r->in.data + r->in.len, 8192);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r->eof = true;
			continue;
		}
		r->in.len += (size_t)n;
		r->in.data[r->in.len] = '\0';
	}
}

static off_t queue_reader_offset(const struct queue_reader *r)
{
	return r->in_offset + (off_t)r->pos;
}

static int queue_decode(const char *s, size_t len, char **out_r)
{
	struct buf b = BUF_INIT;
	const char *error;

	if (xtext_decode(&b, s, len, &error) < 0 ||
	    memchr(b.data != NULL ? b.data : "", '\0', b.len) != NULL) {
		buf_free(&b);
		return -1;
	}
	*out_r = buf_steal(&b);
	return 0;
}

static int queue_parse_uint(const char *s, uint64_t max, uint64_t *value_r)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*value_r = v;
	return 0;
}

/* "rcpt ADDR ORIG NOTIFY ORCPT FLAGS" */
static int queue_parse_rcpt(struct queue_envelope *env, char *args)
{
	char *f[5], *orcpt_type = NULL, *orcpt = NULL, *addr = NULL,
	     *orig = NULL;
	uint64_t notify;
	int i, ret = -1;

	for (i = 0; i < 5; i++) {
		f[i] = strsep(&args, " ");
		if (f[i] == NULL || *f[i] == '\0')
			return -1;
	}
	if (args != NULL || queue_parse_uint(f[2], 15, &notify) < 0 ||
	    (strcmp(f[4], "-") != 0 && strcmp(f[4], "loop") != 0))
		return -1;
	if (queue_decode(f[0], strlen(f[0]), &addr) < 0 ||
	    queue_decode(f[1], strlen(f[1]), &orig) < 0)
		goto out;
	if (strcmp(f[3], "-") != 0) {
		char *semi = strchr(f[3], ';');

		if (semi == NULL ||
		    queue_decode(f[3], (size_t)(semi - f[3]), &orcpt_type) < 0 ||
		    queue_decode(semi + 1, strlen(semi + 1), &orcpt) < 0)
			goto out;
	}
	queue_envelope_add_rcpt(env, addr, orig, (unsigned int)notify,
				orcpt_type, orcpt,
				strcmp(f[4], "loop") == 0 ?
				QUEUE_RCPT_FLAG_LOOP : 0);
	ret = 0;
out:
	free(addr);
	free(orig);
	free(orcpt_type);
	free(orcpt);
	return ret;
}

static int queue_parse_record(struct queue_envelope *env, char *line,
			      const struct queue_file_limits *limits)
{
	char *key = strsep(&line, " ");
	const char *v = line != NULL ? line : "";
	uint64_t n;

	if (strcmp(key, "id") == 0)
		return queue_id_valid(v) ? str_copy(env->id, sizeof(env->id), v)
					 : -1;
	if (strcmp(key, "arrival") == 0) {
		if (queue_parse_uint(v, INT64_MAX, &n) < 0)
			return -1;
		env->arrival = (time_t)n;
		return 0;
	}
	if (strcmp(key, "from") == 0)
		return env->sender == NULL ?
			queue_decode(v, strlen(v), &env->sender) : -1;
	if (strcmp(key, "ret") == 0) {
		env->ret = strcmp(v, "full") == 0 ? SMTP_PARAMS_RET_FULL :
			strcmp(v, "hdrs") == 0 ? SMTP_PARAMS_RET_HDRS : -1;
		return env->ret < 0 ? -1 : 0;
	}
	if (strcmp(key, "envid") == 0)
		return env->envid == NULL ?
			queue_decode(v, strlen(v), &env->envid) : -1;
	if (strcmp(key, "body") == 0) {
		env->body = strcmp(v, "7bit") == 0 ? SMTP_PARAMS_BODY_7BIT :
			strcmp(v, "8bitmime") == 0 ? SMTP_PARAMS_BODY_8BITMIME :
			strcmp(v, "binarymime") == 0 ?
			SMTP_PARAMS_BODY_BINARYMIME : -1;
		return env->body < 0 ? -1 : 0;
	}
	if (strcmp(key, "smtputf8") == 0) {
		env->smtputf8 = true;
		return line == NULL ? 0 : -1;
	}
	if (strcmp(key, "auth") == 0)
		return env->auth_user == NULL ?
			queue_decode(v, strlen(v), &env->auth_user) : -1;
	if (strcmp(key, "trusted") == 0) {
		env->trusted = true;
		return line == NULL ? 0 : -1;
	}
	if (strcmp(key, "client") == 0)
		return env->client == NULL ?
			queue_decode(v, strlen(v), &env->client) : -1;
	if (strcmp(key, "origin") == 0)
		return queue_id_valid(v) ?
			str_copy(env->origin, sizeof(env->origin), v) : -1;
	if (strcmp(key, "rcpt") == 0) {
		if (env->rcpt_count >= limits->rcpts || line == NULL)
			return -1;
		return queue_parse_rcpt(env, line);
	}
	return -1;
}

/* "header XTEXT": a field delivered before the message. */
static int queue_parse_header(struct queue_envelope *env, const char *v)
{
	struct buf field = BUF_INIT;
	const char *error;

	if (xtext_decode(&field, v, strlen(v), &error) < 0 ||
	    field.len == 0 || field.len > QUEUE_HEADER_MAX ||
	    memchr(field.data, '\0', field.len) != NULL ||
	    env->prepend_len + field.len > 4 * QUEUE_HEADER_MAX) {
		buf_free(&field);
		return -1;
	}
	env->prepend = xrealloc(env->prepend, env->prepend_len + field.len + 1);
	memcpy(env->prepend + env->prepend_len, field.data, field.len);
	env->prepend_len += field.len;
	env->prepend[env->prepend_len] = '\0';
	buf_free(&field);
	return 0;
}

/* "status INDEX D|F|T|W XTEXT [XTEXT]" */
static int queue_parse_status(struct queue_envelope *env, char *line)
{
	char *key = strsep(&line, " "), *idx = strsep(&line, " "),
	     *state = strsep(&line, " "), *text = strsep(&line, " "),
	     *reply, *remote = NULL;
	uint64_t i;
	struct queue_rcpt *r;

	if (strcmp(key, "status") != 0 || idx == NULL || state == NULL ||
	    text == NULL || queue_parse_uint(idx, SIZE_MAX, &i) < 0 ||
	    i >= env->rcpt_count || strlen(state) != 1 ||
	    strchr("DFTW", state[0]) == NULL ||
	    (line != NULL && (*line == '\0' || strchr(line, ' ') != NULL)))
		return -1;
	if (queue_decode(text, strlen(text), &reply) < 0)
		return -1;
	if (line != NULL && queue_decode(line, strlen(line), &remote) < 0) {
		free(reply);
		return -1;
	}
	r = &env->rcpts[i];
	if (state[0] == 'W') {
		r->warned = true;
		free(reply);
		free(remote);
		return 0;
	}
	free(r->reply);
	r->reply = reply;
	free(r->remote);
	r->remote = remote;
	r->attempts++;
	if (state[0] == 'D')
		r->state = QUEUE_RCPT_DELIVERED;
	else if (state[0] == 'F')
		r->state = QUEUE_RCPT_FAILED;
	return 0;
}

static int queue_file_parse(struct queue_file *qf,
			    const struct queue_file_limits *limits,
			    const char **error_r)
{
	struct queue_envelope *env = &qf->env;
	struct queue_reader r = { qf->fd, BUF_INIT, 0, 0, limits->record,
				  false };
	struct stat st;
	char *line, end[4];
	size_t len;
	bool too_long = false, seen_message = false;
	uint64_t size = 0;
	int ret = -1;

	*error_r = "truncated";
	line = queue_reader_line(&r, &len, &too_long);
	if (line == NULL || strcmp(line, "sealpost-queue 1") != 0) {
		*error_r = line != NULL &&
			strncmp(line, "sealpost-queue ", 15) == 0 ?
			"unknown version" : "not a queue file";
		goto out;
	}
	while ((line = queue_reader_line(&r, &len, &too_long)) != NULL) {
		if (strlen(line) != len) {
			*error_r = "NUL in a record";
			goto out;
		}
		if (strncmp(line, "message ", 8) == 0) {
			if (queue_parse_uint(line + 8, limits->message,
					     &size) < 0) {
				*error_r = "bad message size";
				goto out;
			}
			seen_message = true;
			break;
		}
		if (queue_parse_record(env, line, limits) < 0) {
			*error_r = "bad record";
			goto out;
		}
	}
	if (!seen_message || env->id[0] == '\0' || env->sender == NULL ||
	    env->rcpt_count == 0) {
		*error_r = too_long ? "record too long" : "incomplete envelope";
		goto out;
	}
	env->message_offset = (uint64_t)queue_reader_offset(&r);
	env->message_size = size;
	if (fstat(qf->fd, &st) < 0 ||
	    (uint64_t)st.st_size < env->message_offset + size + 4 ||
	    pread(qf->fd, end, 4, (off_t)(env->message_offset + size)) != 4 ||
	    memcmp(end, "end\n", 4) != 0) {
		*error_r = "no end record";
		goto out;
	}
	/* The outcomes recorded so far.  A torn last line (no LF) is cut
	 * off at the next append. */
	if (lseek(qf->fd, (off_t)(env->message_offset + size + 4),
		  SEEK_SET) < 0)
		goto out;
	buf_free(&r.in);
	r.pos = 0;
	r.eof = false;
	r.in_offset = (off_t)(env->message_offset + size + 4);
	while ((line = queue_reader_line(&r, &len, &too_long)) != NULL) {
		if (strlen(line) == len && strncmp(line, "header ", 7) == 0) {
			if (queue_parse_header(env, line + 7) < 0) {
				*error_r = "bad header record";
				goto out;
			}
			continue;
		}
		if (strlen(line) != len || queue_parse_status(env, line) < 0) {
			*error_r = "bad status record";
			goto out;
		}
	}
	if (too_long) {
		*error_r = "status record too long";
		goto out;
	}
	qf->end = queue_reader_offset(&r);
	env->message_size += env->prepend_len;
	ret = 0;
out:
	buf_free(&r.in);
	return ret;
}

int queue_file_open(const char *path, bool writable,
		    const struct queue_file_limits *limits,
		    struct queue_file **qf_r, bool *corrupt_r,
		    const char **error_r)
{
	static char error[512];
	struct queue_file *qf;
	const char *why;

	*corrupt_r = false;
	qf = xcalloc(1, sizeof(*qf));
	qf->fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (qf->fd < 0) {
		int e = errno;

		snprintf(error, sizeof(error), "open %s: %s", path,
			 strerror(errno));
		*error_r = error;
		free(qf);
		errno = e;
		return -1;
	}
	if (limits == NULL)
		limits = &queue_file_limits_default;
	if (queue_file_parse(qf, limits, &why) < 0) {
		snprintf(error, sizeof(error), "%s", why);
		*error_r = error;
		*corrupt_r = true;
		queue_file_close(&qf);
		return -1;
	}
	*qf_r = qf;
	return 0;
}

void queue_file_close(struct queue_file **qfp)
{
	struct queue_file *qf = *qfp;

	if (qf == NULL)
		return;
	if (qf->fd >= 0)
		close(qf->fd);
	queue_envelope_deinit(&qf->env);
	free(qf);
	*qfp = NULL;
}

int queue_file_set_status(struct queue_file *qf, size_t index,
			  char state_char, const char *reply,
			  const char **error_r)
{
	return queue_file_set_status_remote(qf, index, state_char, reply, NULL,
					    error_r);
}

int queue_file_set_status_remote(struct queue_file *qf, size_t index,
				 char state_char, const char *reply,
				 const char *remote, const char **error_r)
{
	static char error[256];
	struct buf b = BUF_INIT;
	struct queue_rcpt *r = &qf->env.rcpts[index];
	ssize_t n;

	buf_printf(&b, "status %zu %c ", index, state_char);
	xtext_encode(&b, reply, strlen(reply));
	if (remote != NULL && *remote != '\0') {
		buf_append_char(&b, ' ');
		xtext_encode(&b, remote, strlen(remote));
	}
	buf_append_char(&b, '\n');
	/* pwrite at our own end also overwrites a torn tail. */
	n = pwrite(qf->fd, b.data, b.len, qf->end);
	if (n != (ssize_t)b.len ||
	    ftruncate(qf->fd, qf->end + (off_t)b.len) < 0) {
		snprintf(error, sizeof(error), "append status: %s",
			 n < 0 ? strerror(errno) : "short write");
		*error_r = error;
		buf_free(&b);
		return -1;
	}
	qf->end += (off_t)b.len;
	buf_free(&b);
	if (state_char == 'W') {
		r->warned = true;
		return 0;
	}
	free(r->remote);
	r->remote = remote != NULL && *remote != '\0' ? xstrdup(remote) : NULL;
	free(r->reply);
	r->reply = xstrdup(reply);
	r->attempts++;
	if (state_char == 'D')
		r->state = QUEUE_RCPT_DELIVERED;
	else if (state_char == 'F')
		r->state = QUEUE_RCPT_FAILED;
	return 0;
}

int queue_file_sync(struct queue_file *qf, const char **error_r)
{
	if (fdatasync(qf->fd) < 0) {
		*error_r = strerror(errno);
		return -1;
	}
	return 0;
}

void queue_file_prepend(struct queue_file *qf, const char *fields,
			size_t len)
{
	struct queue_envelope *env = &qf->env;
	char *p = xmalloc(env->prepend_len + len + 1);

	memcpy(p, fields, len);
	if (env->prepend_len > 0)
		memcpy(p + len, env->prepend, env->prepend_len);
	p[len + env->prepend_len] = '\0';
	free(env->prepend);
	env->prepend = p;
	env->prepend_len += len;
	env->message_size += len;
}

ssize_t queue_file_read_message(struct queue_file *qf, uint64_t offset,
				void *data, size_t size)
{
	ssize_t n;

	if (offset >= qf->env.message_size)
		return 0;
	if (size > qf->env.message_size - offset)
		size = (size_t)(qf->env.message_size - offset);
	if (offset < qf->env.prepend_len) {
		/* The header records' fields come first. */
		if (size > qf->env.prepend_len - offset)
			size = (size_t)(qf->env.prepend_len - offset);
		memcpy(data, qf->env.prepend + offset, size);
		return (ssize_t)size;
	}
	offset -= qf->env.prepend_len;
	do {
		n = pread(qf->fd, data, size,
			  (off_t)(qf->env.message_offset + offset));
	} while (n < 0 && errno == EINTR);
	return n;
}
