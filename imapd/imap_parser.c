#include "imapd/imap_parser.h"
#include "imapd/imap_utf8.h"
#include "buf.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

const struct imap_parser_limits imap_parser_default_limits = {
	.max_line_length = 64 * 1024,
	.max_literal_size = 64 * 1024,
	.max_literal_total = 1024 * 1024,
	.max_append_size = 50 * 1024 * 1024,
	.max_discard_size = 1024 * 1024,
	.max_depth = 16,
	.max_args = 10000,
	.literal_minus = true,
};

#define IMAP_PARSER_DEPTH_CAP 1000
/* number64 (RFC 9051 section 9) */
#define IMAP_NUMBER64_MAX UINT64_C(9223372036854775807)

enum parser_state {
	PS_LINE_START,		/* before the tag */
	PS_TAG,
	PS_NAME,		/* command name, or the one after UID */
	PS_ARG_START,		/* after SP: an argument must follow */
	PS_LIST_START,		/* after "(": an argument or ")" */
	PS_AFTER_ARG,		/* SP, ")" or the end of the line */
	PS_ATOM,
	PS_SECTION,		/* inside "[...]" of a FETCH attribute */
	PS_SECTION_QUOTED,
	PS_SECTION_QUOTED_ESC,
	PS_QUOTED,
	PS_QUOTED_ESC,
	PS_LITERAL8,		/* after "~": "{" must follow */
	PS_LITERAL_SIZE,
	PS_LITERAL_PLUS,	/* after "+": "}" must follow */
	PS_LITERAL_CR,		/* after "}": CRLF must follow */
	PS_LITERAL_LF,
	PS_LITERAL_DECIDE,	/* IMAP_PARSER_LITERAL returned */
	PS_LITERAL_DATA,	/* reading a literal into memory */
	PS_LITERAL_STREAM,	/* passing a literal to the caller */
	PS_CR,			/* CR seen at the end of the line */
	PS_SKIP_LINE,		/* resynchronising after an error */
	PS_SKIP_LITERAL,
};

/* Commands whose arguments need a different lexer. */
enum command_class {
	CLASS_PLAIN,
	CLASS_FETCH,		/* atoms may carry [sections] */
	CLASS_APPEND,		/* literals are announced; ~{n} allowed */
};

/* Watches every line for a trailing "{n}" or "{n+}", so that after an error
 * the parser still knows whether the client will send literal data. */
enum tail_state {
	TAIL_NONE,
	TAIL_DIGITS,
	TAIL_PLUS,
	TAIL_CLOSE,
	TAIL_CR,
};

struct parser_level {
	struct imap_arg *list;	/* the LIST argument being filled */
	size_t cap;		/* members its array has room for */
};

struct imap_parser {
	struct imap_parser_limits limits;
	enum parser_state state;
	enum command_class class;

	struct imap_command *cmd;	/* being read */
	struct imap_command *done;	/* returned, not yet taken */
	struct imap_arg root;		/* the top level, as a list */
	struct parser_level *levels;	/* [0] is root */
	unsigned int depth;
	unsigned int arg_total;
	size_t line_len;
	uint64_t literal_total;

	struct buf tok;			/* the token being read */
	struct buf tag;
	struct imap_utf8_state utf8;

	struct imap_parser_literal literal;
	uint64_t literal_left;
	bool pending_continue;
	bool pending_literal_end;
	const void *chunk;
	size_t chunk_size;

	enum tail_state tail;
	uint64_t tail_size;
	bool tail_nonsync;
	unsigned int tail_digits;
	unsigned int literal_digits;
	uint64_t skip_left;

	struct imap_parse_error error;
};

struct imap_parser *imap_parser_new(const struct imap_parser_limits *limits)
{
	struct imap_parser *p = xcalloc(1, sizeof(*p));

	p->limits = limits != NULL ? *limits : imap_parser_default_limits;
	if (p->limits.max_depth > IMAP_PARSER_DEPTH_CAP)
		p->limits.max_depth = IMAP_PARSER_DEPTH_CAP;
	p->levels = xcalloc(p->limits.max_depth + 1, sizeof(*p->levels));
	p->state = PS_LINE_START;
	return p;
}

