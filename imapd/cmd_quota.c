/*
 * GETQUOTA, GETQUOTAROOT and SETQUOTA (RFC 9208).
 *
 * Every user has one quota root, named "" (the RFC's own example of a
 * per-user root), covering their whole hierarchy: GETQUOTAROOT of any
 * mailbox name answers "".  An admin (auth_admins, the same list that may
 * log in as another user) may also name any user's root as "#user/NAME",
 * and only admins may SETQUOTA; an admin logged in as a user through an
 * authorization identity counts as an admin for "" too.
 */
#include "imapd/imap_commands.h"
#include "imapd/imap_client.h"
#include "imapd/imap_mailbox_name.h"
#include "imapd/imap_quote.h"
#include "imapd/imapd.h"
#include "log.h"
#include "quota.h"
#include "store.h"

#include <string.h>
#include <strings.h>

#define QUOTA_ROOT_USER_PREFIX "#user/"
/* The largest limit accepted, as for `sealpost quota set`. */
#define QUOTA_LIMIT_MAX (1ULL << 53)

/* The user whose quota root `root` names for this session, or NULL. */
static const char *cmd_quota_root_user(const struct imap_client *c,
				       const char *root)
{
	size_t plen = strlen(QUOTA_ROOT_USER_PREFIX);

	if (root[0] == '\0')
		return c->user;
	if (strncmp(root, QUOTA_ROOT_USER_PREFIX, plen) == 0 &&
	    (c->admin || strcmp(root + plen, c->user) == 0))
		return root + plen;
	return NULL;
}

/* "* QUOTA root (STORAGE used limit MESSAGE used limit)" for `user`:
 * 1 written, 0 no such user, -1 error. */
static int cmd_quota_write(struct imap_client *c, const char *root,
			   const char *user, struct buf *out,
			   const char **error_r)
{
	struct quota_record q;
	struct quota_limits lim;
	int ret;

	ret = store_quota_get(c->daemon->store, user, &q, &lim, error_r);
	if (ret <= 0)
		return ret;
	buf_append_str(out, "* QUOTA ");
	/* Quoted even when an atom would do: "" has to be. */
	imap_quote_string(out, root, strlen(root),
			  imap_client_quote_flags(c));
	buf_append_str(out, " (");
	if (lim.has_storage)
		buf_printf(out, "STORAGE %llu %llu",
			   (unsigned long long)quota_kb(q.bytes),
			   (unsigned long long)lim.storage_kb);
	if (lim.has_messages)
		buf_printf(out, "%sMESSAGE %llu %llu",
			   lim.has_storage ? " " : "",
			   (unsigned long long)q.messages,
			   (unsigned long long)lim.messages);
	buf_append_str(out, ")\r\n");
	return 1;
}

void cmd_getquota(struct imap_client *c, const struct imap_command *cmd)
{
	struct buf out = BUF_INIT;
	const char *root, *user, *error;
	size_t len;
	int ret;

	if (cmd->arg_count != 1 ||
	    !imap_arg_get_astring(&cmd->args[0], &root, &len)) {
		imap_client_done_plain(c, "BAD Invalid GETQUOTA arguments");
		return;
	}
	user = cmd_quota_root_user(c, root);
	ret = user == NULL ? 0 :
		cmd_quota_write(c, root, user, &out, &error);
	if (ret < 0) {
		imap_client_fail(c, "GETQUOTA", error);
	} else if (ret == 0) {
		imap_client_done(c, "NO [NONEXISTENT] No such quota root");
	} else {
		imap_client_write(c, out.data, out.len);
		imap_client_done(c, "OK GETQUOTA completed");
	}
	buf_free(&out);
}

