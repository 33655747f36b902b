#include "mime_decode.h"
#include "buf.h"

#include <string.h>
#include <strings.h>

enum mime_encoding mime_encoding_parse(const char *token, size_t len)
{
	static const struct {
		const char *name;
		enum mime_encoding enc;
	} names[] = {
		{ "7bit", MIME_ENCODING_7BIT },
		{ "8bit", MIME_ENCODING_8BIT },
		{ "binary", MIME_ENCODING_BINARY },
		{ "base64", MIME_ENCODING_BASE64 },
		{ "quoted-printable", MIME_ENCODING_QUOTED_PRINTABLE },
	};

	if (len == 0)
		return MIME_ENCODING_7BIT;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strlen(names[i].name) == len &&
		    strncasecmp(names[i].name, token, len) == 0)
			return names[i].enc;
	}
	return MIME_ENCODING_UNKNOWN;
}

enum qp_state {
	QP_NORMAL,
	QP_WS,		/* white space held: dropped if the line ends */
	QP_WS_CR,	/* white space and a CR held */
	QP_EQ,		/* '=' held */
	QP_EQ_HEX,	/* '=' and one hex digit held */
	QP_EQ_WS,	/* '=' and white space: a soft break, if EOL follows */
	QP_EQ_CR,	/* '=', maybe white space, and a CR */
};

void mime_decoder_init(struct mime_decoder *dec, enum mime_encoding encoding)
{
	memset(dec, 0, sizeof(*dec));
	dec->encoding = encoding;
	dec->qp_state = QP_NORMAL;
}

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Emits the whole bytes of a partial quantum: padding, the end of input,
 * or a new quantum after padding (concatenated base64 blocks are common in
 * the wild, so decoding goes on after '='). */
static void b64_flush(struct mime_decoder *dec, struct buf *out)
{
	unsigned int bits = dec->b64_bits;

	switch (dec->b64_count) {
	case 0:
		break;
	case 1:
		dec->invalid = true;	/* six bits make no byte */
		break;
	case 2:
		buf_append_char(out, (char)((bits >> 4) & 0xff));
		break;
	case 3:
		buf_append_char(out, (char)((bits >> 10) & 0xff));
		buf_append_char(out, (char)((bits >> 2) & 0xff));
		break;
	}
	dec->b64_bits = dec->b64_count = 0;
}

static void b64_feed(struct mime_decoder *dec, const unsigned char *p,
		     size_t len, struct buf *out)
{
	buf_reserve(out, len / 4 * 3 + 3);
	for (size_t i = 0; i < len; i++) {
		int v = b64_value(p[i]);

		if (v < 0) {
			if (p[i] == '=')
				b64_flush(dec, out);
			else if (p[i] != ' ' && p[i] != '\t' &&
				 p[i] != '\r' && p[i] != '\n')
				dec->invalid = true;
			continue;
		}
		dec->b64_bits = (dec->b64_bits << 6) | (unsigned int)v;
		if (++dec->b64_count == 4) {
			char q[3] = {
				(char)((dec->b64_bits >> 16) & 0xff),
				(char)((dec->b64_bits >> 8) & 0xff),
				(char)(dec->b64_bits & 0xff),
			};

			buf_append(out, q, 3);
			dec->b64_bits = dec->b64_count = 0;
		}
	}
}

static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	/* RFC 2045 section 6.7 asks for upper case but advises accepting
	 * lower case, as every decoder does. */
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static void qp_hold(struct mime_decoder *dec, char c)
{
	dec->qp_pending[dec->qp_pending_len++] = c;
}

static void qp_release(struct mime_decoder *dec, struct buf *out)
{
	buf_append(out, dec->qp_pending, dec->qp_pending_len);
	dec->qp_pending_len = 0;
	dec->qp_state = QP_NORMAL;
}

static void qp_drop(struct mime_decoder *dec)
{
	dec->qp_pending_len = 0;
	dec->qp_state = QP_NORMAL;
}