static void parser_discard_command(struct imap_parser *p)
{
	if (p->cmd != NULL) {
		p->cmd->args = NULL;
		imap_command_free(&p->cmd);
	}
	imap_arg_list_free(p->root.u.list);
	memset(&p->root, 0, sizeof(p->root));
	p->depth = 0;
	p->arg_total = 0;
	p->line_len = 0;
	p->literal_total = 0;
	buf_clear(&p->tok);
}

void imap_parser_free(struct imap_parser **pp)
{
	struct imap_parser *p = *pp;

	if (p == NULL)
		return;
	*pp = NULL;
	parser_discard_command(p);
	imap_command_free(&p->done);
	buf_free(&p->tok);
	buf_free(&p->tag);
	free(p->levels);
	free(p);
}

static void parser_begin_command(struct imap_parser *p)
{
	parser_discard_command(p);
	p->cmd = xcalloc(1, sizeof(*p->cmd));
	p->root.type = IMAP_ARG_LIST;
	p->root.u.list = xcalloc(4, sizeof(struct imap_arg));
	p->levels[0].list = &p->root;
	p->levels[0].cap = 3;
	p->class = CLASS_PLAIN;
	buf_clear(&p->tag);
}

/* The command's top level is kept in `root` while it grows. */
static void parser_sync_args(struct imap_parser *p)
{
	p->cmd->args = p->root.u.list;
	p->cmd->arg_count = (size_t)p->root.len;
}

static void tail_reset(struct imap_parser *p)
{
	p->tail = TAIL_NONE;
}

/* Returns true at the LF of a line that ended in a non-synchronising
 * literal's header. */
static bool tail_feed(struct imap_parser *p, unsigned char c)
{
	switch (p->tail) {
	case TAIL_DIGITS:
		if (c >= '0' && c <= '9') {
			/* Saturate: a size this large only ever means
			 * "disconnect", never a number to use. */
			if (p->tail_size <= IMAP_NUMBER64_MAX / 10)
				p->tail_size = p->tail_size * 10 + (c - '0');
			else
				p->tail_size = UINT64_MAX;
			p->tail_digits++;
			return false;
		}
		if (c == '+' && p->tail_digits > 0) {
			p->tail = TAIL_PLUS;
			return false;
		}
		if (c == '}' && p->tail_digits > 0) {
			p->tail_nonsync = false;
			p->tail = TAIL_CLOSE;
			return false;
		}
		break;
	case TAIL_PLUS:
		if (c == '}') {
			p->tail_nonsync = true;
			p->tail = TAIL_CLOSE;
			return false;
		}
		break;
	case TAIL_CLOSE:
	case TAIL_CR:
		if (c == '\r' && p->tail == TAIL_CLOSE) {
			p->tail = TAIL_CR;
			return false;
		}
		if (c == '\n') {
			p->tail = TAIL_NONE;
			return p->tail_nonsync;
		}
		break;
	case TAIL_NONE:
		break;
	}
	p->tail = TAIL_NONE;
	if (c == '{') {
		p->tail = TAIL_DIGITS;
		p->tail_size = 0;
		p->tail_digits = 0;
	}
	return false;
}

static const char *error_text(enum imap_parse_error_kind kind)
{
	switch (kind) {
	case IMAP_PARSE_ERROR_SYNTAX:
		return "Syntax error in command";
	case IMAP_PARSE_ERROR_LINE_TOO_LONG:
		return "Command line too long";
	case IMAP_PARSE_ERROR_TOO_DEEP:
		return "Too deeply nested lists";
	case IMAP_PARSE_ERROR_TOO_MANY_ARGS:
		return "Too many arguments";
	case IMAP_PARSE_ERROR_LITERAL_TOO_BIG:
		return "Literal too big";
	case IMAP_PARSE_ERROR_NONSYNC_TOO_BIG:
		return "Non-synchronizing literal over 4096 bytes (LITERAL-)";
	case IMAP_PARSE_ERROR_APPEND_TOO_BIG:
		return "Message too big";
	}
	return "Error in command";
}

/* Records an error and starts discarding the rest of the command.  When the
 * error is about the current byte, it is not consumed, so the skipping
 * state sees it (it may be the line's LF). */
