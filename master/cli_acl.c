/*
 * sealpost acl get|set|delete: a mailbox's access control list (RFC 4314
 * rights, acl.h), changed through the same store transaction SETACL uses.
 * A mailbox is named USER:NAME (alice:Work) or, for a bulletin board,
 * Shared/NAME.
 */
#include "cli.h"
#include "acl.h"
#include "config.h"
#include "store.h"

#include <stdio.h>
#include <string.h>

static const char cli_acl_usage[] =
	"usage: sealpost acl get MAILBOX\n"
	"       sealpost acl set MAILBOX IDENTIFIER [+|-]RIGHTS\n"
	"       sealpost acl delete MAILBOX IDENTIFIER\n"
	"       (--config FILE goes before get, set or delete)\n"
	"MAILBOX is USER:NAME (alice:Work, alice:INBOX) or Shared/NAME for a\n"
	"bulletin board.  IDENTIFIER is a user, anyone or anonymous, with a\n"
	"leading '-' for a negative entry.  RIGHTS are letters of lrswipkxtea;\n"
	"a leading '+' adds them to the entry, '-' removes them, neither\n"
	"replaces it.  'get' prints one 'IDENTIFIER RIGHTS' line per entry.\n";

/* Splits MAILBOX into owner and name; -1 when it has neither form. */
static int cli_acl_mailbox(const char *arg, char *owner, size_t owner_size,
			   const char **name_r)
{
	const char *colon = strchr(arg, ':'), *error;
	size_t len;

	if (strncmp(arg, CLI_SHARED "/", strlen(CLI_SHARED) + 1) == 0) {
		(void)str_copy(owner, owner_size, STORE_SHARED_OWNER);
		*name_r = arg + strlen(CLI_SHARED) + 1;
		return 0;
	}
	if (colon == NULL || (len = (size_t)(colon - arg)) >= owner_size)
		return -1;
	memcpy(owner, arg, len);
	owner[len] = '\0';
	*name_r = colon + 1;
	return store_user_name_check(owner, &error);
}

static int cli_acl_print(struct store *st, const char *owner,
			 const char *name, const char **error_r)
{
	struct store_mailbox mb;
	char rights[ACL_RIGHTS_SIZE];
	struct acl acl;
	size_t i;
	int ret;

	ret = store_mailbox_lookup(st, owner, name, &mb, error_r);
	if (ret == 0)
		*error_r = "no such mailbox";
	if (ret <= 0 || acl_parse(mb.acl, strlen(mb.acl), &acl, error_r) < 0)
		return -1;
	for (i = 0; i < acl.count; i++) {
		acl_rights_format_plain(acl.entries[i].rights, rights);
		printf("%s %s\n", acl.entries[i].id, rights);
	}
	return 0;
}

static int cli_acl_change(struct store *st, const char *owner,
			  const char *name, const char *id,
			  const char *rights_text, const char **error_r)
{
	enum acl_mod mod = ACL_MOD_REPLACE;
	unsigned int rights = 0;
	int ret;

	if (acl_identifier_check(id, error_r) < 0)
		return -1;
	if (rights_text != NULL) {
		if (rights_text[0] == '+' || rights_text[0] == '-') {
			mod = rights_text[0] == '+' ? ACL_MOD_ADD :
				ACL_MOD_REMOVE;
			rights_text++;
		}
		if (acl_rights_parse(rights_text, &rights, error_r) < 0)
			return -1;
	}
	ret = store_mailbox_acl_change(st, owner, name, id, mod, rights,
				       rights_text == NULL, NULL, error_r);
	if (ret == 0)
		*error_r = "no such mailbox";
	return ret == 1 ? 0 : -1;
}

int cli_acl(int argc, char **argv)
{
	const char *path = NULL, *error = "", *verb, *name;
	char owner[STORE_USER_NAME_MAX + 1];
	struct config *cfg;
	struct store *st;
	int first, nargs, ret;

	/* Options only before the verb: identifiers ("-bob") and rights
	 * ("-w") after it start with '-' and are no options. */
	for (first = 1; first < argc && argv[first][0] == '-'; first++) {
		if (strcmp(argv[first], "--help") == 0) {
			printf("%s", cli_acl_usage);
			return 0;
		}
		if (strcmp(argv[first], "--config") == 0 && first + 1 < argc) {
			path = argv[++first];
		} else if (strncmp(argv[first], "--config=", 9) == 0) {
			path = argv[first] + 9;
		} else {
			fprintf(stderr, "%s", cli_acl_usage);
			return CLI_EX_USAGE;
		}
	}
	if (first >= argc) {
		fprintf(stderr, "%s", cli_acl_usage);
		return CLI_EX_USAGE;
	}
	verb = argv[first++];
	nargs = argc - first;
	if (!((strcmp(verb, "get") == 0 && nargs == 1) ||
	      (strcmp(verb, "set") == 0 && nargs == 3) ||
	      (strcmp(verb, "delete") == 0 && nargs == 2)) ||
	    cli_acl_mailbox(argv[first], owner, sizeof(owner), &name) < 0) {
		fprintf(stderr, "%s", cli_acl_usage);
		return CLI_EX_USAGE;
	}
	ret = cli_store_begin(path, &cfg, &st);
	if (ret != 0)
		return ret;
	if (strcmp(verb, "get") == 0)
		ret = cli_acl_print(st, owner, name, &error);
	else
		ret = cli_acl_change(st, owner, name, argv[first + 1],
				     nargs == 3 ? argv[first + 2] : NULL,
				     &error);
	if (ret < 0)
		fprintf(stderr, "sealpost acl %s: %s: %s\n", verb, argv[first],
			error);
	cli_store_end(&cfg, &st);
	return ret < 0 ? 1 : 0;
}
