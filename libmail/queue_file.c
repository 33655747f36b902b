/* The queue file format and its durable writes; see queue_file.h. */
#include "queue_file.h"
#include "buf.h"
#include "log.h"
#include "xtext.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#define QUEUE_MAGIC "sealpost-queue"
#define QUEUE_SIZE_DIGITS 12
#define QUEUE_WRITE_CHUNK 65536

const struct queue_file_limits queue_file_limits_default = {
	.record = 8192,
	.rcpts = 100000,
	.message = (uint64_t)4 << 30,
};

static const char *const queue_folder_names[QUEUE_FOLDER_COUNT] = {
	"incoming", "active", "deferred", "hold", "corrupt",
};

static const char queue_b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

const char *queue_folder_name(enum queue_folder folder)
{
	return folder < QUEUE_FOLDER_COUNT ? queue_folder_names[folder] : "?";
}

void queue_id_new(char id[QUEUE_ID_SIZE])
{
	struct timeval tv;
	uint64_t us;
	uint32_t rnd = 0;
	int i;

	gettimeofday(&tv, NULL);
	us = (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		rnd = (uint32_t)getpid() ^ (uint32_t)us;
	/* 11 characters hold 55 bits of microseconds: good until 3111. */
	for (i = 10; i >= 0; i--) {
		id[i] = queue_b32[us & 31];
		us >>= 5;
	}
	for (i = 14; i >= 11; i--) {
		id[i] = queue_b32[rnd & 31];
		rnd >>= 5;
	}
	id[QUEUE_ID_LEN] = '\0';
}

bool queue_id_valid(const char *name)
{
	size_t i;

	for (i = 0; name[i] != '\0'; i++) {
		if (i >= QUEUE_ID_LEN || strchr(queue_b32, name[i]) == NULL)
			return false;
	}
	return i == QUEUE_ID_LEN;
}

char *queue_path(const char *queue_dir, enum queue_folder folder,
		 const char *id)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "%s/%s/%s", queue_dir, queue_folder_name(folder), id);
	return buf_steal(&b);
}

int queue_dirs_create(const char *queue_dir, const char **error_r)
{
	static char error[512];
	struct buf path = BUF_INIT;
	int i;

	for (i = -2; i < QUEUE_FOLDER_COUNT; i++) {
		buf_clear(&path);
		if (i == -2)
			buf_append_str(&path, queue_dir);
		else
			buf_printf(&path, "%s/%s", queue_dir,
				   i == -1 ? "tmp" : queue_folder_name(i));
		if (mkdir(buf_cstr(&path), 0700) < 0 && errno != EEXIST) {
			snprintf(error, sizeof(error), "mkdir %s: %s",
				 buf_cstr(&path), strerror(errno));
			*error_r = error;
			buf_free(&path);
			return -1;
		}
	}
	buf_free(&path);
	return 0;
}

