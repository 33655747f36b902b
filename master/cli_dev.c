/*
 * sealpost dev --dir DIR [--port-base N] [--set KEY=VALUE]... [--detach]
 *              [--stop]
 *
 * Prepares DIR (realm, KDC, users, keytab, certificate, config) and runs the
 * master on it: in the foreground by default, or detached, returning once
 * every listener accepts.  `make run` is `sealpost dev --dir run`; the test
 * harness uses --detach and reads DIR/endpoints.env.
 */
#include "cli.h"
#include "dev.h"
#include "buf.h"
#include "config.h"
#include "fork_bound.h"
#include "pidfile.h"
#include "privs.h"
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEV_DEFAULT_PORT_BASE 10000

/* Listen keys dev sets when the config knows them, at the standard port
 * plus the base (so IMAP is on 10143 with the default base).  Services
 * register here as they are added. */
static const struct dev_endpoint {
	const char *key;
	const char *env;
	unsigned int port;	/* 0: a unix socket named by `socket` */
	const char *socket;
} dev_endpoints[] = {
	{ "smtp_listen", "SEALPOST_SMTP_PORT", 25, NULL },
	{ "submission_listen", "SEALPOST_SUBMISSION_PORT", 587, NULL },
	{ "submissions_listen", "SEALPOST_SUBMISSIONS_PORT", 465, NULL },
	{ "imap_listen", "SEALPOST_IMAP_PORT", 143, NULL },
	{ "imaps_listen", "SEALPOST_IMAPS_PORT", 993, NULL },
	{ "pop3_listen", "SEALPOST_POP3_PORT", 110, NULL },
	{ "pop3s_listen", "SEALPOST_POP3S_PORT", 995, NULL },
	{ "kpop_listen", "SEALPOST_KPOP_PORT", 1109, NULL },
	{ "lmtp_socket", "SEALPOST_LMTP_SOCKET", 0, "lmtp.sock" },
	{ "auth_socket", "SEALPOST_AUTH_SOCKET", 0, "auth.sock" },
};
#define DEV_KDC_PORT_OFFSET 88

struct dev_options {
	const char *dir;
	unsigned int port_base;
	char **sets;
	int nsets;
	bool detach;
	bool stop;
};

struct dev_instance {
	struct dev_options opt;
	char dir[PATH_MAX];
	const char *mail_user;
	const char *auth_user;
	struct dev_realm realm;
	struct buf config_path;
	struct buf env_path;
	struct buf dkim_record;	/* the DKIM key record to publish */
};

static void dev_usage(FILE *out)
{
	fprintf(out,
		"usage: sealpost dev [--dir DIR] [--port-base N] [--set KEY=VALUE]...\n"
		"                    [--detach] [--stop]\n"
		"Runs a complete throwaway post office in DIR (default ./run): its own\n"
		"Kerberos realm %s with a KDC, demo users, a self-signed\n"
		"certificate for %s, and the master on ports N+25, N+143, ...\n"
		"(N defaults to %d).  --detach returns once everything accepts\n"
		"connections; --stop stops what an earlier run started.\n",
		DEV_REALM, DEV_HOST, DEV_DEFAULT_PORT_BASE);
}

static int dev_parse_args(int argc, char **argv, struct dev_options *o)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "port-base", required_argument, NULL, 'p' },
		{ "set", required_argument, NULL, 's' },
		{ "detach", no_argument, NULL, 'D' },
		{ "stop", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long n;
	int c;

	memset(o, 0, sizeof(*o));
	o->dir = "run";
	o->port_base = DEV_DEFAULT_PORT_BASE;
	o->sets = xcalloc((size_t)argc + 1, sizeof(*o->sets));
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': o->dir = optarg; break;
		case 'p':
			if (config_parse_uint(optarg, &n) < 0 || n < 1024 ||
			    n + 1109 > 65535) {
				fprintf(stderr, "sealpost dev: --port-base must "
					"be 1024..%d\n", 65535 - 1109);
				return CLI_EX_USAGE;
			}
			o->port_base = (unsigned int)n;
			break;
		case 's': o->sets[o->nsets++] = optarg; break;
		case 'D': o->detach = true; break;
		case 'S': o->stop = true; break;
		case 'h': dev_usage(stdout); return -1;
		default: dev_usage(stderr); return CLI_EX_USAGE;
		}
	}
	if (optind != argc) {
		dev_usage(stderr);
		return CLI_EX_USAGE;
	}
	return 0;
}

