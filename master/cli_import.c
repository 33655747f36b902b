/*
 * sealpost import USER[:MAILBOX] FILE|DIR: an mbox file or a Maildir into
 * a mailbox of the store, through the same locked mbox code the daemons
 * use, so it is safe while they run.
 *
 * Messages are committed in batches (one lock, one directory fsync, one
 * log fdatasync per batch), which is what makes ten thousand messages a
 * matter of seconds.  Each message carries a delivery hash made of where
 * it stood in the source (its place in the mbox file, its Maildir unique
 * name) and its bytes; the hashes already in the mailbox are read at the
 * start and those messages skipped.  A commit is atomic, so an import
 * killed at any point and run again adds exactly what is missing.  The
 * source is flock'ed meanwhile, so two imports of it never overlap.
 */
#include "cli.h"
#include "cli_mailfile.h"
#include "cli_reader.h"
#include "buf.h"
#include "config.h"
#include "imapd/imap_arg.h"
#include "log.h"
#include "mbox.h"
#include "mime_cache.h"
#include "mime_parse.h"
#include "mime_part.h"
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <signal.h>
#include <unistd.h>

#define IMPORT_DEFAULT_BATCH 500
#define IMPORT_MAX_BATCH 100000

/* One message of the source, converted to the store's form. */
struct import_msg {
	struct buf data;	/* CRLF line endings */
	struct buf key;		/* where it stood in the source */
	uint32_t flags;
	int64_t date;
	char *keywords[MBOX_MAX_KEYWORDS + 1];
	unsigned int keyword_count;
};

struct import {
	struct store *st;
	struct mbox *mb;
	uint64_t *known;	/* delivery hashes already in the mailbox */
	size_t known_count;
	struct mbox_append *batch;
	char **paths;		/* the batch's temporary files */
	size_t batch_count, batch_max;
	size_t done, skipped;
	unsigned int seq;
	int tmp_fd;
	struct cli_progress progress;
};

static const char cli_import_usage[] =
	"usage: sealpost import [--config FILE] [--batch N] USER[:MAILBOX] FILE|DIR\n"
	"Adds the messages of an mbox FILE or a Maildir DIR to MAILBOX (default\n"
	"INBOX; created when missing).  Flags come from Status:/X-Status: or the\n"
	"Maildir info letters, internal dates from the \"From \" lines or the\n"
	"files' times.  Safe while the daemons run; run it again after an\n"
	"interruption and it adds only what is missing.  --batch: messages per\n"
	"commit (default 500).\n";

static void import_msg_reset(struct import_msg *m)
{
	unsigned int i;

	buf_clear(&m->data);
	buf_clear(&m->key);
	for (i = 0; i < m->keyword_count; i++)
		free(m->keywords[i]);
	memset(m->keywords, 0, sizeof(m->keywords));
	m->keyword_count = 0;
	m->flags = 0;
	m->date = 0;
}

static void import_msg_free(struct import_msg *m)
{
	import_msg_reset(m);
	buf_free(&m->data);
	buf_free(&m->key);
}

static int import_cmp_hash(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t import_hash(const struct import_msg *m)
{
	static const char tag[] = "sealpost-import";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint64_t hash;

	if (ctx == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, tag, sizeof(tag)) != 1 ||
	    EVP_DigestUpdate(ctx, m->key.data, m->key.len) != 1 ||
	    EVP_DigestUpdate(ctx, "", 1) != 1 ||
	    EVP_DigestUpdate(ctx, m->data.data, m->data.len) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, &md_len) != 1)
		log_panic("import: sha256 failed");
	EVP_MD_CTX_free(ctx);
	memcpy(&hash, md, sizeof(hash));
	/* 0 means "no hash" to the store. */
	return hash != 0 ? hash : 1;
}

/* Makes the batch durable and visible: the files reach the disk with one
 * syncfs (an fsync each would cost a journal commit per message), then the
 * mailbox commits them in one step. */
