/*
 * sealpost setup --realm R --hostname H --keytab FILE: gets a host ready
 * for the master and says plainly what is still missing.
 *
 *   - the config names the same host name, realm and keytab;
 *   - mail_user and auth_user exist;
 *   - state_dir exists, belongs to mail_user, mode 0750 (made or fixed
 *     when run as root);
 *   - the keytab belongs to auth_user and nobody else can read it (fixed
 *     when run as root);
 *   - it holds smtp/H@R, imap/H@R and pop/H@R with at least one key of an
 *     enctype this Kerberos supports and does not deprecate;
 *   - each of those keys is the one the KDC has: the KDC of R is asked
 *     for an initial ticket as that service, using the keytab's key (so
 *     the KDC answers for R and the key and its version match), and the
 *     ticket is then verified against the keytab (krb5_verify_init_creds:
 *     a service ticket for the principal, decrypted with the keytab).
 *     That is what "verified" means here; no password is needed.
 *
 * Exits 0 when nothing is missing, 1 otherwise.
 */
#include "cli.h"
#include "buf.h"
#include "config.h"
#include "privs.h"

#include <errno.h>
#include <getopt.h>
#include <krb5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const setup_services[] = { "smtp", "imap", "pop" };
#define SETUP_N_SERVICES (sizeof(setup_services) / sizeof(setup_services[0]))

static const char cli_setup_usage[] =
	"usage: sealpost setup --realm REALM --hostname HOST --keytab FILE [--config FILE]\n"
	"Creates state_dir with the right owner and mode, and checks the config,\n"
	"the users, and that the keytab holds working keys for smtp/HOST,\n"
	"imap/HOST and pop/HOST in REALM (asking REALM's KDC).  Prints what is\n"
	"missing and exits 1 when anything is.\n";

struct setup {
	const char *realm, *hostname, *keytab;
	struct config *cfg;
	unsigned int problems;
};

