/* The throwaway Kerberos realm of `sealpost dev`: a private MIT KDC whose
 * database, config and logs live in the dev folder; nothing in /etc is
 * read or written (KRB5_CONFIG and KRB5_KDC_PROFILE point at the folder). */
#include "dev.h"
#include "buf.h"
#include "privs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

static const char *const dev_user_names[] = { "alice", "bob", "carol", DEV_ADMIN };
static const char *const dev_services[] = { "smtp", "imap", "pop" };

static char dev_error[1024];

static int dev_fail(const char **error_r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int dev_fail(const char **error_r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dev_error, sizeof(dev_error), fmt, ap);
	va_end(ap);
	*error_r = dev_error;
	return -1;
}

static int dev_write_file(const char *path, const char *text, mode_t mode,
			  const char **error_r)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	size_t len = strlen(text);

	if (fd < 0)
		return dev_fail(error_r, "%s: %s", path, strerror(errno));
	if (write(fd, text, len) != (ssize_t)len || fchmod(fd, mode) < 0) {
		close(fd);
		return dev_fail(error_r, "%s: %s", path, strerror(errno));
	}
	close(fd);
	return 0;
}

int dev_run(char *const argv[], char *const env[], const char *input,
	    const char *log_path, const char **error_r)
{
	int pipefd[2], status, logfd;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return dev_fail(error_r, "pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		return dev_fail(error_r, "fork: %s", strerror(errno));
	if (pid == 0) {
		logfd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
		dup2(pipefd[0], STDIN_FILENO);
		if (logfd >= 0) {
			dup2(logfd, STDOUT_FILENO);
			dup2(logfd, STDERR_FILENO);
		}
		for (; env != NULL && *env != NULL; env++)
			putenv(*env);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pipefd[0]);
	if (input != NULL &&
	    write(pipefd[1], input, strlen(input)) != (ssize_t)strlen(input)) {
		/* the child's exit status tells what went wrong */
	}
	close(pipefd[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return dev_fail(error_r, "%s failed (see %s)", argv[0],
				log_path);
	return 0;
}

int dev_wait_listening(unsigned int port, const char *path,
		       unsigned int timeout_ms)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		int fd, ret;

		if (port != 0) {
			struct sockaddr_in sin;

			memset(&sin, 0, sizeof(sin));
			sin.sin_family = AF_INET;
			sin.sin_port = htons((uint16_t)port);
			sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
			ret = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
		} else {
			struct sockaddr_un sun;

			memset(&sun, 0, sizeof(sun));
			sun.sun_family = AF_UNIX;
			if (str_copy(sun.sun_path, sizeof(sun.sun_path), path) < 0)
				return -1;
			fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
			ret = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
		}
		close(fd);
		if (ret == 0)
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000 +
		    (now.tv_nsec - start.tv_nsec) / 1000000 > (long)timeout_ms)
			return -1;
		/* Nothing to wait on but the port itself: retry shortly. */
		poll(NULL, 0, 20);
	}
}

static void dev_random_password(char *out, size_t size)
{
	static const char alphabet[] =
		"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	unsigned char rnd[64];
	size_t i, len = size - 1 < 16 ? size - 1 : 16;

	if (getrandom(rnd, len, 0) != (ssize_t)len)
		abort();
	for (i = 0; i < len; i++)
		out[i] = alphabet[rnd[i] % (sizeof(alphabet) - 1)];
	out[len] = '\0';
}

static void dev_path(struct buf *b, const struct dev_realm *r, const char *rel)
{
	buf_clear(b);
	buf_printf(b, "%s/%s", r->dir, rel);
}

