/* Annotations of the server and of mailboxes (see store_metadata.h). */
#include "store_metadata.h"
#include "store_private.h"
#include "db.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define STORE_METADATA_RECORD_VERSION 1
#define PRIVATE_PREFIX "/private/"
#define SHARED_PREFIX "/shared/"

int store_metadata_entry_check(const char *entry,
			       char out[STORE_METADATA_ENTRY_MAX + 1],
			       const char **error_r)
{
	size_t len = strlen(entry), i, plen;

	if (len > STORE_METADATA_ENTRY_MAX) {
		*error_r = "entry name too long";
		return -1;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)entry[i];

		if (c < 0x20 || c > 0x7e || c == '*' || c == '%') {
			*error_r = "invalid character in entry name";
			return -1;
		}
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	out[len] = '\0';
	if (strncasecmp(entry, PRIVATE_PREFIX, strlen(PRIVATE_PREFIX)) == 0)
		plen = strlen(PRIVATE_PREFIX);
	else if (strncasecmp(entry, SHARED_PREFIX, strlen(SHARED_PREFIX)) == 0)
		plen = strlen(SHARED_PREFIX);
	else
		plen = 0;
	if (plen == 0 || len == plen || out[len - 1] == '/' ||
	    strstr(out, "//") != NULL) {
		*error_r = "an entry name is /private/... or /shared/..., "
			"without empty components";
		return -1;
	}
	return 0;
}

/* owner "\0" target "\0" entry; the owner follows from the entry. */
static void store_metadata_key(struct buf *key, const char *user,
			       const char *target, const char *entry)
{
	bool private = strncmp(entry, PRIVATE_PREFIX,
			       strlen(PRIVATE_PREFIX)) == 0;

	buf_clear(key);
	if (private)
		buf_append_str(key, user);
	buf_append_char(key, '\0');
	buf_append_str(key, target);
	buf_append_char(key, '\0');
	buf_append_str(key, entry);
}

/* Entries of `owner` ("" for shared ones) on `target`. */
static int store_metadata_count(struct store *st, struct db_txn *txn,
				const char *owner, const char *target,
				size_t *count_r, const char **error_r)
{
	struct buf prefix = BUF_INIT, key = BUF_INIT, value = BUF_INIT;
	struct db_cursor *cur = NULL;
	int ret;

	*count_r = 0;
	buf_append_str(&prefix, owner);
	buf_append_char(&prefix, '\0');
	buf_append_str(&prefix, target);
	buf_append_char(&prefix, '\0');
	ret = db_cursor_open(st->metadata, txn, prefix.data, prefix.len, &cur,
			     error_r);
	while (ret == 0 &&
	       (ret = db_cursor_next(cur, &key, &value, error_r)) == 1) {
		ret = 0;
		(*count_r)++;
	}
	db_cursor_free(&cur);
	buf_free(&prefix);
	buf_free(&key);
	buf_free(&value);
	return ret < 0 ? -1 : 0;
}

static int store_metadata_visible(struct store *st, struct db_txn *txn,
				  const char *user, const char *target,
				  size_t *count_r, const char **error_r)
{
	size_t shared, private;

	if (store_metadata_count(st, txn, "", target, &shared, error_r) < 0 ||
	    store_metadata_count(st, txn, user, target, &private, error_r) < 0)
		return -1;
	*count_r = shared + private;
	return 0;
}

struct store_metadata_set_ctx {
	struct store *st;
	const char *user, *target;
	const struct store_metadata_set *sets;
	size_t count;
	unsigned int max_entries;
	bool too_many;
};

static int store_metadata_set_txn(struct db_txn *txn, unsigned int attempt,
				  void *ctx, const char **error_r)
{
	struct store_metadata_set_ctx *s = ctx;
	struct buf key = BUF_INIT, value = BUF_INIT;
	size_t before = 0, after = 0, i;
	int ret = 0;

	s->too_many = false;
	if (s->max_entries != 0)
		ret = store_metadata_visible(s->st, txn, s->user, s->target,
					     &before, error_r);
	for (i = 0; ret == 0 && i < s->count; i++) {
		const struct store_metadata_set *e = &s->sets[i];

		store_metadata_key(&key, s->user, s->target, e->entry);
		if (e->value != NULL) {
			buf_clear(&value);
			db_record_init(&value, STORE_METADATA_RECORD_VERSION);
			buf_append(&value, e->value, e->value_len);
			ret = db_put(s->st->metadata, txn, key.data, key.len,
				     value.data, value.len, error_r);
		} else {
			ret = db_del(s->st->metadata, txn, key.data, key.len,
				     error_r) < 0 ? -1 : 0;
		}
	}
	if (ret == 0 && s->max_entries != 0)
		ret = store_metadata_visible(s->st, txn, s->user, s->target,
					     &after, error_r);
	/* Only growth is refused: removing or replacing entries of a
	 * target already past a lowered limit still works. */
	if (ret == 0 && after > before && after > s->max_entries &&
	    s->max_entries != 0) {
		s->too_many = true;
		*error_r = "too many annotations";
		ret = -1;
	}
	buf_free(&key);
	buf_free(&value);
	return ret;
}

int store_metadata_set(struct store *st, const char *user, const char *target,
		       const struct store_metadata_set *sets, size_t count,
		       unsigned int max_entries, bool *too_many_r,
		       const char **error_r)
{
	struct store_metadata_set_ctx s;
	int ret;

	memset(&s, 0, sizeof(s));
	s.st = st;
	s.user = user;
	s.target = target;
	s.sets = sets;
	s.count = count;
	s.max_entries = max_entries;
	ret = db_txn_run(st->env, store_metadata_set_txn, &s, error_r);
	*too_many_r = s.too_many;
	if (s.too_many)
		return 0;
	return ret;
}

