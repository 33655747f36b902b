/* The Public Suffix List and its matching algorithm; see public_suffix.h. */
#include "public_suffix.h"
#include "buf.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Rules as written ("co.uk", "*.ck", "!www.ck"), lower-cased, sorted for
 * binary search. */
struct public_suffix {
	char **rules;
	size_t count;
};

static int ps_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void public_suffix_free(struct public_suffix **pslp)
{
	struct public_suffix *psl = *pslp;
	size_t i;

	if (psl == NULL)
		return;
	for (i = 0; i < psl->count; i++)
		free(psl->rules[i]);
	free(psl->rules);
	free(psl);
	*pslp = NULL;
}

/* A rule: labels of letters, digits, '-', '_' or UTF-8 bytes, optionally
 * after "!" or with "*" labels. */
static int ps_rule_ok(const char *r, size_t n)
{
	size_t i, label = 0;

	if (n > 0 && r[0] == '!') {
		r++;
		n--;
	}
	if (n == 0 || r[0] == '.' || r[n - 1] == '.')
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)r[i];

		if (ch == '.') {
			if (label == 0)
				return -1;
			label = 0;
		} else if (isalnum(ch) || ch == '-' || ch == '_' ||
			   ch == '*' || ch >= 0x80) {
			label++;
		} else {
			return -1;
		}
	}
	return 0;
}

int public_suffix_parse(const char *text, size_t len,
			struct public_suffix **psl_r, const char **error_r)
{
	static char error[128];
	struct public_suffix *psl = xcalloc(1, sizeof(*psl));
	size_t pos = 0, line = 0, cap = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl != NULL ? (size_t)(nl - text) : len, n = 0, i;
		const char *rule = text + pos;

		line++;
		/* The rule is the line's first word (the format says so:
		 * anything after white space is ignored). */
		while (rule < text + end && (*rule == ' ' || *rule == '\t'))
			rule++;
		while (rule + n < text + end && !isspace((unsigned char)rule[n]))
			n++;
		pos = end + 1;
		if (n == 0 || (n >= 2 && rule[0] == '/' && rule[1] == '/'))
			continue;
		if (n > PUBLIC_SUFFIX_RULE_MAX || ps_rule_ok(rule, n) < 0) {
			(void)str_format(error, sizeof(error),
					 "line %zu: bad rule", line);
			*error_r = error;
			public_suffix_free(&psl);
			return -1;
		}
		if (psl->count == cap) {
			cap = cap == 0 ? 1024 : cap * 2;
			psl->rules = xrealloc(psl->rules,
					      cap * sizeof(*psl->rules));
		}
		psl->rules[psl->count] = xstrndup(rule, n);
		for (i = 0; i < n; i++)
			psl->rules[psl->count][i] = (char)tolower(
				(unsigned char)psl->rules[psl->count][i]);
		psl->count++;
	}
	/* An empty list has no array at all, and qsort wants one. */
	if (psl->count > 1)
		qsort(psl->rules, psl->count, sizeof(*psl->rules), ps_cmp);
	*psl_r = psl;
	return 0;
}

int public_suffix_load(const char *path, struct public_suffix **psl_r,
		       const char **error_r)
{
	static char error[512];
	struct buf text = BUF_INIT;
	char chunk[65536];
	ssize_t n;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		(void)str_format(error, sizeof(error), "%s: %s", path,
				 strerror(errno));
		*error_r = error;
		return -1;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || text.len + (size_t)n > PUBLIC_SUFFIX_FILE_MAX) {
			(void)str_format(error, sizeof(error), "%s: %s", path,
					 n < 0 ? strerror(errno) :
					 "larger than the limit");
			*error_r = error;
			close(fd);
			buf_free(&text);
			return -1;
		}
		buf_append(&text, chunk, (size_t)n);
	}
	close(fd);
	ret = public_suffix_parse(text.data != NULL ? text.data : "", text.len,
				  psl_r, error_r);
	if (ret < 0) {
		(void)str_format(error, sizeof(error), "%s: %s", path,
				 *error_r);
		*error_r = error;
	}
	buf_free(&text);
	return ret;
}

static bool ps_has(const struct public_suffix *psl, const char *prefix,
		   const char *name)
{
	char key[PUBLIC_SUFFIX_RULE_MAX + 3];
	const char *k = key;

	if (str_format(key, sizeof(key), "%s%s", prefix, name) < 0)
		return false;
	return psl->count > 0 && bsearch(&k, psl->rules, psl->count,
					 sizeof(*psl->rules), ps_cmp) != NULL;
}

int public_suffix_org_domain(const struct public_suffix *psl,
			     const char *domain, char *out, size_t size)
{
	char d[256];
	size_t starts[128], n = 0, i, len, ps = SIZE_MAX;

	if (str_copy(d, sizeof(d), domain) < 0)
		return -1;
	len = strlen(d);
	if (len > 0 && d[len - 1] == '.')
		d[--len] = '\0';
	if (len == 0 || d[0] == '.')
		return -1;
	for (i = 0; i < len; i++) {
		d[i] = (char)tolower((unsigned char)d[i]);
		if (i == 0 || d[i - 1] == '.') {
			if (d[i] == '.' || n == sizeof(starts) / sizeof(starts[0]))
				return -1;
			starts[n++] = i;
		}
	}
	/* An exception rule prevails: its suffix is the rule minus its
	 * leftmost label. */
	for (i = 0; i < n && ps == SIZE_MAX; i++) {
		if (ps_has(psl, "!", d + starts[i]))
			ps = i + 1;
	}
	/* Otherwise the rule with the most labels; "*.x" matches one label
	 * under x. */
	for (i = 0; i < n && ps == SIZE_MAX; i++) {
		if (ps_has(psl, "", d + starts[i]) ||
		    (i + 1 < n && ps_has(psl, "*.", d + starts[i + 1])))
			ps = i;
	}
	if (ps == SIZE_MAX)
		ps = n - 1;	/* the implicit "*" */
	if (ps >= n)
		return -1;
	return str_copy(out, size, d + starts[ps > 0 ? ps - 1 : 0]);
}
