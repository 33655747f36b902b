/*
 * sealpost auth test: a real SASL client against the running authd, what
 * a protocol daemon would relay for one of its clients.  Postmasters use
 * it to tell "the password is wrong" from "authd cannot reach the KDC"
 * (the reason goes to stderr here, and to authd's log); tests use it to
 * drive authd with real tickets.
 *
 * For GSSAPI it is the initiator of RFC 4752 section 3.1, using the
 * caller's credential cache (KRB5CCNAME) for SERVICE@HOST.
 */
#include "cli.h"
#include "auth_client.h"
#include "buf.h"
#include "config.h"
#include "log.h"
#include "master/authd_settings.h"

#include <getopt.h>
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLI_AUTH_PASSWORD_MAX 255

struct cli_auth {
	const char *mech;
	const char *service;
	const char *host;
	const char *authzid;
	const char *user;
	char password[CLI_AUTH_PASSWORD_MAX + 2];
	bool secured;
	/* GSSAPI */
	gss_ctx_id_t ctx;
	gss_name_t target;
	bool established;
	/* LOGIN: which prompt comes next */
	int login_round;
};

static void cli_auth_usage(FILE *out)
{
	fprintf(out,
		"usage: sealpost auth test [--config FILE] [--mech PLAIN|LOGIN|GSSAPI]\n"
		"                          [--service imap] [--host localhost]\n"
		"                          [--authzid ID] [--insecure] USER [PASSWORD]\n"
		"Runs one SASL exchange against the running auth service and prints\n"
		"'ok user=NAME' (exit 0) or 'fail' (exit 1); 75 when the service\n"
		"cannot be asked.  PLAIN and LOGIN read the password from stdin when\n"
		"it is not given.  GSSAPI uses the ticket in KRB5CCNAME for\n"
		"SERVICE@HOST; USER is then optional.  --insecure says the client\n"
		"connection is not inside TLS, as a daemon would for plain text.\n");
}

static void cli_auth_gss_error(const char *what, OM_uint32 major,
			       OM_uint32 minor)
{
	OM_uint32 ctx, tmp;
	gss_buffer_desc b;
	int i;

	fprintf(stderr, "sealpost auth test: %s:", what);
	for (i = 0; i < 2; i++) {
		ctx = 0;
		do {
			if (GSS_ERROR(gss_display_status(
				    &tmp, i == 0 ? major : minor,
				    i == 0 ? GSS_C_GSS_CODE : GSS_C_MECH_CODE,
				    GSS_C_NO_OID, &ctx, &b)))
				break;
			fprintf(stderr, " %.*s;", (int)b.length,
				(const char *)b.value);
			gss_release_buffer(&tmp, &b);
		} while (ctx != 0);
	}
	fprintf(stderr, "\n");
}

/* One call of GSS_Init_sec_context; the output token goes to `out`. */
static int cli_auth_gss_init(struct cli_auth *c, const void *in, size_t len,
			     struct buf *out)
{
	gss_buffer_desc input = { len, (void *)in };
	gss_buffer_desc output = GSS_C_EMPTY_BUFFER;
	OM_uint32 major, minor, tmp;

	if (c->target == GSS_C_NO_NAME) {
		struct buf name = BUF_INIT;
		gss_buffer_desc nb;

		buf_printf(&name, "%s@%s", c->service, c->host);
		nb.value = name.data;
		nb.length = name.len;
		major = gss_import_name(&minor, &nb,
					GSS_C_NT_HOSTBASED_SERVICE, &c->target);
		buf_free(&name);
		if (GSS_ERROR(major)) {
			cli_auth_gss_error("gss_import_name", major, minor);
			return -1;
		}
	}
	/* RFC 4752 section 3.1: integrity must be requested; mutual and
	 * sequence too, as for a client that might want a layer. */
	major = gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, &c->ctx,
				     c->target, gss_mech_krb5,
				     GSS_C_MUTUAL_FLAG | GSS_C_SEQUENCE_FLAG |
				     GSS_C_INTEG_FLAG, 0,
				     GSS_C_NO_CHANNEL_BINDINGS,
				     len > 0 || c->ctx != GSS_C_NO_CONTEXT ?
				     &input : GSS_C_NO_BUFFER,
				     NULL, &output, NULL, NULL);
	if (GSS_ERROR(major)) {
		cli_auth_gss_error("gss_init_sec_context", major, minor);
		return -1;
	}
	buf_append(out, output.value, output.length);
	gss_release_buffer(&tmp, &output);
	c->established = !(major & GSS_S_CONTINUE_NEEDED);
	return 0;
}