static int dev_write_profiles(const struct dev_realm *r, const char **error_r)
{
	struct buf text = BUF_INIT, path = BUF_INIT;
	int ret;

	/* The client side: this realm only, no DNS, loopback KDC over TCP
	 * too, so tests never depend on the network. */
	buf_printf(&text,
		   "[libdefaults]\n"
		   "\tdefault_realm = %s\n"
		   "\tdns_lookup_kdc = false\n"
		   "\tdns_lookup_realm = false\n"
		   "\tdns_canonicalize_hostname = false\n"
		   "\trdns = false\n"
		   "\tudp_preference_limit = 1\n"
		   /* A loaded machine (a test suite on two cores) must
		    * not turn a slow KDC into a failed login. */
		   "\tkdc_timeout = 15000\n"
		   "[realms]\n"
		   "\t%s = {\n\t\tkdc = 127.0.0.1:%u\n\t}\n"
		   "[domain_realm]\n"
		   "\t%s = %s\n",
		   DEV_REALM, DEV_REALM, r->kdc_port, DEV_HOST, DEV_REALM);
	dev_path(&path, r, "krb5.conf");
	ret = dev_write_file(buf_cstr(&path), buf_cstr(&text), 0644, error_r);
	buf_clear(&text);
	buf_printf(&text,
		   "[kdcdefaults]\n"
		   "\tkdc_listen = 127.0.0.1:%u\n"
		   "\tkdc_tcp_listen = 127.0.0.1:%u\n"
		   "[realms]\n"
		   "\t%s = {\n"
		   "\t\tdatabase_name = %s/kdc/principal\n"
		   "\t\tkey_stash_file = %s/kdc/stash\n"
		   "\t\tacl_file = %s/kdc/kadm5.acl\n"
		   "\t\tmax_life = 1d\n"
		   "\t\tmax_renewable_life = 7d\n"
		   "\t}\n"
		   "[logging]\n"
		   "\tkdc = FILE:%s/log/kdc.log\n"
		   "\tadmin_server = FILE:%s/log/kadmin.log\n",
		   r->kdc_port, r->kdc_port, DEV_REALM, r->dir, r->dir, r->dir,
		   r->dir, r->dir);
	dev_path(&path, r, "kdc/kdc.conf");
	if (ret == 0)
		ret = dev_write_file(buf_cstr(&path), buf_cstr(&text), 0600,
				     error_r);
	dev_path(&path, r, "kdc/kadm5.acl");
	if (ret == 0)
		ret = dev_write_file(buf_cstr(&path), "", 0600, error_r);
	buf_free(&text);
	buf_free(&path);
	return ret;
}

static char **dev_krb5_env(const struct dev_realm *r)
{
	static char krb5_config[4200], kdc_profile[4200];
	static char *env[3];

	snprintf(krb5_config, sizeof(krb5_config), "KRB5_CONFIG=%s/krb5.conf",
		 r->dir);
	snprintf(kdc_profile, sizeof(kdc_profile),
		 "KRB5_KDC_PROFILE=%s/kdc/kdc.conf", r->dir);
	env[0] = krb5_config;
	env[1] = kdc_profile;
	env[2] = NULL;
	return env;
}

static int dev_load_passwords(struct dev_realm *r, const char *path)
{
	char line[128];
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return -1;
	r->user_count = 0;
	while (fgets(line, sizeof(line), f) != NULL &&
	       r->user_count < DEV_MAX_USERS) {
		struct dev_user *u = &r->users[r->user_count];

		if (sscanf(line, "%31s %23s", u->name, u->password) == 2)
			r->user_count++;
	}
	fclose(f);
	return r->user_count > 0 ? 0 : -1;
}

static int dev_create_realm(struct dev_realm *r, const char **error_r)
{
	struct buf cmds = BUF_INIT, path = BUF_INIT, log = BUF_INIT,
		   keytab = BUF_INIT, pw = BUF_INIT;
	char master_pw[DEV_PASSWORD_SIZE];
	char *create[] = { (char *)"kdb5_util", (char *)"create", (char *)"-s",
			   (char *)"-r", (char *)DEV_REALM, (char *)"-P",
			   master_pw, NULL };
	char *kadmin[] = { (char *)"kadmin.local", (char *)"-r",
			   (char *)DEV_REALM, NULL };
	size_t i;
	int ret;

	dev_path(&log, r, "log/kdc-setup.log");
	dev_random_password(master_pw, sizeof(master_pw));
	ret = dev_run(create, dev_krb5_env(r), NULL, buf_cstr(&log), error_r);
	dev_path(&keytab, r, "keytab");
	r->user_count = 0;
	for (i = 0; i < sizeof(dev_user_names) / sizeof(dev_user_names[0]); i++) {
		struct dev_user *u = &r->users[r->user_count++];

		(void)str_copy(u->name, sizeof(u->name), dev_user_names[i]);
		dev_random_password(u->password, sizeof(u->password));
		buf_printf(&cmds, "addprinc -pw %s %s\n", u->password, u->name);
		buf_printf(&pw, "%s %s\n", u->name, u->password);
	}
	for (i = 0; i < sizeof(dev_services) / sizeof(dev_services[0]); i++) {
		buf_printf(&cmds, "addprinc -randkey %s/%s\n", dev_services[i],
			   DEV_HOST);
		buf_printf(&cmds, "ktadd -k %s %s/%s\n", buf_cstr(&keytab),
			   dev_services[i], DEV_HOST);
	}
	if (ret == 0)
		ret = dev_run(kadmin, dev_krb5_env(r), buf_cstr(&cmds),
			      buf_cstr(&log), error_r);
	/* The passwords file is written last: its presence says the realm
	 * is complete, so an interrupted first run starts over. */
	dev_path(&path, r, "kdc/passwords");
	if (ret == 0)
		ret = dev_write_file(buf_cstr(&path), buf_cstr(&pw), 0600,
				     error_r);
	explicit_bzero(master_pw, sizeof(master_pw));
	buf_free(&cmds);
	buf_free(&path);
	buf_free(&log);
	buf_free(&keytab);
	buf_free(&pw);
	return ret;
}

