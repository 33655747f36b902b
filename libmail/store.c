/* The mail store: users and mailbox list in Berkeley DB, mailboxes on disk
 * (see store.h). */
#include "store.h"
#include "store_private.h"
#include "store_settings.h"
#include "db.h"
#include "event.h"
#include "log.h"
#include "smtp_utf8.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Schema versions: 1 the first; 2 adds the grants index
 * (store_grants.c), built from the mailbox records by the upgrade. */
#define STORE_SCHEMA_VERSION 2
#define STORE_RECORD_VERSION 1
/* Mailbox records: version 1 without an access control list, version 2
 * with one after the fixed fields. */
#define STORE_MAILBOX_RECORD_VERSION 2
#define STORE_MAILBOX_FIXED (16 + 4 + 4)


#define STORE_WATCH_INTERVAL_MS 1000

static char store_error[512];

int store_fail(const char **error_r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(store_error, sizeof(store_error), fmt, ap);
	va_end(ap);
	*error_r = store_error;
	return -1;
}

static int store_mkdir(const char *path, const char **error_r)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return store_fail(error_r, "%s: %s", path, strerror(errno));
	return 0;
}

/* Opens a database of the store unless the schema upgrade already did. */
static int store_db_open(struct store *st, const char *name, struct db **db,
			 const char **error_r)
{
	return *db != NULL ? 0 : db_open(st->env, name, db, error_r);
}

/* Runs inside db_env_open(), before store_open() has its environment or
 * any database: it takes the environment early and opens what it needs,
 * and those handles stay for the store.  May run again after a deadlock,
 * which the NULL checks of store_db_open() allow. */
static int store_upgrade(struct db_env *env, struct db_txn *txn,
			 unsigned int from, unsigned int to, void *ctx,
			 const char **error_r)
{
	struct store *st = ctx;

	st->env = env;
	if (from < 2 &&
	    (store_db_open(st, "mailboxes", &st->mailboxes, error_r) < 0 ||
	     store_db_open(st, "grants", &st->grants, error_r) < 0 ||
	     store_grants_build(st, error_r) < 0))
		return -1;
	return 0;
}

/* db_env_open() with the upgrade; a failed open has closed the handles
 * the upgrade opened, so none of them may be used again. */
static int store_env_open(struct store *st, const struct db_env_settings *set,
			  const char **error_r)
{
	struct db_env *env = NULL;

	if (db_env_open(set, &env, error_r) < 0) {
		st->env = NULL;
		st->mailboxes = NULL;
		st->grants = NULL;
		return -1;
	}
	st->env = env;
	return 0;
}

/* A call into the database waited database_stuck_timeout (store.h);
 * on the watch's thread, while the call still blocks. */
static void store_stuck(const char *call, unsigned int waited_s)
{
	log_error("store_stuck", "call=%s waited_s=%u reason=%s", call,
		  waited_s, "a process may have died holding a database "
		  "lock; exiting for the store to be recovered");
	_exit(STORE_EXIT_RECOVERY);
}

static void store_set_settings(struct store *st,
			       const struct store_settings *set)
{
	st->quota_defaults.storage_bytes = set->quota_default_storage;
	st->quota_defaults.messages = set->quota_default_messages;
	st->quota_defaults.warn_percent = set->quota_warn_percent;
	st->acl_max_entries = set->acl_max_entries;
	mbox_set_checkpoint_bytes(set->mailbox_checkpoint_log_bytes);
}

int store_open(const char *state_dir, const struct store_settings *settings,
	       struct store **st_r, const char **error_r)
{
	struct store *st = xcalloc(1, sizeof(*st));
	struct db_env_settings set;
	struct buf path = BUF_INIT;

	st->acl_max_entries = ACL_MAX_ENTRIES;
	st->state_dir = xstrdup(state_dir);
	buf_printf(&path, "%s/store", state_dir);
	st->root = buf_steal(&path);
	buf_printf(&path, "%s/tmp", st->root);
	st->tmp = buf_steal(&path);
	buf_printf(&path, "%s/db", state_dir);
	memset(&set, 0, sizeof(set));
	set.home = buf_cstr(&path);
	set.schema_version = STORE_SCHEMA_VERSION;
	set.upgrade = store_upgrade;
	set.upgrade_ctx = st;
	if (settings != NULL) {
		store_set_settings(st, settings);
		db_set_stuck_handler(settings->database_stuck_timeout,
				     store_stuck);
	}
	if (store_mkdir(st->root, error_r) < 0 ||
	    store_mkdir(st->tmp, error_r) < 0 ||
	    store_env_open(st, &set, error_r) < 0 ||
	    db_open(st->env, "users", &st->users, error_r) < 0 ||
	    store_db_open(st, "mailboxes", &st->mailboxes, error_r) < 0 ||
	    store_db_open(st, "grants", &st->grants, error_r) < 0 ||
	    db_open(st->env, "subscriptions", &st->subscriptions, error_r) < 0 ||
	    db_open(st->env, "seen", &st->seen, error_r) < 0 ||
	    db_open(st->env, "meta", &st->meta, error_r) < 0 ||
	    db_open(st->env, "metadata", &st->metadata, error_r) < 0 ||
	    store_quota_open(st, error_r) < 0) {
		buf_free(&path);
		store_close(&st);
		return -1;
	}
	buf_free(&path);
	*st_r = st;
	return 0;
}

static void store_watch_tick(void *ctx)
{
	struct store *st = ctx;
	const char *error = "the environment was panicked";

	if (st->keep_mailboxes)
		mbox_shared_sweep();
	if (db_env_failchk(st->env, &error) == 0 &&
	    !db_env_needs_reopen(st->env))
		return;
	log_error("store_needs_recovery", "reason=%s", error);
	/* Not exit(): closing a panicked environment may wait on the dead
	 * process's mutexes. */
	_exit(STORE_EXIT_RECOVERY);
}

void store_watch(struct store *st, struct event_loop *loop)
{
	event_timer_remove(&st->watch);
	st->watch = event_timer_add(loop, STORE_WATCH_INTERVAL_MS, 1,
				    store_watch_tick, st);
}

void store_close(struct store **stp)
{
	struct store *st = *stp;

	if (st == NULL)
		return;
	event_timer_remove(&st->watch);
	if (st->quota != NULL)
		mbox_set_usage_hook(NULL, NULL, NULL);
	db_env_close(&st->env);
	buf_free(&st->warn_users);
	free(st->state_dir);
	free(st->root);
	free(st->tmp);
	free(st);
	*stp = NULL;
}

