#include "imapd/imap_thread.h"
#include "imapd/imap_msgkeys.h"
#include "buf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NONE SIZE_MAX

/* A container of RFC 5256 section 3 (REFERENCES): a message, or a dummy
 * (msg NULL) standing for an ID no searched message has.  Nodes live in
 * one array and name each other by index, so growing it moves nothing
 * that matters. */
struct thread_node {
	const struct imap_msgkeys *msg;
	size_t parent, first, last, next;
	size_t children;
};

struct thread_tree {
	struct thread_node *nodes;
	size_t count, alloc;
};

#define THREAD_ROOT 0

/* Open addressing from a string (a Message-ID, or a base subject compared
 * with i;ascii-casemap) to a node. */
struct thread_table {
	const char **keys;
	size_t *values;
	size_t mask;
	bool casemap;
};

/* A growable list of node indexes. */
struct thread_vec {
	size_t *v;
	size_t count, alloc;
};

int imap_thread_alg_parse(const char *name)
{
	if (strcasecmp(name, "ORDEREDSUBJECT") == 0)
		return IMAP_THREAD_ORDEREDSUBJECT;
	if (strcasecmp(name, "REFERENCES") == 0)
		return IMAP_THREAD_REFERENCES;
	return -1;
}

static void vec_push(struct thread_vec *vec, size_t n)
{
	if (vec->count == vec->alloc) {
		vec->alloc = vec->alloc == 0 ? 16 : vec->alloc * 2;
		vec->v = xrealloc(vec->v, vec->alloc * sizeof(*vec->v));
	}
	vec->v[vec->count++] = n;
}

static size_t node_new(struct thread_tree *t, const struct imap_msgkeys *msg)
{
	struct thread_node *n;

	if (t->count == t->alloc) {
		t->alloc = t->alloc == 0 ? 64 : t->alloc * 2;
		t->nodes = xrealloc(t->nodes, t->alloc * sizeof(*t->nodes));
	}
	n = &t->nodes[t->count];
	n->msg = msg;
	n->parent = n->first = n->last = n->next = NONE;
	n->children = 0;
	return t->count++;
}

static void node_append(struct thread_tree *t, size_t parent, size_t child)
{
	struct thread_node *p = &t->nodes[parent];

	t->nodes[child].parent = parent;
	t->nodes[child].next = NONE;
	if (p->last != NONE)
		t->nodes[p->last].next = child;
	else
		p->first = child;
	p->last = child;
	p->children++;
}

static void node_unlink(struct thread_tree *t, size_t child)
{
	size_t parent = t->nodes[child].parent, prev = NONE, cur;
	struct thread_node *p;

	if (parent == NONE)
		return;
	p = &t->nodes[parent];
	for (cur = p->first; cur != child; cur = t->nodes[cur].next)
		prev = cur;
	if (prev == NONE)
		p->first = t->nodes[child].next;
	else
		t->nodes[prev].next = t->nodes[child].next;
	if (p->last == child)
		p->last = prev;
	p->children--;
	t->nodes[child].parent = NONE;
	t->nodes[child].next = NONE;
}

/* Puts `repl` (without a parent) where `old` is among its siblings. */
static void node_replace(struct thread_tree *t, size_t old, size_t repl)
{
	size_t parent = t->nodes[old].parent, prev = NONE, cur;
	struct thread_node *p = &t->nodes[parent];

	for (cur = p->first; cur != old; cur = t->nodes[cur].next)
		prev = cur;
	if (prev == NONE)
		p->first = repl;
	else
		t->nodes[prev].next = repl;
	if (p->last == old)
		p->last = repl;
	t->nodes[repl].next = t->nodes[old].next;
	t->nodes[repl].parent = parent;
	t->nodes[old].parent = NONE;
	t->nodes[old].next = NONE;
}

/* Is `a` the node `b` or one of its ancestors?  Linking b as a's parent
 * would then make a loop. */
static bool node_is_ancestor(const struct thread_tree *t, size_t a, size_t b)
{
	for (; b != NONE; b = t->nodes[b].parent) {
		if (b == a)
			return true;
	}
	return false;
}

