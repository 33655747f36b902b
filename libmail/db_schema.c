/*
 * The schema version of an environment: one record in the wrapper's own
 * database, checked by every process at open.
 *
 * Key "schema"; value: record version 1, then the schema version as four
 * bytes, most significant first.
 */
#include "db_private.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

#define DBW_SCHEMA_KEY "schema"
#define DBW_SCHEMA_RECORD_VERSION 1

struct db_schema_ctx {
	struct db_env *env;
	const struct db_env_settings *set;
	unsigned int stored;
	unsigned int upgraded_from;	/* 0: no upgrade */
};

static int db_schema_write(struct db_env *env, struct db_txn *txn,
			   unsigned int version, const char **error_r)
{
	struct buf value = BUF_INIT;
	int ret;

	db_record_init(&value, DBW_SCHEMA_RECORD_VERSION);
	buf_append_char(&value, (char)(version >> 24));
	buf_append_char(&value, (char)(version >> 16));
	buf_append_char(&value, (char)(version >> 8));
	buf_append_char(&value, (char)version);
	ret = db_put(env->meta, txn, DBW_SCHEMA_KEY, strlen(DBW_SCHEMA_KEY),
		     value.data, value.len, error_r);
	buf_free(&value);
	return ret;
}

static int db_schema_parse(struct db_env *env, const struct buf *value,
			   unsigned int *version_r, const char **error_r)
{
	const unsigned char *p;
	uint8_t record_version;

	if (db_record_check(env->meta, value, DBW_SCHEMA_RECORD_VERSION,
			    &record_version, error_r) < 0)
		return -1;
	if (db_record_len(value) != 4) {
		*error_r = db_errorf(0, "%s: schema record of %zu bytes, not "
				     "4: the environment is damaged",
				     env->home, db_record_len(value));
		return -1;
	}
	p = db_record_data(value);
	*version_r = (unsigned int)p[0] << 24 | (unsigned int)p[1] << 16 |
		(unsigned int)p[2] << 8 | (unsigned int)p[3];
	return 0;
}

/* Runs the upgrade hook; its error text may live in the module's error
 * buffer, so it is copied before the buffer is reused. */
static int db_schema_upgrade(struct db_schema_ctx *ctx, struct db_txn *txn,
			     const char **error_r)
{
	const struct db_env_settings *set = ctx->set;
	const char *error;
	char *copy;

	if (set->upgrade == NULL) {
		*error_r = db_errorf(0, "%s: the store has schema version %u, "
				     "older than this program's %u, and "
				     "there is no upgrade for it",
				     ctx->env->home, ctx->stored,
				     set->schema_version);
		return -1;
	}
	if (set->upgrade(ctx->env, txn, ctx->stored, set->schema_version,
			 set->upgrade_ctx, &error) == 0)
		return 0;
	copy = xstrdup(error);
	*error_r = db_errorf(0, "%s: upgrading the store from schema version "
			     "%u to %u failed: %s", ctx->env->home,
			     ctx->stored, set->schema_version, copy);
	free(copy);
	return -1;
}

static int db_schema_txn(struct db_txn *txn, unsigned int attempt, void *p,
			 const char **error_r)
{
	struct db_schema_ctx *ctx = p;
	struct db_env *env = ctx->env;
	unsigned int want = ctx->set->schema_version;
	struct buf value = BUF_INIT;
	int found;

	/* The write lock first: openers of a new or old store queue here
	 * instead of all writing or upgrading it. */
	found = db_get_for_update(env->meta, txn, DBW_SCHEMA_KEY,
				  strlen(DBW_SCHEMA_KEY), &value, error_r);
	if (found == 1 &&
	    db_schema_parse(env, &value, &ctx->stored, error_r) < 0)
		found = -1;
	buf_free(&value);
	if (found < 0)
		return -1;
	if (found == 0) {
		/* A new environment. */
		ctx->stored = want;
		return db_schema_write(env, txn, want, error_r);
	}
	if (ctx->stored == want)
		return 0;
	if (ctx->stored > want) {
		*error_r = db_errorf(0, "%s: the store has schema version %u, "
				     "newer than this program's %u: it was "
				     "written by a newer sealpost; run that "
				     "version or restore a backup", env->home,
				     ctx->stored, want);
		return -1;
	}
	if (db_schema_upgrade(ctx, txn, error_r) < 0)
		return -1;
	if (db_schema_write(env, txn, want, error_r) < 0)
		return -1;
	ctx->upgraded_from = ctx->stored;
	ctx->stored = want;
	return 0;
}

int db_schema_open(struct db_env *env, const struct db_env_settings *set,
		   const char **error_r)
{
	struct db_schema_ctx ctx = { .env = env, .set = set };

	if (db_open_file(env, "_meta", DBW_META_FILE, &env->meta,
			 error_r) < 0)
		return -1;
	if (db_txn_run(env, db_schema_txn, &ctx, error_r) < 0)
		return -1;
	if (ctx.upgraded_from != 0)
		log_info("db_schema_upgraded", "home=%s from=%u to=%u",
			 env->home, ctx.upgraded_from, ctx.stored);
	env->schema_version = ctx.stored;
	return 0;
}
