/* Access control lists: rights, identifiers, the stored form and who
 * holds what (see acl.h). */
#include "acl.h"
#include "store.h"

#include <string.h>

static unsigned int acl_right_bit(char c)
{
	const char *p = strchr(ACL_RIGHT_LETTERS, c);

	if (c == '\0' || p == NULL)
		return 0;
	return 1u << (p - ACL_RIGHT_LETTERS);
}

int acl_rights_parse(const char *s, unsigned int *rights_r,
		     const char **error_r)
{
	unsigned int rights = 0;

	for (; *s != '\0'; s++) {
		unsigned int bit = acl_right_bit(*s);

		/* RFC 4314 section 2.1.1: we are of the servers for which
		 * "c" is "k" and "d" is "x", "t" and "e". */
		if (*s == 'c')
			bit = ACL_K;
		else if (*s == 'd')
			bit = ACL_X | ACL_T | ACL_E;
		if (bit == 0) {
			*error_r = "Unknown right";
			return -1;
		}
		rights |= bit;
	}
	*rights_r = rights;
	return 0;
}

static void acl_rights_write(unsigned int rights, bool obsolete,
			     char out[ACL_RIGHTS_SIZE])
{
	size_t i, n = 0;

	for (i = 0; ACL_RIGHT_LETTERS[i] != '\0'; i++) {
		if (rights & (1u << i))
			out[n++] = ACL_RIGHT_LETTERS[i];
	}
	if (obsolete && (rights & ACL_K))
		out[n++] = 'c';
	if (obsolete && (rights & (ACL_X | ACL_T | ACL_E)))
		out[n++] = 'd';
	out[n] = '\0';
}

void acl_rights_format(unsigned int rights, char out[ACL_RIGHTS_SIZE])
{
	acl_rights_write(rights, true, out);
}

void acl_rights_format_plain(unsigned int rights, char out[ACL_RIGHTS_SIZE])
{
	acl_rights_write(rights, false, out);
}

int acl_identifier_check(const char *id, const char **error_r)
{
	const char *error;

	if (*id == '-')
		id++;
	if (strcmp(id, ACL_ANYONE) == 0 || strcmp(id, ACL_ANONYMOUS) == 0)
		return 0;
	if (store_user_name_check(id, &error) < 0) {
		*error_r = "Invalid identifier";
		return -1;
	}
	return 0;
}

void acl_default(struct acl *acl, const char *owner)
{
	memset(acl, 0, sizeof(*acl));
	acl->count = 1;
	if (owner != NULL) {
		(void)str_copy(acl->entries[0].id, sizeof(acl->entries[0].id),
			       owner);
		acl->entries[0].rights = ACL_ALL;
		/* user+detail mail goes into the folder named by the detail,
		 * as it did before there were lists; the owner can take it
		 * back. */
		(void)str_copy(acl->entries[1].id, sizeof(acl->entries[1].id),
			       ACL_ANYONE);
		acl->entries[1].rights = ACL_P;
		acl->count = 2;
	} else {
		(void)str_copy(acl->entries[0].id, sizeof(acl->entries[0].id),
			       ACL_ANYONE);
		acl->entries[0].rights = ACL_L | ACL_R | ACL_S;
	}
}

/* One space-delimited word of `text` from *pos into `out`: 0, or -1 when
 * there is none or it does not fit. */
static int acl_parse_word(const char *text, size_t len, size_t *pos,
			  char *out, size_t size)
{
	size_t start = *pos, n;

	while (*pos < len && text[*pos] != ' ')
		(*pos)++;
	n = *pos - start;
	if (n == 0 || n >= size)
		return -1;
	memcpy(out, text + start, n);
	out[n] = '\0';
	if (*pos < len)
		(*pos)++;
	return 0;
}

int acl_parse(const char *text, size_t len, struct acl *acl,
	      const char **error_r)
{
	char id[ACL_ID_MAX + 1], rights[ACL_RIGHTS_SIZE];
	size_t pos = 0;

	memset(acl, 0, sizeof(*acl));
	if (len > 0 && text[len - 1] == ' ') {
		*error_r = "damaged access control list";
		return -1;
	}
	while (pos < len) {
		struct acl_entry *e;
		const char *error;

		if (acl->count == ACL_MAX_ENTRIES ||
		    acl_parse_word(text, len, &pos, id, sizeof(id)) < 0 ||
		    acl_parse_word(text, len, &pos, rights,
				   sizeof(rights)) < 0 ||
		    acl_identifier_check(id, &error) < 0) {
			*error_r = "damaged access control list";
			return -1;
		}
		e = &acl->entries[acl->count++];
		memcpy(e->id, id, sizeof(id));
		if (acl_rights_parse(rights, &e->rights, &error) < 0) {
			*error_r = "damaged access control list";
			return -1;
		}
	}
	return 0;
}