const char *store_tmp_dir(const struct store *st)
{
	return st->tmp;
}

void store_clean_tmp(const struct store *st, const char *const *prefixes)
{
	DIR *d = opendir(st->tmp);
	struct dirent *de;

	while (d != NULL && (de = readdir(d)) != NULL) {
		const char *const *pp;
		size_t len = 0;
		long pid;

		for (pp = prefixes; *pp != NULL; pp++) {
			len = strlen(*pp);
			if (strncmp(de->d_name, *pp, len) == 0)
				break;
		}
		if (*pp == NULL)
			continue;
		pid = strtol(de->d_name + len, NULL, 10);
		/* Our own PID at start: a process before us had it. */
		if (pid <= 0 || pid == (long)getpid() ||
		    (kill((pid_t)pid, 0) < 0 && errno == ESRCH)) {
			if (unlinkat(dirfd(d), de->d_name, 0) == 0)
				log_info("spool_leftover_removed", "path=%s",
					 de->d_name);
		}
	}
	if (d != NULL)
		closedir(d);
}

const char *store_root(const struct store *st)
{
	return st->root;
}

int store_user_name_check(const char *name, const char **error_r)
{
	size_t i, len = strlen(name);

	if (len == 0 || len > STORE_USER_NAME_MAX)
		return store_fail(error_r, "a user name has 1 to %d characters",
				  STORE_USER_NAME_MAX);
	if (name[0] == '.' || name[0] == '-')
		return store_fail(error_r, "a user name cannot start with '%c'",
				  name[0]);
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return store_fail(error_r, "a user name may only hold "
					  "a-z, 0-9, '.', '_' and '-'");
	}
	return 0;
}

int store_mailbox_name_check(const char *name,
			     char out[STORE_MAILBOX_NAME_MAX + 1],
			     const char **error_r)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t len = strlen(name), comp_start = 0, i = 0;

	if (len == 0)
		return store_fail(error_r, "empty mailbox name");
	if (len > STORE_MAILBOX_NAME_MAX)
		return store_fail(error_r, "mailbox name longer than %d bytes",
				  STORE_MAILBOX_NAME_MAX);
	while (i <= len) {
		if (p[i] == '/' || p[i] == '\0') {
			size_t clen = i - comp_start;

			if (clen == 0)
				return store_fail(error_r, "empty hierarchy level "
						  "in mailbox name");
			if ((clen == 1 && p[comp_start] == '.') ||
			    (clen == 2 && p[comp_start] == '.' &&
			     p[comp_start + 1] == '.'))
				return store_fail(error_r, "'.' and '..' are not "
						  "mailbox names");
			comp_start = i + 1;
			i++;
			continue;
		}
		if (p[i] < 0x20 || p[i] == 0x7f)
			return store_fail(error_r, "control character in "
					  "mailbox name");
		/* A name holding a LIST wildcard could never be listed on
		 * its own (RFC 3501 5.1 advises against them). */
		if (p[i] == '%' || p[i] == '*')
			return store_fail(error_r, "'%%' and '*' are not allowed "
					  "in mailbox names");
		{
			size_t n = p[i] < 0x80 ? 1 :
				smtp_utf8_seq_len(p + i, len - i);

			if (n == 0)
				return store_fail(error_r, "mailbox name is not "
						  "valid UTF-8");
			i += n;
		}
	}
	memcpy(out, name, len + 1);
	/* INBOX is case-insensitive, also as the parent of others. */
	if (strncasecmp(out, "INBOX", 5) == 0 &&
	    (out[5] == '\0' || out[5] == '/'))
		memcpy(out, "INBOX", 5);
	return 0;
}

void store_key(struct buf *key, const char *user, const char *name)
{
	buf_clear(key);
	buf_append(key, user, strlen(user) + 1);
	if (name != NULL)
		buf_append_str(key, name);
}

bool store_owner_is_shared(const char *owner)
{
	return strcmp(owner, STORE_SHARED_OWNER) == 0;
}

/* The default access control list of a mailbox of `owner`, as text. */
static void store_default_acl(const char *owner, char out[ACL_TEXT_MAX + 1])
{
	struct buf text = BUF_INIT;
	struct acl acl;

	acl_default(&acl, store_owner_is_shared(owner) ? NULL : owner);
	acl_format(&acl, &text);
	(void)str_copy(out, ACL_TEXT_MAX + 1, buf_cstr(&text));
	buf_free(&text);
}

int store_decode_mailbox(const struct store *st, const struct buf *key,
				const struct buf *value,
				struct store_mailbox *mb, const char **error_r)
{
	const unsigned char *data;
	const char *name = memchr(key->data, '\0', key->len);
	uint8_t version;
	size_t name_len, len;

	if (db_record_check(st->mailboxes, value, STORE_MAILBOX_RECORD_VERSION,
			    &version, error_r) < 0)
		return -1;
	data = db_record_data(value);
	len = db_record_len(value);
	if (name == NULL || len < STORE_MAILBOX_FIXED ||
	    (version == 1 && len != STORE_MAILBOX_FIXED) ||
	    len - STORE_MAILBOX_FIXED > ACL_TEXT_MAX ||
	    (size_t)(name - key->data) > STORE_USER_NAME_MAX)
		return store_fail(error_r, "corrupt mailbox record");
	memcpy(mb->owner, key->data, (size_t)(name - key->data) + 1);
	name++;
	name_len = key->len - (size_t)(name - key->data);
	if (name_len > STORE_MAILBOX_NAME_MAX)
		return store_fail(error_r, "corrupt mailbox record");
	memcpy(mb->name, name, name_len);
	mb->name[name_len] = '\0';
	memcpy(mb->id, data, 16);
	mb->id[16] = '\0';
	memcpy(&mb->uidvalidity, data + 16, 4);
	memcpy(&mb->special_use, data + 20, 4);
	if (version == 1) {
		store_default_acl(mb->owner, mb->acl);
	} else {
		memcpy(mb->acl, data + STORE_MAILBOX_FIXED,
		       len - STORE_MAILBOX_FIXED);
		mb->acl[len - STORE_MAILBOX_FIXED] = '\0';
	}
	return 0;
}

