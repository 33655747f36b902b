/*
 * Transactions, reads, writes and cursors of the Berkeley DB wrapper.
 */
#include "db_private.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

struct db_cursor {
	struct db *db;
	struct db_txn *txn;
	DBC *dbc;
	unsigned char *prefix;
	size_t prefix_len;
	bool from;		/* prefix is only where to start */
	bool started;
	bool done;
};

/* One operation, so the same code runs it inside a caller's transaction or
 * in one of its own (txn == NULL). */
enum db_op_kind {
	DBW_OP_GET,
	DBW_OP_PUT,
	DBW_OP_DEL,
};

struct db_op {
	enum db_op_kind kind;
	u_int32_t flags;	/* DB_RMW, DB_NOOVERWRITE */
	const void *key;
	size_t key_len;
	const void *value;
	size_t value_len;
	struct buf *value_r;
};

static const char *const db_op_names[] = {
	[DBW_OP_GET] = "db_get",
	[DBW_OP_PUT] = "db_put",
	[DBW_OP_DEL] = "db_del",
};

static int db_dbt_set(DBT *dbt, const void *data, size_t len,
		      const char **error_r)
{
	memset(dbt, 0, sizeof(*dbt));
	if (len > UINT32_MAX) {
		*error_r = db_errorf(0, "key or value of %zu bytes is too "
				     "large", len);
		return -1;
	}
	/* The library never writes through an input DBT. */
	dbt->data = (void *)(uintptr_t)data;
	dbt->size = (u_int32_t)len;
	return 0;
}

static void db_buf_set(struct buf *b, const DBT *dbt)
{
	buf_clear(b);
	buf_append(b, dbt->data, dbt->size);
}

int db_txn_begin(struct db_env *env, struct db_txn **txn_r,
		 const char **error_r)
{
	DB_TXN *tid;
	int ret;

	*txn_r = NULL;
	if (db_env_check(env, "db_txn_begin", error_r) < 0)
		return -1;
	db_call_begin("DB_ENV->txn_begin");
	ret = env->dbenv->txn_begin(env->dbenv, NULL, &tid, 0);
	db_call_end();
	if (ret != 0) {
		*error_r = db_env_errorf(env, ret, "db_txn_begin %s",
					 env->home);
		return -1;
	}
	*txn_r = xcalloc(1, sizeof(**txn_r));
	(*txn_r)->env = env;
	(*txn_r)->tid = tid;
	env->open_txns++;
	return 0;
}

/* Takes the transaction out of the caller's hands; the library's handle is
 * gone after commit or abort whatever they return. */
static struct db_txn *db_txn_take(struct db_txn **txnp, const char *what)
{
	struct db_txn *txn = *txnp;

	*txnp = NULL;
	if (txn->cursors != 0)
		log_panic("%s with %u cursors open", what, txn->cursors);
	txn->env->open_txns--;
	return txn;
}

static int db_txn_end(struct db_txn **txnp, u_int32_t flags,
		      const char *what, const char **error_r)
{
	struct db_txn *txn = db_txn_take(txnp, what);
	struct db_env *env = txn->env;
	int ret;

	/* A deadlocked transaction can only be aborted; committing it
	 * would fail anyway, and this tells the caller why. */
	if (txn->deadlocked) {
		db_call_begin("DB_TXN->abort");
		ret = txn->tid->abort(txn->tid);
		db_call_end();
		if (ret != 0)
			(void)db_env_errorf(env, ret, "abort");
		*error_r = db_errorf(DB_LOCK_DEADLOCK, "%s %s", what,
				     env->home);
		free(txn);
		return -1;
	}
	db_call_begin("DB_TXN->commit");
	ret = txn->tid->commit(txn->tid, flags);
	db_call_end();
	if (ret != 0) {
		*error_r = db_env_errorf(env, ret, "%s %s", what, env->home);
		free(txn);
		return -1;
	}
	free(txn);
	return 0;
}

