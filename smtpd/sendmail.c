/* sendmail(1) and mailq(1); see sendmail.h. */
#include "sendmail.h"
#include "buf.h"
#include "config.h"
#include "mail_settings.h"
#include "message_address.h"
#include "queue_client.h"
#include "queue_file.h"

#include <ctype.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#ifndef SEALPOST_SYSCONFDIR
#define SEALPOST_SYSCONFDIR "/etc/sealpost"
#endif

/* Far above any message_size_limit a site would set; the queue manager's
 * own limit applies too. */
#define SENDMAIL_MAX_MESSAGE ((size_t)1 << 30)

struct sendmail_opts {
	bool extract;		/* -t */
	bool ignore_dots;	/* -i, -oi */
	bool list;		/* -bp */
	const char *sender;	/* -f */
	const char *full_name;	/* -F */
	char **rcpts;
	size_t rcpt_count;
};

static struct config *sendmail_config(void)
{
	const char *path = getenv("SEALPOST_CONFIG"), *error;
	struct config *cfg;

	if (path == NULL)
		path = SEALPOST_SYSCONFDIR "/sealpost.conf";
	if (config_load(path, config_all_tables, &cfg, &error) < 0) {
		fprintf(stderr, "sendmail: %s\n", error);
		return NULL;
	}
	return cfg;
}

static void sendmail_add_rcpt(struct sendmail_opts *o, const char *rcpt)
{
	o->rcpts = xrealloc(o->rcpts, (o->rcpt_count + 1) * sizeof(char *));
	o->rcpts[o->rcpt_count++] = xstrdup(rcpt);
}

/* The traditional option letters; unknown -o options are ignored, as
 * every sendmail clone does, since programs pass them blindly. */
static int sendmail_args(int argc, char **argv, struct sendmail_opts *o)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0')
			break;
		if (strcmp(a, "-t") == 0)
			o->extract = true;
		else if (strcmp(a, "-i") == 0 || strcmp(a, "-oi") == 0)
			o->ignore_dots = true;
		else if (strcmp(a, "-bp") == 0)
			o->list = true;
		else if (strcmp(a, "-bm") == 0 || strncmp(a, "-o", 2) == 0 ||
			 strcmp(a, "-v") == 0 || strncmp(a, "-B", 2) == 0)
			continue;
		else if (strncmp(a, "-f", 2) == 0 || strncmp(a, "-r", 2) == 0)
			o->sender = a[2] != '\0' ? a + 2 :
				i + 1 < argc ? argv[++i] : NULL;
		else if (strncmp(a, "-F", 2) == 0)
			o->full_name = a[2] != '\0' ? a + 2 :
				i + 1 < argc ? argv[++i] : NULL;
		else {
			fprintf(stderr, "sendmail: unsupported option %s\n", a);
			return -1;
		}
		if ((a[1] == 'f' || a[1] == 'r') && o->sender == NULL)
			return -1;
		if (a[1] == 'F' && o->full_name == NULL)
			return -1;
	}
	for (; i < argc; i++)
		sendmail_add_rcpt(o, argv[i]);
	return 0;
}

/* Reads the message, making every line end in CRLF.  Without -i a line
 * holding only "." ends it. */
static int sendmail_read(const struct sendmail_opts *o, struct buf *msg)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	while ((n = getline(&line, &cap, stdin)) > 0) {
		size_t len = (size_t)n;

		if (line[len - 1] == '\n')
			len--;
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (!o->ignore_dots && len == 1 && line[0] == '.')
			break;
		buf_append(msg, line, len);
		buf_append_str(msg, "\r\n");
		if (msg->len > SENDMAIL_MAX_MESSAGE) {
			free(line);
			fprintf(stderr, "sendmail: message too large\n");
			return -1;
		}
	}
	free(line);
	return 0;
}

static bool sendmail_field_is(const char *p, size_t len, const char *name)
{
	size_t n = strlen(name);

	return len > n && strncasecmp(p, name, n) == 0 && p[n] == ':';
}

/* -t: recipients from To, Cc and Bcc; Bcc is removed from the message.
 * Also notes whether there is a From field. */