static enum imap_parser_event
parser_fail(struct imap_parser *p, enum imap_parse_error_kind kind,
	    const char *text)
{
	p->error.kind = kind;
	p->error.tag = p->tag.len > 0 && p->state != PS_TAG ?
		buf_cstr(&p->tag) : NULL;
	p->error.text = text != NULL ? text : error_text(kind);
	p->error.disconnect = false;
	p->error.reply = "BAD";
	if (kind == IMAP_PARSE_ERROR_APPEND_TOO_BIG)
		p->error.reply = "NO [TOOBIG]";
	else if (kind == IMAP_PARSE_ERROR_NONSYNC_TOO_BIG &&
		 p->class == CLASS_APPEND)
		p->error.reply = "BAD [TOOBIG]";
	p->state = PS_SKIP_LINE;
	p->skip_left = 0;
	buf_clear(&p->tok);
	return IMAP_PARSER_ERROR;
}

/* A literal can't be taken: a synchronising one ends the command here (the
 * client waits for a "+" it won't get); a non-synchronising one is on its
 * way and is skipped along with the rest of the command. */
static void parser_skip_literal(struct imap_parser *p)
{
	if (p->literal.nonsync) {
		p->skip_left = p->literal.size;
		p->state = PS_SKIP_LITERAL;
		if (p->literal.size > p->limits.max_discard_size)
			p->error.disconnect = true;
	} else {
		p->state = PS_LINE_START;
	}
	tail_reset(p);
}

static enum imap_parser_event
parser_fail_literal(struct imap_parser *p, enum imap_parse_error_kind kind)
{
	parser_fail(p, kind, NULL);
	parser_skip_literal(p);
	return IMAP_PARSER_ERROR;
}

static struct imap_arg *parser_add_arg(struct imap_parser *p)
{
	struct parser_level *lv = &p->levels[p->depth];
	struct imap_arg *list = lv->list;
	struct imap_arg *arg;

	if (p->arg_total >= p->limits.max_args)
		return NULL;
	p->arg_total++;
	if (list->len == lv->cap) {
		lv->cap *= 2;
		list->u.list = xrealloc(list->u.list,
					(lv->cap + 1) * sizeof(*arg));
	}
	arg = &list->u.list[list->len++];
	memset(arg, 0, 2 * sizeof(*arg));	/* the arg and the EOL */
	return arg;
}

static enum imap_parser_event parser_add_token(struct imap_parser *p,
					       enum imap_arg_type type)
{
	struct imap_arg *arg = parser_add_arg(p);

	if (arg == NULL)
		return parser_fail(p, IMAP_PARSE_ERROR_TOO_MANY_ARGS, NULL);
	arg->len = p->tok.len;
	arg->u.str = buf_steal(&p->tok);
	arg->type = type;
	if (type == IMAP_ARG_ATOM && arg->len == 3 &&
	    (arg->u.str[0] | 0x20) == 'n' && (arg->u.str[1] | 0x20) == 'i' &&
	    (arg->u.str[2] | 0x20) == 'l')
		arg->type = IMAP_ARG_NIL;
	return IMAP_PARSER_MORE;
}

static enum imap_parser_event parser_open_list(struct imap_parser *p)
{
	struct imap_arg *arg;

	if (p->depth >= p->limits.max_depth)
		return parser_fail(p, IMAP_PARSE_ERROR_TOO_DEEP, NULL);
	arg = parser_add_arg(p);
	if (arg == NULL)
		return parser_fail(p, IMAP_PARSE_ERROR_TOO_MANY_ARGS, NULL);
	arg->type = IMAP_ARG_LIST;
	arg->u.list = xcalloc(4, sizeof(*arg));
	p->depth++;
	p->levels[p->depth].list = arg;
	p->levels[p->depth].cap = 3;
	p->state = PS_LIST_START;
	return IMAP_PARSER_MORE;
}

static enum imap_parser_event parser_close_list(struct imap_parser *p)
{
	if (p->depth == 0)
		return parser_fail(p, IMAP_PARSE_ERROR_SYNTAX,
				   "Unexpected ')'");
	p->depth--;
	p->state = PS_AFTER_ARG;
	return IMAP_PARSER_MORE;
}