/* Collected in the transaction, reported after it (see store_list_txn). */
struct store_metadata_get_ctx {
	struct store *st;
	struct buf prefix;	/* owner "\0" target "\0" entry */
	size_t entry_off;	/* where the entry starts in a key */
	size_t entry_len;
	unsigned int depth;
	struct buf found;	/* length-prefixed entry, value pairs */
};

static bool store_metadata_within(const char *name, size_t len,
				  size_t base_len, unsigned int depth)
{
	unsigned int levels = 0;
	size_t i;

	if (len == base_len)
		return true;
	if (name[base_len] != '/')
		return false;
	for (i = base_len; i < len; i++) {
		if (name[i] == '/')
			levels++;
	}
	return levels <= depth;
}

static int store_metadata_get_txn(struct db_txn *txn, unsigned int attempt,
				  void *ctx, const char **error_r)
{
	struct store_metadata_get_ctx *g = ctx;
	struct buf key = BUF_INIT, value = BUF_INIT;
	struct db_cursor *cur = NULL;
	uint8_t version;
	int ret;

	buf_clear(&g->found);
	ret = db_cursor_open(g->st->metadata, txn, g->prefix.data,
			     g->prefix.len, &cur, error_r);
	while (ret == 0 &&
	       (ret = db_cursor_next(cur, &key, &value, error_r)) == 1) {
		const char *name = key.data + g->entry_off;
		size_t len = key.len - g->entry_off;
		uint32_t n;

		ret = db_record_check(g->st->metadata, &value,
				      STORE_METADATA_RECORD_VERSION, &version,
				      error_r);
		if (ret < 0)
			break;
		if (!store_metadata_within(name, len, g->entry_len, g->depth))
			continue;
		n = (uint32_t)len;
		buf_append(&g->found, &n, sizeof(n));
		buf_append(&g->found, name, len);
		n = (uint32_t)db_record_len(&value);
		buf_append(&g->found, &n, sizeof(n));
		buf_append(&g->found, db_record_data(&value), n);
	}
	db_cursor_free(&cur);
	buf_free(&key);
	buf_free(&value);
	return ret < 0 ? -1 : 0;
}

int store_metadata_get(struct store *st, const char *user, const char *target,
		       const char *entry, unsigned int depth,
		       store_metadata_fn *fn, void *ctx, const char **error_r)
{
	struct store_metadata_get_ctx g;
	size_t pos = 0;
	int ret;

	memset(&g, 0, sizeof(g));
	g.st = st;
	g.depth = depth;
	g.entry_len = strlen(entry);
	store_metadata_key(&g.prefix, user, target, entry);
	g.entry_off = g.prefix.len - g.entry_len;
	ret = db_txn_run(st->env, store_metadata_get_txn, &g, error_r);
	while (ret == 0 && pos < g.found.len) {
		uint32_t elen, vlen;
		char *name;

		memcpy(&elen, g.found.data + pos, sizeof(elen));
		pos += sizeof(elen);
		name = xmalloc(elen + 1);
		memcpy(name, g.found.data + pos, elen);
		name[elen] = '\0';
		pos += elen;
		memcpy(&vlen, g.found.data + pos, sizeof(vlen));
		pos += sizeof(vlen);
		fn(ctx, name, g.found.data + pos, vlen);
		pos += vlen;
		free(name);
	}
	buf_free(&g.prefix);
	buf_free(&g.found);
	return ret;
}

/* Deletes every key starting with `prefix`. */
static int store_metadata_del_prefix(struct store *st, struct db_txn *txn,
				     const struct buf *prefix,
				     const char **error_r)
{
	struct buf key = BUF_INIT, value = BUF_INIT;
	struct db_cursor *cur = NULL;
	int ret;

	ret = db_cursor_open(st->metadata, txn, prefix->data, prefix->len,
			     &cur, error_r);
	while (ret == 0 &&
	       (ret = db_cursor_next(cur, &key, &value, error_r)) == 1)
		ret = db_cursor_del(cur, error_r);
	db_cursor_free(&cur);
	buf_free(&key);
	buf_free(&value);
	return ret < 0 ? -1 : 0;
}

int store_metadata_delete_mailbox(struct store *st, struct db_txn *txn,
				  const char *user, const char *id,
				  const char **error_r)
{
	struct buf prefix = BUF_INIT;
	int ret;

	buf_append_char(&prefix, '\0');
	buf_append_str(&prefix, id);
	buf_append_char(&prefix, '\0');
	ret = store_metadata_del_prefix(st, txn, &prefix, error_r);
	buf_clear(&prefix);
	buf_append_str(&prefix, user);
	buf_append_char(&prefix, '\0');
	buf_append_str(&prefix, id);
	buf_append_char(&prefix, '\0');
	if (ret == 0)
		ret = store_metadata_del_prefix(st, txn, &prefix, error_r);
	buf_free(&prefix);
	return ret;
}

int store_metadata_delete_user(struct store *st, struct db_txn *txn,
			       const char *user, const char **error_r)
{
	struct buf prefix = BUF_INIT;
	int ret;

	buf_append_str(&prefix, user);
	buf_append_char(&prefix, '\0');
	ret = store_metadata_del_prefix(st, txn, &prefix, error_r);
	buf_free(&prefix);
	return ret;
}