/* The server's layer offer in, our choice (no layer, authzid) out. */
static int cli_auth_gss_layer(struct cli_auth *c, const void *in, size_t len,
			      struct buf *out)
{
	gss_buffer_desc input = { len, (void *)in };
	gss_buffer_desc plain = GSS_C_EMPTY_BUFFER, wrapped = GSS_C_EMPTY_BUFFER;
	struct buf choice = BUF_INIT;
	OM_uint32 major, minor;
	const unsigned char *p;

	major = gss_unwrap(&minor, c->ctx, &input, &plain, NULL, NULL);
	if (GSS_ERROR(major)) {
		cli_auth_gss_error("gss_unwrap", major, minor);
		return -1;
	}
	p = plain.value;
	if (plain.length != 4 || (p[0] & 0x01) == 0) {
		gss_release_buffer(&minor, &plain);
		fprintf(stderr, "sealpost auth test: server offers no "
			"'no security layer'\n");
		return -1;
	}
	gss_release_buffer(&minor, &plain);
	buf_append(&choice, "\x01\0\0\0", 4);
	buf_append_str(&choice, c->authzid);
	plain.value = choice.data;
	plain.length = choice.len;
	major = gss_wrap(&minor, c->ctx, 0, GSS_C_QOP_DEFAULT, &plain, NULL,
			 &wrapped);
	buf_free(&choice);
	if (GSS_ERROR(major)) {
		cli_auth_gss_error("gss_wrap", major, minor);
		return -1;
	}
	buf_append(out, wrapped.value, wrapped.length);
	gss_release_buffer(&minor, &wrapped);
	return 0;
}

/* The initial response of each mechanism; -1 on a local error. */
static int cli_auth_initial(struct cli_auth *c, struct buf *ir, bool *has_r)
{
	*has_r = true;
	if (strcmp(c->mech, "GSSAPI") == 0)
		return cli_auth_gss_init(c, NULL, 0, ir);
	if (strcmp(c->mech, "PLAIN") == 0) {
		/* RFC 4616 section 2 */
		buf_append_str(ir, c->authzid);
		buf_append_char(ir, '\0');
		buf_append_str(ir, c->user);
		buf_append_char(ir, '\0');
		buf_append_str(ir, c->password);
		return 0;
	}
	*has_r = false;
	return 0;
}

/* Our response to a challenge. */
static int cli_auth_respond(struct cli_auth *c, const unsigned char *in,
			    size_t len, struct buf *out)
{
	bool has;

	if (strcmp(c->mech, "GSSAPI") == 0) {
		if (!c->established)
			return cli_auth_gss_init(c, in, len, out);
		return cli_auth_gss_layer(c, in, len, out);
	}
	if (strcmp(c->mech, "LOGIN") == 0) {
		buf_append_str(out, c->login_round++ == 0 ? c->user :
			       c->password);
		return 0;
	}
	/* PLAIN after an empty challenge: the message now. */
	return cli_auth_initial(c, out, &has);
}

static int cli_auth_read_password(struct cli_auth *c)
{
	size_t len;

	if (fgets(c->password, sizeof(c->password), stdin) == NULL) {
		fprintf(stderr, "sealpost auth test: no password on stdin\n");
		return -1;
	}
	len = strlen(c->password);
	if (len > 0 && c->password[len - 1] == '\n')
		c->password[--len] = '\0';
	else if (len > CLI_AUTH_PASSWORD_MAX) {
		fprintf(stderr, "sealpost auth test: password too long\n");
		return -1;
	}
	return 0;
}