static int queue_sync_path(const char *path, const char **error_r)
{
	static char error[512];
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) < 0) {
		snprintf(error, sizeof(error), "fsync %s: %s", path,
			 strerror(errno));
		*error_r = error;
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int queue_dir_sync(const char *queue_dir, enum queue_folder folder,
		   const char **error_r)
{
	struct buf path = BUF_INIT;
	int ret;

	buf_printf(&path, "%s/%s", queue_dir, queue_folder_name(folder));
	ret = queue_sync_path(buf_cstr(&path), error_r);
	buf_free(&path);
	return ret;
}

void queue_envelope_add_rcpt(struct queue_envelope *env, const char *address,
			     const char *orig, unsigned int notify,
			     const char *orcpt_type, const char *orcpt,
			     unsigned int flags)
{
	struct queue_rcpt *r;

	env->rcpts = xrealloc(env->rcpts,
			      (env->rcpt_count + 1) * sizeof(*env->rcpts));
	r = &env->rcpts[env->rcpt_count++];
	memset(r, 0, sizeof(*r));
	r->address = xstrdup(address);
	r->orig = xstrdup(orig != NULL ? orig : address);
	r->notify = notify;
	if (orcpt_type != NULL && orcpt != NULL) {
		r->orcpt_type = xstrdup(orcpt_type);
		r->orcpt = xstrdup(orcpt);
	}
	r->flags = flags;
}

void queue_envelope_deinit(struct queue_envelope *env)
{
	size_t i;

	for (i = 0; i < env->rcpt_count; i++) {
		free(env->rcpts[i].address);
		free(env->rcpts[i].orig);
		free(env->rcpts[i].orcpt_type);
		free(env->rcpts[i].orcpt);
		free(env->rcpts[i].reply);
		free(env->rcpts[i].remote);
	}
	free(env->rcpts);
	free(env->sender);
	free(env->envid);
	free(env->auth_user);
	free(env->client);
	free(env->prepend);
	memset(env, 0, sizeof(*env));
}

/* ---- writing ---- */

struct queue_writer {
	char *queue_dir;
	char id[QUEUE_ID_SIZE];
	char *tmp_path;
	int fd;
	struct buf out;
	off_t size_offset;	/* of the fixed-width message size */
	uint64_t message_size;
	int error;		/* first errno, 0 while all is well */
	bool ended;		/* "end" written: no more message octets */
	struct buf trailer;	/* header records, written after "end" */
};

static void queue_writer_flush(struct queue_writer *w)
{
	size_t done = 0;

	while (w->error == 0 && done < w->out.len) {
		ssize_t n = write(w->fd, w->out.data + done, w->out.len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			w->error = n < 0 ? errno : EIO;
		else
			done += (size_t)n;
	}
	buf_clear(&w->out);
}

static void queue_write_xtext(struct buf *b, const char *s)
{
	xtext_encode(b, s, strlen(s));
}

static void queue_writer_envelope(struct queue_writer *w,
				  const struct queue_envelope *env)
{
	static const char *const rets[] = { NULL, "full", "hdrs" };
	static const char *const bodies[] = { NULL, "7bit", "8bitmime",
					      "binarymime" };
	struct buf *b = &w->out;
	size_t i;

	buf_printf(b, QUEUE_MAGIC " %d\nid %s\narrival %lld\nfrom ",
		   QUEUE_FILE_VERSION, env->id, (long long)env->arrival);
	queue_write_xtext(b, env->sender != NULL ? env->sender : "");
	buf_append_char(b, '\n');
	if (env->ret > 0 && env->ret < 3)
		buf_printf(b, "ret %s\n", rets[env->ret]);
	if (env->envid != NULL) {
		buf_append_str(b, "envid ");
		queue_write_xtext(b, env->envid);
		buf_append_char(b, '\n');
	}
	if (env->body > 0 && env->body < 4)
		buf_printf(b, "body %s\n", bodies[env->body]);
	if (env->smtputf8)
		buf_append_str(b, "smtputf8\n");
	if (env->auth_user != NULL) {
		buf_append_str(b, "auth ");
		queue_write_xtext(b, env->auth_user);
		buf_append_char(b, '\n');
	}
	if (env->trusted)
		buf_append_str(b, "trusted\n");
	if (env->client != NULL) {
		buf_append_str(b, "client ");
		queue_write_xtext(b, env->client);
		buf_append_char(b, '\n');
	}
	if (env->origin[0] != '\0')
		buf_printf(b, "origin %s\n", env->origin);
	for (i = 0; i < env->rcpt_count; i++) {
		const struct queue_rcpt *r = &env->rcpts[i];

		buf_append_str(b, "rcpt ");
		queue_write_xtext(b, r->address);
		buf_append_char(b, ' ');
		queue_write_xtext(b, r->orig);
		buf_printf(b, " %u ", r->notify);
		if (r->orcpt_type != NULL) {
			queue_write_xtext(b, r->orcpt_type);
			buf_append_char(b, ';');
			queue_write_xtext(b, r->orcpt);
		} else {
			buf_append_char(b, '-');
		}
		buf_append_str(b, (r->flags & QUEUE_RCPT_FLAG_LOOP) ?
			       " loop\n" : " -\n");
	}
	buf_append_str(b, "message ");
	w->size_offset = (off_t)b->len;
	buf_printf(b, "%0*d\n", QUEUE_SIZE_DIGITS, 0);
}

int queue_writer_begin(const char *queue_dir, struct queue_envelope *env,
		       struct queue_writer **w_r, const char **error_r)
{
	static char error[512];
	struct queue_writer *w;
	struct buf path = BUF_INIT;
	int tries;

	w = xcalloc(1, sizeof(*w));
	w->fd = -1;
	if (env->arrival == 0)
		env->arrival = time(NULL);
	for (tries = 0; tries < 10 && w->fd < 0; tries++) {
		if (env->id[0] == '\0' || tries > 0)
			queue_id_new(env->id);
		buf_clear(&path);
		buf_printf(&path, "%s/tmp/%s", queue_dir, env->id);
		w->fd = open(buf_cstr(&path),
			     O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (w->fd < 0 && errno != EEXIST)
			break;
	}
	if (w->fd < 0) {
		snprintf(error, sizeof(error), "create %s: %s",
			 buf_cstr(&path), strerror(errno));
		*error_r = error;
		buf_free(&path);
		free(w);
		return -1;
	}
	w->queue_dir = xstrdup(queue_dir);
	memcpy(w->id, env->id, sizeof(w->id));
	w->tmp_path = buf_steal(&path);
	queue_writer_envelope(w, env);
	*w_r = w;
	return 0;
}

void queue_writer_write(struct queue_writer *w, const void *data, size_t len)
{
	if (w->ended)
		log_panic("queue_writer_write after the end of %s", w->id);
	w->message_size += len;
	buf_append(&w->out, data, len);
	if (w->out.len >= QUEUE_WRITE_CHUNK)
		queue_writer_flush(w);
}

void queue_writer_add_header(struct queue_writer *w, const char *field)
{
	size_t len = strlen(field);

	if (w->ended || len > QUEUE_HEADER_MAX)
		log_panic("queue_writer_add_header: %s for %s",
			  w->ended ? "after the end" : "too long", w->id);
	buf_append_str(&w->trailer, "header ");
	xtext_encode(&w->trailer, field, len);
	buf_append_char(&w->trailer, '\n');
}

uint64_t queue_writer_size(const struct queue_writer *w)
{
	return w->message_size;
}

static void queue_writer_free(struct queue_writer **wp, bool remove)
{
	struct queue_writer *w = *wp;

	if (w == NULL)
		return;
	if (w->fd >= 0)
		close(w->fd);
	if (remove)
		(void)unlink(w->tmp_path);
	buf_free(&w->out);
	buf_free(&w->trailer);
	free(w->tmp_path);
	free(w->queue_dir);
	free(w);
	*wp = NULL;
}

static int queue_writer_fail(struct queue_writer *w, const char *step,
			     const char **error_r)
{
	static char error[512];

	snprintf(error, sizeof(error), "%s %s: %s", step, w->tmp_path,
		 strerror(w->error));
	*error_r = error;
	return -1;
}

int queue_writer_end(struct queue_writer *w, const char **error_r)
{
	char digits[QUEUE_SIZE_DIGITS + 1];

	if (w->ended)
		log_panic("queue_writer_end twice for %s", w->id);
	w->ended = true;
	buf_append_str(&w->out, "end\n");
	buf_append(&w->out, w->trailer.data, w->trailer.len);
	queue_writer_flush(w);
	if (w->error == 0 &&
	    (str_format(digits, sizeof(digits), "%0*" PRIu64,
			QUEUE_SIZE_DIGITS, w->message_size) < 0 ||
	     pwrite(w->fd, digits, QUEUE_SIZE_DIGITS, w->size_offset) !=
	     QUEUE_SIZE_DIGITS))
		w->error = errno != 0 ? errno : EFBIG;
	return w->error == 0 ? 0 : queue_writer_fail(w, "write", error_r);
}

int queue_writer_fd(const struct queue_writer *w)
{
	return w->fd;
}

int queue_writer_sync(struct queue_writer *w, const char **error_r)
{
	if (!w->ended)
		log_panic("queue_writer_sync before the end of %s", w->id);
	if (w->error == 0 && fsync(w->fd) < 0)
		w->error = errno;
	return w->error == 0 ? 0 : queue_writer_fail(w, "fsync", error_r);
}

int queue_writer_link(struct queue_writer **wp, enum queue_folder folder,
		      const char **error_r)
{
	struct queue_writer *w = *wp;
	char *final;
	int ret = -1;

	if (!w->ended)
		log_panic("queue_writer_link before the end of %s", w->id);
	if (w->error == 0) {
		final = queue_path(w->queue_dir, folder, w->id);
		ret = link(w->tmp_path, final);
		if (ret < 0)
			w->error = errno;
		free(final);
	}
	if (ret < 0)
		(void)queue_writer_fail(w, "link", error_r);
	/* The name in `folder` is the file now; tmp/ keeps nothing. */
	queue_writer_free(wp, true);
	return ret;
}

int queue_writer_finish(struct queue_writer **wp, enum queue_folder folder,
			const char **error_r)
{
	/* The data must be on disk before the name that makes it visible. */
	if (queue_writer_end(*wp, error_r) < 0 ||
	    queue_writer_sync(*wp, error_r) < 0) {
		queue_writer_free(wp, true);
		return -1;
	}
	return queue_writer_link(wp, folder, error_r);
}

void queue_writer_abort(struct queue_writer **w)
{
	queue_writer_free(w, true);
}
