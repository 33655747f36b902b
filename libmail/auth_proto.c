#include "auth_proto.h"
#include "auth_name.h"
#include "base64.h"
#include "log.h"

#include <string.h>

#define AUTH_PROTO_MAX_FIELDS 7
/* Everything on a line but the token: the longest is OK with two users. */
#define AUTH_PROTO_LINE_OVERHEAD 1024

static const char *const auth_msg_names[] = {
	[AUTH_MSG_HELLO] = "HELLO",
	[AUTH_MSG_WELCOME] = "WELCOME",
	[AUTH_MSG_START] = "START",
	[AUTH_MSG_CONTINUE] = "CONTINUE",
	[AUTH_MSG_RESPONSE] = "RESPONSE",
	[AUTH_MSG_OK] = "OK",
	[AUTH_MSG_FAIL] = "FAIL",
};

/* Fields after the type, per message type. */
static const unsigned int auth_msg_field_count[] = {
	[AUTH_MSG_HELLO] = 1,
	[AUTH_MSG_WELCOME] = 3,
	[AUTH_MSG_START] = 6,
	[AUTH_MSG_CONTINUE] = 1,
	[AUTH_MSG_RESPONSE] = 1,
	[AUTH_MSG_OK] = 2,
	[AUTH_MSG_FAIL] = 1,
};

static const char *const auth_fail_names[] = {
	[AUTH_FAIL_AUTH] = "auth",
	[AUTH_FAIL_TEMP] = "temp",
	[AUTH_FAIL_MECH] = "mech",
	[AUTH_FAIL_PROTO] = "proto",
	[AUTH_FAIL_VERSION] = "version",
};

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

struct auth_field {
	const char *p;
	size_t len;
};

void auth_msg_deinit(struct auth_msg *msg)
{
	buf_free(&msg->token);
}

size_t auth_proto_max_line(const struct auth_proto_limits *limits)
{
	size_t max = limits->max_token;

	if (max > AUTH_PROTO_TOKEN_HARD_MAX)
		max = AUTH_PROTO_TOKEN_HARD_MAX;
	return base64_encoded_len(max) + AUTH_PROTO_LINE_OVERHEAD;
}

const char *auth_fail_name(enum auth_fail fail)
{
	if ((size_t)fail >= N_ELEMS(auth_fail_names))
		log_panic("auth_fail_name: bad value %d", (int)fail);
	return auth_fail_names[fail];
}

bool auth_proto_mech_is_plaintext(const char *mech)
{
	return strcmp(mech, "PLAIN") == 0 || strcmp(mech, "LOGIN") == 0;
}

/* ---- field alphabets ---- */

static bool auth_field_is(const struct auth_field *f, const char *s)
{
	return f->len == strlen(s) && memcmp(f->p, s, f->len) == 0;
}

static bool auth_char_in(char c, const char *set)
{
	return c != '\0' && strchr(set, c) != NULL;
}

/* 1..max bytes, each from `set`. */
static bool auth_field_alphabet(const struct auth_field *f, size_t max,
				const char *set)
{
	size_t i;

	if (f->len == 0 || f->len > max)
		return false;
	for (i = 0; i < f->len; i++) {
		if (!auth_char_in(f->p[i], set))
			return false;
	}
	return true;
}

#define AUTH_UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define AUTH_LOWER "abcdefghijklmnopqrstuvwxyz"
#define AUTH_DIGIT "0123456789"

static bool auth_valid_mech(const struct auth_field *f)
{
	return auth_field_alphabet(f, AUTH_PROTO_MECH_MAX,
				   AUTH_UPPER AUTH_DIGIT "-_");
}

static bool auth_valid_service(const struct auth_field *f)
{
	return auth_field_alphabet(f, AUTH_PROTO_SERVICE_MAX, AUTH_LOWER);
}

static bool auth_valid_addr(const struct auth_field *f)
{
	return auth_field_alphabet(f, AUTH_PROTO_ADDR_MAX,
				   AUTH_DIGIT "abcdefABCDEF.:");
}

static bool auth_valid_session(const struct auth_field *f)
{
	return auth_field_alphabet(f, AUTH_PROTO_SESSION_MAX,
				   AUTH_UPPER AUTH_LOWER AUTH_DIGIT);
}

/* A user as auth_name maps it: name, or name@realm. */
static bool auth_valid_user_str(const char *s)
{
	char name[AUTH_NAME_MAX + 1];
	const char *at = strchr(s, '@');
	size_t nlen;

	if (at == NULL)
		return auth_name_valid(s);
	nlen = (size_t)(at - s);
	if (nlen >= sizeof(name))
		return false;
	memcpy(name, s, nlen);
	name[nlen] = '\0';
	return auth_name_valid(name) && auth_name_realm_valid(at + 1);
}

