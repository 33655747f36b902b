/* LIST and LSUB (see imap_list.h). */
#include "imapd/imap_commands.h"
#include "imapd/imap_acl.h"
#include "imapd/imap_client.h"
#include "imapd/imap_list.h"
#include "imapd/imap_mailbox_name.h"
#include "imapd/imap_status.h"
#include "imapd/imap_utf7.h"
#include "imapd/imapd.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Selection options (RFC 5258 section 3.1). */
#define LIST_SEL_SUBSCRIBED	0x01
#define LIST_SEL_REMOTE		0x02
#define LIST_SEL_RECURSIVE	0x04
#define LIST_SEL_SPECIAL_USE	0x08
/* Return options (RFC 5258 section 3.2, RFC 5819, RFC 6154). */
#define LIST_RET_SUBSCRIBED	0x01
#define LIST_RET_CHILDREN	0x02
#define LIST_RET_STATUS		0x04
#define LIST_RET_SPECIAL_USE	0x08

/* Each name a LIST may report: mailboxes, their parents, subscriptions. */
struct list_entry {
	char *name;
	unsigned int special_use;
	bool exists;
	bool subscribed;
	bool has_children;		/* an existing mailbox below */
	bool has_subscribed_child;	/* a subscribed name below */
	struct store_mailbox mb;
};

struct list_tree {
	struct list_entry *e;
	size_t count, alloc;
	struct imap_client *c;
	bool sorted;	/* the entries so far came in name order */
};

static int list_entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct list_entry *)a)->name,
		      ((const struct list_entry *)b)->name);
}

static struct list_entry *list_find(struct list_tree *t, const char *name)
{
	struct list_entry key = { .name = (char *)name };

	return t->count == 0 ? NULL :
		bsearch(&key, t->e, t->count, sizeof(*t->e), list_entry_cmp);
}

/* Finds or adds (unsorted; list_sort() must follow additions). */
static struct list_entry *list_get(struct list_tree *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->count; i++) {
		if (strcmp(t->e[i].name, name) == 0)
			return &t->e[i];
	}
	if (t->count == t->alloc) {
		t->alloc = t->alloc ? t->alloc * 2 : 32;
		t->e = xrealloc(t->e, t->alloc * sizeof(*t->e));
	}
	memset(&t->e[t->count], 0, sizeof(t->e[0]));
	t->e[t->count].name = xstrdup(name);
	return &t->e[t->count++];
}

static void list_add_mailbox(void *ctx, const struct store_mailbox *mb)
{
	struct list_tree *t = ctx;
	struct list_entry *e;
	struct buf name = BUF_INIT;

	/* Another user's or a shared mailbox: only with "l" (RFC 4314
	 * section 4), and under its namespace's name. */
	if (strcmp(mb->owner, t->c->user) != 0) {
		if (!(imap_acl_rights(t->c, mb) & ACL_L))
			return;
		t->sorted = false;
	}
	imap_acl_external(t->c, mb->owner, mb->name, &name);
	if (t->count == t->alloc) {
		t->alloc = t->alloc ? t->alloc * 2 : 32;
		t->e = xrealloc(t->e, t->alloc * sizeof(*t->e));
	}
	/* The store lists each name once, in order: no search needed. */
	e = &t->e[t->count++];
	memset(e, 0, sizeof(*e));
	e->name = buf_steal(&name);
	e->exists = true;
	e->special_use = mb->special_use;
	e->mb = *mb;
}

static void list_add_subscription(void *ctx, const char *name)
{
	struct list_tree *t = ctx;
	struct list_entry *e = list_find(t, name);

	if (e == NULL) {
		e = list_get(t, name);
		qsort(t->e, t->count, sizeof(*t->e), list_entry_cmp);
		e = list_find(t, name);
	}
	e->subscribed = true;
}

/* Adds the parents of every name and marks the child attributes. */
static void list_complete(struct list_tree *t)
{
	size_t i, n = t->count;
	char *parent;

	for (i = 0; i < n; i++) {
		char *slash;

		parent = xstrdup(t->e[i].name);
		while ((slash = strrchr(parent, '/')) != NULL) {
			*slash = '\0';
			(void)list_get(t, parent);
		}
		free(parent);
	}
	qsort(t->e, t->count, sizeof(*t->e), list_entry_cmp);
	for (i = 0; i < t->count; i++) {
		const struct list_entry *child = &t->e[i];
		char *slash;

		if (!child->exists && !child->subscribed)
			continue;
		parent = xstrdup(child->name);
		while ((slash = strrchr(parent, '/')) != NULL) {
			struct list_entry *p;

			*slash = '\0';
			p = list_find(t, parent);
			if (child->exists)
				p->has_children = true;
			if (child->subscribed)
				p->has_subscribed_child = true;
		}
		free(parent);
	}
}

