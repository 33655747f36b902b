/*
 * The duplicate check of a delivery (mbox_new_message.delivery_hash): the
 * newest message of the mailbox with the same hash, stored within the
 * window.  A handle keeps a table of the hashes of the index's records,
 * so that a mailbox kept open between deliveries (lmtpd keeps the last
 * ones it delivered to) reads only the records appended since its last
 * look, where a scan of the window read every record of the day: 72
 * bytes a message, 7 MB a delivery for a mailbox that gets 100,000 a day.
 *
 * The table is the index's, not the log's: it is looked at under the
 * lock, once the index is brought up to the log.  It is rebuilt when the
 * index was replaced (a compaction or a rewrite: another file, or another
 * record where the last one looked at stood), when a wider window is
 * asked for, or when it grew past MBOX_DEDUP_MAX; a hit is read back from
 * the index, so a message expunged since is seen as such.
 */
#include "mbox_private.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Records read at a time. */
#define MBOX_DEDUP_CHUNK 512
/* The most hashes a table holds; a window with more is scanned. */
#define MBOX_DEDUP_MAX (64 * 1024)

struct mbox_dedup_entry {
	uint64_t hash;		/* 0: free */
	uint32_t uid;
	uint32_t pos;		/* its record's place in the index */
	int64_t save_date;
};

struct mbox_dedup {
	struct mbox_dedup_entry *slots;
	size_t cap;		/* a power of two */
	size_t used;
	ino_t index_ino;
	uint32_t upto;		/* records [0, upto) were looked at */
	uint32_t last_uid;	/* the UID of record upto - 1 */
	int64_t since;		/* the window it was built for */
	bool valid;
};

void mbox_dedup_free(struct mbox *mb)
{
	if (mb->dedup != NULL) {
		free(mb->dedup->slots);
		free(mb->dedup);
		mb->dedup = NULL;
	}
}

static struct mbox_dedup_entry *dedup_slot(struct mbox_dedup *t,
					   uint64_t hash)
{
	size_t i = (size_t)(hash ^ (hash >> 29)) & (t->cap - 1);

	while (t->slots[i].hash != 0 && t->slots[i].hash != hash)
		i = (i + 1) & (t->cap - 1);
	return &t->slots[i];
}

static void dedup_grow(struct mbox_dedup *t)
{
	struct mbox_dedup_entry *old = t->slots;
	size_t i, old_cap = t->cap;

	t->cap = old_cap > 0 ? old_cap * 2 : 1024;
	t->slots = xcalloc(t->cap, sizeof(*t->slots));
	for (i = 0; i < old_cap; i++) {
		if (old[i].hash != 0)
			*dedup_slot(t, old[i].hash) = old[i];
	}
	free(old);
}

/* Notes record `pos`; with `newer` it replaces an entry of the same hash
 * (records read forward), else it does not (read backward). */
static void dedup_add(struct mbox_dedup *t, const struct mbox_record *rec,
		      uint32_t pos, bool newer)
{
	struct mbox_dedup_entry *e;

	if (rec->delivery_hash == 0)
		return;
	if ((t->used + 1) * 4 > t->cap * 3)
		dedup_grow(t);
	e = dedup_slot(t, rec->delivery_hash);
	if (e->hash != 0 && !newer)
		return;
	if (e->hash == 0)
		t->used++;
	e->hash = rec->delivery_hash;
	e->uid = rec->uid;
	e->pos = pos;
	e->save_date = rec->save_date;
}

static bool dedup_read(struct mbox *mb, struct mbox_record *recs,
		       uint32_t start, uint32_t n)
{
	return pread(mb->index_fd, recs, n * sizeof(*recs),
		     mbox_record_pos(start)) == (ssize_t)(n * sizeof(*recs));
}

/* The UID of a message stored at or after `since` whose hash is `hash`,
 * reading the index backwards from its end; with `t`, noting every
 * record of the window in it.  false when the index could not be read
 * (or the window is too large for `t`). */