static enum imap_parser_event parser_end_line(struct imap_parser *p)
{
	if (p->depth > 0)
		return parser_fail(p, IMAP_PARSE_ERROR_SYNTAX,
				   "Missing ')'");
	parser_sync_args(p);
	p->done = p->cmd;
	p->cmd = NULL;
	memset(&p->root, 0, sizeof(p->root));
	p->state = PS_LINE_START;
	return IMAP_PARSER_COMMAND;
}

static void parser_set_class(struct imap_parser *p)
{
	const char *name = p->cmd->name;

	if (strcmp(name, "FETCH") == 0)
		p->class = CLASS_FETCH;
	else if (strcmp(name, "APPEND") == 0 || strcmp(name, "REPLACE") == 0)
		p->class = CLASS_APPEND;
	else
		p->class = CLASS_PLAIN;
}

/* The literal's header and its CRLF are in: check it against the limits
 * before a single byte of data is taken. */
static enum imap_parser_event parser_literal_header(struct imap_parser *p)
{
	const struct imap_parser_literal *lit = &p->literal;

	tail_reset(p);
	if (p->arg_total >= p->limits.max_args)
		return parser_fail_literal(p, IMAP_PARSE_ERROR_TOO_MANY_ARGS);
	if (lit->nonsync && p->limits.literal_minus &&
	    lit->size > IMAP_LITERAL_MINUS_MAX)
		return parser_fail_literal(p, IMAP_PARSE_ERROR_NONSYNC_TOO_BIG);
	if (p->class == CLASS_APPEND) {
		if (lit->size > p->limits.max_append_size)
			return parser_fail_literal(
				p, IMAP_PARSE_ERROR_APPEND_TOO_BIG);
		parser_sync_args(p);
		p->state = PS_LITERAL_DECIDE;
		return IMAP_PARSER_LITERAL;
	}
	if (imap_parser_literal_buffer(p) < 0)
		return parser_fail_literal(p, IMAP_PARSE_ERROR_LITERAL_TOO_BIG);
	if (p->pending_continue) {
		p->pending_continue = false;
		return IMAP_PARSER_CONTINUE;
	}
	return IMAP_PARSER_MORE;
}

static enum imap_parser_event parser_literal_done(struct imap_parser *p,
						  enum imap_arg_type type)
{
	struct imap_arg *arg = parser_add_arg(p);

	/* The header already checked there was room. */
	if (arg == NULL)
		log_panic("imap parser: literal without an argument slot");
	arg->type = type;
	arg->flags = (p->literal.literal8 ? IMAP_ARG_LITERAL8 : 0) |
		(p->literal.nonsync ? IMAP_ARG_NONSYNC : 0);
	if (type == IMAP_ARG_LITERAL) {
		arg->len = p->tok.len;
		arg->u.str = buf_steal(&p->tok);
	} else {
		arg->len = p->literal.size;
	}
	p->state = PS_AFTER_ARG;
	return IMAP_PARSER_MORE;
}

int imap_parser_literal_buffer(struct imap_parser *p)
{
	uint64_t size = p->literal.size;

	if (size > p->limits.max_literal_size ||
	    size > p->limits.max_literal_total - p->literal_total)
		return -1;
	p->literal_total += size;
	p->literal_left = size;
	p->pending_continue = !p->literal.nonsync;
	buf_clear(&p->tok);
	p->state = PS_LITERAL_DATA;
	return 0;
}

void imap_parser_literal_stream(struct imap_parser *p)
{
	if (p->state != PS_LITERAL_DECIDE)
		log_panic("imap parser: literal_stream without a literal");
	p->literal_left = p->literal.size;
	p->pending_continue = !p->literal.nonsync;
	p->pending_literal_end = p->literal.size == 0;
	p->state = PS_LITERAL_STREAM;
}

bool imap_parser_literal_refuse(struct imap_parser *p)
{
	if (p->state != PS_LITERAL_DECIDE)
		log_panic("imap parser: literal_refuse without a literal");
	parser_skip_literal(p);
	return p->literal.nonsync &&
		p->literal.size > p->limits.max_discard_size;
}

