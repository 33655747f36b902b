/* Namespaces and access rights at the IMAP edge (see imap_acl.h). */
#include "imapd/imap_acl.h"
#include "imapd/imap_client.h"
#include "imapd/imap_mailbox_name.h"
#include "imapd/imapd.h"
#include "auth_name.h"
#include "log.h"
#include "mbox.h"

#include <string.h>

#define NS_OTHER "Other Users"
#define NS_SHARED "Shared"

/* Whether `name` is `prefix` itself (*rest_r NULL) or below it. */
static bool imap_acl_below(const char *name, const char *prefix,
			   const char **rest_r)
{
	size_t len = strlen(prefix);

	if (strncmp(name, prefix, len) != 0 ||
	    (name[len] != '\0' && name[len] != '/'))
		return false;
	*rest_r = name[len] == '\0' ? NULL : name + len + 1;
	return true;
}

int imap_acl_ref(const struct imap_client *c, const char *name,
		 struct imap_mailbox_ref *ref)
{
	const char *rest, *slash, *error;
	size_t len;

	if (imap_acl_below(name, NS_SHARED, &rest)) {
		if (rest == NULL)
			return -1;
		(void)str_copy(ref->owner, sizeof(ref->owner),
			       STORE_SHARED_OWNER);
	} else if (imap_acl_below(name, NS_OTHER, &rest)) {
		if (rest == NULL || (slash = strchr(rest, '/')) == NULL)
			return -1;
		len = (size_t)(slash - rest);
		if (len >= sizeof(ref->owner))
			return -1;
		memcpy(ref->owner, rest, len);
		ref->owner[len] = '\0';
		if (store_user_name_check(ref->owner, &error) < 0)
			return -1;
		rest = slash + 1;
	} else {
		(void)str_copy(ref->owner, sizeof(ref->owner), c->user);
		rest = name;
	}
	return store_mailbox_name_check(rest, ref->name, &error) < 0 ? -1 : 0;
}

void imap_acl_external(const struct imap_client *c, const char *owner,
		       const char *name, struct buf *out)
{
	if (store_owner_is_shared(owner))
		buf_printf(out, NS_SHARED "/%s", name);
	else if (strcmp(owner, c->user) != 0)
		buf_printf(out, NS_OTHER "/%s/%s", owner, name);
	else
		buf_append_str(out, name);
}

void imap_acl_name_out(const struct imap_client *c,
		       const struct store_mailbox *mb, struct buf *out)
{
	struct buf name = BUF_INIT;

	imap_acl_external(c, mb->owner, mb->name, &name);
	imap_mailbox_name_out(c, buf_cstr(&name), out);
	buf_free(&name);
}

bool imap_acl_is_admin(const struct imap_client *c)
{
	return auth_name_list_contains(c->daemon->auth.auth_admins, c->user);
}

unsigned int imap_acl_rights(const struct imap_client *c,
			     const struct store_mailbox *mb)
{
	struct acl_subject who;
	struct acl acl;
	const char *error;

	who.user = c->user;
	who.owner = store_owner_is_shared(mb->owner) ? NULL : mb->owner;
	who.admin = imap_acl_is_admin(c);
	if (acl_parse(mb->acl, strlen(mb->acl), &acl, &error) < 0) {
		log_error("acl_damaged", "user=%s mailbox=%s reason=%s",
			  mb->owner, mb->name, error);
		acl.count = 0;
	}
	return acl_rights(&acl, &who);
}

int imap_acl_lookup(struct imap_client *c, const char *name,
		    struct store_mailbox *mb, unsigned int *rights_r,
		    const char **error_r)
{
	struct imap_mailbox_ref ref;
	int ret;

	if (imap_acl_ref(c, name, &ref) < 0)
		return 0;
	ret = store_mailbox_lookup(c->daemon->store, ref.owner, ref.name, mb,
				   error_r);
	if (ret <= 0)
		return ret;
	*rights_r = imap_acl_rights(c, mb);
	return (*rights_r & ACL_L) != 0 ? 1 : 0;
}

int imap_acl_may_create(struct imap_client *c,
			const struct imap_mailbox_ref *ref, char *acl_r,
			const char **error_r)
{
	char parent[STORE_MAILBOX_NAME_MAX + 1];
	struct store_mailbox mb;
	char *slash;
	int ret;

	acl_r[0] = '\0';
	(void)str_copy(parent, sizeof(parent), ref->name);
	while ((slash = strrchr(parent, '/')) != NULL) {
		*slash = '\0';
		ret = store_mailbox_lookup(c->daemon->store, ref->owner, parent,
					   &mb, error_r);
		if (ret < 0)
			return -1;
		if (ret == 0)
			continue;
		/* RFC 4314 section 4: "k" on the nearest existing parent,
		 * and the new mailbox inherits its list. */
		(void)str_copy(acl_r, ACL_TEXT_MAX + 1, mb.acl);
		return (imap_acl_rights(c, &mb) & ACL_K) != 0 ? 1 : 0;
	}
	if (store_owner_is_shared(ref->owner) || strcmp(ref->owner, c->user) != 0)
		return imap_acl_is_admin(c) ? 1 : 0;
	return 1;
}

uint32_t imap_acl_flags_allowed(unsigned int rights, uint32_t flags)
{
	uint32_t allowed = 0;

	if (rights & ACL_S)
		allowed |= MBOX_SEEN;
	if (rights & ACL_T)
		allowed |= MBOX_DELETED;
	if (rights & ACL_W)
		allowed |= MBOX_SYSTEM_FLAGS & ~(MBOX_SEEN | MBOX_DELETED);
	return flags & allowed;
}