static void store_encode_mailbox(struct buf *value,
				 const struct store_mailbox *mb)
{
	buf_clear(value);
	db_record_init(value, STORE_MAILBOX_RECORD_VERSION);
	buf_append(value, mb->id, 16);
	buf_append(value, &mb->uidvalidity, 4);
	buf_append(value, &mb->special_use, 4);
	buf_append_str(value, mb->acl);
}

char *store_mailbox_dir(const struct store *st, const char *user,
			const char *id)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "%s/%s/%s", st->root, user, id);
	return buf_steal(&b);
}

/* Removes a folder tree (a deleted mailbox or user).  Best effort:
 * `sealpost reconstruct` removes what a crash leaves. */
static void store_remove_tree(int parent_fd, const char *name)
{
	int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			O_CLOEXEC);
	DIR *d;
	struct dirent *de;

	if (fd < 0) {
		(void)unlinkat(parent_fd, name, 0);
		return;
	}
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (de->d_type == DT_DIR)
			store_remove_tree(dirfd(d), de->d_name);
		else
			(void)unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
	(void)unlinkat(parent_fd, name, AT_REMOVEDIR);
}

/* A deleted folder is first renamed out of the way (one atomic step), so
 * a half-removed mailbox is never seen under its ID. */
void store_discard_dir(const char *dir)
{
	struct buf trash = BUF_INIT;

	buf_printf(&trash, "%s.deleted", dir);
	if (rename(dir, buf_cstr(&trash)) == 0)
		store_remove_tree(AT_FDCWD, buf_cstr(&trash));
	else
		store_remove_tree(AT_FDCWD, dir);
	buf_free(&trash);
}

static void store_new_id(char id[STORE_ID_SIZE])
{
	unsigned char rnd[8];
	size_t i;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		log_panic("getrandom: %s", strerror(errno));
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(id + i * 2, 3, "%02x", rnd[i]);
}

/* UIDVALIDITY must differ for every incarnation of a name (RFC 9051
 * 2.3.1.1): the larger of now and one more than the last one given. */
static int store_next_uidvalidity(struct store *st, struct db_txn *txn,
				  uint32_t *uv_r, const char **error_r)
{
	struct buf value = BUF_INIT;
	uint32_t last = 0, now = (uint32_t)time(NULL);
	uint8_t version;
	int ret;

	ret = db_get_for_update(st->meta, txn, "uidvalidity", 11, &value,
				error_r);
	if (ret == 1 && db_record_check(st->meta, &value, 1, &version,
					error_r) == 0 &&
	    db_record_len(&value) == 4)
		memcpy(&last, db_record_data(&value), 4);
	if (ret < 0) {
		buf_free(&value);
		return -1;
	}
	*uv_r = now > last ? now : last + 1;
	buf_clear(&value);
	db_record_init(&value, 1);
	buf_append(&value, uv_r, 4);
	ret = db_put(st->meta, txn, "uidvalidity", 11, value.data, value.len,
		     error_r);
	buf_free(&value);
	return ret;
}

static int store_uidvalidity_txn(struct db_txn *txn, unsigned int attempt,
				 void *ctx, const char **error_r)
{
	struct store *st = ctx;

	return store_next_uidvalidity(st, txn, &st->last_uidvalidity, error_r);
}

struct store_create_ctx {
	struct store *st;
	const char *user;
	const char *const *names;
	const unsigned int *uses;
	const char *acl;		/* NULL: the default */
	size_t count;
	struct store_mailbox *made;	/* filled as the folders are made */
	bool exists;
	bool add_user;
};

static int store_create_txn(struct db_txn *txn, unsigned int attempt,
			    void *ctx, const char **error_r)
{
	struct store_create_ctx *c = ctx;
	struct buf key = BUF_INIT, value = BUF_INIT;
	size_t i;
	int ret = 0;

	c->exists = false;
	if (c->add_user) {
		int64_t now = (int64_t)time(NULL);

		db_record_init(&value, STORE_RECORD_VERSION);
		buf_append(&value, &now, sizeof(now));
		ret = db_insert(c->st->users, txn, c->user, strlen(c->user),
				value.data, value.len, error_r);
		if (ret == 0) {
			c->exists = true;
			ret = store_fail(error_r, "user %s exists", c->user);
		}
		ret = ret < 0 ? -1 : 0;
	}
	for (i = 0; ret == 0 && i < c->count; i++) {
		struct store_mailbox *mb = &c->made[i];

		store_key(&key, c->user, c->names[i]);
		store_encode_mailbox(&value, mb);
		ret = db_insert(c->st->mailboxes, txn, key.data, key.len,
				value.data, value.len, error_r);
		if (ret == 0) {
			c->exists = true;
			ret = store_fail(error_r, "mailbox %s exists",
					 c->names[i]);
		}
		ret = ret < 0 ? -1 : 0;
		if (ret == 0)
			ret = store_grants_update(c->st, txn, c->user,
						  c->names[i], NULL, mb->acl,
						  error_r);
	}
	buf_free(&key);
	buf_free(&value);
	return ret;
}

/* Makes the folders first, then records them in one transaction; folders
 * left by a failure are removed (reconstruct removes what a crash
 * leaves). */
static int store_create_many(struct store_create_ctx *c, const char **error_r)
{
	struct buf userdir = BUF_INIT;
	size_t i, made = 0;
	int ret = 0;

	buf_printf(&userdir, "%s/%s", c->st->root, c->user);
	if (store_mkdir(buf_cstr(&userdir), error_r) < 0) {
		buf_free(&userdir);
		return -1;
	}
	c->made = xcalloc(c->count ? c->count : 1, sizeof(*c->made));
	for (i = 0; i < c->count; i++) {
		struct store_mailbox *mb = &c->made[i];
		char *dir;

		store_new_id(mb->id);
		mb->special_use = c->uses != NULL ? c->uses[i] : 0;
		(void)str_copy(mb->owner, sizeof(mb->owner), c->user);
		if (c->acl != NULL)
			(void)str_copy(mb->acl, sizeof(mb->acl), c->acl);
		else
			store_default_acl(c->user, mb->acl);
		(void)str_copy(mb->name, sizeof(mb->name), c->names[i]);
		/* A value taken and then not used (the name exists) is
		 * harmless: UIDVALIDITY only has to grow. */
		ret = db_txn_run(c->st->env, store_uidvalidity_txn,
				 (void *)c->st, error_r);
		if (ret < 0)
			break;
		mb->uidvalidity = c->st->last_uidvalidity;
		dir = store_mailbox_dir(c->st, c->user, mb->id);
		ret = mbox_create(dir, mb->uidvalidity, error_r);
		free(dir);
		if (ret < 0)
			break;
		made++;
	}
	if (ret == 0)
		ret = db_txn_run(c->st->env, store_create_txn, c, error_r);
	for (i = 0; ret < 0 && i < made; i++) {
		char *dir = store_mailbox_dir(c->st, c->user, c->made[i].id);

		store_discard_dir(dir);
		free(dir);
	}
	buf_free(&userdir);
	return ret;
}