int db_txn_commit(struct db_txn **txn, const char **error_r)
{
	return db_txn_end(txn, DB_TXN_SYNC, "db_txn_commit", error_r);
}

int db_txn_commit_deferred(struct db_txn **txn, const char **error_r)
{
	return db_txn_end(txn, DB_TXN_WRITE_NOSYNC, "db_txn_commit_deferred",
			  error_r);
}

void db_txn_abort(struct db_txn **txnp)
{
	struct db_txn *txn;
	int ret;

	if (*txnp == NULL)
		return;
	txn = db_txn_take(txnp, "db_txn_abort");
	/* Abort only fails when the environment is broken; the caller is
	 * already on an error path and will see that on its next call. */
	db_call_begin("DB_TXN->abort");
	ret = txn->tid->abort(txn->tid);
	db_call_end();
	if (ret != 0 && ret != DB_RUNRECOVERY)
		log_warn("db_abort_failed", "home=%s detail=%s",
			 txn->env->home, db_strerror(ret));
	if (ret == DB_RUNRECOVERY)
		txn->env->panicked = true;
	free(txn);
}

bool db_txn_deadlocked(const struct db_txn *txn)
{
	return txn->deadlocked;
}

static int db_txn_run_commit(struct db_env *env, db_txn_fn *fn, void *ctx,
			     bool deferred, const char **error_r)
{
	struct db_txn *txn;
	unsigned int attempt;
	bool deadlocked;
	int ret;

	for (attempt = 1;; attempt++) {
		if (db_txn_begin(env, &txn, error_r) < 0)
			return -1;
		ret = fn(txn, attempt, ctx, error_r);
		deadlocked = txn->deadlocked;
		if (ret == 0 && !deadlocked)
			return deferred ? db_txn_commit_deferred(&txn, error_r) :
				db_txn_commit(&txn, error_r);
		db_txn_abort(&txn);
		if (!deadlocked)
			return -1;
		if (attempt == DBW_RUN_ATTEMPTS_MAX) {
			*error_r = db_errorf(DB_LOCK_DEADLOCK, "db_txn_run %s: "
					     "gave up after %u attempts",
					     env->home, attempt);
			return -1;
		}
		db_backoff(attempt);
	}
}

int db_txn_run(struct db_env *env, db_txn_fn *fn, void *ctx,
	       const char **error_r)
{
	return db_txn_run_commit(env, fn, ctx, false, error_r);
}

int db_txn_run_deferred(struct db_env *env, db_txn_fn *fn, void *ctx,
			const char **error_r)
{
	return db_txn_run_commit(env, fn, ctx, true, error_r);
}

static int db_op_exec(struct db *db, struct db_txn *txn,
		      const struct db_op *op, const char **error_r)
{
	DB_TXN *tid = txn != NULL ? txn->tid : NULL;
	DBT key, value;
	int ret;

	if (db_dbt_set(&key, op->key, op->key_len, error_r) < 0 ||
	    db_dbt_set(&value, op->value, op->value_len, error_r) < 0)
		return -1;
	db_call_begin("DB->get, put or del");
	switch (op->kind) {
	case DBW_OP_GET:
		ret = db->dbp->get(db->dbp, tid, &key, &value, op->flags);
		if (ret == 0)
			db_buf_set(op->value_r, &value);
		else if (ret == DB_NOTFOUND)
			buf_clear(op->value_r);
		break;
	case DBW_OP_PUT:
		ret = db->dbp->put(db->dbp, tid, &key, &value, op->flags);
		break;
	case DBW_OP_DEL:
		ret = db->dbp->del(db->dbp, tid, &key, 0);
		break;
	default:
		log_panic("db_op_exec: unknown operation %d", (int)op->kind);
	}
	db_call_end();
	if (ret == 0)
		return 1;
	if (ret == DB_NOTFOUND || ret == DB_KEYEXIST)
		return 0;
	if (txn != NULL && db_is_deadlock(ret))
		txn->deadlocked = true;
	*error_r = db_env_errorf(db->env, ret, "%s %s", db_op_names[op->kind],
				 db->name);
	return -1;
}