/* Space-separated mechanism names, no empty ones. */
static bool auth_valid_mechs_str(const char *s)
{
	while (*s != '\0') {
		struct auth_field f = { s, strcspn(s, " ") };

		if (!auth_valid_mech(&f))
			return false;
		s += f.len;
		if (*s == ' ' && *++s == '\0')
			return false;
	}
	return true;
}

/* Plain decimal, no sign, no leading zero, at most `max`. */
static int auth_field_uint(const struct auth_field *f, size_t max,
			   size_t *value_r)
{
	size_t v = 0, i;

	if (f->len == 0 || f->len > 9 || (f->p[0] == '0' && f->len > 1))
		return -1;
	for (i = 0; i < f->len; i++) {
		if (f->p[i] < '0' || f->p[i] > '9')
			return -1;
		v = v * 10 + (size_t)(f->p[i] - '0');
	}
	if (v > max)
		return -1;
	*value_r = v;
	return 0;
}

/* Copies a field already checked against its alphabet and bound. */
static void auth_field_copy(char *dst, size_t size,
			    const struct auth_field *f)
{
	if (f->len >= size)
		log_panic("auth_field_copy: %zu bytes into %zu", f->len, size);
	memcpy(dst, f->p, f->len);
	dst[f->len] = '\0';
}

/* "=" is the empty token, "-" none (only where `may_be_absent`). */
static int auth_field_token(const struct auth_field *f, bool may_be_absent,
			    size_t max_token, struct auth_msg *msg)
{
	msg->has_token = false;
	if (may_be_absent && auth_field_is(f, "-"))
		return 0;
	msg->has_token = true;
	if (auth_field_is(f, "="))
		return 0;
	if (f->len == 0)
		return -1;
	return base64_decode(&msg->token, f->p, f->len, max_token);
}

/* ---- parsing, one small function per type ---- */

static int auth_parse_hello(const struct auth_field *f, struct auth_msg *msg,
			    const char **error_r)
{
	size_t v;

	if (auth_field_uint(&f[0], 999999, &v) < 0 || v == 0) {
		*error_r = "bad version";
		return -1;
	}
	msg->version = (unsigned int)v;
	return 0;
}

static int auth_parse_welcome(const struct auth_field *f,
			      struct auth_msg *msg, const char **error_r)
{
	if (auth_parse_hello(f, msg, error_r) < 0)
		return -1;
	if (auth_field_uint(&f[1], AUTH_PROTO_TOKEN_HARD_MAX,
			    &msg->max_token) < 0) {
		*error_r = "bad max_token";
		return -1;
	}
	if (f[2].len > AUTH_PROTO_MECHS_MAX) {
		*error_r = "bad mechs";
		return -1;
	}
	auth_field_copy(msg->mechs, sizeof(msg->mechs), &f[2]);
	if (!auth_valid_mechs_str(msg->mechs)) {
		*error_r = "bad mechs";
		return -1;
	}
	return 0;
}

static int auth_parse_start(const struct auth_field *f, struct auth_msg *msg,
			    const struct auth_proto_limits *limits,
			    const char **error_r)
{
	if (!auth_valid_mech(&f[0])) {
		*error_r = "bad mech";
		return -1;
	}
	auth_field_copy(msg->mech, sizeof(msg->mech), &f[0]);
	if (!auth_valid_service(&f[1])) {
		*error_r = "bad service";
		return -1;
	}
	auth_field_copy(msg->service, sizeof(msg->service), &f[1]);
	if (auth_field_is(&f[2], "tls"))
		msg->secured = true;
	else if (auth_field_is(&f[2], "plain"))
		msg->secured = false;
	else {
		*error_r = "bad secured";
		return -1;
	}
	if (auth_field_is(&f[3], "-"))
		msg->client_addr[0] = '\0';
	else if (auth_valid_addr(&f[3]))
		auth_field_copy(msg->client_addr, sizeof(msg->client_addr),
				&f[3]);
	else {
		*error_r = "bad client_addr";
		return -1;
	}
	if (!auth_valid_session(&f[4])) {
		*error_r = "bad session";
		return -1;
	}
	auth_field_copy(msg->session, sizeof(msg->session), &f[4]);
	if (auth_field_token(&f[5], true, limits->max_token, msg) < 0) {
		*error_r = "bad initial response";
		return -1;
	}
	return 0;
}

static int auth_parse_token(const struct auth_field *f, struct auth_msg *msg,
			    const struct auth_proto_limits *limits,
			    const char **error_r)
{
	if (auth_field_token(&f[0], false, limits->max_token, msg) < 0) {
		*error_r = "bad token";
		return -1;
	}
	return 0;
}