struct list_users {
	char **names;
	size_t count;
};

static void list_add_user(void *ctx, const char *user)
{
	struct list_users *u = ctx;

	u->names = xrealloc(u->names, (u->count + 1) * sizeof(*u->names));
	u->names[u->count++] = xstrdup(user);
}

/* An admin may look up every mailbox (acl.h), so theirs is the one LIST
 * that reads every user's mailbox list: its cost grows with the size of
 * the store. */
static int list_load_all(struct imap_client *c, struct list_tree *t,
			 const char **error_r)
{
	struct store *st = c->daemon->store;
	struct list_users u = { NULL, 0 };
	size_t i;
	int ret;

	ret = store_user_list(st, list_add_user, &u, error_r);
	for (i = 0; i < u.count; i++) {
		if (ret == 0 && strcmp(u.names[i], c->user) != 0)
			ret = store_mailbox_list(st, u.names[i],
						 list_add_mailbox, t, error_r);
		free(u.names[i]);
	}
	free(u.names);
	if (ret == 0)
		ret = store_mailbox_list(st, STORE_SHARED_OWNER,
					 list_add_mailbox, t, error_r);
	return ret;
}

static void list_add_granted(void *ctx, const struct store_mailbox *mb)
{
	struct list_tree *t = ctx;

	/* The user's own mailbox granted to "anyone" is listed already. */
	if (strcmp(mb->owner, t->c->user) != 0)
		list_add_mailbox(ctx, mb);
}

/* The other users' and the shared mailboxes the user may look up.  Only
 * an entry for the user or "anyone" holding "l" can make one visible
 * (acl.h), so only the mailboxes the store's grants index gives for those
 * two are read; list_add_mailbox() then applies the whole list. */
static int list_load_others(struct imap_client *c, struct list_tree *t,
			    const char **error_r)
{
	const char *ids[2] = { c->user, ACL_ANYONE };

	if (imap_acl_is_admin(c))
		return list_load_all(c, t, error_r);
	return store_mailbox_list_granted(c->daemon->store, ids, 2,
					  list_add_granted, t, error_r);
}

/* Whether a pattern could match a name of the other namespaces; a
 * personal LIST (such as "INBOX*") does not pay for reading them. */
static bool list_reaches_others(char *const *patterns, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++) {
		if (imap_list_match(patterns[i], "Shared/x") ||
		    imap_list_match(patterns[i], "Other Users/x/x") ||
		    strncmp(patterns[i], "Shared", 6) == 0 ||
		    strncmp(patterns[i], "Other Users", 11) == 0 ||
		    patterns[i][0] == '%' || patterns[i][0] == '*')
			return true;
	}
	return false;
}

static int list_load(struct imap_client *c, struct list_tree *t,
		     bool subscriptions, char *const *patterns,
		     size_t pattern_count, const char **error_r)
{
	memset(t, 0, sizeof(*t));
	t->c = c;
	t->sorted = true;
	if (store_mailbox_list(c->daemon->store, c->user, list_add_mailbox, t,
			       error_r) < 0)
		return -1;
	if (list_reaches_others(patterns, pattern_count) &&
	    list_load_others(c, t, error_r) < 0)
		return -1;
	if (!t->sorted)
		qsort(t->e, t->count, sizeof(*t->e), list_entry_cmp);
	if (subscriptions &&
	    store_list_subscriptions(c->daemon->store, c->user,
				     list_add_subscription, t, error_r) < 0)
		return -1;
	list_complete(t);
	return 0;
}

static void list_free(struct list_tree *t)
{
	size_t i;

	for (i = 0; i < t->count; i++)
		free(t->e[i].name);
	free(t->e);
	memset(t, 0, sizeof(*t));
}

/* Iterative wildcard match with backtracking to the last "*" (and, for
 * "%", only within one hierarchy level). */
static bool list_match_at(const char *p, const char *n)
{
	if (*p == '\0')
		return *n == '\0';
	if (*p == '*') {
		for (;;) {
			if (list_match_at(p + 1, n))
				return true;
			if (*n == '\0')
				return false;
			n++;
		}
	}
	if (*p == '%') {
		for (;;) {
			if (list_match_at(p + 1, n))
				return true;
			if (*n == '\0' || *n == '/')
				return false;
			n++;
		}
	}
	return *p == *n && list_match_at(p + 1, n + 1);
}