int store_user_add(struct store *st, const char *user, const char **error_r)
{
	static const char *const names[] = {
		"INBOX", "Drafts", "Sent", "Trash", "Junk", "Archive",
	};
	static const unsigned int uses[] = {
		0, STORE_SPECIAL_DRAFTS, STORE_SPECIAL_SENT, STORE_SPECIAL_TRASH,
		STORE_SPECIAL_JUNK, STORE_SPECIAL_ARCHIVE,
	};
	struct store_create_ctx c;
	int ret;

	if (store_user_name_check(user, error_r) < 0)
		return -1;
	memset(&c, 0, sizeof(c));
	c.st = st;
	c.user = user;
	c.names = names;
	c.uses = uses;
	c.count = sizeof(names) / sizeof(names[0]);
	c.add_user = true;
	ret = store_create_many(&c, error_r);
	free(c.made);
	if (ret == 0)
		log_info("user_added", "user=%s", user);
	return ret;
}

int store_mailbox_create(struct store *st, const char *user, const char *name,
			 unsigned int special_use, bool *exists_r,
			 const char **error_r)
{
	return store_mailbox_create_acl(st, user, name, special_use, NULL,
					exists_r, error_r);
}

int store_mailbox_create_acl(struct store *st, const char *user,
			     const char *name, unsigned int special_use,
			     const char *acl, bool *exists_r,
			     const char **error_r)
{
	char norm[STORE_MAILBOX_NAME_MAX + 1];
	const char *names[1] = { norm };
	struct store_create_ctx c;
	int ret;

	*exists_r = false;
	if (store_mailbox_name_check(name, norm, error_r) < 0)
		return -1;
	memset(&c, 0, sizeof(c));
	c.st = st;
	c.user = user;
	c.names = names;
	c.uses = &special_use;
	c.acl = acl;
	c.count = 1;
	ret = store_create_many(&c, error_r);
	*exists_r = c.exists;
	if (ret == 0)
		log_info("mailbox_created", "user=%s mailbox=%s", user, norm);
	free(c.made);
	return ret;
}

int store_user_exists(struct store *st, const char *user, const char **error_r)
{
	struct buf value = BUF_INIT;
	int ret;

	ret = db_get(st->users, NULL, user, strlen(user), &value, error_r);
	buf_free(&value);
	return ret;
}

int store_mailbox_lookup(struct store *st, const char *user, const char *name,
			 struct store_mailbox *mb, const char **error_r)
{
	char norm[STORE_MAILBOX_NAME_MAX + 1];
	struct buf key = BUF_INIT, value = BUF_INIT;
	int ret;

	if (store_mailbox_name_check(name, norm, error_r) < 0)
		return 0;
	store_key(&key, user, norm);
	ret = db_get(st->mailboxes, NULL, key.data, key.len, &value, error_r);
	if (ret == 1 && store_decode_mailbox(st, &key, &value, mb, error_r) < 0)
		ret = -1;
	buf_free(&key);
	buf_free(&value);
	return ret;
}

int store_mailbox_open(struct store *st, const char *user, const char *name,
		       struct mbox **mb_r, const char **error_r)
{
	struct store_mailbox info;
	char *dir;
	int ret;

	ret = store_mailbox_lookup(st, user, name, &info, error_r);
	if (ret <= 0)
		return ret;
	dir = store_mailbox_dir(st, user, info.id);
	ret = (st->keep_mailboxes ? mbox_open_shared(dir, mb_r, error_r) :
	       mbox_open(dir, mb_r, error_r)) < 0 ? -1 : 1;
	free(dir);
	return ret;
}

void store_keep_mailboxes(struct store *st, unsigned int n)
{
	st->keep_mailboxes = n > 0;
	mbox_shared_keep(n);
}

/* Listing collects inside the transaction and calls back after it, so a
 * transaction retried after a deadlock never reports a record twice. */
struct store_list_ctx {
	struct store *st;
	const char *user;	/* NULL: list users */
	struct buf keys;	/* NUL-separated keys */
	struct buf values;	/* length-prefixed values */
};

void store_list_put(struct buf *b, const struct buf *item)
{
	uint32_t len = (uint32_t)item->len;

	buf_append(b, &len, sizeof(len));
	buf_append(b, item->data, item->len);
}

static int store_list_txn(struct db_txn *txn, unsigned int attempt, void *ctx,
			  const char **error_r)
{
	struct store_list_ctx *l = ctx;
	struct buf prefix = BUF_INIT, key = BUF_INIT, value = BUF_INIT;
	struct db_cursor *cur = NULL;
	int ret;

	buf_clear(&l->keys);
	buf_clear(&l->values);
	if (l->user == NULL) {
		ret = db_cursor_open(l->st->users, txn, "", 0, &cur, error_r);
	} else {
		store_key(&prefix, l->user, NULL);
		ret = db_cursor_open(l->st->mailboxes, txn, prefix.data,
				     prefix.len, &cur, error_r);
	}
	while (ret == 0 &&
	       (ret = db_cursor_next(cur, &key, &value, error_r)) == 1) {
		ret = 0;
		store_list_put(&l->keys, &key);
		store_list_put(&l->values, &value);
	}
	db_cursor_free(&cur);
	buf_free(&prefix);
	buf_free(&key);
	buf_free(&value);
	return ret < 0 ? -1 : 0;
}

int store_list_next(const struct buf *b, size_t *pos, struct buf *out)
{
	uint32_t len;

	if (*pos + sizeof(len) > b->len)
		return 0;
	memcpy(&len, b->data + *pos, sizeof(len));
	*pos += sizeof(len);
	buf_clear(out);
	buf_append(out, b->data + *pos, len);
	*pos += len;
	return 1;
}