/* Runs one operation in the caller's transaction, or alone in a
 * transaction of its own that is retried on deadlock. */
static int db_op_run(struct db *db, struct db_txn *txn, const struct db_op *op,
		     const char **error_r)
{
	struct db_txn *own;
	unsigned int attempt;
	int ret;

	if (db_env_check(db->env, db_op_names[op->kind], error_r) < 0)
		return -1;
	if (txn != NULL) {
		if (txn->env != db->env)
			log_panic("%s %s: transaction of another environment",
				  db_op_names[op->kind], db->name);
		return db_op_exec(db, txn, op, error_r);
	}
	for (attempt = 1;; attempt++) {
		if (db_txn_begin(db->env, &own, error_r) < 0)
			return -1;
		ret = db_op_exec(db, own, op, error_r);
		if (ret >= 0) {
			if (db_txn_commit(&own, error_r) < 0)
				return -1;
			return ret;
		}
		if (!own->deadlocked || attempt == DBW_RUN_ATTEMPTS_MAX) {
			db_txn_abort(&own);
			return -1;
		}
		db_txn_abort(&own);
		db_backoff(attempt);
	}
}

int db_get(struct db *db, struct db_txn *txn, const void *key, size_t key_len,
	   struct buf *value_r, const char **error_r)
{
	struct db_op op = { .kind = DBW_OP_GET, .key = key,
			    .key_len = key_len, .value_r = value_r };

	return db_op_run(db, txn, &op, error_r);
}

int db_get_for_update(struct db *db, struct db_txn *txn, const void *key,
		      size_t key_len, struct buf *value_r,
		      const char **error_r)
{
	struct db_op op = { .kind = DBW_OP_GET, .flags = DB_RMW, .key = key,
			    .key_len = key_len, .value_r = value_r };

	if (txn == NULL)
		log_panic("db_get_for_update %s without a transaction",
			  db->name);
	return db_op_run(db, txn, &op, error_r);
}

int db_put(struct db *db, struct db_txn *txn, const void *key, size_t key_len,
	   const void *value, size_t value_len, const char **error_r)
{
	struct db_op op = { .kind = DBW_OP_PUT, .key = key, .key_len = key_len,
			    .value = value, .value_len = value_len };

	return db_op_run(db, txn, &op, error_r) < 0 ? -1 : 0;
}

int db_insert(struct db *db, struct db_txn *txn, const void *key,
	      size_t key_len, const void *value, size_t value_len,
	      const char **error_r)
{
	struct db_op op = { .kind = DBW_OP_PUT, .flags = DB_NOOVERWRITE,
			    .key = key, .key_len = key_len, .value = value,
			    .value_len = value_len };

	return db_op_run(db, txn, &op, error_r);
}

int db_del(struct db *db, struct db_txn *txn, const void *key, size_t key_len,
	   const char **error_r)
{
	struct db_op op = { .kind = DBW_OP_DEL, .key = key,
			    .key_len = key_len };

	return db_op_run(db, txn, &op, error_r);
}

int db_cursor_open_from(struct db *db, struct db_txn *txn, const void *start,
			size_t start_len, struct db_cursor **cursor_r,
			const char **error_r)
{
	if (db_cursor_open(db, txn, start, start_len, cursor_r, error_r) < 0)
		return -1;
	(*cursor_r)->from = true;
	return 0;
}

