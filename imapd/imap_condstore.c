/* CONDSTORE and QRESYNC state of a session (see imap_condstore.h). */
#include "imapd/imap_condstore.h"
#include "imapd/imap_client.h"
#include "imapd/imap_copy.h"
#include "imapd/imap_selected.h"
#include "imapd/imap_seqset.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

/* RFC 7162 section 7: mod-sequence-value is a positive 63-bit number. */
#define MODSEQ_MAX UINT64_C(9223372036854775807)

bool imap_condstore_enabled(const struct imap_client *c)
{
	return (c->enabled & IMAP_ENABLED_CONDSTORE) != 0;
}

bool imap_qresync_enabled(const struct imap_client *c)
{
	return (c->enabled & IMAP_ENABLED_QRESYNC) != 0;
}

void imap_condstore_enable(struct imap_client *c)
{
	if (imap_condstore_enabled(c))
		return;
	c->enabled |= IMAP_ENABLED_CONDSTORE;
	/* Section 3.1: the first enabling command with a mailbox selected
	 * tells the client where the mailbox stands. */
	if (c->sel != NULL)
		imap_client_send(c, "* OK [HIGHESTMODSEQ %llu] Highest",
				 (unsigned long long)c->sel->view.highestmodseq);
}

void imap_condstore_fetch_modseq(const struct imap_client *c, uint64_t modseq,
				 struct buf *out)
{
	if (imap_condstore_enabled(c))
		buf_printf(out, " MODSEQ (%llu)", (unsigned long long)modseq);
}

void imap_qresync_send_vanished(struct imap_client *c, const uint32_t *uids,
				size_t count)
{
	struct buf line = BUF_INIT;

	if (count == 0)
		return;
	buf_append_str(&line, "* VANISHED ");
	imap_copy_uidset(uids, count, &line);
	buf_append_str(&line, "\r\n");
	imap_client_write(c, line.data, line.len);
	buf_free(&line);
}

static void range_add(struct buf *out, uint32_t lo, uint32_t hi)
{
	struct imap_seq_range r = { lo, hi };

	if (lo <= hi)
		buf_append(out, &r, sizeof(r));
}

int imap_qresync_send_earlier(struct imap_client *c, uint64_t since,
			      const struct imap_seqset *known, uint32_t floor,
			      const char **error_r)
{
	struct imap_selected *sel = c->sel;
	struct buf gone = BUF_INIT, kept = BUF_INIT, line = BUF_INIT;
	const uint32_t *g;
	struct imap_seqset result;
	uint32_t max = sel->view.uidnext > 0 ? sel->view.uidnext - 1 : 0;
	size_t i, n;

	if (mbox_vanished(sel->mbox, &sel->view, since, &gone, error_r) < 0)
		return -1;
	g = (const uint32_t *)(const void *)gone.data;
	n = gone.len / (2 * sizeof(*g));
	/* Both lists are ascending ranges: intersect them. */
	for (i = 0; i < n; i++) {
		uint32_t lo = g[2 * i] > floor ? g[2 * i] : floor + 1;
		uint32_t hi = g[2 * i + 1];
		struct imap_seqset_iter it;
		uint32_t klo, khi;

		if (lo > hi || floor == UINT32_MAX)
			continue;
		if (known == NULL) {
			range_add(&kept, lo, hi);
			continue;
		}
		imap_seqset_iter_init(&it, known, max);
		while (imap_seqset_iter_next(&it, &klo, &khi)) {
			if (khi < lo)
				continue;
			if (klo > hi)
				break;
			range_add(&kept, klo > lo ? klo : lo, khi < hi ? khi : hi);
		}
	}
	if (kept.len > 0) {
		memset(&result, 0, sizeof(result));
		result.ranges = (struct imap_seq_range *)(void *)kept.data;
		result.count = kept.len / sizeof(*result.ranges);
		buf_append_str(&line, "* VANISHED (EARLIER) ");
		imap_seqset_format(&result, &line);
		buf_append_str(&line, "\r\n");
		imap_client_write(c, line.data, line.len);
	}
	buf_free(&gone);
	buf_free(&kept);
	buf_free(&line);
	return 0;
}

/* ---- SELECT (CONDSTORE) and SELECT (QRESYNC (...)) ---- */

static int parse_set(const struct imap_arg *arg, struct imap_seqset **set_r)
{
	const char *text, *error;

	return imap_arg_get_atom(arg, &text) &&
		imap_seqset_parse(text, IMAP_SEQSET_DEFAULT_MAX_RANGES, set_r,
				  &error) == 0 && !(*set_r)->saved ? 0 : -1;
}