static void dev_remove_partial_realm(const struct dev_realm *r)
{
	static const char *const files[] = {
		"kdc/principal", "kdc/principal.ok", "kdc/principal.kadm5",
		"kdc/principal.kadm5.lock", "kdc/stash", "keytab",
	};
	struct buf path = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		dev_path(&path, r, files[i]);
		(void)unlink(buf_cstr(&path));
	}
	buf_free(&path);
}

int dev_realm_prepare(struct dev_realm *r, const char **error_r)
{
	struct buf path = BUF_INIT;
	int ret;

	dev_path(&path, r, "kdc");
	if (mkdir(buf_cstr(&path), 0700) < 0 && errno != EEXIST) {
		dev_fail(error_r, "%s: %s", buf_cstr(&path), strerror(errno));
		buf_free(&path);
		return -1;
	}
	ret = dev_write_profiles(r, error_r);
	dev_path(&path, r, "kdc/passwords");
	if (ret == 0 && dev_load_passwords(r, buf_cstr(&path)) < 0) {
		dev_remove_partial_realm(r);
		ret = dev_create_realm(r, error_r);
	}
	dev_path(&path, r, "keytab");
	if (ret == 0 && r->keytab_owner != NULL && geteuid() == 0) {
		uid_t uid;
		gid_t gid;

		if (privs_lookup(r->keytab_owner, &uid, &gid, error_r) < 0 ||
		    chown(buf_cstr(&path), uid, gid) < 0)
			ret = dev_fail(error_r, "cannot give the keytab to %s",
				       r->keytab_owner);
	}
	if (ret == 0 && chmod(buf_cstr(&path), 0600) < 0)
		ret = dev_fail(error_r, "%s: %s", buf_cstr(&path),
			       strerror(errno));
	buf_free(&path);
	return ret;
}

pid_t dev_realm_start_kdc(const struct dev_realm *r, const char **error_r)
{
	struct buf log = BUF_INIT;
	char **env = dev_krb5_env(r);
	pid_t pid;

	dev_path(&log, r, "log/kdc.log");
	pid = fork();
	if (pid < 0) {
		buf_free(&log);
		dev_fail(error_r, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		int fd = open(buf_cstr(&log), O_WRONLY | O_CREAT | O_APPEND,
			      0644);
		int null = open("/dev/null", O_RDONLY);

		/* Its own session: it outlives a detached `sealpost dev` and
		 * is stopped by pid. */
		setsid();
		dup2(null, STDIN_FILENO);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		putenv(env[0]);
		putenv(env[1]);
		execlp("krb5kdc", "krb5kdc", "-n", "-r", DEV_REALM, (char *)NULL);
		_exit(127);
	}
	buf_free(&log);
	/* The port answering is not enough: another realm's KDC may hold it.
	 * Ours must still be running once it does. */
	if (dev_wait_listening(r->kdc_port, NULL, 15000) < 0 ||
	    waitpid(pid, NULL, WNOHANG) == pid) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		dev_fail(error_r, "krb5kdc did not start on port %u (see "
			 "%s/log/kdc.log)", r->kdc_port, r->dir);
		return -1;
	}
	return pid;
}
