/* The aliases table; see aliases.h. */
#include "aliases.h"
#include "buf.h"
#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct alias {
	char *name;
	char **targets;
	size_t count;
};

struct aliases {
	char *path;
	struct alias *list;
	size_t count;
	/* What the loaded file looked like, to notice a change. */
	time_t checked;
	struct timespec mtime;
	ino_t ino;
	off_t size;
	bool exists;
};

static void aliases_clear(struct aliases *a)
{
	size_t i, j;

	for (i = 0; i < a->count; i++) {
		for (j = 0; j < a->list[i].count; j++)
			free(a->list[i].targets[j]);
		free(a->list[i].targets);
		free(a->list[i].name);
	}
	free(a->list);
	a->list = NULL;
	a->count = 0;
}

struct aliases *aliases_new_empty(void)
{
	return xcalloc(1, sizeof(struct aliases));
}

static char *aliases_trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
			   end[-1] == '\r'))
		*--end = '\0';
	return s;
}

static const struct alias *aliases_find(const struct aliases *a,
					const char *name)
{
	size_t i;

	for (i = 0; i < a->count; i++) {
		if (strcmp(a->list[i].name, name) == 0)
			return &a->list[i];
	}
	return NULL;
}

/* One logical entry "name: t1, t2" (continuations already joined). */
static int aliases_add_entry(struct aliases *a, char *entry, size_t *targets,
			     const char **why_r)
{
	char *colon = strchr(entry, ':'), *name, *list, *t;
	struct alias *al;
	size_t i;

	if (colon == NULL) {
		*why_r = "no colon";
		return -1;
	}
	*colon = '\0';
	name = aliases_trim(entry);
	list = colon + 1;
	if (*name == '\0' || strpbrk(name, " \t@,\"") != NULL) {
		*why_r = "bad alias name";
		return -1;
	}
	for (i = 0; name[i] != '\0'; i++)
		name[i] = (char)tolower((unsigned char)name[i]);
	if (aliases_find(a, name) != NULL) {
		*why_r = "alias defined twice";
		return -1;
	}
	a->list = xrealloc(a->list, (a->count + 1) * sizeof(*a->list));
	al = &a->list[a->count++];
	memset(al, 0, sizeof(*al));
	al->name = xstrdup(name);
	while ((t = strsep(&list, ",")) != NULL) {
		t = aliases_trim(t);
		if (*t == '\0')
			continue;
		if (strpbrk(t, " \t\"|/:") != NULL) {
			/* No program, file or :include: targets: delivery
			 * only ever goes to mailboxes and addresses. */
			*why_r = "bad target (only users and addresses)";
			return -1;
		}
		if (++*targets > ALIASES_MAX_TARGETS) {
			*why_r = "too many targets";
			return -1;
		}
		al->targets = xrealloc(al->targets,
				       (al->count + 1) * sizeof(char *));
		al->targets[al->count] = xstrdup(t);
		for (i = 0; al->targets[al->count][i] != '\0'; i++)
			al->targets[al->count][i] = (char)tolower(
				(unsigned char)al->targets[al->count][i]);
		al->count++;
	}
	if (al->count == 0) {
		*why_r = "alias without targets";
		return -1;
	}
	return 0;
}

int aliases_parse(struct aliases *a, const char *text, size_t len,
		  const char **error_r)
{
	static char error[128];
	struct aliases fresh = { 0 };
	struct buf entry = BUF_INIT, line = BUF_INIT;
	size_t pos = 0, lineno = 0, entry_line = 0, targets = 0;
	const char *why = NULL;
	int ret = 0;

	while (ret == 0 && pos <= len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;
		bool cont;

		lineno++;
		if (n > ALIASES_MAX_LINE) {
			why = "line too long";
			ret = -1;
			break;
		}
		buf_clear(&line);
		buf_append(&line, text + pos, n);
		pos += n + 1;
		if (memchr(line.data != NULL ? line.data : "", '\0',
			   line.len) != NULL) {
			why = "NUL byte";
			ret = -1;
			break;
		}
		cont = line.len > 0 && (line.data[0] == ' ' ||
					line.data[0] == '\t');
		if (line.len > 0 && line.data[0] == '#')
			continue;
		if (cont && entry.len > 0 &&
		    *aliases_trim(line.data) != '\0') {
			if (entry.len + line.len > ALIASES_MAX_LINE * 16) {
				why = "entry too long";
				ret = -1;
				break;
			}
			buf_append_char(&entry, ',');
			buf_append_str(&entry, aliases_trim(line.data));
			continue;
		}
		if (entry.len > 0) {
			ret = aliases_add_entry(&fresh, entry.data, &targets,
						&why);
			buf_clear(&entry);
			if (ret < 0) {
				lineno = entry_line;
				break;
			}
		}
		if (*aliases_trim(line.data) != '\0') {
			if (cont) {
				why = "continuation without an entry";
				ret = -1;
				break;
			}
			buf_append_str(&entry, line.data);
			entry_line = lineno;
		}
		if (nl == NULL)
			break;
	}
	if (ret == 0 && entry.len > 0) {
		ret = aliases_add_entry(&fresh, entry.data, &targets, &why);
		lineno = entry_line;
	}
	buf_free(&entry);
	buf_free(&line);
	if (ret < 0) {
		snprintf(error, sizeof(error), "line %zu: %s", lineno, why);
		*error_r = error;
		aliases_clear(&fresh);
		return -1;
	}
	aliases_clear(a);
	a->list = fresh.list;
	a->count = fresh.count;
	return 0;
}

