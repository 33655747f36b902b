/* Quota counters and limits of the store's users (see store.h, quota.h). */
#include "store_private.h"
#include "db.h"
#include "log.h"
#include "mbox.h"
#include "store_settings.h"

#include <stdlib.h>
#include <string.h>

/* Set in the meta database once every user's counters exist. */
#define STORE_QUOTA_COUNTED_KEY "quota_counted"

/* Reads the user's record for update; a missing one reads as zero usage
 * and default limits. */
static int store_quota_read(struct store *st, struct db_txn *txn,
			    const char *user, bool for_update,
			    struct quota_record *q, const char **error_r)
{
	struct buf value = BUF_INIT;
	uint8_t version;
	int ret;

	memset(q, 0, sizeof(*q));
	ret = for_update ?
		db_get_for_update(st->quota, txn, user, strlen(user), &value,
				  error_r) :
		db_get(st->quota, txn, user, strlen(user), &value, error_r);
	if (ret == 1 &&
	    (db_record_check(st->quota, &value, QUOTA_RECORD_VERSION,
			     &version, error_r) < 0 ||
	     quota_record_decode(db_record_data(&value),
				 db_record_len(&value), q, error_r) < 0))
		ret = -1;
	buf_free(&value);
	return ret;
}

static int store_quota_write(struct store *st, struct db_txn *txn,
			     const char *user, const struct quota_record *q,
			     const char **error_r)
{
	struct buf value = BUF_INIT;
	int ret;

	quota_record_encode(q, &value);
	ret = db_put(st->quota, txn, user, strlen(user), value.data,
		     value.len, error_r);
	buf_free(&value);
	return ret;
}

struct store_quota_change {
	struct store *st;
	const char *user;
	int64_t bytes, messages;
	bool enforce;
	bool over, warn;
};

static int store_quota_change_txn(struct db_txn *txn, unsigned int attempt,
				  void *ctx, const char **error_r)
{
	struct store_quota_change *c = ctx;
	struct quota_record q;
	struct quota_limits lim;

	c->over = c->warn = false;
	if (store_quota_read(c->st, txn, c->user, true, &q, error_r) < 0)
		return -1;
	quota_limits_get(&q, &c->st->quota_defaults, &lim);
	if (!quota_apply(&q, &lim, c->st->quota_defaults.warn_percent,
			 c->bytes, c->messages, c->enforce, &c->warn)) {
		c->over = true;
		return 0;
	}
	return store_quota_write(c->st, txn, c->user, &q, error_r);
}

/* The user of a mailbox folder "root/user/id", or NULL for a folder
 * outside the store or a bulletin board (copied into `user`): boards
 * belong to no user and count against no quota. */
static const char *store_quota_dir_user(const struct store *st,
					const char *dir,
					char user[STORE_USER_NAME_MAX + 1])
{
	size_t root_len = strlen(st->root), len;
	const char *p, *slash;

	if (strncmp(dir, st->root, root_len) != 0 || dir[root_len] != '/')
		return NULL;
	p = dir + root_len + 1;
	slash = strchr(p, '/');
	if (slash == NULL)
		return NULL;
	len = (size_t)(slash - p);
	if (len == 0 || len > STORE_USER_NAME_MAX)
		return NULL;
	memcpy(user, p, len);
	user[len] = '\0';
	return store_owner_is_shared(user) ? NULL : user;
}

/* The mailbox usage hook: every append and expunge of the process. */
/* Whether `user` is in st->warn_users, and where. */
static bool store_quota_warn_find(const struct store *st, const char *user,
				  size_t *pos_r)
{
	size_t pos = 0;

	while (pos < st->warn_users.len) {
		const char *name = (const char *)st->warn_users.data + pos;

		if (strcmp(name, user) == 0) {
			if (pos_r != NULL)
				*pos_r = pos;
			return true;
		}
		pos += strlen(name) + 1;
	}
	return false;
}

