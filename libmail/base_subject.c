#include "base_subject.h"
#include "buf.h"
#include "message_header.h"
#include "rfc2047.h"

#include <strings.h>

/* The text being reduced: s[start..end). */
struct subj {
	const char *s;
	size_t start, end;
	bool is_reply;
};

static bool subj_has_prefix(const struct subj *j, size_t at, const char *p,
			    size_t plen)
{
	return j->end - at >= plen && strncasecmp(j->s + at, p, plen) == 0;
}

/* Step 1 leaves a single space as the only WSP. */
static size_t subj_skip_wsp(const struct subj *j, size_t at)
{
	while (at < j->end && j->s[at] == ' ')
		at++;
	return at;
}

/* subj-blob = "[" *BLOBCHAR "]" *WSP.  Returns the offset after it, or 0
 * (a blob never ends at offset 0) when none starts at `at`. */
static size_t subj_blob(const struct subj *j, size_t at)
{
	size_t p;

	if (at >= j->end || j->s[at] != '[')
		return 0;
	for (p = at + 1; p < j->end; p++) {
		if (j->s[p] == '[')
			return 0;
		if (j->s[p] == ']')
			return subj_skip_wsp(j, p + 1);
	}
	return 0;
}

/* Step 2: subj-trailer = "(fwd)" / WSP, repeatedly. */
static void subj_trailers(struct subj *j)
{
	for (;;) {
		if (j->end > j->start && j->s[j->end - 1] == ' ') {
			j->end--;
		} else if (j->end - j->start >= 5 &&
			   strncasecmp(j->s + j->end - 5, "(fwd)", 5) == 0) {
			j->end -= 5;
			j->is_reply = true;
		} else {
			return;
		}
	}
}

/* subj-leader = (*subj-blob subj-refwd) / WSP; subj-refwd = ("re" / ("fw"
 * ["d"])) *WSP [subj-blob] ":".  Returns true when one was removed. */
static bool subj_leader(struct subj *j)
{
	size_t p = j->start, q;

	if (p < j->end && j->s[p] == ' ') {
		j->start++;
		return true;
	}
	while ((q = subj_blob(j, p)) != 0)
		p = q;
	if (subj_has_prefix(j, p, "re", 2))
		p += 2;
	else if (subj_has_prefix(j, p, "fwd", 3))
		p += 3;
	else if (subj_has_prefix(j, p, "fw", 2))
		p += 2;
	else
		return false;
	p = subj_skip_wsp(j, p);
	if ((q = subj_blob(j, p)) != 0)
		p = q;
	if (p >= j->end || j->s[p] != ':')
		return false;
	j->start = p + 1;
	j->is_reply = true;
	return true;
}

/* Step 4: a leading blob goes when something is left after it. */
static bool subj_leading_blob(struct subj *j)
{
	size_t p = subj_blob(j, j->start);

	if (p == 0 || p >= j->end)
		return false;
	j->start = p;
	return true;
}

static void subj_normalise(const char *value, size_t len, struct buf *out)
{
	struct buf unfolded = BUF_INIT, decoded = BUF_INIT;
	size_t i;

	message_header_unfold(value, len, &unfolded);
	rfc2047_decode(buf_cstr(&unfolded), unfolded.len, &decoded);
	/* Step 1: tabs and line breaks are spaces, runs of them one. */
	for (i = 0; i < decoded.len; i++) {
		char ch = decoded.data[i];

		if (ch == '\t' || ch == '\r' || ch == '\n')
			ch = ' ';
		if (ch == ' ' && out->len > 0 && out->data[out->len - 1] == ' ')
			continue;
		buf_append_char(out, ch);
	}
	buf_free(&unfolded);
	buf_free(&decoded);
}

bool base_subject_extract(const char *value, size_t len, struct buf *out)
{
	struct buf text = BUF_INIT;
	struct subj j;
	bool changed;

	subj_normalise(value, len, &text);
	j.s = buf_cstr(&text);
	j.start = 0;
	j.end = text.len;
	j.is_reply = false;
	for (;;) {
		subj_trailers(&j);
		/* Steps 3 to 5: leaders and blobs until neither matches. */
		do {
			changed = false;
			while (subj_leader(&j))
				changed = true;
			if (subj_leading_blob(&j))
				changed = true;
		} while (changed);
		/* Step 6: "[fwd: ...]" is unwrapped, and we start over. */
		if (subj_has_prefix(&j, j.start, "[fwd:", 5) &&
		    j.end - j.start >= 6 && j.s[j.end - 1] == ']') {
			j.start += 5;
			j.end--;
			j.is_reply = true;
			continue;
		}
		break;
	}
	buf_append(out, j.s + j.start, j.end - j.start);
	buf_free(&text);
	return j.is_reply;
}
