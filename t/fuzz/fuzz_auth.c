/*
 * libFuzzer entry point for what the auth service reads before any
 * Kerberos library sees it: the line protocol between the daemons and
 * authd (split at any byte by the first input byte's chunk size), the
 * base64 SASL tokens inside it, and the mapping of login names and
 * principals to users with the authorization-identity check (PLAIN's
 * authzid tricks).  A message that parses must pass auth_proto_check(),
 * and the line written from it must parse to a message written the same.
 */
#include "auth_name.h"
#include "auth_proto.h"
#include "base64.h"
#include "buf.h"
#include "log.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct auth_realms realms = { "EXAMPLE.ORG", "OTHER.ORG" };

static void check_stable(const struct buf *written,
			 const struct auth_proto_limits *limits)
{
	struct auth_msg again;
	struct buf out = BUF_INIT;
	const char *error;

	memset(&again, 0, sizeof(again));
	/* Without its LF. */
	if (auth_proto_parse(written->data, written->len - 1, limits, &again,
			     &error) < 0)
		log_panic("auth: a written message does not parse: %s", error);
	auth_proto_write(&out, &again);
	if (out.len != written->len ||
	    memcmp(out.data, written->data, out.len) != 0)
		log_panic("auth: the written form is not stable");
	buf_free(&out);
	auth_msg_deinit(&again);
}

static void check_line(const char *line, size_t len,
		       const struct auth_proto_limits *limits)
{
	struct auth_msg msg;
	struct buf out = BUF_INIT, tok = BUF_INIT;
	struct auth_name name;
	const char *error, *authz;

	memset(&msg, 0, sizeof(msg));
	if (auth_proto_parse(line, len, limits, &msg, &error) == 0) {
		if (auth_proto_check(&msg, limits->max_token, &error) < 0)
			log_panic("auth: a parsed message fails the check: %s",
				  error);
		auth_proto_write(&out, &msg);
		check_stable(&out, limits);
		if (msg.type == AUTH_MSG_OK)
			(void)auth_name_authorize(msg.authn_user, msg.user,
						  "admin root", &realms,
						  &authz, &error);
	}
	auth_msg_deinit(&msg);
	(void)base64_decode(&tok, line, len, 4096);
	/* The whole line as a login name and as a principal. */
	if (memchr(line, '\0', len) == NULL) {
		char *s = xstrndup(line, len);

		if (auth_name_from_login(s, &realms, &name, &error) == 0)
			(void)auth_name_authorize(name.user, "bob", "alice",
						  &realms, &authz, &error);
		(void)auth_name_from_principal(s, &realms, &name, &error);
		free(s);
	}
	buf_free(&tok);
	buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct auth_proto_limits limits = { 2048 };
	struct auth_proto_reader r;
	size_t chunk, pos = 1;

	if (size < 1)
		return 0;
	chunk = data[0] == 0 ? size : data[0];
	auth_proto_reader_init(&r, auth_proto_max_line(&limits));
	while (pos < size) {
		size_t n = size - pos < chunk ? size - pos : chunk;
		const char *line, *error;
		size_t len;
		int ret;

		auth_proto_reader_feed(&r, data + pos, n);
		pos += n;
		while ((ret = auth_proto_reader_next(&r, &line, &len,
						     &error)) == 1)
			check_line(line, len, &limits);
		if (ret < 0)
			break;
	}
	auth_proto_reader_deinit(&r);
	return 0;
}