int store_mailbox_list(struct store *st, const char *user,
		       void (*fn)(void *ctx, const struct store_mailbox *mb),
		       void *ctx, const char **error_r)
{
	struct store_list_ctx l = { st, user, BUF_INIT, BUF_INIT };
	struct buf key = BUF_INIT, value = BUF_INIT;
	struct store_mailbox mb;
	size_t kpos = 0, vpos = 0;
	int ret;

	ret = db_txn_run(st->env, store_list_txn, &l, error_r);
	while (ret == 0 && store_list_next(&l.keys, &kpos, &key) &&
	       store_list_next(&l.values, &vpos, &value)) {
		if (store_decode_mailbox(st, &key, &value, &mb, error_r) < 0)
			ret = -1;
		else
			fn(ctx, &mb);
	}
	buf_free(&key);
	buf_free(&value);
	buf_free(&l.keys);
	buf_free(&l.values);
	return ret;
}

int store_user_list(struct store *st, void (*fn)(void *ctx, const char *user),
		    void *ctx, const char **error_r)
{
	struct store_list_ctx l = { st, NULL, BUF_INIT, BUF_INIT };
	struct buf key = BUF_INIT;
	size_t kpos = 0;
	int ret;

	ret = db_txn_run(st->env, store_list_txn, &l, error_r);
	while (ret == 0 && store_list_next(&l.keys, &kpos, &key))
		fn(ctx, buf_cstr(&key));
	buf_free(&key);
	buf_free(&l.keys);
	buf_free(&l.values);
	return ret;
}

struct store_acl_ctx {
	struct store *st;
	const char *user;
	const char *name;
	const char *id;
	enum acl_mod mod;
	unsigned int rights;
	bool remove;
	bool found;
	struct acl acl;
	char old[ACL_TEXT_MAX + 1];	/* the list before the change */
};

static int store_acl_txn(struct db_txn *txn, unsigned int attempt, void *ctx,
			 const char **error_r)
{
	struct store_acl_ctx *a = ctx;
	struct buf key = BUF_INIT, value = BUF_INIT, text = BUF_INIT;
	struct store_mailbox mb;
	int ret;

	a->found = false;
	store_key(&key, a->user, a->name);
	ret = db_get_for_update(a->st->mailboxes, txn, key.data, key.len,
				&value, error_r);
	if (ret == 1) {
		a->found = true;
		ret = store_decode_mailbox(a->st, &key, &value, &mb, error_r);
	}
	if (ret == 0 && a->found) {
		(void)str_copy(a->old, sizeof(a->old), mb.acl);
		ret = acl_parse(mb.acl, strlen(mb.acl), &a->acl, error_r);
	}
	if (ret == 0 && a->found) {
		size_t before = a->acl.count;

		if (a->remove)
			(void)acl_delete(&a->acl, a->id);
		else if (acl_set(&a->acl, a->id, a->mod, a->rights,
				 error_r) < 0)
			ret = -1;
		/* Only growth is refused: a list left longer by a lowered
		 * limit may still change and shrink. */
		else if (a->acl.count > before &&
			 a->acl.count > a->st->acl_max_entries) {
			*error_r = ACL_TOO_MANY;
			ret = -1;
		}
	}
	if (ret == 0 && a->found) {
		acl_format(&a->acl, &text);
		if (str_copy(mb.acl, sizeof(mb.acl), buf_cstr(&text)) < 0)
			log_panic("an access control list of %zu entries does "
				  "not fit its record", a->acl.count);
		store_encode_mailbox(&value, &mb);
		ret = db_put(a->st->mailboxes, txn, key.data, key.len,
			     value.data, value.len, error_r);
		if (ret == 0)
			ret = store_grants_update(a->st, txn, a->user, a->name,
						  a->old, mb.acl, error_r);
	}
	buf_free(&key);
	buf_free(&value);
	buf_free(&text);
	return ret < 0 ? -1 : 0;
}

int store_mailbox_acl_change(struct store *st, const char *user,
			     const char *name, const char *id,
			     enum acl_mod mod, unsigned int rights,
			     bool remove, struct acl *acl_r,
			     const char **error_r)
{
	char norm[STORE_MAILBOX_NAME_MAX + 1];
	struct store_acl_ctx *a;
	int ret;

	if (store_mailbox_name_check(name, norm, error_r) < 0)
		return 0;
	a = xcalloc(1, sizeof(*a));
	a->st = st;
	a->user = user;
	a->name = norm;
	a->id = id;
	a->mod = mod;
	a->rights = rights;
	a->remove = remove;
	ret = db_txn_run(st->env, store_acl_txn, a, error_r);
	if (ret == 0 && a->found) {
		struct buf text = BUF_INIT;

		acl_format(&a->acl, &text);
		log_info("mailbox_acl_changed", "user=%s mailbox=%s acl=%s",
			 user, norm, buf_cstr(&text));
		buf_free(&text);
		if (acl_r != NULL)
			*acl_r = a->acl;
	}
	ret = ret < 0 ? -1 : a->found ? 1 : 0;
	free(a);
	return ret;
}

struct store_delete_ctx {
	struct store *st;
	const char *user;
	const char *name;
	struct store_mailbox mb;
};

static int store_delete_txn(struct db_txn *txn, unsigned int attempt,
			    void *ctx, const char **error_r)
{
	struct store_delete_ctx *d = ctx;
	struct buf key = BUF_INIT, value = BUF_INIT;
	int ret;

	store_key(&key, d->user, d->name);
	ret = db_get_for_update(d->st->mailboxes, txn, key.data, key.len,
				&value, error_r);
	if (ret == 0)
		ret = store_fail(error_r, "no mailbox %s", d->name);
	if (ret == 1)
		ret = store_decode_mailbox(d->st, &key, &value, &d->mb, error_r);
	if (ret == 0 &&
	    db_del(d->st->mailboxes, txn, key.data, key.len, error_r) < 0)
		ret = -1;
	if (ret == 0)
		ret = store_grants_update(d->st, txn, d->user, d->name,
					  d->mb.acl, NULL, error_r);
	if (ret == 0)
		ret = store_metadata_delete_mailbox(d->st, txn, d->user,
						    d->mb.id, error_r);
	buf_free(&key);
	buf_free(&value);
	return ret;
}