int db_cursor_open(struct db *db, struct db_txn *txn, const void *prefix,
		   size_t prefix_len, struct db_cursor **cursor_r,
		   const char **error_r)
{
	struct db_cursor *cursor;
	DBC *dbc;
	int ret;

	*cursor_r = NULL;
	if (txn == NULL)
		log_panic("db_cursor_open %s without a transaction", db->name);
	if (db_env_check(db->env, "db_cursor_open", error_r) < 0)
		return -1;
	db_call_begin("DB->cursor");
	ret = db->dbp->cursor(db->dbp, txn->tid, &dbc, 0);
	db_call_end();
	if (ret != 0) {
		if (db_is_deadlock(ret))
			txn->deadlocked = true;
		*error_r = db_env_errorf(db->env, ret, "db_cursor_open %s",
					 db->name);
		return -1;
	}
	cursor = xcalloc(1, sizeof(*cursor));
	cursor->db = db;
	cursor->txn = txn;
	cursor->dbc = dbc;
	cursor->prefix_len = prefix_len;
	if (prefix_len > 0) {
		cursor->prefix = xmalloc(prefix_len);
		memcpy(cursor->prefix, prefix, prefix_len);
	}
	txn->cursors++;
	*cursor_r = cursor;
	return 0;
}

int db_cursor_next(struct db_cursor *cursor, struct buf *key_r,
		   struct buf *value_r, const char **error_r)
{
	DBT key, value;
	u_int32_t flags;
	int ret;

	if (cursor->done)
		return 0;
	if (db_env_check(cursor->db->env, "db_cursor_next", error_r) < 0)
		return -1;
	memset(&key, 0, sizeof(key));
	memset(&value, 0, sizeof(value));
	if (cursor->started) {
		flags = DB_NEXT;
	} else if (cursor->prefix_len == 0) {
		flags = DB_FIRST;
	} else {
		/* The first key at or after the prefix. */
		flags = DB_SET_RANGE;
		key.data = cursor->prefix;
		key.size = (u_int32_t)cursor->prefix_len;
	}
	db_call_begin("DBC->get");
	ret = cursor->dbc->get(cursor->dbc, &key, &value, flags);
	db_call_end();
	if (ret == DB_NOTFOUND) {
		cursor->done = true;
		return 0;
	}
	if (ret != 0) {
		if (db_is_deadlock(ret))
			cursor->txn->deadlocked = true;
		*error_r = db_env_errorf(cursor->db->env, ret,
					 "db_cursor_next %s", cursor->db->name);
		return -1;
	}
	cursor->started = true;
	if (cursor->prefix_len > 0 && !cursor->from &&
	    (key.size < cursor->prefix_len ||
	     memcmp(key.data, cursor->prefix, cursor->prefix_len) != 0)) {
		cursor->done = true;
		return 0;
	}
	db_buf_set(key_r, &key);
	db_buf_set(value_r, &value);
	return 1;
}

int db_cursor_del(struct db_cursor *cursor, const char **error_r)
{
	int ret;

	if (!cursor->started || cursor->done)
		log_panic("db_cursor_del %s not on a record", cursor->db->name);
	if (db_env_check(cursor->db->env, "db_cursor_del", error_r) < 0)
		return -1;
	db_call_begin("DBC->del");
	ret = cursor->dbc->del(cursor->dbc, 0);
	db_call_end();
	if (ret != 0) {
		if (db_is_deadlock(ret))
			cursor->txn->deadlocked = true;
		*error_r = db_env_errorf(cursor->db->env, ret,
					 "db_cursor_del %s", cursor->db->name);
		return -1;
	}
	return 0;
}

void db_cursor_free(struct db_cursor **cursorp)
{
	struct db_cursor *cursor = *cursorp;
	int ret;

	if (cursor == NULL)
		return;
	*cursorp = NULL;
	/* Closing a cursor only fails when the transaction is already
	 * doomed; the caller will abort it. */
	db_call_begin("DBC->close");
	ret = cursor->dbc->close(cursor->dbc);
	db_call_end();
	if (ret != 0 && db_is_deadlock(ret))
		cursor->txn->deadlocked = true;
	cursor->txn->cursors--;
	free(cursor->prefix);
	free(cursor);
}