/* One byte of a command line.  Sets *consumed to false when the byte must
 * be looked at again in the state the step left (after an error). */
static enum imap_parser_event parser_byte(struct imap_parser *p,
					  unsigned char c, bool *consumed);

static bool parser_atom_char(unsigned char c);
static enum imap_parser_event parser_atom(struct imap_parser *p,
					  unsigned char c, bool *consumed);

static enum imap_parser_event parser_arg_start(struct imap_parser *p,
					       unsigned char c)
{
	bool consumed;

	switch (c) {
	case '"':
		p->state = PS_QUOTED;
		memset(&p->utf8, 0, sizeof(p->utf8));
		return IMAP_PARSER_MORE;
	case '(':
		return parser_open_list(p);
	case '{':
		p->literal.literal8 = false;
		p->literal.size = 0;
		p->literal_digits = 0;
		p->state = PS_LITERAL_SIZE;
		return IMAP_PARSER_MORE;
	case '~':
		if (p->class == CLASS_APPEND) {
			p->state = PS_LITERAL8;
			return IMAP_PARSER_MORE;
		}
		break;
	case '\\':
		/* flag = "\" atom (RFC 9051 section 9) */
		buf_append_char(&p->tok, (char)c);
		p->state = PS_ATOM;
		return IMAP_PARSER_MORE;
	default:
		break;
	}
	if (!parser_atom_char(c))
		return parser_fail(p, IMAP_PARSE_ERROR_SYNTAX,
				   "Expected an argument");
	p->state = PS_ATOM;
	return parser_atom(p, c, &consumed);
}

/* Atoms also take the list wildcards (LIST patterns, "1:*") and "]"
 * (astrings); the command code checks the stricter grammar it needs. */
static bool parser_atom_char(unsigned char c)
{
	return imap_is_atom_char(c) || c == '*' || c == '%' || c == ']';
}

static enum imap_parser_event parser_atom(struct imap_parser *p,
					  unsigned char c, bool *consumed)
{
	enum imap_parser_event ev;

	if (parser_atom_char(c)) {
		if (c == '[' && p->class == CLASS_FETCH)
			p->state = PS_SECTION;
		buf_append_char(&p->tok, (char)c);
		return IMAP_PARSER_MORE;
	}
	if (p->tok.len == 1 && p->tok.data[0] == '\\')
		return parser_fail(p, IMAP_PARSE_ERROR_SYNTAX, "Empty flag");
	if (c == ' ' || c == ')' || c == '\r' || c == '\n') {
		ev = parser_add_token(p, IMAP_ARG_ATOM);
		if (ev != IMAP_PARSER_MORE)
			return ev;
		p->state = PS_AFTER_ARG;
		*consumed = false;
		return IMAP_PARSER_MORE;
	}
	return parser_fail(p, IMAP_PARSE_ERROR_SYNTAX,
			   "Invalid character in atom");
}

/* BODY[HEADER.FIELDS (From "X-Y")]: the section is kept as text in the atom
 * and parsed by the FETCH code.  Literals are not taken here. */
static enum imap_parser_event parser_section(struct imap_parser *p,
					     unsigned char c)
{
	if (p->state == PS_SECTION_QUOTED_ESC) {
		if (c != '"' && c != '\\')
			return parser_fail(p, IMAP_PARSE_ERROR_SYNTAX,
					   "Invalid escape in quoted string");
		p->state = PS_SECTION_QUOTED;
	} else if (c < 0x20 || c >= 0x7f) {
		return parser_fail(p, IMAP_PARSE_ERROR_SYNTAX,
				   "Invalid character in section");
	} else if (p->state == PS_SECTION_QUOTED) {
		if (c == '"')
			p->state = PS_SECTION;
		else if (c == '\\')
			p->state = PS_SECTION_QUOTED_ESC;
	} else if (c == '"') {
		p->state = PS_SECTION_QUOTED;
	} else if (c == ']') {
		p->state = PS_ATOM;
	} else if (c == '[' || c == '{') {
		return parser_fail(p, IMAP_PARSE_ERROR_SYNTAX,
				   "Invalid character in section");
	}
	buf_append_char(&p->tok, (char)c);
	return IMAP_PARSER_MORE;
}