int store_mailbox_delete(struct store *st, const char *user, const char *name,
			 const char **error_r)
{
	char norm[STORE_MAILBOX_NAME_MAX + 1];
	struct store_delete_ctx d;
	char *dir;

	if (store_mailbox_name_check(name, norm, error_r) < 0)
		return -1;
	memset(&d, 0, sizeof(d));
	d.st = st;
	d.user = user;
	d.name = norm;
	if (db_txn_run(st->env, store_delete_txn, &d, error_r) < 0)
		return -1;
	/* The name is free from the commit on; the folder, named by its ID,
	 * goes after. */
	dir = store_mailbox_dir(st, user, d.mb.id);
	store_quota_release_mailbox(st, dir);
	store_discard_dir(dir);
	free(dir);
	log_info("mailbox_deleted", "user=%s mailbox=%s", user, norm);
	return 0;
}

struct store_rename_ctx {
	struct store *st;
	const char *user;
	const char *from;
	const char *to;
	size_t moved;
};

/* Moves the grants index entries of one renamed record. */
static int store_rename_grants(struct store_rename_ctx *r, struct db_txn *txn,
			       const struct buf *key, const struct buf *value,
			       const struct buf *newkey, const char **error_r)
{
	struct store_mailbox mb;
	size_t skip = strlen(r->user) + 1;
	char *to = xstrndup(newkey->data + skip, newkey->len - skip);
	int ret;

	ret = store_decode_mailbox(r->st, key, value, &mb, error_r);
	if (ret == 0)
		ret = store_grants_update(r->st, txn, r->user, mb.name, mb.acl,
					  NULL, error_r);
	if (ret == 0)
		ret = store_grants_update(r->st, txn, r->user, to, NULL,
					  mb.acl, error_r);
	free(to);
	return ret;
}

static int store_rename_txn(struct db_txn *txn, unsigned int attempt,
			    void *ctx, const char **error_r)
{
	struct store_rename_ctx *r = ctx;
	struct buf prefix = BUF_INIT, key = BUF_INIT, value = BUF_INIT,
		   newkey = BUF_INIT, olds = BUF_INIT, vals = BUF_INIT;
	struct db_cursor *cur = NULL;
	size_t from_len = strlen(r->from), kpos = 0, vpos = 0;
	bool found = false;
	int ret;

	r->moved = 0;
	store_key(&prefix, r->user, r->from);
	ret = db_cursor_open(r->st->mailboxes, txn, prefix.data, prefix.len,
			     &cur, error_r);
	while (ret == 0 &&
	       (ret = db_cursor_next(cur, &key, &value, error_r)) == 1) {
		const char *name = key.data + strlen(r->user) + 1;
		size_t name_len = key.len - strlen(r->user) - 1;

		ret = 0;
		/* "a" matches "a" and "a/..." but not "ab". */
		if (name_len > from_len && name[from_len] != '/')
			continue;
		found |= name_len == from_len;
		store_list_put(&olds, &key);
		store_list_put(&vals, &value);
	}
	db_cursor_free(&cur);
	/* Only an existing mailbox can be renamed, even if names below
	 * it exist (RFC 9051 6.3.6). */
	if (ret == 0 && !found)
		ret = store_fail(error_r, "no mailbox %s", r->from);
	while (ret == 0 && store_list_next(&olds, &kpos, &key) &&
	       store_list_next(&vals, &vpos, &value)) {
		const char *rest = key.data + strlen(r->user) + 1 + from_len;
		size_t rest_len = key.len - strlen(r->user) - 1 - from_len;

		store_key(&newkey, r->user, r->to);
		buf_append(&newkey, rest, rest_len);
		if (newkey.len - strlen(r->user) - 1 > STORE_MAILBOX_NAME_MAX) {
			ret = store_fail(error_r, "a renamed child's name would "
					 "be too long");
			break;
		}
		ret = db_insert(r->st->mailboxes, txn, newkey.data, newkey.len,
				value.data, value.len, error_r);
		if (ret == 0) {
			ret = store_fail(error_r, "mailbox %s%.*s exists", r->to,
					 (int)rest_len, rest);
			break;
		}
		if (ret < 0 ||
		    db_del(r->st->mailboxes, txn, key.data, key.len, error_r) < 0 ||
		    store_rename_grants(r, txn, &key, &value, &newkey,
					error_r) < 0) {
			ret = -1;
			break;
		}
		ret = 0;
		r->moved++;
	}
	buf_free(&prefix);
	buf_free(&key);
	buf_free(&value);
	buf_free(&newkey);
	buf_free(&olds);
	buf_free(&vals);
	return ret < 0 ? -1 : 0;
}

int store_mailbox_rename(struct store *st, const char *user, const char *from,
			 const char *to, const char **error_r)
{
	char nfrom[STORE_MAILBOX_NAME_MAX + 1], nto[STORE_MAILBOX_NAME_MAX + 1];
	struct store_rename_ctx r;
	size_t len;

	if (store_mailbox_name_check(from, nfrom, error_r) < 0 ||
	    store_mailbox_name_check(to, nto, error_r) < 0)
		return -1;
	/* Renaming INBOX moves its messages (RFC 9051 6.3.6): the IMAP
	 * layer does that, not a rename of the record. */
	if (strcmp(nfrom, "INBOX") == 0 || strcmp(nto, "INBOX") == 0)
		return store_fail(error_r, "INBOX cannot be renamed this way");
	len = strlen(nfrom);
	if (strncmp(nto, nfrom, len) == 0 && (nto[len] == '/' || nto[len] == '\0'))
		return store_fail(error_r, "cannot rename a mailbox into itself");
	memset(&r, 0, sizeof(r));
	r.st = st;
	r.user = user;
	r.from = nfrom;
	r.to = nto;
	if (db_txn_run(st->env, store_rename_txn, &r, error_r) < 0)
		return -1;
	log_info("mailbox_renamed", "user=%s mailbox=%s path=%s count=%zu",
		 user, nfrom, nto, r.moved);
	return 0;
}

struct store_user_del_ctx {
	struct store *st;
	const char *user;
	bool found;
};

static int store_del_prefix(struct db *db, struct db_txn *txn,
			    const struct buf *prefix, const char **error_r)
{
	struct buf key = BUF_INIT, value = BUF_INIT;
	struct db_cursor *cur = NULL;
	int ret;

	ret = db_cursor_open(db, txn, prefix->data, prefix->len, &cur, error_r);
	while (ret == 0 &&
	       (ret = db_cursor_next(cur, &key, &value, error_r)) == 1)
		ret = db_cursor_del(cur, error_r);
	db_cursor_free(&cur);
	buf_free(&key);
	buf_free(&value);
	return ret < 0 ? -1 : 0;
}