static int store_quota_hook(void *ctx, const char *dir, int64_t bytes,
			    int64_t messages, bool enforce, bool deferred,
			    bool *over_r, const char **error_r)
{
	struct store *st = ctx;
	char user[STORE_USER_NAME_MAX + 1];
	struct store_quota_change c;

	*over_r = false;
	if (store_quota_dir_user(st, dir, user) == NULL)
		return 0;
	memset(&c, 0, sizeof(c));
	c.st = st;
	c.user = user;
	c.bytes = bytes;
	c.messages = messages;
	c.enforce = enforce;
	if ((deferred ? db_txn_run_deferred : db_txn_run)(
		    st->env, store_quota_change_txn, &c, error_r) < 0)
		return -1;
	*over_r = c.over;
	if (c.over)
		log_info("over_quota", "user=%s size=%lld count=%lld", user,
			 (long long)bytes, (long long)messages);
	if (c.warn && !store_quota_warn_find(st, user, NULL))
		buf_append(&st->warn_users, user, strlen(user) + 1);
	return 0;
}

/* The usage changes of a group commit, durable with one flush. */
static int store_quota_flush(void *ctx, const char **error_r)
{
	struct store *st = ctx;

	return db_env_flush(st->env, error_r);
}

void store_quota_release_mailbox(struct store *st, const char *dir)
{
	struct mbox_status status;
	struct mbox *box = NULL;
	const char *error;
	bool over;

	if (mbox_open(dir, &box, &error) < 0 ||
	    mbox_status(box, &status, &error) < 0 ||
	    store_quota_hook(st, dir, -(int64_t)status.size,
			     -(int64_t)status.messages, false, false, &over,
			     &error) < 0)
		log_warn("quota_update_failed", "path=%s reason=%s", dir, error);
	mbox_close(&box);
}

bool store_quota_warning_due(struct store *st, const char *user)
{
	size_t pos, len = strlen(user) + 1;

	if (!store_quota_warn_find(st, user, &pos))
		return false;
	memmove(st->warn_users.data + pos, st->warn_users.data + pos + len,
		st->warn_users.len - pos - len);
	st->warn_users.len -= len;
	return true;
}

int store_quota_get(struct store *st, const char *user,
		    struct quota_record *q_r, struct quota_limits *lim_r,
		    const char **error_r)
{
	int ret = store_user_exists(st, user, error_r);

	if (ret <= 0)
		return ret;
	if (store_quota_read(st, NULL, user, false, q_r, error_r) < 0)
		return -1;
	quota_limits_get(q_r, &st->quota_defaults, lim_r);
	return 1;
}

struct store_quota_set_ctx {
	struct store *st;
	const char *user;
	const struct quota_record *limits;
	const struct quota_record *usage;	/* NULL: keep */
	struct quota_record old, now;
	bool found;
};

static int store_quota_set_txn(struct db_txn *txn, unsigned int attempt,
			       void *ctx, const char **error_r)
{
	struct store_quota_set_ctx *s = ctx;
	struct buf value = BUF_INIT;
	struct quota_limits lim;
	int ret;

	ret = db_get(s->st->users, txn, s->user, strlen(s->user), &value,
		     error_r);
	buf_free(&value);
	s->found = ret == 1;
	if (ret <= 0)
		return ret;
	if (store_quota_read(s->st, txn, s->user, true, &s->old, error_r) < 0)
		return -1;
	s->now = s->old;
	if (s->limits != NULL) {
		s->now.storage_set = s->limits->storage_set;
		s->now.storage_kb = s->limits->storage_kb;
		s->now.messages_set = s->limits->messages_set;
		s->now.messages_limit = s->limits->messages_limit;
	}
	if (s->usage != NULL) {
		s->now.bytes = s->usage->bytes;
		s->now.messages = s->usage->messages;
	}
	/* A new limit or count may put the user below the warning level
	 * (re-arming it) or above it (no warning: nothing was delivered). */
	quota_limits_get(&s->now, &s->st->quota_defaults, &lim);
	s->now.warned = s->st->quota_defaults.warn_percent != 0 &&
		(lim.has_storage || lim.has_messages) &&
		quota_percent(&lim, s->now.bytes, s->now.messages) >=
		s->st->quota_defaults.warn_percent && s->old.warned;
	return store_quota_write(s->st, txn, s->user, &s->now, error_r);
}