static void dev_path(struct buf *b, const struct dev_instance *d,
		     const char *rel)
{
	buf_clear(b);
	buf_printf(b, "%s/%s", d->dir, rel);
}

/* Sends SIGTERM to `pid` and waits (bounded) until it is gone. */
static int dev_stop_pid(pid_t pid, const char *what)
{
	int i;

	if (pid <= 0 || kill(pid, SIGTERM) < 0)
		return 0;
	for (i = 0; i < 1500; i++) {
		/* Our own child (foreground runs) must be reaped to vanish. */
		(void)waitpid(pid, NULL, WNOHANG);
		if (kill(pid, 0) < 0 && errno == ESRCH)
			return 0;
		poll(NULL, 0, 20);
	}
	fprintf(stderr, "sealpost dev: %s (pid %ld) did not stop; killing it\n",
		what, (long)pid);
	kill(pid, SIGKILL);
	return -1;
}

static pid_t dev_read_pid(const char *path)
{
	char text[32];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	text[n] = '\0';
	return (pid_t)atol(text);
}

static void dev_stop_kdc(struct dev_instance *d)
{
	struct buf path = BUF_INIT;
	pid_t pid;

	dev_path(&path, d, "kdc/kdc.pid");
	pid = dev_read_pid(buf_cstr(&path));
	/* Only a krb5kdc of ours: the pid may have been reused. */
	if (pid > 0) {
		char comm[64] = "", procpath[64];
		FILE *f;

		snprintf(procpath, sizeof(procpath), "/proc/%ld/comm", (long)pid);
		f = fopen(procpath, "r");
		if (f != NULL) {
			if (fgets(comm, sizeof(comm), f) == NULL)
				comm[0] = '\0';
			fclose(f);
		}
		if (strncmp(comm, "krb5kdc", 7) == 0)
			dev_stop_pid(pid, "krb5kdc");
	}
	(void)unlink(buf_cstr(&path));
	buf_free(&path);
}

static int dev_stop(struct dev_instance *d)
{
	struct buf path = BUF_INIT;
	pid_t pid;

	dev_path(&path, d, "state/master.pid");
	pid = pidfile_holder(buf_cstr(&path));
	if (pid > 0)
		dev_stop_pid(pid, "master");
	dev_stop_kdc(d);
	buf_free(&path);
	printf("stopped the post office in %s\n", d->dir);
	return 0;
}

/* As root the daemons need real unprivileged users; Debian always has
 * `nobody` and `daemon`, so a dev instance needs no new accounts.  As
 * anyone else there is nobody to switch to, and the separation between
 * the auth service and the protocol daemons is by process only. */
static void dev_choose_users(struct dev_instance *d)
{
	if (geteuid() == 0) {
		d->mail_user = "nobody";
		d->auth_user = "daemon";
	} else {
		struct passwd *pw = getpwuid(geteuid());

		d->mail_user = xstrdup(pw != NULL ? pw->pw_name : "nobody");
		d->auth_user = d->mail_user;
	}
}

static int dev_owned_dir(const struct dev_instance *d, const char *rel,
			 const char *owner, mode_t mode)
{
	struct buf path = BUF_INIT;
	const char *error;
	uid_t uid;
	gid_t gid;
	int ret = 0;

	dev_path(&path, d, rel);
	if (mkdir(buf_cstr(&path), mode) < 0 && errno != EEXIST)
		ret = -1;
	if (ret == 0 && geteuid() == 0 &&
	    (privs_lookup(owner, &uid, &gid, &error) < 0 ||
	     chown(buf_cstr(&path), uid, gid) < 0))
		ret = -1;
	if (ret == 0)
		ret = chmod(buf_cstr(&path), mode);
	if (ret < 0)
		fprintf(stderr, "sealpost dev: %s: %s\n", buf_cstr(&path),
			strerror(errno));
	buf_free(&path);
	return ret;
}

static bool dev_config_knows(const char *key)
{
	size_t t, k;

	for (t = 0; config_all_tables[t] != NULL; t++) {
		for (k = 0; k < config_all_tables[t]->count; k++) {
			if (strcmp(config_all_tables[t]->keys[k].name, key) == 0)
				return true;
		}
	}
	return false;
}

/* Appends `key = value` when the config has such a key. */
static void dev_conf_key(struct buf *conf, const char *key, const char *fmt,
			 ...) __attribute__((format(printf, 3, 4)));