/* Takes `user`'s entries (and negative ones) out of every list, so a
 * user of the same name created later inherits no rights.  The grants
 * index names every mailbox whose list has such an entry. */
static int store_user_del_acls(struct store *st, struct db_txn *txn,
			       const char *user, const char **error_r)
{
	struct buf key = BUF_INIT, value = BUF_INIT, text = BUF_INIT,
		   keys = BUF_INIT, vals = BUF_INIT;
	struct store_mailbox mb;
	struct acl acl;
	size_t kpos = 0, vpos = 0;
	char neg[ACL_ID_MAX + 1];
	const char *ids[2] = { user, neg };
	int ret;

	snprintf(neg, sizeof(neg), "-%s", user);
	ret = store_grants_records(st, txn, ids, 2, &keys, &vals, error_r);
	while (ret == 0 && store_list_next(&keys, &kpos, &key) &&
	       store_list_next(&vals, &vpos, &value)) {
		bool a, b;

		if (store_decode_mailbox(st, &key, &value, &mb, error_r) < 0 ||
		    acl_parse(mb.acl, strlen(mb.acl), &acl, error_r) < 0) {
			ret = -1;
			break;
		}
		a = acl_delete(&acl, user);
		b = acl_delete(&acl, neg);
		if (!a && !b)
			continue;
		buf_clear(&text);
		acl_format(&acl, &text);
		ret = store_grants_update(st, txn, mb.owner, mb.name, mb.acl,
					  buf_cstr(&text), error_r);
		(void)str_copy(mb.acl, sizeof(mb.acl), buf_cstr(&text));
		store_encode_mailbox(&value, &mb);
		if (ret == 0)
			ret = db_put(st->mailboxes, txn, key.data, key.len,
				     value.data, value.len, error_r);
	}
	buf_free(&key);
	buf_free(&value);
	buf_free(&text);
	buf_free(&keys);
	buf_free(&vals);
	return ret < 0 ? -1 : 0;
}

static int store_user_del_txn(struct db_txn *txn, unsigned int attempt,
			      void *ctx, const char **error_r)
{
	struct store_user_del_ctx *u = ctx;
	struct buf prefix = BUF_INIT;
	int ret;

	ret = db_del(u->st->users, txn, u->user, strlen(u->user), error_r);
	u->found = ret == 1;
	store_key(&prefix, u->user, NULL);
	if (ret >= 0)
		ret = store_grants_delete_user(u->st, txn, u->user, error_r);
	if (ret >= 0)
		ret = store_del_prefix(u->st->mailboxes, txn, &prefix, error_r);
	if (ret >= 0)
		ret = store_del_prefix(u->st->subscriptions, txn, &prefix, error_r);
	if (ret >= 0)
		ret = store_del_prefix(u->st->seen, txn, &prefix, error_r);
	if (ret >= 0)
		ret = store_user_del_acls(u->st, txn, u->user, error_r);
	if (ret >= 0)
		ret = db_del(u->st->quota, txn, u->user, strlen(u->user),
			     error_r);
	if (ret >= 0)
		ret = store_metadata_delete_user(u->st, txn, u->user, error_r);
	buf_free(&prefix);
	return ret < 0 ? -1 : 0;
}

int store_user_del(struct store *st, const char *user, const char **error_r)
{
	struct store_user_del_ctx u = { st, user, false };
	struct buf dir = BUF_INIT;

	if (store_user_name_check(user, error_r) < 0)
		return -1;
	if (db_txn_run(st->env, store_user_del_txn, &u, error_r) < 0)
		return -1;
	if (!u.found)
		return store_fail(error_r, "no user %s", user);
	buf_printf(&dir, "%s/%s", st->root, user);
	store_discard_dir(buf_cstr(&dir));
	buf_free(&dir);
	log_info("user_deleted", "user=%s", user);
	return 0;
}

struct store_sub_ctx {
	struct store *st;
	struct buf key;
	bool subscribe;
	int result;
};

static int store_sub_txn(struct db_txn *txn, unsigned int attempt, void *ctx,
			 const char **error_r)
{
	struct store_sub_ctx *s = ctx;
	struct buf value = BUF_INIT;
	int ret;

	if (s->subscribe) {
		db_record_init(&value, STORE_RECORD_VERSION);
		ret = db_put(s->st->subscriptions, txn, s->key.data, s->key.len,
			     value.data, value.len, error_r);
	} else {
		ret = db_del(s->st->subscriptions, txn, s->key.data, s->key.len,
			     error_r);
	}
	buf_free(&value);
	s->result = ret;
	return ret < 0 ? -1 : 0;
}

static int store_sub_change(struct store *st, const char *user,
			    const char *name, bool subscribe,
			    const char **error_r)
{
	char norm[STORE_MAILBOX_NAME_MAX + 1];
	struct store_sub_ctx s;
	int ret;

	if (store_mailbox_name_check(name, norm, error_r) < 0)
		return -1;
	memset(&s, 0, sizeof(s));
	s.st = st;
	s.subscribe = subscribe;
	store_key(&s.key, user, norm);
	ret = db_txn_run(st->env, store_sub_txn, &s, error_r);
	buf_free(&s.key);
	return ret < 0 ? -1 : s.result;
}

int store_subscribe(struct store *st, const char *user, const char *name,
		    const char **error_r)
{
	return store_sub_change(st, user, name, true, error_r) < 0 ? -1 : 0;
}

int store_unsubscribe(struct store *st, const char *user, const char *name,
		      const char **error_r)
{
	return store_sub_change(st, user, name, false, error_r);
}

/* Collects the names inside the transaction and calls back after it, like
 * store_mailbox_list(). */
struct store_sub_list_ctx {
	struct store *st;
	const char *user;
	struct buf names;	/* NUL-terminated names, one after another */
};