static enum imap_parser_event parser_quoted(struct imap_parser *p,
					    unsigned char c)
{
	if (p->state == PS_QUOTED_ESC) {
		/* RFC 9051 section 9: only quoted-specials are escaped. */
		if (c != '"' && c != '\\')
			return parser_fail(p, IMAP_PARSE_ERROR_SYNTAX,
					   "Invalid escape in quoted string");
		buf_append_char(&p->tok, (char)c);
		p->state = PS_QUOTED;
		return IMAP_PARSER_MORE;
	}
	if (c == '"' && imap_utf8_complete(&p->utf8)) {
		enum imap_parser_event ev =
			parser_add_token(p, IMAP_ARG_QUOTED);
		if (ev == IMAP_PARSER_MORE)
			p->state = PS_AFTER_ARG;
		return ev;
	}
	if (c == '\\' && imap_utf8_complete(&p->utf8)) {
		p->state = PS_QUOTED_ESC;
		return IMAP_PARSER_MORE;
	}
	/* TEXT-CHAR excludes CR, LF and NUL; 8-bit must be UTF-8. */
	if (c == '\r' || c == '\n' || c == '\0' ||
	    imap_utf8_step(&p->utf8, c) < 0)
		return parser_fail(p, IMAP_PARSE_ERROR_SYNTAX,
				   "Invalid character in quoted string");
	buf_append_char(&p->tok, (char)c);
	return IMAP_PARSER_MORE;
}

static enum imap_parser_event parser_literal_size(struct imap_parser *p,
						  unsigned char c)
{
	switch (p->state) {
	case PS_LITERAL8:
		if (c != '{')
			return parser_fail(p, IMAP_PARSE_ERROR_SYNTAX,
					   "Expected '{' after '~'");
		p->literal.literal8 = true;
		p->literal.size = 0;
		p->literal_digits = 0;
		p->state = PS_LITERAL_SIZE;
		return IMAP_PARSER_MORE;
	case PS_LITERAL_SIZE:
		if (c >= '0' && c <= '9') {
			if (p->literal.size > (IMAP_NUMBER64_MAX - 9) / 10)
				return parser_fail(p,
					IMAP_PARSE_ERROR_LITERAL_TOO_BIG,
					"Literal size out of range");
			p->literal.size = p->literal.size * 10 + (c - '0');
			p->literal_digits++;
			return IMAP_PARSER_MORE;
		}
		if (p->literal_digits > 0 && (c == '+' || c == '}')) {
			p->literal.nonsync = c == '+';
			p->state = c == '+' ? PS_LITERAL_PLUS : PS_LITERAL_CR;
			return IMAP_PARSER_MORE;
		}
		break;
	case PS_LITERAL_PLUS:
		if (c == '}') {
			p->state = PS_LITERAL_CR;
			return IMAP_PARSER_MORE;
		}
		break;
	case PS_LITERAL_CR:
		if (c == '\r') {
			p->state = PS_LITERAL_LF;
			return IMAP_PARSER_MORE;
		}
		if (c == '\n')
			return parser_literal_header(p);
		break;
	case PS_LITERAL_LF:
		if (c == '\n')
			return parser_literal_header(p);
		break;
	default:
		break;
	}
	return parser_fail(p, IMAP_PARSE_ERROR_SYNTAX, "Invalid literal");
}

static enum imap_parser_event parser_name(struct imap_parser *p,
					  unsigned char c, bool *consumed)
{
	if (c == ' ' || c == '\r' || c == '\n') {
		if (p->tok.len == 0)
			return parser_fail(p, IMAP_PARSE_ERROR_SYNTAX,
					   "Missing command name");
		if (strcmp(buf_cstr(&p->tok), "UID") == 0 && !p->cmd->uid) {
			if (c != ' ')
				return parser_fail(p, IMAP_PARSE_ERROR_SYNTAX,
						   "UID needs a command");
			p->cmd->uid = true;
			buf_clear(&p->tok);
			return IMAP_PARSER_MORE;
		}
		p->cmd->name = buf_steal(&p->tok);
		parser_set_class(p);
		if (c == ' ') {
			p->state = PS_ARG_START;
			return IMAP_PARSER_MORE;
		}
		p->state = PS_AFTER_ARG;
		*consumed = false;
		return IMAP_PARSER_MORE;
	}
	if (!imap_is_atom_char(c))
		return parser_fail(p, IMAP_PARSE_ERROR_SYNTAX,
				   "Invalid command name");
	if (c >= 'a' && c <= 'z')
		c = (unsigned char)(c - 'a' + 'A');
	buf_append_char(&p->tok, (char)c);
	return IMAP_PARSER_MORE;
}