static int import_flush(struct import *im, const char **error_r)
{
	struct mbox_append_result *results;
	size_t i;
	int ret;

	if (im->batch_count == 0)
		return 0;
	if (syncfs(im->tmp_fd) < 0) {
		*error_r = strerror(errno);
		mbox_append_abort(&im->batch);
		ret = -1;
	} else {
		results = xcalloc(im->batch_count, sizeof(*results));
		ret = mbox_append_commit(&im->batch, results, error_r);
		free(results);
	}
	for (i = 0; i < im->batch_count; i++) {
		(void)unlink(im->paths[i]);
		free(im->paths[i]);
	}
	im->batch_count = 0;
	if (ret == 0)
		cli_progress_step(&im->progress, im->done, im->skipped);
	return ret;
}

static int import_write_file(struct import *im, const struct buf *data,
			     struct buf *path, const char **error_r)
{
	int fd;

	buf_clear(path);
	buf_printf(path, "%s/import.%ld.%u", store_tmp_dir(im->st),
		   (long)getpid(), im->seq++);
	fd = open(buf_cstr(path), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		  0600);
	if (fd < 0) {
		*error_r = strerror(errno);
		return -1;
	}
	if (cli_mailfile_write_all(fd, data->data, data->len) < 0) {
		*error_r = strerror(errno);
		close(fd);
		(void)unlink(buf_cstr(path));
		return -1;
	}
	close(fd);
	return 0;
}

/* Adds one message to the batch, unless an earlier run stored it. */
static int import_add(struct import *im, const struct import_msg *m,
		      const char **error_r)
{
	struct mbox_new_message msg;
	struct buf path = BUF_INIT, cache = BUF_INIT;
	struct mime_part *root;
	uint64_t hash = import_hash(m);

	im->done++;
	if (bsearch(&hash, im->known, im->known_count, sizeof(hash),
		    import_cmp_hash) != NULL) {
		im->skipped++;
		return 0;
	}
	if (import_write_file(im, &m->data, &path, error_r) < 0) {
		buf_free(&path);
		return -1;
	}
	root = mime_parse(m->data.data, m->data.len, NULL, NULL);
	mime_cache_write(root, m->data.data, m->data.len, &cache);
	mime_part_free(&root);
	memset(&msg, 0, sizeof(msg));
	msg.path = buf_cstr(&path);
	msg.size = m->data.len;
	msg.internal_date = m->date;
	msg.flags = m->flags;
	msg.keywords = (const char *const *)m->keywords;
	msg.cache = cache.data;
	msg.cache_size = cache.len;
	msg.delivery_hash = hash;
	/* The mailbox's hashes were read at the start; the store need not
	 * search its index again for each message (that would make an
	 * import quadratic).  Within the batch it still compares. */
	msg.dedup_since = INT64_MAX;
	if (im->batch == NULL)
		im->batch = mbox_append_begin(im->mb);
	mbox_append_add(im->batch, &msg);
	im->paths[im->batch_count++] = buf_steal(&path);
	buf_free(&cache);
	if (im->batch_count == im->batch_max)
		return import_flush(im, error_r);
	return 0;
}

/* Reads the keywords of an X-Keywords: value (space or comma separated). */
static void import_keywords(struct import_msg *m, const char *v, size_t len)
{
	size_t i = 0, start;

	while (i < len) {
		while (i < len && (v[i] == ' ' || v[i] == ',' || v[i] == '\t' ||
				   v[i] == '\r' || v[i] == '\n'))
			i++;
		start = i;
		while (i < len && v[i] != ' ' && v[i] != ',' && v[i] != '\t' &&
		       v[i] != '\r' && v[i] != '\n')
			i++;
		if (i > start && i - start <= MBOX_KEYWORD_MAX_LEN &&
		    m->keyword_count < MBOX_MAX_KEYWORDS) {
			char *kw = xstrndup(v + start, i - start);

			/* What IMAP could not send as a keyword is dropped
			 * (system flags come from Status and X-Status). */
			if (imap_is_atom(kw))
				m->keywords[m->keyword_count++] = kw;
			else
				free(kw);
		}
	}
}