static void dev_conf_key(struct buf *conf, const char *key, const char *fmt,
			 ...)
{
	va_list ap;

	if (!dev_config_knows(key))
		return;
	buf_printf(conf, "%s = ", key);
	va_start(ap, fmt);
	buf_vprintf(conf, fmt, ap);
	va_end(ap);
	buf_append_char(conf, '\n');
}

static int dev_write_config(struct dev_instance *d)
{
	struct buf conf = BUF_INIT;
	struct config *cfg;
	const char *error;
	size_t i;
	int fd, ret = 0;

	buf_printf(&conf, "# Written by 'sealpost dev' at each start; edit with "
		   "--set instead.\n");
	dev_conf_key(&conf, "state_dir", "%s/state", d->dir);
	dev_conf_key(&conf, "mail_user", "%s", d->mail_user);
	dev_conf_key(&conf, "auth_user", "%s", d->auth_user);
	dev_conf_key(&conf, "log_target", "stderr");
	/* Where the master's stderr goes (see below), for trace and stats. */
	dev_conf_key(&conf, "log_file", "%s/log/sealpost.log", d->dir);
	dev_conf_key(&conf, "shutdown_grace", "5s");
	dev_conf_key(&conf, "auth_keytab", "%s/keytab", d->dir);
	dev_conf_key(&conf, "auth_krb5_config", "%s/krb5.conf", d->dir);
	dev_conf_key(&conf, "auth_realm", "%s", DEV_REALM);
	dev_conf_key(&conf, "auth_admins", "%s", DEV_ADMIN);
	dev_conf_key(&conf, "tls_cert_file", "%s/tls/server.pem", d->dir);
	dev_conf_key(&conf, "tls_key_file", "%s/tls/server.key", d->dir);
	dev_conf_key(&conf, "tls_ca_file", "%s/tls/ca.pem", d->dir);
	dev_conf_key(&conf, "hostname", "%s", DEV_HOST);
	dev_conf_key(&conf, "local_domains", "%s %s", DEV_DOMAIN, DEV_HOST);
	dev_conf_key(&conf, "aliases_file", "%s/state/aliases", d->dir);
	dev_conf_key(&conf, "dkim_sign", "%s:%s:%s/dkim/%s.%s.pem", DEV_DOMAIN,
		     DEV_DKIM_SELECTOR, d->dir, DEV_DOMAIN, DEV_DKIM_SELECTOR);
	for (i = 0; i < sizeof(dev_endpoints) / sizeof(dev_endpoints[0]); i++) {
		const struct dev_endpoint *e = &dev_endpoints[i];

		if (e->port != 0)
			dev_conf_key(&conf, e->key, "127.0.0.1:%u",
				     d->opt.port_base + e->port);
		else
			dev_conf_key(&conf, e->key, "%s", e->socket);
	}
	if (d->opt.nsets > 0)
		buf_printf(&conf, "# --set\n");
	for (i = 0; i < (size_t)d->opt.nsets; i++) {
		const char *set = d->opt.sets[i], *eq = strchr(set, '=');

		if (eq == NULL) {
			fprintf(stderr, "sealpost dev: --set %s: expected "
				"KEY=VALUE\n", set);
			buf_free(&conf);
			return -1;
		}
		buf_printf(&conf, "%.*s = %s\n", (int)(eq - set), set, eq + 1);
	}
	fd = open(buf_cstr(&d->config_path),
		  O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, conf.data, conf.len) != (ssize_t)conf.len) {
		fprintf(stderr, "sealpost dev: %s: %s\n",
			buf_cstr(&d->config_path), strerror(errno));
		ret = -1;
	}
	if (fd >= 0)
		close(fd);
	buf_free(&conf);
	if (ret == 0 && config_load(buf_cstr(&d->config_path), config_all_tables,
				    &cfg, &error) < 0) {
		fprintf(stderr, "sealpost dev: %s\n", error);
		return -1;
	}
	if (ret == 0)
		config_free(&cfg);
	return ret;
}

/* The aliases every mail host must have (RFC 5321 4.5.1, RFC 2142), for
 * the admin user.  Written only when missing, so a developer's own
 * aliases survive the next start. */
