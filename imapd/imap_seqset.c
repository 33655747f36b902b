#include "imapd/imap_seqset.h"

#include <stdlib.h>

#define STAR_ONLY (UINT64_C(1) << 32)

/* seq-number = nz-number / "*"; returns the end of the number, or NULL. */
static const char *parse_seq_number(const char *p, uint64_t *num_r)
{
	uint64_t n = 0;
	const char *start = p;

	if (*p == '*') {
		*num_r = STAR_ONLY;
		return p + 1;
	}
	/* nz-number = digit-nz *DIGIT, at most 4,294,967,295 */
	if (*p < '1' || *p > '9')
		return NULL;
	while (*p >= '0' && *p <= '9') {
		n = n * 10 + (uint64_t)(*p - '0');
		if (n > UINT32_MAX || p - start > 10)
			return NULL;
		p++;
	}
	*num_r = n;
	return p;
}

static int range_cmp(const void *a, const void *b)
{
	const struct imap_seq_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static void seqset_normalise(struct imap_seqset *set)
{
	size_t out = 0;

	if (set->count == 0)
		return;
	qsort(set->ranges, set->count, sizeof(*set->ranges), range_cmp);
	for (size_t i = 1; i < set->count; i++) {
		struct imap_seq_range *cur = &set->ranges[out];
		const struct imap_seq_range *r = &set->ranges[i];

		if ((uint64_t)r->lo <= (uint64_t)cur->hi + 1) {
			if (r->hi > cur->hi)
				cur->hi = r->hi;
		} else {
			set->ranges[++out] = *r;
		}
	}
	set->count = out + 1;
}

static int seqset_add(struct imap_seqset *set, size_t *cap, uint64_t a,
		      uint64_t b)
{
	if (a == STAR_ONLY || b == STAR_ONLY) {
		uint64_t low = a < b ? a : b;

		if (!set->has_star || low < set->star_low)
			set->star_low = low;
		set->has_star = true;
		return 0;
	}
	if (set->count == *cap) {
		*cap = *cap == 0 ? 8 : *cap * 2;
		set->ranges = xrealloc(set->ranges,
				       *cap * sizeof(*set->ranges));
	}
	set->ranges[set->count].lo = (uint32_t)(a < b ? a : b);
	set->ranges[set->count].hi = (uint32_t)(a < b ? b : a);
	set->count++;
	return 0;
}

int imap_seqset_parse(const char *text, size_t max_ranges,
		      struct imap_seqset **set_r, const char **error_r)
{
	struct imap_seqset *set;
	const char *p = text;
	size_t cap = 0, items = 0;

	*set_r = NULL;
	set = xcalloc(1, sizeof(*set));
	if (text[0] == '$' && text[1] == '\0') {
		set->saved = true;
		*set_r = set;
		return 0;
	}
	for (;;) {
		uint64_t a, b;

		if (++items > max_ranges) {
			*error_r = "Too many ranges in sequence set";
			goto fail;
		}
		p = parse_seq_number(p, &a);
		if (p == NULL)
			goto bad;
		b = a;
		if (*p == ':') {
			p = parse_seq_number(p + 1, &b);
			if (p == NULL)
				goto bad;
		}
		seqset_add(set, &cap, a, b);
		if (*p == '\0')
			break;
		if (*p++ != ',')
			goto bad;
	}
	seqset_normalise(set);
	*set_r = set;
	return 0;
bad:
	*error_r = "Invalid sequence set";
fail:
	imap_seqset_free(&set);
	return -1;
}

void imap_seqset_free(struct imap_seqset **setp)
{
	struct imap_seqset *set = *setp;

	if (set == NULL)
		return;
	*setp = NULL;
	free(set->ranges);
	free(set);
}

bool imap_seqset_contains(const struct imap_seqset *set, uint32_t n,
			  uint32_t max)
{
	size_t lo = 0, hi = set->count;

	if (set->has_star && max > 0 && n <= max &&
	    (uint64_t)n >= (set->star_low < max ? set->star_low : max))
		return true;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct imap_seq_range *r = &set->ranges[mid];

		if (n < r->lo)
			hi = mid;
		else if (n > r->hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

uint32_t imap_seqset_highest(const struct imap_seqset *set)
{
	return set->count == 0 ? 0 : set->ranges[set->count - 1].hi;
}

void imap_seqset_iter_init(struct imap_seqset_iter *it,
			   const struct imap_seqset *set, uint32_t max)
{
	it->set = set;
	it->max = max;
	it->i = 0;
	it->star_done = !set->has_star || max == 0;
}

/* The next range from either source, lowest first, clipped to max. */
static bool iter_candidate(struct imap_seqset_iter *it, uint32_t *lo_r,
			   uint32_t *hi_r)
{
	const struct imap_seqset *set = it->set;
	uint32_t star_lo = 0;
	bool fixed_ok = it->i < set->count && set->ranges[it->i].lo <= it->max;

	if (!it->star_done)
		star_lo = set->star_low < it->max ?
			(uint32_t)set->star_low : it->max;
	if (!it->star_done && (!fixed_ok || star_lo <= set->ranges[it->i].lo)) {
		it->star_done = true;
		*lo_r = star_lo;
		*hi_r = it->max;
		return true;
	}
	if (!fixed_ok)
		return false;
	*lo_r = set->ranges[it->i].lo;
	*hi_r = set->ranges[it->i].hi < it->max ?
		set->ranges[it->i].hi : it->max;
	it->i++;
	return true;
}

bool imap_seqset_iter_next(struct imap_seqset_iter *it, uint32_t *lo_r,
			   uint32_t *hi_r)
{
	uint32_t lo, hi, nlo, nhi;
	struct imap_seqset_iter peek;

	if (!iter_candidate(it, &lo, &hi))
		return false;
	/* Join what overlaps or touches, so each number comes once. */
	for (;;) {
		peek = *it;
		if (!iter_candidate(&peek, &nlo, &nhi) ||
		    (uint64_t)nlo > (uint64_t)hi + 1)
			break;
		*it = peek;
		if (nhi > hi)
			hi = nhi;
	}
	*lo_r = lo;
	*hi_r = hi;
	return true;
}

void imap_seqset_format(const struct imap_seqset *set, struct buf *out)
{
	bool first = true;

	if (set->saved) {
		buf_append_char(out, '$');
		return;
	}
	for (size_t i = 0; i < set->count; i++) {
		const struct imap_seq_range *r = &set->ranges[i];

		if (!first)
			buf_append_char(out, ',');
		first = false;
		if (r->lo == r->hi)
			buf_printf(out, "%u", r->lo);
		else
			buf_printf(out, "%u:%u", r->lo, r->hi);
	}
	if (set->has_star) {
		if (!first)
			buf_append_char(out, ',');
		if (set->star_low == STAR_ONLY)
			buf_append_char(out, '*');
		else
			buf_printf(out, "%u:*", (uint32_t)set->star_low);
	}
}