static bool is_ws(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* One byte in a held state.  Returns false when the byte was not used and
 * must be looked at again in the normal state. */
static bool qp_held_byte(struct mime_decoder *dec, unsigned char c,
			 struct buf *out)
{
	/* Held white space longer than any legal line (76) is not trailing
	 * space anyone meant: pass it on rather than hold without bound. */
	if (dec->qp_pending_len >= sizeof(dec->qp_pending) - 1) {
		dec->invalid = dec->invalid || dec->qp_state != QP_WS;
		qp_release(dec, out);
		return false;
	}
	switch (dec->qp_state) {
	case QP_WS:
		if (is_ws(c)) {
			qp_hold(dec, (char)c);
		} else if (c == '\r') {
			qp_hold(dec, (char)c);
			dec->qp_state = QP_WS_CR;
		} else if (c == '\n') {
			/* Rule 3: trailing white space is deleted. */
			qp_drop(dec);
			buf_append_char(out, '\n');
		} else {
			qp_release(dec, out);
			return false;
		}
		return true;
	case QP_WS_CR:
		if (c == '\n') {
			qp_drop(dec);
			buf_append(out, "\r\n", 2);
			return true;
		}
		qp_release(dec, out);
		return false;
	case QP_EQ:
		if (hex_value(c) >= 0) {
			qp_hold(dec, (char)c);
			dec->qp_state = QP_EQ_HEX;
		} else if (is_ws(c)) {
			qp_hold(dec, (char)c);
			dec->qp_state = QP_EQ_WS;
		} else if (c == '\r') {
			qp_hold(dec, (char)c);
			dec->qp_state = QP_EQ_CR;
		} else if (c == '\n') {
			qp_drop(dec);	/* soft line break, rule 5 */
		} else {
			dec->invalid = true;
			qp_release(dec, out);
			return false;
		}
		return true;
	case QP_EQ_HEX:
		if (hex_value(c) >= 0) {
			buf_append_char(out, (char)(hex_value(
				(unsigned char)dec->qp_pending[1]) * 16 +
				hex_value(c)));
			qp_drop(dec);
			return true;
		}
		dec->invalid = true;
		qp_release(dec, out);
		return false;
	case QP_EQ_WS:
		if (is_ws(c)) {
			qp_hold(dec, (char)c);
		} else if (c == '\r') {
			qp_hold(dec, (char)c);
			dec->qp_state = QP_EQ_CR;
		} else if (c == '\n') {
			qp_drop(dec);
		} else {
			dec->invalid = true;
			qp_release(dec, out);
			return false;
		}
		return true;
	case QP_EQ_CR:
		if (c == '\n') {
			qp_drop(dec);
			return true;
		}
		dec->invalid = true;
		qp_release(dec, out);
		return false;
	}
	return false;
}

static void qp_feed(struct mime_decoder *dec, const unsigned char *p,
		    size_t len, struct buf *out)
{
	size_t i = 0, run;

	while (i < len) {
		if (dec->qp_state != QP_NORMAL) {
			if (qp_held_byte(dec, p[i], out))
				i++;
			continue;
		}
		for (run = i; run < len; run++) {
			if (p[run] == '=' || is_ws(p[run]))
				break;
		}
		buf_append(out, p + i, run - i);
		if ((i = run) >= len)
			break;
		qp_hold(dec, (char)p[i]);
		dec->qp_state = p[i] == '=' ? QP_EQ : QP_WS;
		i++;
	}
}

static void qp_finish(struct mime_decoder *dec, struct buf *out)
{
	switch (dec->qp_state) {
	case QP_NORMAL:
		break;
	case QP_WS:
		/* The end of the data ends the last line: rule 3. */
		qp_drop(dec);
		break;
	case QP_EQ:
	case QP_EQ_WS:
	case QP_EQ_CR:
		/* A soft break at the very end, as encoders emit when the
		 * body has no final newline. */
		qp_drop(dec);
		break;
	case QP_WS_CR:
	case QP_EQ_HEX:
		dec->invalid = dec->invalid || dec->qp_state == QP_EQ_HEX;
		qp_release(dec, out);
		break;
	}
}

void mime_decoder_feed(struct mime_decoder *dec, const void *data, size_t len,
		       struct buf *out)
{
	switch (dec->encoding) {
	case MIME_ENCODING_BASE64:
		b64_feed(dec, data, len, out);
		break;
	case MIME_ENCODING_QUOTED_PRINTABLE:
		qp_feed(dec, data, len, out);
		break;
	default:
		buf_append(out, data, len);
		break;
	}
}

void mime_decoder_finish(struct mime_decoder *dec, struct buf *out)
{
	if (dec->encoding == MIME_ENCODING_BASE64)
		b64_flush(dec, out);
	else if (dec->encoding == MIME_ENCODING_QUOTED_PRINTABLE)
		qp_finish(dec, out);
}

static bool decode_all(enum mime_encoding enc, const void *data, size_t len,
		       struct buf *out)
{
	struct mime_decoder dec;

	mime_decoder_init(&dec, enc);
	mime_decoder_feed(&dec, data, len, out);
	mime_decoder_finish(&dec, out);
	return !dec.invalid;
}

bool mime_decode_base64(const void *data, size_t len, struct buf *out)
{
	return decode_all(MIME_ENCODING_BASE64, data, len, out);
}

bool mime_decode_qp(const void *data, size_t len, struct buf *out)
{
	return decode_all(MIME_ENCODING_QUOTED_PRINTABLE, data, len, out);
}