static int dev_write_aliases(const struct dev_instance *d)
{
	struct buf path = BUF_INIT, text = BUF_INIT;
	int fd, ret = 0;

	dev_path(&path, d, "state/aliases");
	buf_printf(&text, "# Written by 'sealpost dev' when missing; see "
		   "aliases(5).  Edits are kept.\n"
		   "postmaster: %s\nabuse: %s\n", DEV_ADMIN, DEV_ADMIN);
	fd = open(buf_cstr(&path), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		  0644);
	if (fd < 0 && errno != EEXIST)
		ret = -1;
	else if (fd >= 0 &&
		 write(fd, text.data, text.len) != (ssize_t)text.len)
		ret = -1;
	if (ret < 0)
		fprintf(stderr, "sealpost dev: %s: %s\n", buf_cstr(&path),
			strerror(errno));
	if (fd >= 0)
		close(fd);
	buf_free(&path);
	buf_free(&text);
	return ret;
}

/* The port of an endpoint in the written config: --set may have moved
 * it, so read it back rather than recompute it. */
static unsigned int dev_config_port(const char *value)
{
	const char *colon = strrchr(value, ':');

	return colon != NULL ? (unsigned int)atoi(colon + 1) : 0;
}

static int dev_write_env(struct dev_instance *d, struct config *cfg)
{
	struct buf env = BUF_INIT;
	const char *state_dir = config_get(cfg, "state_dir");
	size_t i;
	int fd, ret = 0;

	buf_printf(&env, "SEALPOST_DIR='%s'\n", d->dir);
	buf_printf(&env, "SEALPOST_CONFIG='%s'\n", buf_cstr(&d->config_path));
	buf_printf(&env, "SEALPOST_HOST='%s'\n", DEV_HOST);
	buf_printf(&env, "SEALPOST_DOMAIN='%s'\n", DEV_DOMAIN);
	buf_printf(&env, "SEALPOST_REALM='%s'\n", DEV_REALM);
	buf_printf(&env, "KRB5_CONFIG='%s/krb5.conf'\n", d->dir);
	buf_printf(&env, "SEALPOST_KDC_PORT=%u\n",
		   d->opt.port_base + DEV_KDC_PORT_OFFSET);
	buf_printf(&env, "SEALPOST_CA_FILE='%s/tls/ca.pem'\n", d->dir);
	/* What to publish at dev._domainkey.sealpost.test to verify the
	 * signatures of relayed mail. */
	buf_printf(&env, "SEALPOST_DKIM_SELECTOR='%s'\n", DEV_DKIM_SELECTOR);
	buf_printf(&env, "SEALPOST_DKIM_RECORD='%s'\n", buf_cstr(&d->dkim_record));
	buf_printf(&env, "SEALPOST_USERS='");
	for (i = 0; i < d->realm.user_count; i++) {
		if (strcmp(d->realm.users[i].name, DEV_ADMIN) != 0)
			buf_printf(&env, "%s%s", i ? " " : "",
				   d->realm.users[i].name);
	}
	buf_printf(&env, "'\n");
	for (i = 0; i < d->realm.user_count; i++)
		buf_printf(&env, "SEALPOST_PASSWORD_%s='%s'\n",
			   d->realm.users[i].name, d->realm.users[i].password);
	buf_printf(&env, "SEALPOST_ADMIN='%s'\n", DEV_ADMIN);
	for (i = 0; i < sizeof(dev_endpoints) / sizeof(dev_endpoints[0]); i++) {
		const struct dev_endpoint *e = &dev_endpoints[i];
		const char *value = config_get(cfg, e->key);

		if (value == NULL || *value == '\0')
			continue;
		if (e->port != 0)
			buf_printf(&env, "%s=%u\n", e->env,
				   dev_config_port(value));
		else
			buf_printf(&env, "%s='%s%s%s'\n", e->env,
				   value[0] == '/' ? "" : state_dir,
				   value[0] == '/' ? "" : "/", value);
	}
	/* It holds the demo passwords. */
	fd = open(buf_cstr(&d->env_path), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		  0600);
	if (fd < 0 || write(fd, env.data, env.len) != (ssize_t)env.len) {
		fprintf(stderr, "sealpost dev: %s: %s\n", buf_cstr(&d->env_path),
			strerror(errno));
		ret = -1;
	}
	if (fd >= 0)
		close(fd);
	buf_free(&env);
	return ret;
}

/* Gives every demo principal a mailbox.  In a child, because opening the
 * store as root would leave database files the daemons cannot use, and
 * cli_open_store() drops root for good. */