/* The mbox metadata fields, read into flags and keywords and left out of
 * the stored message (export writes them back). */
static bool import_meta_field(struct import_msg *m, const char *line,
			      size_t len)
{
	static const char *const names[] = {
		"Status:", "X-Status:", "X-Keywords:", "X-UID:",
	};
	size_t i, n;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		n = strlen(names[i]);
		if (len < n || strncasecmp(line, names[i], n) != 0)
			continue;
		if (i == 0 || i == 1)
			m->flags |= cli_mailfile_status_flags(line + n, len - n,
							      i == 1);
		else if (i == 2)
			import_keywords(m, line + n, len - n);
		return true;
	}
	return false;
}

/*
 * Converts a message of the source to CRLF lines into m->data.  For mbox
 * (mboxrd) a line ">From ", ">>From "... loses one '>' and the metadata
 * fields of the header become flags; a Maildir file is taken as it is.
 */
static void import_convert(struct import_msg *m, const char *p, size_t len,
			   bool mbox)
{
	bool header = true, skipping = false;
	size_t pos = 0;

	while (pos < len) {
		const char *nl = memchr(p + pos, '\n', len - pos);
		size_t end = nl != NULL ? (size_t)(nl - p) : len;
		size_t line = end, start = pos;

		if (line > start && p[line - 1] == '\r')
			line--;
		pos = nl != NULL ? end + 1 : len;
		if (header && line == start)
			header = false;
		if (mbox && header) {
			if (skipping && (p[start] == ' ' || p[start] == '\t'))
				continue;
			skipping = import_meta_field(m, p + start, line - start);
			if (skipping)
				continue;
		}
		if (mbox && p[start] == '>') {
			size_t q = start;

			while (q < line && p[q] == '>')
				q++;
			if (line - q >= 5 && memcmp(p + q, "From ", 5) == 0)
				start++;
		}
		buf_append(&m->data, p + start, line - start);
		if (nl != NULL)
			buf_append(&m->data, "\r\n", 2);
	}
}

/* ---- mbox ---- */

static bool import_is_from_line(const char *p, size_t pos, size_t len)
{
	return len - pos >= 5 && memcmp(p + pos, "From ", 5) == 0 &&
		(pos == 0 || p[pos - 1] == '\n');
}

static size_t import_mbox_count(const char *p, size_t len)
{
	size_t n = 0, pos = 0;

	while (pos < len) {
		const char *nl;

		if (import_is_from_line(p, pos, len))
			n++;
		nl = memchr(p + pos, '\n', len - pos);
		pos = nl != NULL ? (size_t)(nl - p) + 1 : len;
	}
	return n;
}

static int import_mbox(struct import *im, const char *p, size_t len,
		       const char **error_r)
{
	struct import_msg m;
	size_t pos = 0, ordinal = 0, following;
	int ret = 0;

	if (len > 0 && !import_is_from_line(p, 0, len)) {
		*error_r = "not an mbox file (it does not start with \"From \")";
		return -1;
	}
	memset(&m, 0, sizeof(m));
	while (ret == 0 && pos < len) {
		const char *nl = memchr(p + pos, '\n', len - pos);
		size_t body = nl != NULL ? (size_t)(nl - p) + 1 : len, end = body;

		/* The next "From " line at the start of a line ends it. */
		while (end < len && !import_is_from_line(p, end, len)) {
			const char *next = memchr(p + end, '\n', len - end);

			end = next != NULL ? (size_t)(next - p) + 1 : len;
		}
		following = end;
		import_msg_reset(&m);
		if (cli_mailfile_from_date(p + pos, body - pos, &m.date) < 0)
			m.date = (int64_t)time(NULL);
		buf_printf(&m.key, "mbox %zu", ordinal++);
		/* The empty line before the next "From " belongs to the
		 * format, not to the message. */
		if (end - body >= 2 && p[end - 1] == '\n' && p[end - 2] == '\n')
			end--;
		else if (end - body >= 3 && p[end - 1] == '\n' &&
			 p[end - 2] == '\r' && p[end - 3] == '\n')
			end -= 2;
		import_convert(&m, p + body, end - body, true);
		ret = import_add(im, &m, error_r);
		pos = following;
	}
	import_msg_free(&m);
	return ret;
}