static int store_sub_list_txn(struct db_txn *txn, unsigned int attempt,
			      void *ctx, const char **error_r)
{
	struct store_sub_list_ctx *l = ctx;
	struct buf prefix = BUF_INIT, key = BUF_INIT, value = BUF_INIT;
	struct db_cursor *cur = NULL;
	int ret;

	buf_clear(&l->names);
	store_key(&prefix, l->user, NULL);
	ret = db_cursor_open(l->st->subscriptions, txn, prefix.data,
			     prefix.len, &cur, error_r);
	while (ret == 0 &&
	       (ret = db_cursor_next(cur, &key, &value, error_r)) == 1) {
		ret = 0;
		buf_append(&l->names, key.data + prefix.len,
			   key.len - prefix.len);
		buf_append_char(&l->names, '\0');
	}
	db_cursor_free(&cur);
	buf_free(&prefix);
	buf_free(&key);
	buf_free(&value);
	return ret < 0 ? -1 : 0;
}

int store_list_subscriptions(struct store *st, const char *user,
			     void (*fn)(void *ctx, const char *name),
			     void *ctx, const char **error_r)
{
	struct store_sub_list_ctx l = { st, user, BUF_INIT };
	size_t pos = 0;
	int ret;

	ret = db_txn_run(st->env, store_sub_list_txn, &l, error_r);
	while (ret == 0 && pos < l.names.len) {
		const char *name = l.names.data + pos;

		fn(ctx, name);
		pos += strlen(name) + 1;
	}
	buf_free(&l.names);
	return ret;
}

struct store_usage_ctx {
	struct store *st;
	const char *user;
	uint64_t bytes, messages;
	int ret;
	const char *error;
};

static void store_usage_one(void *ctx, const struct store_mailbox *mb)
{
	struct store_usage_ctx *u = ctx;
	struct mbox_status status;
	struct mbox *box = NULL;
	char *dir;

	if (u->ret < 0)
		return;
	dir = store_mailbox_dir(u->st, u->user, mb->id);
	if (mbox_open(dir, &box, &u->error) < 0 ||
	    mbox_status(box, &status, &u->error) < 0) {
		u->ret = -1;
	} else {
		u->bytes += status.size;
		u->messages += status.messages;
	}
	mbox_close(&box);
	free(dir);
}

int store_user_usage(struct store *st, const char *user, uint64_t *bytes_r,
		     uint64_t *messages_r, const char **error_r)
{
	struct store_usage_ctx u = { st, user, 0, 0, 0, NULL };

	if (store_mailbox_list(st, user, store_usage_one, &u, error_r) < 0)
		return -1;
	if (u.ret < 0) {
		*error_r = u.error;
		return -1;
	}
	*bytes_r = u.bytes;
	*messages_r = u.messages;
	return 0;
}

struct store_seen_ctx {
	struct store *st;
	struct buf key;
	const uint32_t *uids;	/* the change; NULL: only read */
	size_t count;
	bool add;
	uint32_t *set;		/* the resulting set */
	size_t set_count;
};

static int store_seen_decode(struct store_seen_ctx *s, const struct buf *value,
			     const char **error_r)
{
	uint8_t version;
	size_t len;

	free(s->set);
	s->set = NULL;
	s->set_count = 0;
	if (value->len == 0)
		return 0;
	if (db_record_check(s->st->seen, value, 1, &version, error_r) < 0)
		return -1;
	len = db_record_len(value);
	if (len % 4 != 0)
		return store_fail(error_r, "corrupt seen record");
	s->set_count = len / 4;
	s->set = xcalloc(s->set_count + 1, sizeof(*s->set));
	memcpy(s->set, db_record_data(value), len);
	return 0;
}

/* Merges the change into the set: both are ascending. */
static void store_seen_merge(struct store_seen_ctx *s)
{
	uint32_t *out = xcalloc(s->set_count + s->count + 1, sizeof(*out));
	size_t i = 0, j = 0, n = 0;

	while (i < s->set_count || j < s->count) {
		if (j == s->count ||
		    (i < s->set_count && s->set[i] < s->uids[j])) {
			out[n++] = s->set[i++];
		} else if (i == s->set_count || s->uids[j] < s->set[i]) {
			if (s->add)
				out[n++] = s->uids[j];
			j++;
		} else {
			if (s->add)
				out[n++] = s->set[i];
			i++;
			j++;
		}
	}
	free(s->set);
	s->set = out;
	s->set_count = n;
}

static int store_seen_txn(struct db_txn *txn, unsigned int attempt, void *ctx,
			  const char **error_r)
{
	struct store_seen_ctx *s = ctx;
	struct buf value = BUF_INIT;
	int ret;

	ret = s->uids == NULL ?
		db_get(s->st->seen, txn, s->key.data, s->key.len, &value,
		       error_r) :
		db_get_for_update(s->st->seen, txn, s->key.data, s->key.len,
				  &value, error_r);
	if (ret >= 0)
		ret = store_seen_decode(s, &value, error_r);
	if (ret == 0 && s->uids != NULL) {
		store_seen_merge(s);
		buf_clear(&value);
		db_record_init(&value, 1);
		buf_append(&value, s->set, s->set_count * sizeof(*s->set));
		ret = s->set_count == 0 ?
			db_del(s->st->seen, txn, s->key.data, s->key.len,
			       error_r) :
			db_put(s->st->seen, txn, s->key.data, s->key.len,
			       value.data, value.len, error_r);
	}
	buf_free(&value);
	return ret < 0 ? -1 : 0;
}

static int store_seen_run(struct store *st, const char *user, const char *id,
			  const uint32_t *uids, size_t count, bool add,
			  uint32_t **uids_r, size_t *count_r,
			  const char **error_r)
{
	struct store_seen_ctx s;
	int ret;

	memset(&s, 0, sizeof(s));
	s.st = st;
	s.uids = uids;
	s.count = count;
	s.add = add;
	store_key(&s.key, user, id);
	ret = db_txn_run(st->env, store_seen_txn, &s, error_r);
	buf_free(&s.key);
	if (ret < 0) {
		free(s.set);
		return -1;
	}
	*uids_r = s.set;
	*count_r = s.set_count;
	return 0;
}

int store_seen_get(struct store *st, const char *user, const char *id,
		   uint32_t **uids_r, size_t *count_r, const char **error_r)
{
	return store_seen_run(st, user, id, NULL, 0, false, uids_r, count_r,
			      error_r);
}

int store_seen_change(struct store *st, const char *user, const char *id,
		      const uint32_t *uids, size_t count, bool add,
		      uint32_t **uids_r, size_t *count_r,
		      const char **error_r)
{
	static const uint32_t none[1] = { 0 };

	return store_seen_run(st, user, id, count > 0 ? uids : none, count,
			      add, uids_r, count_r, error_r);
}