/* Runs the exchange; returns the exit status. */
static int cli_auth_run(struct cli_auth *c, const struct authd_settings *set,
			const char *socket_path)
{
	struct auth_client *client;
	struct auth_client_request req;
	struct auth_client_reply reply;
	struct buf data = BUF_INIT;
	char session[LOG_ID_SIZE];
	const char *error;
	bool has_ir;
	int ret;

	if (auth_client_connect(socket_path, set->auth_request_timeout,
				set->auth_max_token_size, &client, &error) < 0) {
		fprintf(stderr, "sealpost auth test: %s: %s\n", socket_path,
			error);
		return CLI_EX_TEMPFAIL;
	}
	log_new_session_id(session);
	if (cli_auth_initial(c, &data, &has_ir) < 0) {
		auth_client_free(&client);
		return 1;
	}
	memset(&req, 0, sizeof(req));
	req.mech = c->mech;
	req.service = c->service;
	req.secured = c->secured;
	req.client_addr = "127.0.0.1";
	req.session = session;
	req.initial_response = has_ir ? (data.data != NULL ? data.data : "") :
		NULL;
	req.initial_response_len = data.len;
	ret = auth_client_start(client, &req, &reply, &error);
	while (ret == 0 && reply.status == AUTH_CLIENT_CONTINUE) {
		buf_clear(&data);
		if (cli_auth_respond(c, reply.challenge, reply.challenge_len,
				     &data) < 0) {
			buf_free(&data);
			auth_client_free(&client);
			return 1;
		}
		ret = auth_client_respond(client, data.data != NULL ?
					  data.data : "", data.len, &reply,
					  &error);
	}
	if (data.data != NULL)
		explicit_bzero(data.data, data.cap);
	buf_free(&data);
	if (ret < 0) {
		fprintf(stderr, "sealpost auth test: %s\n", error);
		auth_client_free(&client);
		return CLI_EX_TEMPFAIL;
	}
	if (reply.status == AUTH_CLIENT_OK) {
		printf("ok user=%s", reply.user);
		if (strcmp(reply.user, reply.authn_user) != 0)
			printf(" authn_user=%s", reply.authn_user);
		printf("\n");
		ret = 0;
	} else {
		printf("fail\n");
		fprintf(stderr, "sealpost auth test: reason=%s (details in "
			"the auth service's log, session %s)\n",
			auth_fail_name(reply.fail), session);
		ret = 1;
	}
	auth_client_free(&client);
	return ret;
}

static int cli_auth_test(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "mech", required_argument, NULL, 'm' },
		{ "service", required_argument, NULL, 's' },
		{ "host", required_argument, NULL, 'H' },
		{ "authzid", required_argument, NULL, 'a' },
		{ "insecure", no_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_auth c = { .mech = "PLAIN", .service = "imap",
			      .host = "localhost", .authzid = "",
			      .user = "", .secured = true,
			      .ctx = GSS_C_NO_CONTEXT,
			      .target = GSS_C_NO_NAME };
	struct authd_settings set;
	const char *config_path = NULL;
	struct config *cfg;
	struct buf sock = BUF_INIT;
	OM_uint32 minor;
	int opt, ret;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:m:s:H:a:ih", opts,
				  NULL)) != -1) {
		switch (opt) {
		case 'c': config_path = optarg; break;
		case 'm': c.mech = optarg; break;
		case 's': c.service = optarg; break;
		case 'H': c.host = optarg; break;
		case 'a': c.authzid = optarg; break;
		case 'i': c.secured = false; break;
		case 'h': cli_auth_usage(stdout); return 0;
		default: cli_auth_usage(stderr); return CLI_EX_USAGE;
		}
	}
	if (strcmp(c.mech, "GSSAPI") != 0 && strcmp(c.mech, "PLAIN") != 0 &&
	    strcmp(c.mech, "LOGIN") != 0) {
		fprintf(stderr, "sealpost auth test: unknown mechanism %s\n",
			c.mech);
		return CLI_EX_USAGE;
	}
	if (optind < argc)
		c.user = argv[optind++];
	if (optind < argc) {
		if (str_copy(c.password, sizeof(c.password) - 1,
			     argv[optind++]) < 0) {
			fprintf(stderr, "sealpost auth test: password too long\n");
			return CLI_EX_USAGE;
		}
	} else if (strcmp(c.mech, "GSSAPI") != 0 &&
		   cli_auth_read_password(&c) < 0) {
		return CLI_EX_USAGE;
	}
	if (optind != argc ||
	    (strcmp(c.mech, "GSSAPI") != 0 && *c.user == '\0')) {
		cli_auth_usage(stderr);
		return CLI_EX_USAGE;
	}
	cfg = cli_load_config(config_path, NULL, 0);
	if (cfg == NULL)
		return CLI_EX_TEMPFAIL;
	config_fill(cfg, &authd_config_table, &set);
	if (set.auth_socket[0] == '/')
		buf_append_str(&sock, set.auth_socket);
	else
		buf_printf(&sock, "%s/%s", config_get(cfg, "state_dir"),
			   set.auth_socket);
	ret = cli_auth_run(&c, &set, buf_cstr(&sock));
	explicit_bzero(c.password, sizeof(c.password));
	if (c.ctx != GSS_C_NO_CONTEXT)
		gss_delete_sec_context(&minor, &c.ctx, GSS_C_NO_BUFFER);
	if (c.target != GSS_C_NO_NAME)
		gss_release_name(&minor, &c.target);
	buf_free(&sock);
	config_free(&cfg);
	return ret;
}

int cli_auth(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		cli_auth_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EX_USAGE : 0;
	}
	if (strcmp(argv[1], "test") == 0)
		return cli_auth_test(argc - 1, argv + 1);
	fprintf(stderr, "sealpost auth: unknown subcommand '%s'\n", argv[1]);
	return CLI_EX_USAGE;
}