static int aliases_load(struct aliases *a, const char **error_r)
{
	static char error[512];
	struct buf text = BUF_INIT;
	struct stat st;
	const char *why;
	int fd = open(a->path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT) {
		aliases_clear(a);
		a->exists = false;
		return 0;
	}
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(error, sizeof(error), "%s: %s", a->path,
			 strerror(errno));
		*error_r = error;
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (st.st_size > 64 * 1024 * 1024) {
		close(fd);
		snprintf(error, sizeof(error), "%s: too large", a->path);
		*error_r = error;
		return -1;
	}
	for (;;) {
		ssize_t n;

		buf_reserve(&text, 65536);
		n = read(fd, text.data + text.len, 65536);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		text.len += (size_t)n;
	}
	close(fd);
	if (aliases_parse(a, text.data != NULL ? text.data : "", text.len,
			  &why) < 0) {
		snprintf(error, sizeof(error), "%s: %s", a->path, why);
		*error_r = error;
		buf_free(&text);
		return -1;
	}
	buf_free(&text);
	a->exists = true;
	a->mtime = st.st_mtim;
	a->ino = st.st_ino;
	a->size = st.st_size;
	if (!aliases_has(a, "postmaster") || !aliases_has(a, "abuse"))
		log_warn("aliases_incomplete", "path=%s reason=%s", a->path,
			 "postmaster and abuse must be defined");
	return 0;
}

int aliases_open(const char *path, struct aliases **a_r, const char **error_r)
{
	struct aliases *a = aliases_new_empty();

	a->path = xstrdup(path);
	a->checked = time(NULL);
	if (aliases_load(a, error_r) < 0) {
		aliases_free(&a);
		return -1;
	}
	*a_r = a;
	return 0;
}

void aliases_refresh(struct aliases *a, time_t now)
{
	struct stat st;
	const char *error;
	bool exists;

	if (a->path == NULL || now == a->checked)
		return;
	a->checked = now;
	exists = stat(a->path, &st) == 0;
	if (exists == a->exists &&
	    (!exists || (st.st_ino == a->ino && st.st_size == a->size &&
			 st.st_mtim.tv_sec == a->mtime.tv_sec &&
			 st.st_mtim.tv_nsec == a->mtime.tv_nsec)))
		return;
	if (aliases_load(a, &error) < 0) {
		log_error("aliases_reload_failed", "reason=%s", error);
		/* Keep the old table, and do not retry until it changes. */
		if (exists) {
			a->mtime = st.st_mtim;
			a->ino = st.st_ino;
			a->size = st.st_size;
		}
		return;
	}
	log_info("aliases_reloaded", "path=%s count=%zu", a->path, a->count);
}

void aliases_free(struct aliases **ap)
{
	struct aliases *a = *ap;

	if (a == NULL)
		return;
	aliases_clear(a);
	free(a->path);
	free(a);
	*ap = NULL;
}

bool aliases_has(const struct aliases *a, const char *name)
{
	return aliases_find(a, name) != NULL;
}

static void aliases_result_add(struct aliases_result *r, const char *local,
			       const char *domain)
{
	struct buf b = BUF_INIT;
	size_t i;

	if (domain != NULL)
		buf_printf(&b, "%s@%s", local, domain);
	else
		buf_append_str(&b, local);
	for (i = 0; i < r->count; i++) {
		if (strcmp(r->addresses[i], buf_cstr(&b)) == 0) {
			buf_free(&b);
			return;
		}
	}
	r->addresses = xrealloc(r->addresses,
				(r->count + 1) * sizeof(*r->addresses));
	r->addresses[r->count++] = buf_steal(&b);
}

struct aliases_walk {
	const struct aliases *a;
	aliases_is_local_fn *is_local;
	void *ctx;
	const char *path[ALIASES_MAX_DEPTH];
	size_t depth;
	struct aliases_result *r;
};

static void aliases_walk(struct aliases_walk *w, const struct alias *al,
			 const char *domain)
{
	size_t i, j;

	if (w->depth >= ALIASES_MAX_DEPTH) {
		w->r->loop = true;
		return;
	}
	w->path[w->depth++] = al->name;
	for (i = 0; i < al->count && !w->r->loop; i++) {
		char *t = al->targets[i], *at = strrchr(t, '@');
		const struct alias *next;
		struct buf local = BUF_INIT;
		const char *tdomain = domain;

		if (at != NULL) {
			tdomain = at + 1;
			if (!w->is_local(w->ctx, tdomain)) {
				aliases_result_add(w->r, t, NULL);
				continue;
			}
			buf_append(&local, t, (size_t)(at - t));
		} else {
			buf_append_str(&local, t);
		}
		next = aliases_find(w->a, buf_cstr(&local));
		if (next == NULL || next == al) {
			/* A user, or the alias naming itself: the user. */
			aliases_result_add(w->r, buf_cstr(&local), tdomain);
		} else {
			for (j = 0; j < w->depth; j++) {
				if (w->path[j] == next->name)
					w->r->loop = true;
			}
			if (!w->r->loop)
				aliases_walk(w, next, tdomain);
		}
		buf_free(&local);
	}
	w->depth--;
}

int aliases_expand(const struct aliases *a, const char *local_part,
		   const char *domain, aliases_is_local_fn *is_local,
		   void *ctx, struct aliases_result *result_r)
{
	const struct alias *al = aliases_find(a, local_part);
	struct aliases_walk w;

	memset(result_r, 0, sizeof(*result_r));
	if (al == NULL)
		return 0;
	memset(&w, 0, sizeof(w));
	w.a = a;
	w.is_local = is_local;
	w.ctx = ctx;
	w.r = result_r;
	aliases_walk(&w, al, domain);
	return 1;
}

void aliases_result_deinit(struct aliases_result *r)
{
	size_t i;

	for (i = 0; i < r->count; i++)
		free(r->addresses[i]);
	free(r->addresses);
	memset(r, 0, sizeof(*r));
}