static void node_children(const struct thread_tree *t, size_t n,
			  struct thread_vec *out)
{
	out->count = 0;
	for (size_t c = t->nodes[n].first; c != NONE; c = t->nodes[c].next)
		vec_push(out, c);
}

static void node_clear_children(struct thread_tree *t, size_t n)
{
	t->nodes[n].first = t->nodes[n].last = NONE;
	t->nodes[n].children = 0;
}

/* ---- the tables ---- */

static uint64_t table_hash(const char *s, bool casemap)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (casemap && ch >= 'a' && ch <= 'z')
			ch -= 32;
		h = (h ^ ch) * 1099511628211ULL;
	}
	return h;
}

static void table_init(struct thread_table *tab, size_t entries, bool casemap)
{
	size_t size = 16;

	while (size < entries * 2)
		size *= 2;
	tab->keys = xcalloc(size, sizeof(*tab->keys));
	tab->values = xcalloc(size, sizeof(*tab->values));
	tab->mask = size - 1;
	tab->casemap = casemap;
}

static void table_deinit(struct thread_table *tab)
{
	free(tab->keys);
	free(tab->values);
}

/* The slot of `key`: holding it, or empty where it would go.  The table is
 * sized for every key it will get, so an empty slot always exists. */
static size_t table_slot(const struct thread_table *tab, const char *key)
{
	size_t i = (size_t)table_hash(key, tab->casemap) & tab->mask;

	while (tab->keys[i] != NULL) {
		if (tab->casemap ? imap_msgkeys_casecmp(tab->keys[i], key) == 0 :
		    strcmp(tab->keys[i], key) == 0)
			break;
		i = (i + 1) & tab->mask;
	}
	return i;
}

/* ---- sorting siblings ---- */

/* The message a node is sorted by: its own, or a dummy's first child's
 * (RFC 5256 section 3, REFERENCES steps 4 and 6). */
static const struct imap_msgkeys *node_sort_msg(const struct thread_tree *t,
						size_t n)
{
	while (t->nodes[n].msg == NULL && t->nodes[n].first != NONE)
		n = t->nodes[n].first;
	return t->nodes[n].msg;
}