static void sendmail_extract(struct sendmail_opts *o, struct buf *msg,
			     bool *has_from_r)
{
	struct buf out = BUF_INIT;
	size_t pos = 0;
	bool in_header = true;

	*has_from_r = false;
	while (pos < msg->len && in_header) {
		size_t start = pos, end;
		bool to, bcc;

		/* One field with its continuation lines. */
		do {
			const char *lf = memchr(msg->data + pos, '\n',
						msg->len - pos);

			pos = lf != NULL ? (size_t)(lf - msg->data) + 1 : msg->len;
		} while (pos < msg->len &&
			 (msg->data[pos] == ' ' || msg->data[pos] == '\t'));
		end = pos;
		if (end - start <= 2) {
			in_header = false;
			pos = start;
			break;
		}
		to = sendmail_field_is(msg->data + start, end - start, "To") ||
			sendmail_field_is(msg->data + start, end - start, "Cc");
		bcc = sendmail_field_is(msg->data + start, end - start, "Bcc");
		if (sendmail_field_is(msg->data + start, end - start, "From"))
			*has_from_r = true;
		if (o->extract && (to || bcc)) {
			const char *colon = memchr(msg->data + start, ':',
						   end - start);
			struct message_address *list, *a;

			list = message_address_parse(colon + 1,
						     end - (size_t)(colon + 1 - msg->data));
			for (a = list; a != NULL; a = a->next) {
				struct buf addr = BUF_INIT;

				if (a->mailbox == NULL || a->domain == NULL)
					continue;
				if (*a->domain != '\0')
					buf_printf(&addr, "%s@%s", a->mailbox,
						   a->domain);
				else
					buf_append_str(&addr, a->mailbox);
				sendmail_add_rcpt(o, buf_cstr(&addr));
				buf_free(&addr);
			}
			message_address_free(&list);
		}
		if (!bcc)
			buf_append(&out, msg->data + start, end - start);
	}
	buf_append(&out, msg->data + pos, msg->len - pos);
	buf_free(msg);
	*msg = out;
}

static char *sendmail_default_sender(const struct config *cfg)
{
	struct mail_settings mail;
	struct passwd *pw = getpwuid(getuid());
	char host[256] = "", domain[256];
	const char *h = config_get(cfg, "hostname");
	struct buf b = BUF_INIT;

	mail_settings_read(cfg, &mail);
	if (h != NULL && *h != '\0')
		str_copy(host, sizeof(host), h);
	else
		(void)gethostname(host, sizeof(host) - 1);
	if (mail_primary_domain(&mail, host, domain, sizeof(domain)) < 0)
		str_copy(domain, sizeof(domain), host);
	buf_printf(&b, "%s@%s", pw != NULL ? pw->pw_name : "nobody", domain);
	return buf_steal(&b);
}

static int sendmail_list(struct config *cfg)
{
	const char *error;
	int fd = queue_client_connect(cfg, &error);

	if (fd < 0 || queue_client_command(fd, "LIST", stdout, &error) < 0) {
		fprintf(stderr, "mailq: %s\n", error);
		if (fd >= 0)
			close(fd);
		return EX_TEMPFAIL;
	}
	close(fd);
	return EX_OK;
}

int sendmail_mailq(int argc, char **argv)
{
	struct config *cfg = sendmail_config();
	int ret;

	if (cfg == NULL)
		return EX_CONFIG;
	ret = sendmail_list(cfg);
	config_free(&cfg);
	return ret;
}

int sendmail_run(int argc, char **argv)
{
	struct sendmail_opts o;
	struct config *cfg;
	struct buf msg = BUF_INIT, full = BUF_INIT;
	char id[QUEUE_ID_SIZE], *sender;
	const char *error;
	bool has_from;
	size_t i;
	int fd, ret = EX_OK;

	memset(&o, 0, sizeof(o));
	if (sendmail_args(argc, argv, &o) < 0)
		return EX_USAGE;
	cfg = sendmail_config();
	if (cfg == NULL)
		return EX_CONFIG;
	if (o.list) {
		ret = sendmail_list(cfg);
		config_free(&cfg);
		return ret;
	}
	sender = o.sender != NULL ?
		xstrdup(strcmp(o.sender, "<>") == 0 ? "" : o.sender) :
		sendmail_default_sender(cfg);
	if (sendmail_read(&o, &msg) < 0) {
		ret = EX_DATAERR;
		goto out;
	}
	sendmail_extract(&o, &msg, &has_from);
	if (o.rcpt_count == 0) {
		fprintf(stderr, "sendmail: no recipients\n");
		ret = EX_USAGE;
		goto out;
	}
	if (!has_from && o.full_name != NULL) {
		buf_printf(&full, "From: %s <%s>\r\n", o.full_name, sender);
		buf_append(&full, msg.data, msg.len);
		buf_free(&msg);
		msg = full;
		memset(&full, 0, sizeof(full));
	}
	fd = queue_client_connect(cfg, &error);
	if (fd < 0 || queue_client_submit(fd, sender, o.rcpts, o.rcpt_count,
					  msg.data != NULL ? msg.data : "",
					  msg.len, id, sizeof(id), &error) < 0) {
		fprintf(stderr, "sendmail: %s\n", error);
		ret = EX_TEMPFAIL;
	}
	if (fd >= 0)
		close(fd);
out:
	for (i = 0; i < o.rcpt_count; i++)
		free(o.rcpts[i]);
	free(o.rcpts);
	free(sender);
	buf_free(&msg);
	config_free(&cfg);
	return ret;
}