static int dev_create_users(struct dev_instance *d)
{
	pid_t pid = fork_bound();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct config *cfg = cli_load_config(buf_cstr(&d->config_path),
						     NULL, 0);
		struct store *st = cfg != NULL ? cli_open_store(cfg) : NULL;
		const char *error;
		size_t i;
		int ret = st != NULL ? 0 : 1;

		for (i = 0; st != NULL && i < d->realm.user_count; i++) {
			const char *user = d->realm.users[i].name;

			if (store_user_exists(st, user, &error) == 0 &&
			    store_user_add(st, user, &error) < 0) {
				fprintf(stderr, "sealpost dev: user %s: %s\n",
					user, error);
				ret = 1;
			}
		}
		store_close(&st);
		config_free(&cfg);
		_exit(ret);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int dev_prepare(struct dev_instance *d, pid_t *kdc_r)
{
	struct buf path = BUF_INIT;
	const char *error;
	pid_t kdc;
	int fd;

	if (mkdir(d->opt.dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "sealpost dev: %s: %s\n", d->opt.dir,
			strerror(errno));
		return -1;
	}
	if (realpath(d->opt.dir, d->dir) == NULL) {
		fprintf(stderr, "sealpost dev: %s: %s\n", d->opt.dir,
			strerror(errno));
		return -1;
	}
	buf_printf(&d->config_path, "%s/sealpost.conf", d->dir);
	buf_printf(&d->env_path, "%s/endpoints.env", d->dir);
	if (d->opt.stop)
		return 0;
	dev_path(&path, d, "state/master.pid");
	if (pidfile_holder(buf_cstr(&path)) > 0) {
		fprintf(stderr, "sealpost dev: a post office is already running "
			"in %s; stop it with 'sealpost dev --dir %s --stop'\n",
			d->dir, d->opt.dir);
		buf_free(&path);
		return -1;
	}
	buf_free(&path);
	dev_choose_users(d);
	if (dev_owned_dir(d, "log", d->mail_user, 0755) < 0 ||
	    dev_owned_dir(d, "state", d->mail_user, 0750) < 0)
		return -1;
	/* The state folder is reached through DIR; the daemons must be able
	 * to get there once they are no longer root. */
	if (geteuid() == 0 && chmod(d->dir, 0755) < 0)
		return -1;
	d->realm.dir = d->dir;
	d->realm.kdc_port = d->opt.port_base + DEV_KDC_PORT_OFFSET;
	d->realm.keytab_owner = d->auth_user;
	if (dev_owned_dir(d, "dkim", d->mail_user, 0700) < 0)
		return -1;
	if (dev_realm_prepare(&d->realm, &error) < 0 ||
	    dev_tls_prepare(d->dir, &error) < 0 ||
	    dev_dkim_prepare(d->dir, d->mail_user, &d->dkim_record,
			     &error) < 0) {
		fprintf(stderr, "sealpost dev: %s\n", error);
		return -1;
	}
	if (dev_write_aliases(d) < 0 || dev_write_config(d) < 0 ||
	    dev_create_users(d) < 0)
		return -1;
	dev_stop_kdc(d);
	kdc = dev_realm_start_kdc(&d->realm, &error);
	if (kdc < 0) {
		fprintf(stderr, "sealpost dev: %s\n", error);
		return -1;
	}
	dev_path(&path, d, "kdc/kdc.pid");
	fd = open(buf_cstr(&path), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		dprintf(fd, "%ld\n", (long)kdc);
		close(fd);
	}
	buf_free(&path);
	*kdc_r = kdc;
	return 0;
}

static void dev_print_welcome(const struct dev_instance *d, struct config *cfg)
{
	size_t i;

	printf("sealpost is running in %s\n\n", d->dir);
	printf("  realm      %s (KDC on 127.0.0.1:%u)\n", DEV_REALM,
	       d->realm.kdc_port);
	for (i = 0; i < sizeof(dev_endpoints) / sizeof(dev_endpoints[0]); i++) {
		const char *value = config_get(cfg, dev_endpoints[i].key);

		if (value != NULL && *value != '\0')
			printf("  %-10.*s %s\n",
			       (int)(strchr(dev_endpoints[i].key, '_') -
				     dev_endpoints[i].key),
			       dev_endpoints[i].key, value);
	}
	printf("\nusers (password):\n");
	for (i = 0; i < d->realm.user_count; i++)
		printf("  %-8s %s%s\n", d->realm.users[i].name,
		       d->realm.users[i].password,
		       strcmp(d->realm.users[i].name, DEV_ADMIN) == 0 ?
		       "   (admin)" : "");
	printf("\nlog in with Kerberos:\n"
	       "  export KRB5_CONFIG=%s/krb5.conf\n"
	       "  kinit %s@%s          # password above\n"
	       "then point any mail client at localhost with GSSAPI, or use\n"
	       "the password over TLS (CA: %s/tls/ca.pem).\n"
	       "For scripts: . %s\n",
	       d->dir, d->realm.users[0].name, DEV_REALM, d->dir,
	       buf_cstr(&d->env_path));
	fflush(stdout);
}

static pid_t dev_spawn_master(struct dev_instance *d)
{
	char exe[PATH_MAX], log[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	pid_t pid;

	if (n < 0)
		return -1;
	exe[n] = '\0';
	snprintf(log, sizeof(log), "%s/log/sealpost.log", d->dir);
	pid = fork();
	if (pid != 0)
		return pid;
	if (d->opt.detach) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		int null = open("/dev/null", O_RDONLY);

		setsid();
		dup2(null, STDIN_FILENO);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
	}
	execl(exe, "sealpost", "master", "--config",
	      buf_cstr(&d->config_path), (char *)NULL);
	_exit(127);
}

/* Waits until the master holds its pid file and every listener accepts, or
 * the master exits.  Polls: the ports are the only thing to wait on. */
static int dev_wait_ready(struct dev_instance *d, struct config *cfg,
			  pid_t master)
{
	const char *state_dir = config_get(cfg, "state_dir");
	struct buf path = BUF_INIT;
	size_t i;
	int ret = 0, tries;

	buf_printf(&path, "%s/master.pid", state_dir);
	for (tries = 0; pidfile_holder(buf_cstr(&path)) != master; tries++) {
		if (tries > 1500 || waitpid(master, NULL, WNOHANG) == master) {
			ret = -1;
			break;
		}
		poll(NULL, 0, 20);
	}
	for (i = 0; ret == 0 && i < sizeof(dev_endpoints) / sizeof(dev_endpoints[0]);
	     i++) {
		const char *value = config_get(cfg, dev_endpoints[i].key);

		if (value == NULL || *value == '\0')
			continue;
		buf_clear(&path);
		if (dev_endpoints[i].port == 0)
			buf_printf(&path, "%s%s%s", value[0] == '/' ? "" : state_dir,
				   value[0] == '/' ? "" : "/", value);
		ret = dev_wait_listening(dev_endpoints[i].port ?
					 dev_config_port(value) : 0,
					 buf_cstr(&path), 30000);
		if (waitpid(master, NULL, WNOHANG) == master)
			ret = -1;
	}
	buf_free(&path);
	if (ret < 0)
		fprintf(stderr, "sealpost dev: the master did not come up; see "
			"%s/log/sealpost.log\n", d->dir);
	return ret;
}

int cli_dev(int argc, char **argv)
{
	struct dev_instance d;
	struct config *cfg = NULL;
	const char *error;
	pid_t kdc = -1, master;
	int ret, status = 0;

	memset(&d, 0, sizeof(d));
	ret = dev_parse_args(argc, argv, &d.opt);
	if (ret != 0) {
		free(d.opt.sets);
		return ret < 0 ? 0 : ret;
	}
	ret = 1;
	if (dev_prepare(&d, &kdc) < 0)
		goto out;
	if (d.opt.stop) {
		ret = dev_stop(&d);
		goto out;
	}
	if (config_load(buf_cstr(&d.config_path), config_all_tables, &cfg,
			&error) < 0 || dev_write_env(&d, cfg) < 0)
		goto out_kdc;
	master = dev_spawn_master(&d);
	if (master < 0)
		goto out_kdc;
	if (d.opt.detach) {
		if (dev_wait_ready(&d, cfg, master) < 0) {
			dev_stop_pid(master, "master");
			goto out_kdc;
		}
		dev_print_welcome(&d, cfg);
		ret = 0;
		goto out;
	}
	if (dev_wait_ready(&d, cfg, master) == 0)
		dev_print_welcome(&d, cfg);
	/* ^C reaches the master too (same process group); we wait for it
	 * to stop its daemons, then stop the KDC. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	while (waitpid(master, &status, 0) < 0 && errno == EINTR)
		;
	ret = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
out_kdc:
	dev_stop_kdc(&d);
out:
	config_free(&cfg);
	buf_free(&d.config_path);
	buf_free(&d.env_path);
	buf_free(&d.dkim_record);
	free(d.opt.sets);
	return ret;
}