void cmd_getquotaroot(struct imap_client *c, const struct imap_command *cmd)
{
	char name[STORE_MAILBOX_NAME_MAX + 1];
	struct buf out = BUF_INIT;
	const char *arg, *error;
	size_t len;

	if (cmd->arg_count != 1 ||
	    !imap_arg_get_astring(&cmd->args[0], &arg, &len)) {
		imap_client_done_plain(c, "BAD Invalid GETQUOTAROOT arguments");
		return;
	}
	/* The mailbox need not exist (RFC 9208 4.1.2), but must be a name. */
	if (imap_mailbox_name_in(c, arg, name, &error) < 0) {
		imap_client_done(c, "NO %s", error);
		return;
	}
	buf_append_str(&out, "* QUOTAROOT ");
	imap_mailbox_name_out(c, name, &out);
	buf_append_str(&out, " \"\"\r\n");
	if (cmd_quota_write(c, "", c->user, &out, &error) <= 0) {
		buf_free(&out);
		imap_client_fail(c, "GETQUOTAROOT", error);
		return;
	}
	imap_client_write(c, out.data, out.len);
	buf_free(&out);
	imap_client_done(c, "OK GETQUOTAROOT completed");
}

/* Fills the limits of `q` from a setquota-list; -1 for a bad list, -2
 * for a resource we do not have. */
static int cmd_quota_parse_limits(const struct imap_arg *list, size_t count,
				  struct quota_record *q)
{
	size_t i;

	memset(q, 0, sizeof(*q));
	/* RFC 9208 4.1.3: limits not named are removed. */
	q->storage_set = QUOTA_NONE;
	q->messages_set = QUOTA_NONE;
	if (count % 2 != 0)
		return -1;
	for (i = 0; i < count; i += 2) {
		const char *name, *num;
		uint64_t v;

		if (!imap_arg_get_atom(&list[i], &name) ||
		    !imap_arg_get_atom(&list[i + 1], &num) ||
		    imap_parse_number(num, INT64_MAX, &v) < 0)
			return -1;
		if (v > QUOTA_LIMIT_MAX)
			return -2;
		if (strcasecmp(name, "STORAGE") == 0) {
			q->storage_set = QUOTA_LIMIT;
			q->storage_kb = v;
		} else if (strcasecmp(name, "MESSAGE") == 0) {
			q->messages_set = QUOTA_LIMIT;
			q->messages_limit = v;
		} else {
			return -2;
		}
	}
	return 0;
}

void cmd_setquota(struct imap_client *c, const struct imap_command *cmd)
{
	struct quota_record limits;
	struct buf out = BUF_INIT;
	const struct imap_arg *list;
	const char *root, *user, *error;
	size_t len, count;
	int ret;

	if (cmd->arg_count != 2 ||
	    !imap_arg_get_astring(&cmd->args[0], &root, &len) ||
	    !imap_arg_get_list(&cmd->args[1], &list, &count) ||
	    (ret = cmd_quota_parse_limits(list, count, &limits)) == -1) {
		imap_client_done_plain(c, "BAD Invalid SETQUOTA arguments");
		return;
	}
	if (!c->admin) {
		log_info("quota_refused", "user=%s", c->user);
		imap_client_done(c, "NO [NOPERM] Only administrators may "
				 "change quotas");
		return;
	}
	if (ret == -2) {
		imap_client_done(c, "NO [CANNOT] Only STORAGE and MESSAGE "
				 "limits up to 2^53 can be set");
		return;
	}
	user = cmd_quota_root_user(c, root);
	ret = user == NULL ? 0 :
		store_quota_set(c->daemon->store, user, &limits, &error);
	if (ret > 0)
		ret = cmd_quota_write(c, root, user, &out, &error);
	if (ret < 0) {
		imap_client_fail(c, "SETQUOTA", error);
	} else if (ret == 0) {
		imap_client_done(c, "NO [NONEXISTENT] No such quota root");
	} else {
		log_info("quota_set", "user=%s authn_user=%s", user,
			 c->user);
		imap_client_write(c, out.data, out.len);
		imap_client_done(c, "OK SETQUOTA completed");
	}
	buf_free(&out);
}