static enum imap_parser_event parser_tag(struct imap_parser *p,
					 unsigned char c)
{
	if (c == ' ' && p->tag.len > 0) {
		p->cmd->tag = xstrndup(p->tag.data, p->tag.len);
		p->state = PS_NAME;
		return IMAP_PARSER_MORE;
	}
	/* tag = 1*<any ASTRING-CHAR except "+"> */
	if (!imap_is_astring_char(c) || c == '+')
		return parser_fail(p, IMAP_PARSE_ERROR_SYNTAX, "Invalid tag");
	buf_append_char(&p->tag, (char)c);
	return IMAP_PARSER_MORE;
}

static enum imap_parser_event parser_after_arg(struct imap_parser *p,
					       unsigned char c)
{
	switch (c) {
	case ' ':
		p->state = PS_ARG_START;
		return IMAP_PARSER_MORE;
	case ')':
		return parser_close_list(p);
	case '\r':
		p->state = PS_CR;
		return IMAP_PARSER_MORE;
	case '\n':
		return parser_end_line(p);
	default:
		return parser_fail(p, IMAP_PARSE_ERROR_SYNTAX,
				   "Missing space between arguments");
	}
}

static enum imap_parser_event parser_byte(struct imap_parser *p,
					  unsigned char c, bool *consumed)
{
	*consumed = true;
	if (p->state == PS_LINE_START) {
		/* Empty lines between commands are ignored. */
		if (c == '\r' || c == '\n')
			return IMAP_PARSER_MORE;
		parser_begin_command(p);
		p->state = PS_TAG;
	}
	if (++p->line_len > p->limits.max_line_length) {
		*consumed = false;
		return parser_fail(p, IMAP_PARSE_ERROR_LINE_TOO_LONG, NULL);
	}
	switch (p->state) {
	case PS_TAG:
		return parser_tag(p, c);
	case PS_NAME:
		return parser_name(p, c, consumed);
	case PS_ARG_START:
		return parser_arg_start(p, c);
	case PS_LIST_START:
		if (c == ')')
			return parser_close_list(p);
		return parser_arg_start(p, c);
	case PS_AFTER_ARG:
		return parser_after_arg(p, c);
	case PS_ATOM:
		return parser_atom(p, c, consumed);
	case PS_SECTION:
	case PS_SECTION_QUOTED:
	case PS_SECTION_QUOTED_ESC:
		return parser_section(p, c);
	case PS_QUOTED:
	case PS_QUOTED_ESC:
		return parser_quoted(p, c);
	case PS_LITERAL8:
	case PS_LITERAL_SIZE:
	case PS_LITERAL_PLUS:
	case PS_LITERAL_CR:
	case PS_LITERAL_LF:
		return parser_literal_size(p, c);
	case PS_CR:
		if (c == '\n')
			return parser_end_line(p);
		return parser_fail(p, IMAP_PARSE_ERROR_SYNTAX,
				   "CR without LF");
	default:
		log_panic("imap parser: byte in state %d", (int)p->state);
	}
}

/* Resynchronising: nothing is kept, only the line's end is looked for. */
static void parser_skip(struct imap_parser *p, const unsigned char *data,
			size_t size, size_t *pos)
{
	while (*pos < size) {
		if (p->state == PS_SKIP_LITERAL) {
			uint64_t n = size - *pos;

			if (n > p->skip_left)
				n = p->skip_left;
			*pos += (size_t)n;
			p->skip_left -= n;
			if (p->skip_left == 0)
				p->state = PS_SKIP_LINE;
			continue;
		}
		unsigned char c = data[(*pos)++];
		bool literal = tail_feed(p, c);

		if (literal) {
			p->skip_left = p->tail_size;
			p->state = PS_SKIP_LITERAL;
		} else if (c == '\n') {
			p->state = PS_LINE_START;
			return;
		}
	}
}