static bool dedup_scan(struct mbox *mb, struct mbox_dedup *t, uint64_t hash,
		       int64_t since, uint32_t *found_r)
{
	struct mbox_record *chunk = xmalloc(MBOX_DEDUP_CHUNK * sizeof(*chunk));
	uint32_t end = mb->hdr.record_count;
	bool done = false, ok = true;

	*found_r = 0;
	while (end > 0 && !done) {
		uint32_t start = end > MBOX_DEDUP_CHUNK ?
			end - MBOX_DEDUP_CHUNK : 0;
		uint32_t n = end - start, i;

		if (!dedup_read(mb, chunk, start, n)) {
			ok = false;
			break;
		}
		for (i = n; i > 0 && !done; i--) {
			const struct mbox_record *rec = &chunk[i - 1];

			if (rec->save_date < since) {
				done = true;
			} else if (t != NULL) {
				dedup_add(t, rec, start + i - 1, false);
				if (t->used >= MBOX_DEDUP_MAX) {
					ok = false;
					done = true;
				}
			} else if (rec->delivery_hash == hash &&
				   !(rec->flags & MBOX_EXPUNGED)) {
				*found_r = rec->uid;
				done = true;
			}
		}
		end = start;
	}
	free(chunk);
	return ok;
}

/* Whether the table still describes this index: the same file, and the
 * last record looked at still where it was (a compaction moves them). */
static bool dedup_current(struct mbox *mb, const struct mbox_dedup *t,
			  int64_t since)
{
	struct mbox_record last;

	if (!t->valid || t->index_ino != mb->index_ino ||
	    since < t->since || t->used >= MBOX_DEDUP_MAX ||
	    mb->hdr.record_count < t->upto)
		return false;
	if (t->upto == 0)
		return true;
	return dedup_read(mb, &last, t->upto - 1, 1) &&
		last.uid == t->last_uid;
}

static void dedup_reset(struct mbox *mb, struct mbox_dedup *t, int64_t since)
{
	memset(t->slots, 0, t->cap * sizeof(*t->slots));
	t->used = 0;
	t->valid = false;
	t->index_ino = mb->index_ino;
	t->since = since;
	t->upto = 0;
	t->last_uid = 0;
}

/* Notes the records appended since the last look. */
static bool dedup_catch_up(struct mbox *mb, struct mbox_dedup *t)
{
	struct mbox_record *chunk = xmalloc(MBOX_DEDUP_CHUNK * sizeof(*chunk));
	uint32_t count = mb->hdr.record_count;
	bool ok = true;

	while (t->upto < count) {
		uint32_t n = count - t->upto < MBOX_DEDUP_CHUNK ?
			count - t->upto : MBOX_DEDUP_CHUNK, i;

		if (!dedup_read(mb, chunk, t->upto, n)) {
			ok = false;
			break;
		}
		for (i = 0; i < n; i++)
			dedup_add(t, &chunk[i], t->upto + i, true);
		t->upto += n;
		t->last_uid = chunk[n - 1].uid;
	}
	free(chunk);
	return ok;
}

uint32_t mbox_dedup_find(struct mbox *mb, uint64_t hash, int64_t since)
{
	struct mbox_dedup *t = mb->dedup;
	const struct mbox_dedup_entry *e;
	struct mbox_record rec;
	uint32_t found;

	if (t == NULL) {
		t = mb->dedup = xcalloc(1, sizeof(*t));
		dedup_grow(t);
	}
	if (!dedup_current(mb, t, since)) {
		dedup_reset(mb, t, since);
		if (!dedup_scan(mb, t, 0, since, &found)) {
			/* Too many to keep, or a read failed: as before. */
			(void)dedup_scan(mb, NULL, hash, since, &found);
			return found;
		}
		t->upto = mb->hdr.record_count;
		t->valid = true;
		if (t->upto > 0 && dedup_read(mb, &rec, t->upto - 1, 1))
			t->last_uid = rec.uid;
		else
			t->valid = t->upto == 0;
	}
	if (!dedup_catch_up(mb, t)) {
		t->valid = false;
		(void)dedup_scan(mb, NULL, hash, since, &found);
		return found;
	}
	e = dedup_slot(t, hash);
	if (e->hash == 0 || e->save_date < since)
		return 0;
	/* Read back: expunged since it was noted? */
	if (!dedup_read(mb, &rec, e->pos, 1) || rec.uid != e->uid ||
	    rec.delivery_hash != hash) {
		t->valid = false;
		(void)dedup_scan(mb, NULL, hash, since, &found);
		return found;
	}
	if (!(rec.flags & MBOX_EXPUNGED))
		return rec.uid;
	/* The newest was expunged; an older copy may still be there. */
	(void)dedup_scan(mb, NULL, hash, since, &found);
	return found;
}