/* ---- Maildir ---- */

struct import_entry {
	char *name;
	bool cur;
	uint32_t uid;		/* from ",U=", or UINT32_MAX */
	struct timespec mtime;
};

static int import_entry_cmp(const void *a, const void *b)
{
	const struct import_entry *x = a, *y = b;

	if (x->uid != y->uid)
		return x->uid < y->uid ? -1 : 1;
	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int import_maildir_list(int dir_fd, const char *sub, bool cur,
			       struct import_entry **list, size_t *count,
			       size_t *alloc)
{
	struct dirent *de;
	DIR *d;
	int fd = openat(dir_fd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		struct import_entry *e;
		struct stat st;
		const char *u;

		if (de->d_name[0] == '.' ||
		    fstatat(dirfd(d), de->d_name, &st, 0) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (*count == *alloc) {
			*alloc = *alloc ? *alloc * 2 : 64;
			*list = xrealloc(*list, *alloc * sizeof(**list));
		}
		e = &(*list)[(*count)++];
		e->name = xstrdup(de->d_name);
		e->cur = cur;
		e->mtime = st.st_mtim;
		u = strstr(de->d_name, ",U=");
		e->uid = u != NULL ? (uint32_t)strtoul(u + 3, NULL, 10) : UINT32_MAX;
	}
	closedir(d);
	return 0;
}

static int import_maildir_one(struct import *im, struct cli_reader *reader,
			      const struct import_entry *e,
			      struct import_msg *m, struct buf *data,
			      const char **error_r)
{
	const char *info = strstr(e->name, ":2,");
	int ret = cli_reader_next(reader, data, error_r);

	if (ret <= 0)
		return ret;	/* 0: moved or removed by its owner meanwhile */
	import_msg_reset(m);
	m->date = (int64_t)e->mtime.tv_sec;
	if (e->cur && info != NULL)
		m->flags = cli_mailfile_maildir_flags(info + 3);
	buf_append_str(&m->key, "maildir ");
	buf_append(&m->key, e->name,
		   info != NULL ? (size_t)(info - e->name) : strlen(e->name));
	import_convert(m, data->data != NULL ? data->data : "", data->len,
		       false);
	return import_add(im, m, error_r);
}

static int import_maildir(struct import *im, struct cli_reader *reader,
			  struct import_entry *list, size_t count,
			  const char **error_r)
{
	struct import_msg m;
	struct buf data = BUF_INIT;
	size_t i;
	int ret = 0;

	memset(&m, 0, sizeof(m));
	for (i = 0; ret == 0 && i < count; i++)
		ret = import_maildir_one(im, reader, &list[i], &m, &data,
					 error_r);
	import_msg_free(&m);
	buf_free(&data);
	return ret;
}

/* ---- the command ---- */

/* Opens (creating if missing) the mailbox and reads the hashes already in
 * it. */
static int import_open_mailbox(struct import *im, const char *user,
			       const char *mailbox, const char **error_r)
{
	struct mbox_view view;
	bool exists;
	size_t i;
	int ret;

	ret = store_user_exists(im->st, user, error_r);
	if (ret == 0)
		*error_r = "no such user";
	if (ret <= 0)
		return -1;
	ret = store_mailbox_open(im->st, user, mailbox, &im->mb, error_r);
	if (ret == 0) {
		if (store_mailbox_create(im->st, user, mailbox, 0, &exists,
					 error_r) < 0 && !exists)
			return -1;
		ret = store_mailbox_open(im->st, user, mailbox, &im->mb,
					 error_r);
	}
	if (ret <= 0)
		return -1;
	memset(&view, 0, sizeof(view));
	if (mbox_view_load(im->mb, &view, error_r) < 0 ||
	    mbox_sync(im->mb, &view, NULL, NULL, error_r) < 0)
		return -1;
	im->known = xcalloc(view.count + 1, sizeof(*im->known));
	for (i = 0; i < view.count; i++) {
		if (view.records[i].delivery_hash != 0)
			im->known[im->known_count++] = view.records[i].delivery_hash;
	}
	qsort(im->known, im->known_count, sizeof(*im->known), import_cmp_hash);
	mbox_view_free(&view);
	return 0;
}

/* The source, opened before the store drops root's rights (a postmaster's
 * file need not be readable by mail_user): an mbox file is mapped, a
 * Maildir's files are read by a reader that keeps the rights
 * (cli_reader.h). */
struct import_source {
	int fd;
	bool maildir;
	const char *map;
	size_t size;
	struct import_entry *entries;
	size_t count;
	struct cli_reader *reader;	/* reads a Maildir's files */
};

/* Starts the reader of the Maildir's files, in the order of the entries. */
static int import_source_reader(struct import_source *src,
				const char **error_r)
{
	char **paths = xcalloc(src->count + 1, sizeof(*paths));
	struct buf path = BUF_INIT;
	size_t i;
	int ret;

	for (i = 0; i < src->count; i++) {
		buf_clear(&path);
		buf_printf(&path, "%s/%s", src->entries[i].cur ? "cur" : "new",
			   src->entries[i].name);
		paths[i] = xstrdup(buf_cstr(&path));
	}
	ret = cli_reader_start(src->fd, paths, src->count, &src->reader,
			       error_r);
	for (i = 0; i < src->count; i++)
		free(paths[i]);
	free(paths);
	buf_free(&path);
	return ret;
}

static int import_source_open(const char *path, struct import_source *src,
			      const char **error_r)
{
	struct stat st;
	size_t alloc = 0;
	int a, b;

	memset(src, 0, sizeof(*src));
	src->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (src->fd < 0 || fstat(src->fd, &st) < 0) {
		*error_r = strerror(errno);
		return -1;
	}
	if (flock(src->fd, LOCK_EX | LOCK_NB) < 0) {
		*error_r = errno == EWOULDBLOCK ?
			"another import of it is running" : strerror(errno);
		return -1;
	}
	src->maildir = S_ISDIR(st.st_mode);
	if (src->maildir) {
		a = import_maildir_list(src->fd, "cur", true, &src->entries,
					&src->count, &alloc);
		b = import_maildir_list(src->fd, "new", false, &src->entries,
					&src->count, &alloc);
		if (a < 0 && b < 0) {
			*error_r = "not a Maildir (no cur/ or new/ in it)";
			return -1;
		}
		qsort(src->entries, src->count, sizeof(*src->entries),
		      import_entry_cmp);
		return import_source_reader(src, error_r);
	}
	src->size = (size_t)st.st_size;
	if (src->size > 0) {
		void *map = mmap(NULL, src->size, PROT_READ, MAP_PRIVATE,
				 src->fd, 0);

		if (map == MAP_FAILED) {
			*error_r = strerror(errno);
			return -1;
		}
		src->map = map;
	}
	src->count = import_mbox_count(src->map, src->size);
	return 0;
}

static void import_source_close(struct import_source *src)
{
	size_t i;

	cli_reader_stop(&src->reader);
	if (src->map != NULL)
		munmap((void *)src->map, src->size);
	for (i = 0; src->maildir && i < src->count; i++)
		free(src->entries[i].name);
	free(src->entries);
	if (src->fd >= 0)
		close(src->fd);
}

/* Removes the temporary files an import killed before its commit left in
 * the store's tmp folder (named import.PID.N; a live PID's are its own). */
static void import_clean_tmp(struct import *im)
{
	struct dirent *de;
	int fd = dup(im->tmp_fd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		char *end;
		long pid;

		if (strncmp(de->d_name, "import.", 7) != 0)
			continue;
		pid = strtol(de->d_name + 7, &end, 10);
		if (*end == '.' && pid > 0 &&
		    kill((pid_t)pid, 0) < 0 && errno == ESRCH)
			(void)unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
}

static int import_run(struct import *im, struct config *cfg, const char *user,
		      const char *mailbox, struct import_source *src,
		      const char **error_r)
{
	int ret;

	im->st = cli_open_store(cfg);
	if (im->st == NULL) {
		*error_r = "cannot open the store";
		return -1;
	}
	im->tmp_fd = open(store_tmp_dir(im->st), O_RDONLY | O_DIRECTORY |
			  O_CLOEXEC);
	if (im->tmp_fd < 0) {
		*error_r = strerror(errno);
		return -1;
	}
	import_clean_tmp(im);
	if (import_open_mailbox(im, user, mailbox, error_r) < 0)
		return -1;
	im->paths = xcalloc(im->batch_max, sizeof(*im->paths));
	cli_progress_init(&im->progress, "import", src->count, true);
	ret = src->maildir ?
		import_maildir(im, src->reader, src->entries, src->count,
			       error_r) :
		import_mbox(im, src->map, src->size, error_r);
	if (ret == 0)
		ret = import_flush(im, error_r);
	if (ret == 0)
		cli_progress_end(&im->progress, im->done, im->skipped);
	return ret;
}

int cli_import(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "batch", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char user[CLI_MAILFILE_USER_MAX + 1], *end;
	const char *path = NULL, *mailbox, *error = "";
	struct import im;
	struct import_source src;
	struct config *cfg;
	unsigned long batch = IMPORT_DEFAULT_BATCH;
	int c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'b':
			batch = strtoul(optarg, &end, 10);
			if (*end != '\0' || batch == 0 || batch > IMPORT_MAX_BATCH) {
				fprintf(stderr, "sealpost import: --batch: 1 to "
					"%d\n", IMPORT_MAX_BATCH);
				return CLI_EX_USAGE;
			}
			break;
		case 'h': printf("%s", cli_import_usage); return 0;
		default: fprintf(stderr, "%s", cli_import_usage); return CLI_EX_USAGE;
		}
	}
	if (argc - optind != 2 ||
	    cli_mailfile_target(argv[optind], user, &mailbox) < 0 ||
	    store_user_name_check(user, &error) < 0) {
		fprintf(stderr, "%s", cli_import_usage);
		return CLI_EX_USAGE;
	}
	cfg = cli_load_config(path, NULL, 0);
	if (cfg == NULL)
		return 1;
	if (import_source_open(argv[optind + 1], &src, &error) < 0) {
		fprintf(stderr, "sealpost import: %s: %s\n", argv[optind + 1],
			error);
		import_source_close(&src);
		config_free(&cfg);
		return 1;
	}
	memset(&im, 0, sizeof(im));
	im.tmp_fd = -1;
	im.batch_max = batch;
	ret = import_run(&im, cfg, user, mailbox, &src, &error);
	if (ret < 0)
		fprintf(stderr, "sealpost import: %s:%s: %s\n", user, mailbox,
			error);
	mbox_append_abort(&im.batch);
	while (im.batch_count > 0) {
		im.batch_count--;
		(void)unlink(im.paths[im.batch_count]);
		free(im.paths[im.batch_count]);
	}
	free(im.paths);
	free(im.known);
	if (im.tmp_fd >= 0)
		close(im.tmp_fd);
	mbox_close(&im.mb);
	if (im.st != NULL)
		store_close(&im.st);
	import_source_close(&src);
	config_free(&cfg);
	return ret < 0 ? 1 : 0;
}