bool imap_list_match(const char *pattern, const char *name)
{
	/* INBOX is case-insensitive, in patterns too (RFC 9051 5.1). */
	if (strncmp(name, "INBOX", 5) == 0 && strncasecmp(pattern, "INBOX", 5) == 0 &&
	    (name[5] == '\0' || name[5] == '/'))
		return list_match_at(pattern + 5, name + 5);
	return list_match_at(pattern, name);
}

static void list_attributes(const struct list_entry *e, bool extended,
			    unsigned int ret_opts, struct buf *out)
{
	static const struct {
		unsigned int bit;
		const char *name;
	} uses[] = {
		{ STORE_SPECIAL_DRAFTS, "\\Drafts" },
		{ STORE_SPECIAL_SENT, "\\Sent" },
		{ STORE_SPECIAL_TRASH, "\\Trash" },
		{ STORE_SPECIAL_JUNK, "\\Junk" },
		{ STORE_SPECIAL_ARCHIVE, "\\Archive" },
	};
	size_t start = out->len, i;

	if (!e->exists)
		buf_append_str(out, extended ? " \\NonExistent" : " \\Noselect");
	buf_append_str(out, e->has_children ? " \\HasChildren" :
		       " \\HasNoChildren");
	if (e->subscribed && (ret_opts & LIST_RET_SUBSCRIBED))
		buf_append_str(out, " \\Subscribed");
	for (i = 0; i < sizeof(uses) / sizeof(uses[0]); i++) {
		if (e->special_use & uses[i].bit)
			buf_printf(out, " %s", uses[i].name);
	}
	/* Drop the space before the first attribute. */
	if (out->len > start) {
		memmove(out->data + start, out->data + start + 1,
			out->len - start - 1);
		buf_truncate(out, out->len - 1);
	}
}

static void list_line(struct imap_client *c, const char *cmd_name,
		      const struct list_entry *e, bool extended,
		      unsigned int ret_opts, bool childinfo, struct buf *out)
{
	buf_printf(out, "* %s (", cmd_name);
	list_attributes(e, extended, ret_opts, out);
	buf_append_str(out, ") \"/\" ");
	imap_mailbox_name_out(c, e->name, out);
	if (childinfo)
		buf_append_str(out, " (\"CHILDINFO\" (\"SUBSCRIBED\"))");
	buf_append_str(out, "\r\n");
}

void imap_list_mailbox_line(struct imap_client *c,
			    const struct store_mailbox *mb,
			    const char *old_name, struct buf *out)
{
	struct list_tree t;
	struct list_entry *e;
	struct buf name = BUF_INIT;
	char *pattern;
	const char *error;

	imap_acl_external(c, mb->owner, mb->name, &name);
	pattern = (char *)buf_cstr(&name);
	if (list_load(c, &t, false, &pattern, 1, &error) < 0 ||
	    (e = list_find(&t, buf_cstr(&name))) == NULL) {
		struct list_entry one;

		memset(&one, 0, sizeof(one));
		one.name = (char *)buf_cstr(&name);
		one.exists = true;
		one.special_use = mb->special_use;
		list_line(c, "LIST", &one, true, 0, false, out);
	} else {
		list_line(c, "LIST", e, true, 0, false, out);
	}
	list_free(&t);
	if (old_name != NULL) {
		buf_clear(&name);
		imap_acl_external(c, mb->owner, old_name, &name);
		buf_truncate(out, out->len - 2);
		buf_append_str(out, " (\"OLDNAME\" (");
		imap_mailbox_name_out(c, buf_cstr(&name), out);
		buf_append_str(out, "))\r\n");
	}
	buf_free(&name);
}

struct list_request {
	bool lsub;
	bool extended;
	unsigned int sel, ret, status_items;
	char **patterns;
	size_t pattern_count;
};

static void list_request_free(struct list_request *r)
{
	size_t i;

	for (i = 0; i < r->pattern_count; i++)
		free(r->patterns[i]);
	free(r->patterns);
}