static void setup_ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void setup_ok(const char *fmt, ...)
{
	va_list ap;

	printf("ok       ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static void setup_missing(struct setup *s, const char *fix, const char *fmt,
			  ...) __attribute__((format(printf, 3, 4)));
static void setup_missing(struct setup *s, const char *fix, const char *fmt,
			  ...)
{
	va_list ap;

	printf("MISSING  ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (fix != NULL)
		printf("         fix: %s\n", fix);
	s->problems++;
}

/* A path of the config, relative ones taken from state_dir. */
static char *setup_config_path(const struct setup *s, const char *key)
{
	const char *v = config_get(s->cfg, key);
	struct buf b = BUF_INIT;

	if (v[0] == '/' || v[0] == '\0')
		return xstrdup(v);
	buf_printf(&b, "%s/%s", config_get(s->cfg, "state_dir"), v);
	return buf_steal(&b);
}

static void setup_check_config(struct setup *s)
{
	struct buf fix = BUF_INIT;
	const char *host = config_get(s->cfg, "hostname");
	const char *realm = config_get(s->cfg, "auth_realm");
	char *keytab = setup_config_path(s, "auth_keytab");
	char have[PATH_MAX], want[PATH_MAX];
	bool same_keytab;

	char system_host[256] = "", *default_realm = NULL;
	krb5_context ctx;

	/* Empty keys mean the system's host name and krb5.conf's default
	 * realm, as the daemons take them. */
	if (host[0] == '\0' &&
	    gethostname(system_host, sizeof(system_host) - 1) == 0)
		host = system_host;
	if (realm[0] == '\0' && krb5_init_context(&ctx) == 0) {
		if (krb5_get_default_realm(ctx, &default_realm) == 0 &&
		    strcmp(default_realm, s->realm) == 0)
			realm = s->realm;
		krb5_free_default_realm(ctx, default_realm);
		krb5_free_context(ctx);
	}
	if (strcmp(host, s->hostname) == 0) {
		setup_ok("config: hostname = %s", host);
	} else {
		buf_printf(&fix, "set 'hostname = %s' in %s", s->hostname,
			   config_path(s->cfg));
		setup_missing(s, buf_cstr(&fix), "config: hostname is '%s', not %s",
			      host, s->hostname);
	}
	buf_clear(&fix);
	if (strcmp(realm, s->realm) == 0) {
		setup_ok("config: auth_realm = %s", realm);
	} else {
		buf_printf(&fix, "set 'auth_realm = %s' in %s", s->realm,
			   config_path(s->cfg));
		setup_missing(s, buf_cstr(&fix), "config: auth_realm is '%s', "
			      "not %s", realm, s->realm);
	}
	buf_clear(&fix);
	same_keytab = strcmp(keytab, s->keytab) == 0 ||
		(realpath(keytab, have) != NULL &&
		 realpath(s->keytab, want) != NULL && strcmp(have, want) == 0);
	if (same_keytab) {
		setup_ok("config: auth_keytab = %s", keytab);
	} else {
		buf_printf(&fix, "set 'auth_keytab = %s' in %s", s->keytab,
			   config_path(s->cfg));
		setup_missing(s, buf_cstr(&fix), "config: auth_keytab is %s, "
			      "not %s", keytab, s->keytab);
	}
	free(keytab);
	buf_free(&fix);
}

static bool setup_user(struct setup *s, const char *key, uid_t *uid_r,
		       gid_t *gid_r)
{
	const char *name = config_get(s->cfg, key), *error;
	struct buf fix = BUF_INIT;

	if (privs_lookup(name, uid_r, gid_r, &error) == 0) {
		setup_ok("user: %s = %s (uid %ld)", key, name, (long)*uid_r);
		return true;
	}
	buf_printf(&fix, "useradd --system --no-create-home --shell "
		   "/usr/sbin/nologin %s", name);
	setup_missing(s, buf_cstr(&fix), "user: %s = %s does not exist", key,
		      name);
	buf_free(&fix);
	return false;
}

/* Makes `path` (a folder when `dir`) belong to uid:gid with `mode`, when
 * we can; reports what is still wrong. */
static void setup_owned(struct setup *s, const char *what, const char *path,
			bool dir, bool have_owner, uid_t uid, gid_t gid,
			mode_t mode)
{
	struct buf fix = BUF_INIT;
	struct stat st;

	if (dir && mkdir(path, mode) < 0 && errno != EEXIST) {
		setup_missing(s, NULL, "%s %s: %s", what, path, strerror(errno));
		return;
	}
	if (stat(path, &st) < 0) {
		setup_missing(s, NULL, "%s %s: %s", what, path, strerror(errno));
		return;
	}
	if (dir != S_ISDIR(st.st_mode)) {
		setup_missing(s, NULL, "%s %s: not a %s", what, path,
			      dir ? "folder" : "file");
		return;
	}
	if (geteuid() == 0 && have_owner &&
	    (st.st_uid != uid || st.st_gid != gid))
		(void)chown(path, uid, gid);
	if ((geteuid() == 0 || st.st_uid == geteuid()) &&
	    (st.st_mode & 07777) != mode)
		(void)chmod(path, mode);
	if (stat(path, &st) < 0)
		return;
	if (have_owner && st.st_uid != uid) {
		buf_printf(&fix, "run sealpost setup as root, or chown %ld %s",
			   (long)uid, path);
		setup_missing(s, buf_cstr(&fix), "%s %s belongs to uid %ld, not "
			      "%ld", what, path, (long)st.st_uid, (long)uid);
	} else if ((st.st_mode & 07777) != mode) {
		buf_printf(&fix, "chmod %o %s", (unsigned int)mode, path);
		setup_missing(s, buf_cstr(&fix), "%s %s has mode %o, not %o",
			      what, path, (unsigned int)(st.st_mode & 07777),
			      (unsigned int)mode);
	} else {
		setup_ok("%s %s (uid %ld, mode %o)", what, path,
			 (long)st.st_uid, (unsigned int)mode);
	}
	buf_free(&fix);
}

static void setup_krb5_missing(struct setup *s, krb5_context ctx,
			       krb5_error_code code, const char *fix,
			       const char *what)
{
	const char *msg = krb5_get_error_message(ctx, code);

	setup_missing(s, fix, "%s: %s", what, msg);
	krb5_free_error_message(ctx, msg);
}

/* The enctypes RFC 6649 and RFC 8429 retire (single DES, 3DES, RC4): a
 * keytab with only these keys is as good as missing. */
static bool setup_weak_enctype(krb5_enctype et)
{
	switch (et) {
	case ENCTYPE_DES3_CBC_SHA1:
	case ENCTYPE_ARCFOUR_HMAC:
	case ENCTYPE_ARCFOUR_HMAC_EXP:
		return true;
	default:
		return et < ENCTYPE_DES3_CBC_SHA1;
	}
}

/* Whether the keytab holds a usable key for `princ`. */
static bool setup_keytab_has(krb5_context ctx, krb5_keytab kt,
			     krb5_principal princ, struct buf *enctypes)
{
	krb5_kt_cursor cursor;
	krb5_keytab_entry entry;
	bool found = false;
	char name[64];

	if (krb5_kt_start_seq_get(ctx, kt, &cursor) != 0)
		return false;
	while (krb5_kt_next_entry(ctx, kt, &entry, &cursor) == 0) {
		krb5_enctype et = entry.key.enctype;

		if (krb5_principal_compare(ctx, entry.principal, princ) &&
		    krb5_c_valid_enctype(et) && !setup_weak_enctype(et)) {
			found = true;
			if (krb5_enctype_to_name(et, true, name, sizeof(name)) == 0 &&
			    strstr(buf_cstr(enctypes), name) == NULL)
				buf_printf(enctypes, "%s%s",
					   enctypes->len ? " " : "", name);
		}
		krb5_free_keytab_entry_contents(ctx, &entry);
	}
	krb5_kt_end_seq_get(ctx, kt, &cursor);
	return found;
}

/* Asks the KDC for a ticket as `princ` with the keytab's key, then
 * verifies that ticket against the keytab. */
static void setup_kdc_check(struct setup *s, krb5_context ctx, krb5_keytab kt,
			    krb5_principal princ, const char *name)
{
	krb5_get_init_creds_opt *opts = NULL;
	krb5_verify_init_creds_opt vopts;
	krb5_creds creds;
	krb5_error_code code;
	struct buf what = BUF_INIT;

	memset(&creds, 0, sizeof(creds));
	code = krb5_get_init_creds_opt_alloc(ctx, &opts);
	if (code == 0)
		code = krb5_get_init_creds_keytab(ctx, &creds, princ, kt, 0,
						  NULL, opts);
	if (code != 0) {
		buf_printf(&what, "kdc: %s: no ticket with the keytab's key",
			   name);
		setup_krb5_missing(s, ctx, code, "check that the KDC of the "
				   "realm is reachable (krb5.conf, port 88) and "
				   "that the keytab is current (ktadd again)",
				   buf_cstr(&what));
		goto out;
	}
	krb5_verify_init_creds_opt_init(&vopts);
	krb5_verify_init_creds_opt_set_ap_req_nofail(&vopts, 1);
	code = krb5_verify_init_creds(ctx, &creds, princ, kt, NULL, &vopts);
	if (code != 0) {
		buf_printf(&what, "kdc: %s: ticket not verified with the keytab",
			   name);
		setup_krb5_missing(s, ctx, code, "ktadd the principal again",
				   buf_cstr(&what));
	} else {
		setup_ok("kdc: %s: the KDC issued a ticket and the keytab "
			 "decrypts it", name);
	}
out:
	krb5_free_cred_contents(ctx, &creds);
	krb5_get_init_creds_opt_free(ctx, opts);
	buf_free(&what);
}

static void setup_check_keytab(struct setup *s)
{
	krb5_context ctx = NULL;
	krb5_keytab kt = NULL;
	krb5_error_code code;
	struct buf name = BUF_INIT, fix = BUF_INIT;
	size_t i;

	code = krb5_init_context(&ctx);
	if (code != 0) {
		setup_missing(s, NULL, "kerberos: cannot initialise (%d); "
			      "check krb5.conf", (int)code);
		return;
	}
	buf_printf(&name, "FILE:%s", s->keytab);
	code = krb5_kt_resolve(ctx, buf_cstr(&name), &kt);
	if (code != 0 || access(s->keytab, R_OK) < 0) {
		setup_missing(s, "create it with kadmin's ktadd (see sealpost(8))",
			      "keytab %s: %s", s->keytab,
			      code != 0 ? "cannot be used" : strerror(errno));
		goto out;
	}
	for (i = 0; i < SETUP_N_SERVICES; i++) {
		krb5_principal princ = NULL;
		struct buf enctypes = BUF_INIT;

		buf_clear(&name);
		buf_clear(&fix);
		buf_printf(&name, "%s/%s@%s", setup_services[i], s->hostname,
			   s->realm);
		code = krb5_build_principal(ctx, &princ, (unsigned int)strlen(s->realm),
					    s->realm, setup_services[i],
					    s->hostname, NULL);
		if (code != 0) {
			setup_krb5_missing(s, ctx, code, NULL, buf_cstr(&name));
			continue;
		}
		if (setup_keytab_has(ctx, kt, princ, &enctypes)) {
			setup_ok("keytab: %s (%s)", buf_cstr(&name),
				 buf_cstr(&enctypes));
			setup_kdc_check(s, ctx, kt, princ, buf_cstr(&name));
		} else {
			buf_printf(&fix, "kadmin -r %s -q 'addprinc -randkey %s' "
				   "&& kadmin -r %s -q 'ktadd -k %s %s'",
				   s->realm, buf_cstr(&name), s->realm,
				   s->keytab, buf_cstr(&name));
			setup_missing(s, buf_cstr(&fix), "keytab: %s has no "
				      "usable key for %s", s->keytab,
				      buf_cstr(&name));
		}
		buf_free(&enctypes);
		krb5_free_principal(ctx, princ);
	}
out:
	if (kt != NULL)
		krb5_kt_close(ctx, kt);
	krb5_free_context(ctx);
	buf_free(&name);
	buf_free(&fix);
}

int cli_setup(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "realm", required_argument, NULL, 'r' },
		{ "hostname", required_argument, NULL, 'H' },
		{ "keytab", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct setup s;
	const char *path = NULL;
	uid_t mail_uid = 0, auth_uid = 0;
	gid_t mail_gid = 0, auth_gid = 0;
	bool have_mail, have_auth;
	char *krb5_config;
	int c;

	memset(&s, 0, sizeof(s));
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'r': s.realm = optarg; break;
		case 'H': s.hostname = optarg; break;
		case 'k': s.keytab = optarg; break;
		case 'h': printf("%s", cli_setup_usage); return 0;
		default: fprintf(stderr, "%s", cli_setup_usage); return CLI_EX_USAGE;
		}
	}
	if (optind != argc || s.realm == NULL || s.hostname == NULL ||
	    s.keytab == NULL || s.realm[0] == '\0' || s.hostname[0] == '\0') {
		fprintf(stderr, "%s", cli_setup_usage);
		return CLI_EX_USAGE;
	}
	s.cfg = cli_load_config(path, NULL, 0);
	if (s.cfg == NULL) {
		printf("MISSING  config: see the error above; install one from "
		       "sealpost.conf(5)\n");
		return 1;
	}
	/* The Kerberos configuration authd will use, so that what setup
	 * checks is what it will see. */
	krb5_config = setup_config_path(&s, "auth_krb5_config");
	if (krb5_config[0] != '\0')
		setenv("KRB5_CONFIG", krb5_config, 1);
	free(krb5_config);
	setup_check_config(&s);
	have_mail = setup_user(&s, "mail_user", &mail_uid, &mail_gid);
	have_auth = setup_user(&s, "auth_user", &auth_uid, &auth_gid);
	setup_owned(&s, "state_dir", config_get(s.cfg, "state_dir"), true,
		    have_mail, mail_uid, mail_gid, 0750);
	setup_owned(&s, "keytab", s.keytab, false, have_auth, auth_uid,
		    auth_gid, 0600);
	setup_check_keytab(&s);
	if (s.problems == 0)
		printf("sealpost setup: ready; start the master "
		       "(systemctl start sealpost)\n");
	else
		printf("sealpost setup: %u thing%s missing\n", s.problems,
		       s.problems == 1 ? "" : "s");
	config_free(&s.cfg);
	return s.problems == 0 ? 0 : 1;
}