static int auth_parse_user(const struct auth_field *f, char *dst,
			   size_t size)
{
	if (f->len == 0 || f->len >= size)
		return -1;
	auth_field_copy(dst, size, f);
	return auth_valid_user_str(dst) ? 0 : -1;
}

static int auth_parse_ok(const struct auth_field *f, struct auth_msg *msg,
			 const char **error_r)
{
	if (auth_parse_user(&f[0], msg->user, sizeof(msg->user)) < 0 ||
	    auth_parse_user(&f[1], msg->authn_user,
			    sizeof(msg->authn_user)) < 0) {
		*error_r = "bad user";
		return -1;
	}
	return 0;
}

static int auth_parse_fail(const struct auth_field *f, struct auth_msg *msg,
			   const char **error_r)
{
	size_t i;

	for (i = 0; i < N_ELEMS(auth_fail_names); i++) {
		if (auth_field_is(&f[0], auth_fail_names[i])) {
			msg->fail = (enum auth_fail)i;
			return 0;
		}
	}
	*error_r = "bad reason";
	return -1;
}

/* Splits at TABs into at most AUTH_PROTO_MAX_FIELDS + 1 fields; one more
 * than that is reported as too many. */
static size_t auth_split(const char *line, size_t len, struct auth_field *f,
			 size_t max)
{
	size_t n = 0, start = 0, i;

	for (i = 0; i <= len; i++) {
		if (i < len && line[i] != '\t')
			continue;
		if (n == max)
			return max + 1;
		f[n].p = line + start;
		f[n].len = i - start;
		n++;
		start = i + 1;
	}
	return n;
}

int auth_proto_parse(const char *line, size_t len,
		     const struct auth_proto_limits *limits,
		     struct auth_msg *msg, const char **error_r)
{
	struct auth_field f[AUTH_PROTO_MAX_FIELDS + 1];
	size_t n, i;
	int ret = -1;

	buf_clear(&msg->token);
	msg->has_token = false;
	n = auth_split(line, len, f, N_ELEMS(f));
	for (i = 0; i < N_ELEMS(auth_msg_names); i++) {
		if (auth_field_is(&f[0], auth_msg_names[i]))
			break;
	}
	if (i == N_ELEMS(auth_msg_names)) {
		*error_r = "unknown message type";
		return -1;
	}
	msg->type = (enum auth_msg_type)i;
	if (n != auth_msg_field_count[i] + 1) {
		*error_r = n <= auth_msg_field_count[i] ?
			"missing fields" : "extra fields";
		return -1;
	}
	switch (msg->type) {
	case AUTH_MSG_HELLO:
		ret = auth_parse_hello(f + 1, msg, error_r);
		break;
	case AUTH_MSG_WELCOME:
		ret = auth_parse_welcome(f + 1, msg, error_r);
		break;
	case AUTH_MSG_START:
		ret = auth_parse_start(f + 1, msg, limits, error_r);
		break;
	case AUTH_MSG_CONTINUE:
	case AUTH_MSG_RESPONSE:
		ret = auth_parse_token(f + 1, msg, limits, error_r);
		break;
	case AUTH_MSG_OK:
		ret = auth_parse_ok(f + 1, msg, error_r);
		break;
	case AUTH_MSG_FAIL:
		ret = auth_parse_fail(f + 1, msg, error_r);
		break;
	}
	if (ret < 0) {
		buf_clear(&msg->token);
		msg->has_token = false;
	}
	return ret;
}

/* ---- writing ---- */

static bool auth_str_valid(const char *s,
			   bool (*check)(const struct auth_field *))
{
	struct auth_field f = { s, strlen(s) };

	return check(&f);
}

static int auth_check_start(const struct auth_msg *msg, const char **error_r)
{
	if (!auth_str_valid(msg->mech, auth_valid_mech))
		*error_r = "bad mech";
	else if (!auth_str_valid(msg->service, auth_valid_service))
		*error_r = "bad service";
	else if (msg->client_addr[0] != '\0' &&
		 !auth_str_valid(msg->client_addr, auth_valid_addr))
		*error_r = "bad client_addr";
	else if (!auth_str_valid(msg->session, auth_valid_session))
		*error_r = "bad session";
	else
		return 0;
	return -1;
}