static int parse_qresync(const struct imap_arg *a, struct imap_select_params *p,
			 const char **error_r)
{
	const struct imap_arg *match;
	const char *text;
	uint64_t n;

	*error_r = "Invalid QRESYNC parameters";
	if (!imap_arg_get_atom(&a[0], &text) ||
	    imap_parse_number(text, UINT32_MAX, &n) < 0 || n == 0)
		return -1;
	p->uidvalidity = (uint32_t)n;
	if (!imap_arg_get_atom(&a[1], &text) ||
	    imap_parse_number(text, MODSEQ_MAX, &p->modseq) < 0)
		return -1;
	a += 2;
	if (a->type == IMAP_ARG_ATOM) {
		if (parse_set(a, &p->known_uids) < 0)
			return -1;
		a++;
	}
	if (a->type == IMAP_ARG_LIST) {
		match = a->u.list;
		if (a->len != 2 || parse_set(&match[0], &p->match_seqs) < 0 ||
		    parse_set(&match[1], &p->match_uids) < 0)
			return -1;
		a++;
	}
	return a->type == IMAP_ARG_EOL ? 0 : -1;
}

int imap_select_params_parse(struct imap_client *c, const struct imap_arg *list,
			     struct imap_select_params *p,
			     const char **error_r)
{
	memset(p, 0, sizeof(*p));
	for (; list->type != IMAP_ARG_EOL; list++) {
		if (imap_arg_atom_equals(list, "CONDSTORE") && !p->condstore) {
			p->condstore = true;
			continue;
		}
		if (!imap_arg_atom_equals(list, "QRESYNC") || p->qresync ||
		    list[1].type != IMAP_ARG_LIST) {
			*error_r = "Unknown or repeated SELECT parameter";
			return -1;
		}
		/* Section 3.2.5: BAD unless ENABLE QRESYNC came first. */
		if (!imap_qresync_enabled(c)) {
			*error_r = "QRESYNC needs ENABLE QRESYNC first";
			return -1;
		}
		p->qresync = true;
		list++;
		if (parse_qresync(list->u.list, p, error_r) < 0)
			return -1;
	}
	return 0;
}

void imap_select_params_free(struct imap_select_params *p)
{
	imap_seqset_free(&p->known_uids);
	imap_seqset_free(&p->match_seqs);
	imap_seqset_free(&p->match_uids);
}

/* One number after another from a set's ranges. */
struct set_cursor {
	struct imap_seqset_iter it;
	uint32_t next, hi;
	bool have;
};

static bool set_cursor_next(struct set_cursor *cur, uint32_t *n_r)
{
	if (!cur->have || cur->next > cur->hi) {
		if (!imap_seqset_iter_next(&cur->it, &cur->next, &cur->hi))
			return false;
		cur->have = true;
	}
	*n_r = cur->next;
	if (cur->next == UINT32_MAX)
		cur->have = false;
	else
		cur->next++;
	return true;
}

/* Section 3.2.5.2: a sequence number that still holds the UID the client
 * knew it by proves that nothing at or below that UID was expunged since
 * (UIDs only grow, so the messages up to it are the same ones).  The
 * pairs are taken in order up to the first that no longer matches. */
static uint32_t qresync_match_floor(const struct imap_selected *sel,
				    const struct imap_select_params *p)
{
	struct set_cursor seqs, uids;
	uint32_t s, u, floor = 0;

	if (p->match_seqs == NULL)
		return 0;
	memset(&seqs, 0, sizeof(seqs));
	memset(&uids, 0, sizeof(uids));
	imap_seqset_iter_init(&seqs.it, p->match_seqs, (uint32_t)sel->count);
	imap_seqset_iter_init(&uids.it, p->match_uids, UINT32_MAX);
	while (set_cursor_next(&seqs, &s) && set_cursor_next(&uids, &u)) {
		if (s == 0 || s > sel->count || sel->msgs[s - 1].uid != u)
			break;
		floor = u;
	}
	return floor;
}

void imap_qresync_select(struct imap_client *c,
			 const struct imap_select_params *p)
{
	struct imap_selected *sel = c->sel;
	uint32_t max = sel->view.uidnext > 0 ? sel->view.uidnext - 1 : 0;
	struct buf line = BUF_INIT;
	const char *error;
	size_t i;

	/* A different UIDVALIDITY: the client starts over (section 3.2.5). */
	if (!p->qresync || p->uidvalidity != sel->view.uidvalidity)
		return;
	if (imap_qresync_send_earlier(c, p->modseq, p->known_uids,
				      qresync_match_floor(sel, p), &error) < 0)
		log_error("mailbox_sync_failed", "mailbox=%s reason=%s",
			  sel->info.name, error);
	for (i = 0; i < sel->count; i++) {
		const struct mbox_record *rec = &sel->msgs[i];

		if (rec->modseq <= p->modseq ||
		    (p->known_uids != NULL &&
		     !imap_seqset_contains(p->known_uids, rec->uid, max)))
			continue;
		buf_clear(&line);
		buf_printf(&line, "* %zu FETCH (UID %u FLAGS ", i + 1, rec->uid);
		imap_selected_flags(sel, rec, &line);
		buf_printf(&line, " MODSEQ (%llu))\r\n",
			   (unsigned long long)rec->modseq);
		imap_client_write(c, line.data, line.len);
	}
	buf_free(&line);
}