void acl_format(const struct acl *acl, struct buf *out)
{
	char rights[ACL_RIGHTS_SIZE];
	size_t i;

	for (i = 0; i < acl->count; i++) {
		acl_rights_format_plain(acl->entries[i].rights, rights);
		buf_printf(out, "%s%s %s", i > 0 ? " " : "",
			   acl->entries[i].id, rights);
	}
}

static struct acl_entry *acl_find(const struct acl *acl, const char *id)
{
	size_t i;

	for (i = 0; i < acl->count; i++) {
		if (strcmp(acl->entries[i].id, id) == 0)
			return (struct acl_entry *)&acl->entries[i];
	}
	return NULL;
}

int acl_get(const struct acl *acl, const char *id)
{
	const struct acl_entry *e = acl_find(acl, id);

	return e == NULL ? -1 : (int)e->rights;
}

bool acl_delete(struct acl *acl, const char *id)
{
	struct acl_entry *e = acl_find(acl, id);
	size_t i;

	if (e == NULL)
		return false;
	i = (size_t)(e - acl->entries);
	memmove(e, e + 1, (acl->count - i - 1) * sizeof(*e));
	acl->count--;
	return true;
}

int acl_set(struct acl *acl, const char *id, enum acl_mod mod,
	    unsigned int rights, const char **error_r)
{
	struct acl_entry *e = acl_find(acl, id);
	unsigned int old = e != NULL ? e->rights : 0, now;

	switch (mod) {
	case ACL_MOD_ADD:
		now = old | rights;
		break;
	case ACL_MOD_REMOVE:
		now = old & ~rights;
		break;
	default:
		now = rights;
		break;
	}
	if (now == 0) {
		(void)acl_delete(acl, id);
		return 0;
	}
	if (e == NULL) {
		if (acl->count == ACL_MAX_ENTRIES) {
			*error_r = ACL_TOO_MANY;
			return -1;
		}
		e = &acl->entries[acl->count++];
		(void)str_copy(e->id, sizeof(e->id), id);
	}
	e->rights = now;
	return 0;
}

/* Whether entry id `id` (without its "-") names the logged-in `user`.
 * "anonymous" never does: every session here has logged in. */
static bool acl_id_matches(const char *id, const char *user)
{
	return strcmp(id, ACL_ANYONE) == 0 || strcmp(id, user) == 0;
}

unsigned int acl_rights(const struct acl *acl, const struct acl_subject *who)
{
	unsigned int pos = 0, neg = 0, rights;
	size_t i;

	for (i = 0; i < acl->count; i++) {
		const struct acl_entry *e = &acl->entries[i];

		if (e->id[0] == '-') {
			if (acl_id_matches(e->id + 1, who->user))
				neg |= e->rights;
		} else if (acl_id_matches(e->id, who->user)) {
			pos |= e->rights;
		}
	}
	rights = pos & ~neg;
	if (who->owner != NULL && strcmp(who->owner, who->user) == 0)
		rights |= ACL_L | ACL_A;
	if (who->admin)
		rights |= who->owner == NULL ? ACL_ALL : ACL_L | ACL_A;
	return rights;
}

void acl_listrights(const char *id, const char *owner, bool id_is_admin,
		    char always[ACL_RIGHTS_SIZE])
{
	unsigned int rights = 0;

	if (id_is_admin)
		rights = owner == NULL ? ACL_ALL : ACL_L | ACL_A;
	else if (owner != NULL && strcmp(id, owner) == 0)
		rights = ACL_L | ACL_A;
	acl_rights_format_plain(rights, always);
}

bool acl_post_allowed(const char *text)
{
	struct acl_subject who = { "", NULL, false };
	const char *error;
	struct acl acl;

	if (acl_parse(text, strlen(text), &acl, &error) < 0)
		return false;
	return (acl_rights(&acl, &who) & ACL_P) != 0;
}