int store_quota_set(struct store *st, const char *user,
		    const struct quota_record *limits, const char **error_r)
{
	struct store_quota_set_ctx s;

	memset(&s, 0, sizeof(s));
	s.st = st;
	s.user = user;
	s.limits = limits;
	if (db_txn_run(st->env, store_quota_set_txn, &s, error_r) < 0)
		return -1;
	if (s.found)
		log_info("quota_set", "user=%s", user);
	return s.found ? 1 : 0;
}

int store_quota_recount(struct store *st, const char *user,
			struct quota_record *old_r, struct quota_record *new_r,
			const char **error_r)
{
	struct store_quota_set_ctx s;
	struct quota_record usage;

	memset(&usage, 0, sizeof(usage));
	if (store_user_usage(st, user, &usage.bytes, &usage.messages,
			     error_r) < 0)
		return -1;
	memset(&s, 0, sizeof(s));
	s.st = st;
	s.user = user;
	s.usage = &usage;
	if (db_txn_run(st->env, store_quota_set_txn, &s, error_r) < 0)
		return -1;
	if (!s.found)
		return store_fail(error_r, "no user %s", user);
	if (old_r != NULL)
		*old_r = s.old;
	if (new_r != NULL)
		*new_r = s.now;
	return 0;
}

/* Counting every user of a store made before the counters existed. */
struct store_quota_init_ctx {
	struct store *st;
	bool counted;
};

static void store_quota_init_user(void *ctx, const char *user)
{
	struct buf *users = ctx;

	buf_append(users, user, strlen(user) + 1);
}

static int store_quota_marker_txn(struct db_txn *txn, unsigned int attempt,
				  void *ctx, const char **error_r)
{
	struct store_quota_init_ctx *c = ctx;
	struct buf value = BUF_INIT;
	int ret;

	ret = db_get(c->st->meta, txn, STORE_QUOTA_COUNTED_KEY,
		     strlen(STORE_QUOTA_COUNTED_KEY), &value, error_r);
	c->counted = ret == 1;
	if (ret == 0) {
		db_record_init(&value, 1);
		ret = db_put(c->st->meta, txn, STORE_QUOTA_COUNTED_KEY,
			     strlen(STORE_QUOTA_COUNTED_KEY), value.data,
			     value.len, error_r);
	}
	buf_free(&value);
	return ret < 0 ? -1 : 0;
}

int store_quota_open(struct store *st, const char **error_r)
{
	struct store_quota_init_ctx c = { st, false };
	struct buf users = BUF_INIT;
	size_t pos = 0;
	int ret;

	if (db_open(st->env, "quota", &st->quota, error_r) < 0)
		return -1;
	mbox_set_usage_hook(store_quota_hook, store_quota_flush, st);
	/* A store that never kept counters (made by an older sealpost) is
	 * counted once by whoever opens it first; the marker goes in before
	 * the counting, so two first openers do not both count. */
	if (db_txn_run(st->env, store_quota_marker_txn, &c, error_r) < 0)
		return -1;
	if (c.counted)
		return 0;
	ret = store_user_list(st, store_quota_init_user, &users, error_r);
	while (ret == 0 && pos < users.len) {
		const char *user = users.data + pos;

		ret = store_quota_recount(st, user, NULL, NULL, error_r);
		pos += strlen(user) + 1;
	}
	buf_free(&users);
	return ret;
}