static enum imap_parser_event parser_literal_data(struct imap_parser *p,
						  const unsigned char *data,
						  size_t size, size_t *pos)
{
	uint64_t n = size - *pos;

	if (n > p->literal_left)
		n = p->literal_left;
	/* RFC 9051 section 9: a literal is CHAR8, no NUL; only literal8
	 * may carry one. */
	if (!p->literal.literal8 && memchr(data + *pos, '\0', (size_t)n)) {
		p->literal.size = p->literal_left;
		parser_fail(p, IMAP_PARSE_ERROR_SYNTAX, "NUL in literal");
		p->literal.nonsync = true;	/* the rest is on its way */
		parser_skip_literal(p);
		return IMAP_PARSER_ERROR;
	}
	buf_append(&p->tok, data + *pos, (size_t)n);
	*pos += (size_t)n;
	p->literal_left -= n;
	if (p->literal_left == 0)
		return parser_literal_done(p, IMAP_ARG_LITERAL);
	return IMAP_PARSER_MORE;
}

enum imap_parser_event imap_parser_run(struct imap_parser *p, const void *input,
				       size_t size, size_t *consumed_r)
{
	const unsigned char *data = input;
	enum imap_parser_event ev = IMAP_PARSER_MORE;
	size_t pos = 0;
	bool consumed;

	*consumed_r = 0;
	imap_command_free(&p->done);
	if (p->state == PS_LITERAL_DECIDE)
		log_panic("imap parser: literal announced but not decided");
	if (p->pending_continue) {
		p->pending_continue = false;
		return IMAP_PARSER_CONTINUE;
	}
	if (p->pending_literal_end) {
		p->pending_literal_end = false;
		parser_literal_done(p, IMAP_ARG_LITERAL_STREAMED);
		return IMAP_PARSER_LITERAL_END;
	}
	while (pos < size && ev == IMAP_PARSER_MORE) {
		switch (p->state) {
		case PS_SKIP_LINE:
		case PS_SKIP_LITERAL:
			parser_skip(p, data, size, &pos);
			break;
		case PS_LITERAL_DATA:
			ev = parser_literal_data(p, data, size, &pos);
			break;
		case PS_LITERAL_STREAM:
			p->chunk = data + pos;
			p->chunk_size = size - pos;
			if (p->chunk_size > p->literal_left)
				p->chunk_size = (size_t)p->literal_left;
			pos += p->chunk_size;
			p->literal_left -= p->chunk_size;
			p->pending_literal_end = p->literal_left == 0;
			ev = IMAP_PARSER_LITERAL_DATA;
			break;
		default:
			ev = parser_byte(p, data[pos], &consumed);
			/* A byte that broke the syntax may be the line's
			 * end: the resynchronising state must see it. */
			if (ev == IMAP_PARSER_ERROR &&
			    p->state == PS_SKIP_LINE)
				consumed = false;
			if (consumed) {
				tail_feed(p, data[pos]);
				pos++;
			} else if (p->line_len > 0) {
				/* it will be counted again */
				p->line_len--;
			}
			break;
		}
	}
	*consumed_r = pos;
	return ev;
}

const struct imap_command *imap_parser_command(struct imap_parser *p)
{
	if (p->done != NULL)
		return p->done;
	if (p->state == PS_LITERAL_DECIDE) {
		parser_sync_args(p);
		return p->cmd;
	}
	return NULL;
}

struct imap_command *imap_parser_take_command(struct imap_parser *p)
{
	struct imap_command *cmd = p->done;

	p->done = NULL;
	return cmd;
}

const struct imap_parse_error *imap_parser_error(const struct imap_parser *p)
{
	return &p->error;
}

const struct imap_parser_literal *
imap_parser_literal(const struct imap_parser *p)
{
	return &p->literal;
}

void imap_parser_chunk(const struct imap_parser *p, const void **data_r,
		       size_t *size_r)
{
	*data_r = p->chunk;
	*size_r = p->chunk_size;
}