static int list_parse_options(const struct imap_arg *list, size_t count,
			      bool selection, struct list_request *r)
{
	size_t i;
	const char *name;

	for (i = 0; i < count; i++) {
		if (!imap_arg_get_atom(&list[i], &name))
			return -1;
		if (selection) {
			if (strcasecmp(name, "SUBSCRIBED") == 0)
				r->sel |= LIST_SEL_SUBSCRIBED;
			else if (strcasecmp(name, "REMOTE") == 0)
				r->sel |= LIST_SEL_REMOTE;
			else if (strcasecmp(name, "RECURSIVEMATCH") == 0)
				r->sel |= LIST_SEL_RECURSIVE;
			else if (strcasecmp(name, "SPECIAL-USE") == 0)
				r->sel |= LIST_SEL_SPECIAL_USE;
			else
				return -1;
			continue;
		}
		if (strcasecmp(name, "SUBSCRIBED") == 0) {
			r->ret |= LIST_RET_SUBSCRIBED;
		} else if (strcasecmp(name, "CHILDREN") == 0) {
			r->ret |= LIST_RET_CHILDREN;
		} else if (strcasecmp(name, "SPECIAL-USE") == 0) {
			r->ret |= LIST_RET_SPECIAL_USE;
		} else if (strcasecmp(name, "STATUS") == 0) {
			const struct imap_arg *items;
			size_t n;

			if (i + 1 >= count ||
			    !imap_arg_get_list(&list[i + 1], &items, &n) ||
			    imap_status_parse(items, n, &r->status_items) < 0)
				return -1;
			r->ret |= LIST_RET_STATUS;
			i++;
		} else {
			return -1;
		}
	}
	/* RECURSIVEMATCH needs a selection option to refine (RFC 5258
	 * section 3.1). */
	if ((r->sel & LIST_SEL_RECURSIVE) &&
	    !(r->sel & (LIST_SEL_SUBSCRIBED | LIST_SEL_SPECIAL_USE)))
		return -1;
	return 0;
}

/* Reference and pattern joined, converted to UTF-8 store form. */
static int list_add_pattern(struct imap_client *c, struct list_request *r,
			    const char *ref, const char *pat)
{
	struct buf joined = BUF_INIT, utf8 = BUF_INIT;
	const char *error;

	buf_append_str(&joined, ref);
	if (ref[0] != '\0' && pat[0] != '\0' && ref[strlen(ref) - 1] != '/' &&
	    pat[0] != '/')
		buf_append_char(&joined, '/');
	buf_append_str(&joined, pat);
	if (!(c->enabled & (IMAP_ENABLED_UTF8 | IMAP_ENABLED_IMAP4REV2))) {
		if (imap_utf7_to_utf8(buf_cstr(&joined), &utf8, &error) < 0) {
			buf_free(&joined);
			buf_free(&utf8);
			return -1;
		}
		buf_free(&joined);
		joined = utf8;
	}
	r->patterns = xrealloc(r->patterns,
			       (r->pattern_count + 1) * sizeof(*r->patterns));
	r->patterns[r->pattern_count++] = buf_steal(&joined);
	return 0;
}

static int list_parse(struct imap_client *c, const struct imap_command *cmd,
		      struct list_request *r)
{
	const struct imap_arg *args = cmd->args, *list;
	const char *ref, *pat;
	size_t len, count, i, n = cmd->arg_count, pos = 0;

	if (!r->lsub && pos < n && args[pos].type == IMAP_ARG_LIST) {
		r->extended = true;
		(void)imap_arg_get_list(&args[pos], &list, &count);
		if (list_parse_options(list, count, true, r) < 0)
			return -1;
		pos++;
	}
	if (pos + 2 > n || !imap_arg_get_astring(&args[pos], &ref, &len))
		return -1;
	pos++;
	if (!r->lsub && args[pos].type == IMAP_ARG_LIST) {
		r->extended = true;
		(void)imap_arg_get_list(&args[pos], &list, &count);
		if (count == 0)
			return -1;
		for (i = 0; i < count; i++) {
			if (!imap_arg_get_string(&list[i], &pat, &len) &&
			    !imap_arg_get_atom(&list[i], &pat))
				return -1;
			if (list_add_pattern(c, r, ref, pat) < 0)
				return -1;
		}
	} else {
		/* list-mailbox: an astring, or an atom with wildcards. */
		if (!imap_arg_get_string(&args[pos], &pat, &len) &&
		    !imap_arg_get_atom(&args[pos], &pat))
			return -1;
		if (list_add_pattern(c, r, ref, pat) < 0)
			return -1;
	}
	pos++;
	if (pos < n) {
		if (r->lsub || !imap_arg_atom_equals(&args[pos], "RETURN") ||
		    pos + 2 != n || !imap_arg_get_list(&args[pos + 1], &list, &count) ||
		    list_parse_options(list, count, false, r) < 0)
			return -1;
		r->extended = true;
	}
	if (r->sel & LIST_SEL_SUBSCRIBED)
		r->ret |= LIST_RET_SUBSCRIBED;
	return 0;
}