/* Sent date, then sequence number (RFC 5256 section 2.2). */
static int thread_cmp_date(const struct imap_msgkeys *a,
			   const struct imap_msgkeys *b)
{
	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	if (a->sent != b->sent)
		return a->sent < b->sent ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int thread_cmp_nodes(const void *x, const void *y, void *context)
{
	const struct thread_tree *t = context;

	return thread_cmp_date(node_sort_msg(t, *(const size_t *)x),
			       node_sort_msg(t, *(const size_t *)y));
}

static void thread_sort_children(struct thread_tree *t, size_t n,
				 struct thread_vec *tmp)
{
	node_children(t, n, tmp);
	if (tmp->count < 2)
		return;
	qsort_r(tmp->v, tmp->count, sizeof(*tmp->v), thread_cmp_nodes, t);
	node_clear_children(t, n);
	for (size_t i = 0; i < tmp->count; i++)
		node_append(t, n, tmp->v[i]);
}

/* ---- REFERENCES ---- */

/* The container of an ID, made as a dummy when new. */
static size_t thread_id_node(struct thread_tree *t, struct thread_table *ids,
			     const char *id)
{
	size_t slot = table_slot(ids, id);

	if (ids->keys[slot] == NULL) {
		ids->keys[slot] = id;
		ids->values[slot] = node_new(t, NULL);
	}
	return ids->values[slot];
}

/* Step 1 for one message, with its last `max_refs` references. */
static void thread_link_message(struct thread_tree *t, struct thread_table *ids,
				const struct imap_msgkeys *m, size_t max_refs)
{
	size_t self, prev = NONE, r, slot;
	size_t first_ref = m->ref_count > max_refs ? m->ref_count - max_refs : 0;

	/* A missing or duplicate Message-ID gets a container of its own
	 * that no reference can name. */
	self = NONE;
	if (m->message_id != NULL) {
		slot = table_slot(ids, m->message_id);
		if (ids->keys[slot] == NULL ||
		    t->nodes[ids->values[slot]].msg == NULL) {
			self = thread_id_node(t, ids, m->message_id);
			t->nodes[self].msg = m;
		}
	}
	if (self == NONE)
		self = node_new(t, m);
	/* (A) each reference the parent of the next, keeping links that
	 * exist (the References may have been truncated) and making no
	 * loop. */
	for (size_t i = first_ref; i < m->ref_count; i++) {
		r = thread_id_node(t, ids, m->refs[i]);
		if (prev != NONE && t->nodes[r].parent == NONE &&
		    !node_is_ancestor(t, r, prev))
			node_append(t, prev, r);
		prev = r;
	}
	/* (B) the last reference is the parent, whatever the message had
	 * before. */
	node_unlink(t, self);
	if (prev != NONE && !node_is_ancestor(t, self, prev))
		node_append(t, prev, self);
}

/* Appends to `out` the nearest real messages under `n`, in tree order:
 * what remains of n's children once the dummies between are spliced out
 * (step 3).  Walks with the parent links, no recursion. */
static void thread_real_descendants(const struct thread_tree *t, size_t n,
				    struct thread_vec *out)
{
	size_t cur = t->nodes[n].first;

	out->count = 0;
	while (cur != NONE) {
		if (t->nodes[cur].msg == NULL && t->nodes[cur].first != NONE) {
			cur = t->nodes[cur].first;
			continue;
		}
		if (t->nodes[cur].msg != NULL)
			vec_push(out, cur);
		while (cur != n && t->nodes[cur].next == NONE)
			cur = t->nodes[cur].parent;
		cur = cur == n ? NONE : t->nodes[cur].next;
	}
}

static void thread_set_children(struct thread_tree *t, size_t n,
				const struct thread_vec *kids,
				struct thread_vec *work)
{
	node_clear_children(t, n);
	for (size_t i = 0; i < kids->count; i++) {
		node_append(t, n, kids->v[i]);
		vec_push(work, kids->v[i]);
	}
}

/* Step 3: dummies go, their children taking their place, except that a
 * dummy under the root with several children stays. */
static void thread_prune(struct thread_tree *t)
{
	struct thread_vec top = { 0 }, kids = { 0 }, work = { 0 };

	node_children(t, THREAD_ROOT, &top);
	node_clear_children(t, THREAD_ROOT);
	for (size_t i = 0; i < top.count; i++) {
		size_t n = top.v[i];

		if (t->nodes[n].msg != NULL) {
			node_append(t, THREAD_ROOT, n);
			vec_push(&work, n);
			continue;
		}
		thread_real_descendants(t, n, &kids);
		if (kids.count <= 1)
			t->nodes[n].parent = NONE;
		if (kids.count == 1) {
			node_append(t, THREAD_ROOT, kids.v[0]);
			vec_push(&work, kids.v[0]);
		} else if (kids.count > 1) {
			node_append(t, THREAD_ROOT, n);
			thread_set_children(t, n, &kids, &work);
		}
	}
	while (work.count > 0) {
		size_t n = work.v[--work.count];

		thread_real_descendants(t, n, &kids);
		thread_set_children(t, n, &kids, &work);
	}
	/* The dummies left out keep stale links into the tree: cut them, so
	 * no later step walks or sorts through them. */
	for (size_t n = 1; n < t->count; n++) {
		if (t->nodes[n].msg == NULL &&
		    t->nodes[n].parent != THREAD_ROOT) {
			t->nodes[n].parent = t->nodes[n].next = NONE;
			node_clear_children(t, n);
		}
	}
	free(top.v);
	free(kids.v);
	free(work.v);
}

static const char *thread_subject(const struct thread_tree *t, size_t n)
{
	const struct imap_msgkeys *m = t->nodes[n].msg;

	if (m == NULL)
		m = t->nodes[t->nodes[n].first].msg;
	return m->subject;
}

static bool thread_is_reply(const struct thread_tree *t, size_t n)
{
	return t->nodes[n].msg != NULL && t->nodes[n].msg->subject_is_reply;
}

/* Step 5 (C): joins root child `n` to `e`, the table's thread of the same
 * subject at `slot`. */
static void thread_merge(struct thread_tree *t, struct thread_table *subjects,
			 size_t slot, size_t n)
{
	size_t e = subjects->values[slot], d, c;
	bool e_dummy = t->nodes[e].msg == NULL;
	bool n_dummy = t->nodes[n].msg == NULL;

	if (e_dummy && n_dummy) {
		node_unlink(t, n);
		while ((c = t->nodes[n].first) != NONE) {
			node_unlink(t, c);
			node_append(t, e, c);
		}
	} else if (e_dummy ||
		   (thread_is_reply(t, n) && !thread_is_reply(t, e))) {
		node_unlink(t, n);
		node_append(t, e, n);
	} else {
		d = node_new(t, NULL);
		node_replace(t, e, d);
		node_append(t, d, e);
		node_unlink(t, n);
		node_append(t, d, n);
		subjects->values[slot] = d;
	}
}

/* Step 5: threads of one base subject are gathered. */
static void thread_gather_subjects(struct thread_tree *t)
{
	struct thread_vec top = { 0 };
	struct thread_table subjects;
	size_t i, n, slot, e;

	node_children(t, THREAD_ROOT, &top);
	table_init(&subjects, top.count, true);
	for (i = 0; i < top.count; i++) {
		const char *s = thread_subject(t, top.v[i]);

		n = top.v[i];
		if (*s == '\0')
			continue;
		slot = table_slot(&subjects, s);
		if (subjects.keys[slot] == NULL) {
			subjects.keys[slot] = s;
			subjects.values[slot] = n;
			continue;
		}
		e = subjects.values[slot];
		if (t->nodes[e].msg != NULL &&
		    (t->nodes[n].msg == NULL ||
		     (thread_is_reply(t, e) && !thread_is_reply(t, n))))
			subjects.values[slot] = n;
	}
	for (i = 0; i < top.count; i++) {
		const char *s;

		n = top.v[i];
		/* Already moved under another thread by a merge. */
		if (t->nodes[n].parent != THREAD_ROOT)
			continue;
		s = thread_subject(t, n);
		if (*s == '\0')
			continue;
		slot = table_slot(&subjects, s);
		if (subjects.values[slot] != n)
			thread_merge(t, &subjects, slot, n);
	}
	table_deinit(&subjects);
	free(top.v);
}

static void thread_references(struct thread_tree *t,
			      const struct imap_msgkeys *const *msgs,
			      size_t count, size_t max_refs)
{
	struct thread_table ids;
	struct thread_vec tmp = { 0 };
	size_t i, total = count;

	for (i = 0; i < count; i++)
		total += msgs[i]->ref_count < max_refs ? msgs[i]->ref_count :
			 max_refs;
	table_init(&ids, total, false);
	for (i = 0; i < count; i++)
		thread_link_message(t, &ids, msgs[i], max_refs);
	/* Step 2: the root set; step 3 drops the ID table (it dies here). */
	table_deinit(&ids);
	for (i = 1; i < t->count; i++) {
		if (t->nodes[i].parent == NONE)
			node_append(t, THREAD_ROOT, i);
	}
	thread_prune(t);
	/* Step 4: dummies' children, then the threads, by date. */
	for (i = t->nodes[THREAD_ROOT].first; i != NONE; i = t->nodes[i].next) {
		if (t->nodes[i].msg == NULL)
			thread_sort_children(t, i, &tmp);
	}
	thread_sort_children(t, THREAD_ROOT, &tmp);
	thread_gather_subjects(t);
	/* Step 6: every set of siblings.  A sort key depends on children
	 * only for dummies, which sit under the root, sorted last. */
	for (i = 1; i < t->count; i++) {
		if (t->nodes[i].children > 1)
			thread_sort_children(t, i, &tmp);
	}
	thread_sort_children(t, THREAD_ROOT, &tmp);
	free(tmp.v);
}

/* ---- ORDEREDSUBJECT ---- */

static int thread_cmp_subject(const void *x, const void *y)
{
	const struct imap_msgkeys *a = *(const struct imap_msgkeys *const *)x;
	const struct imap_msgkeys *b = *(const struct imap_msgkeys *const *)y;
	int r = imap_msgkeys_casecmp(a->subject, b->subject);

	return r != 0 ? r : thread_cmp_date(a, b);
}

static void thread_orderedsubject(struct thread_tree *t,
				  const struct imap_msgkeys *const *msgs,
				  size_t count)
{
	const struct imap_msgkeys **sorted;
	struct thread_vec tmp = { 0 };
	size_t i, first = NONE;

	sorted = xcalloc(count + 1, sizeof(*sorted));
	memcpy(sorted, msgs, count * sizeof(*sorted));
	qsort(sorted, count, sizeof(*sorted), thread_cmp_subject);
	/* The first of each subject is a thread; the others are its
	 * children, in date order already. */
	for (i = 0; i < count; i++) {
		size_t n = node_new(t, sorted[i]);

		if (first != NONE &&
		    imap_msgkeys_casecmp(t->nodes[first].msg->subject,
					 sorted[i]->subject) == 0) {
			node_append(t, first, n);
		} else {
			node_append(t, THREAD_ROOT, n);
			first = n;
		}
	}
	thread_sort_children(t, THREAD_ROOT, &tmp);
	free(tmp.v);
	free(sorted);
}

/* ---- the response ---- */

#define THREAD_CLOSE NONE

/* Reverses vec[from..count). */
static void thread_reverse(struct thread_vec *vec, size_t from)
{
	size_t a = from, b = vec->count;

	while (b > a + 1) {
		size_t x = vec->v[a];

		vec->v[a++] = vec->v[--b];
		vec->v[b] = x;
	}
}

/* thread-list = "(" (thread-members / thread-nested) ")": a node with one
 * child continues its line, one with several opens a list per child. */
static void thread_write(const struct thread_tree *t, bool uid,
			 struct buf *out)
{
	struct thread_vec stack = { 0 };
	size_t n, c;

	/* Entries: a node to write in its own list, or THREAD_CLOSE.  A
	 * node written without a list (an only child) is not pushed but
	 * followed in a loop. */
	node_children(t, THREAD_ROOT, &stack);
	thread_reverse(&stack, 0);
	while (stack.count > 0) {
		n = stack.v[--stack.count];
		if (n == THREAD_CLOSE) {
			buf_append_char(out, ')');
			continue;
		}
		buf_append_char(out, '(');
		vec_push(&stack, THREAD_CLOSE);
		for (;;) {
			const struct imap_msgkeys *m = t->nodes[n].msg;
			size_t k = stack.count;

			if (m != NULL) {
				if (out->data[out->len - 1] != '(')
					buf_append_char(out, ' ');
				buf_printf(out, "%u", uid ? m->uid : m->seq);
			}
			if (t->nodes[n].children == 1) {
				n = t->nodes[n].first;
				continue;
			}
			if (t->nodes[n].children > 1 && m != NULL)
				buf_append_char(out, ' ');
			/* Several children: push them so the first pops
			 * first. */
			for (c = t->nodes[n].first; c != NONE;
			     c = t->nodes[c].next)
				vec_push(&stack, c);
			thread_reverse(&stack, k);
			break;
		}
	}
	free(stack.v);
}

void imap_thread_run(enum imap_thread_alg alg,
		     const struct imap_msgkeys *const *msgs, size_t count,
		     size_t max_refs, bool uid, struct buf *out)
{
	struct thread_tree t = { 0 };

	(void)node_new(&t, NULL);
	if (alg == IMAP_THREAD_REFERENCES)
		thread_references(&t, msgs, count, max_refs);
	else
		thread_orderedsubject(&t, msgs, count);
	thread_write(&t, uid, out);
	free(t.nodes);
}