int auth_proto_check(const struct auth_msg *msg, size_t max_token,
		     const char **error_r)
{
	if ((size_t)msg->type >= N_ELEMS(auth_msg_names)) {
		*error_r = "bad type";
		return -1;
	}
	if (msg->token.len > max_token ||
	    msg->token.len > AUTH_PROTO_TOKEN_HARD_MAX) {
		*error_r = "token too large";
		return -1;
	}
	switch (msg->type) {
	case AUTH_MSG_HELLO:
		break;
	case AUTH_MSG_WELCOME:
		if (msg->max_token > AUTH_PROTO_TOKEN_HARD_MAX ||
		    !auth_valid_mechs_str(msg->mechs)) {
			*error_r = "bad welcome";
			return -1;
		}
		break;
	case AUTH_MSG_START:
		return auth_check_start(msg, error_r);
	case AUTH_MSG_CONTINUE:
	case AUTH_MSG_RESPONSE:
		if (!msg->has_token) {
			*error_r = "token missing";
			return -1;
		}
		break;
	case AUTH_MSG_OK:
		if (!auth_valid_user_str(msg->user) ||
		    !auth_valid_user_str(msg->authn_user)) {
			*error_r = "bad user";
			return -1;
		}
		break;
	case AUTH_MSG_FAIL:
		if ((size_t)msg->fail >= N_ELEMS(auth_fail_names)) {
			*error_r = "bad reason";
			return -1;
		}
		break;
	}
	return 0;
}

static void auth_write_token(struct buf *out, const struct auth_msg *msg)
{
	buf_append_char(out, '\t');
	if (!msg->has_token)
		buf_append_char(out, '-');
	else if (msg->token.len == 0)
		buf_append_char(out, '=');
	else
		base64_encode(out, msg->token.data, msg->token.len);
}

void auth_proto_write(struct buf *out, const struct auth_msg *msg)
{
	const char *error;

	if (auth_proto_check(msg, AUTH_PROTO_TOKEN_HARD_MAX, &error) < 0)
		log_panic("auth_proto_write: %s", error);
	buf_append_str(out, auth_msg_names[msg->type]);
	switch (msg->type) {
	case AUTH_MSG_HELLO:
		buf_printf(out, "\t%u", msg->version);
		break;
	case AUTH_MSG_WELCOME:
		buf_printf(out, "\t%u\t%zu\t%s", msg->version,
			   msg->max_token, msg->mechs);
		break;
	case AUTH_MSG_START:
		buf_printf(out, "\t%s\t%s\t%s\t%s\t%s", msg->mech,
			   msg->service, msg->secured ? "tls" : "plain",
			   msg->client_addr[0] != '\0' ? msg->client_addr : "-",
			   msg->session);
		auth_write_token(out, msg);
		break;
	case AUTH_MSG_CONTINUE:
	case AUTH_MSG_RESPONSE:
		auth_write_token(out, msg);
		break;
	case AUTH_MSG_OK:
		buf_printf(out, "\t%s\t%s", msg->user, msg->authn_user);
		break;
	case AUTH_MSG_FAIL:
		buf_printf(out, "\t%s", auth_fail_name(msg->fail));
		break;
	}
	buf_append_char(out, '\n');
}

/* ---- the line reader ---- */

void auth_proto_reader_init(struct auth_proto_reader *r, size_t max_line)
{
	struct buf empty = BUF_INIT;

	r->in = empty;
	r->consumed = 0;
	r->scanned = 0;
	r->max_line = max_line;
}

void auth_proto_reader_deinit(struct auth_proto_reader *r)
{
	buf_free(&r->in);
	r->consumed = 0;
	r->scanned = 0;
}

void auth_proto_reader_feed(struct auth_proto_reader *r, const void *data,
			    size_t len)
{
	/* Drop what was already returned, so the buffer holds at most one
	 * partial line plus this read. */
	if (r->consumed > 0) {
		buf_consume(&r->in, r->consumed);
		r->consumed = 0;
	}
	buf_append(&r->in, data, len);
}

int auth_proto_reader_next(struct auth_proto_reader *r, const char **line_r,
			   size_t *len_r, const char **error_r)
{
	size_t avail = r->in.len - r->consumed, scan, i;
	const char *start;

	if (avail == 0)
		return 0;
	start = r->in.data + r->consumed;
	/* Only the first max_line bytes can hold a valid line's LF; bytes
	 * scanned by an earlier call are not scanned again, so input fed one
	 * byte at a time costs linear time. */
	scan = avail < r->max_line ? avail : r->max_line;
	for (i = r->scanned; i < scan; i++) {
		if (start[i] == '\n')
			break;
		if (start[i] == '\0' || start[i] == '\r') {
			*error_r = "NUL or CR in line";
			return -1;
		}
	}
	if (i == scan) {
		r->scanned = scan;
		if (avail >= r->max_line) {
			*error_r = "line too long";
			return -1;
		}
		return 0;
	}
	*line_r = start;
	*len_r = i;
	r->consumed += i + 1;
	r->scanned = 0;
	return 1;
}

bool auth_proto_reader_has_leftover(const struct auth_proto_reader *r)
{
	return r->in.len > r->consumed;
}