static bool list_matches(const struct list_request *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->pattern_count; i++) {
		if (imap_list_match(r->patterns[i], name))
			return true;
	}
	return false;
}

/* Whether a name below `e` is selected but not matched itself, so `e`
 * must stand in for it (RFC 5258 section 3.5, "%" and parents). */
static bool list_has_unmatched_below(const struct list_request *r,
				     const struct list_tree *t, size_t i,
				     bool want_subscribed)
{
	size_t len = strlen(t->e[i].name), j;

	for (j = i + 1; j < t->count; j++) {
		const struct list_entry *o = &t->e[j];

		if (strncmp(o->name, t->e[i].name, len) != 0)
			break;
		if (o->name[len] != '/')
			continue;
		if ((want_subscribed ? o->subscribed : o->exists) &&
		    !list_matches(r, o->name))
			return true;
	}
	return false;
}

static void list_run(struct imap_client *c, struct list_request *r,
		     struct list_tree *t, struct buf *out)
{
	const char *name = r->lsub ? "LSUB" : "LIST";
	size_t i;

	for (i = 0; i < t->count; i++) {
		struct list_entry *e = &t->e[i];
		bool childinfo = false, selected;
		const char *error;

		if (!list_matches(r, e->name))
			continue;
		if (r->lsub || (r->sel & LIST_SEL_SUBSCRIBED)) {
			selected = e->subscribed;
			if (!selected && (r->lsub || (r->sel & LIST_SEL_RECURSIVE)) &&
			    e->has_subscribed_child &&
			    list_has_unmatched_below(r, t, i, true)) {
				/* LSUB shows such a parent as \Noselect
				 * (RFC 3501 section 6.3.9). */
				selected = true;
				childinfo = !r->lsub;
			}
		} else if (r->sel & LIST_SEL_SPECIAL_USE) {
			selected = e->exists && e->special_use != 0;
		} else {
			selected = e->exists || (e->has_children &&
				list_has_unmatched_below(r, t, i, false));
		}
		if (!selected)
			continue;
		if (r->lsub) {
			/* LSUB has no child attributes; a parent that is only
			 * there for its subscribed children is \Noselect
			 * (RFC 3501 section 6.3.9). */
			buf_printf(out, "* LSUB (%s) \"/\" ",
				   e->subscribed ? "" : "\\Noselect");
			imap_mailbox_name_out(c, e->name, out);
			buf_append_str(out, "\r\n");
		} else {
			list_line(c, name, e, r->extended, r->ret, childinfo, out);
		}
		if ((r->ret & LIST_RET_STATUS) && e->exists &&
		    (imap_acl_rights(c, &e->mb) & ACL_R) &&
		    imap_status_write(c, &e->mb, r->status_items, out,
				      &error) < 0)
			log_warn("list_status_failed", "mailbox=%s reason=%s",
				 e->name, error);
	}
}

static void list_command(struct imap_client *c, const struct imap_command *cmd,
			 bool lsub)
{
	struct list_request r;
	struct list_tree t;
	struct buf out = BUF_INIT;
	const char *error;

	memset(&r, 0, sizeof(r));
	r.lsub = lsub;
	if (list_parse(c, cmd, &r) < 0) {
		list_request_free(&r);
		imap_client_done_plain(c, "BAD Invalid %s arguments", cmd->name);
		return;
	}
	/* An empty pattern asks for the separator (RFC 9051 6.3.9). */
	if (!lsub && r.pattern_count == 1 && r.patterns[0][0] == '\0') {
		imap_client_send(c, "* LIST (\\Noselect) \"/\" \"\"");
		list_request_free(&r);
		imap_client_done(c, "OK LIST completed");
		return;
	}
	if (list_load(c, &t, true, r.patterns, r.pattern_count, &error) < 0) {
		list_request_free(&r);
		list_free(&t);
		imap_client_fail(c, cmd->name, error);
		return;
	}
	list_run(c, &r, &t, &out);
	if (out.len > 0)
		imap_client_write(c, out.data, out.len);
	buf_free(&out);
	list_free(&t);
	list_request_free(&r);
	imap_client_done(c, "OK %s completed", lsub ? "LSUB" : "LIST");
}

void cmd_list(struct imap_client *c, const struct imap_command *cmd)
{
	list_command(c, cmd, false);
}

void cmd_lsub(struct imap_client *c, const struct imap_command *cmd)
{
	list_command(c, cmd, true);
}
