/* Unit tests for libmail/buf.c. */
#include "tap.h"
#include "buf.h"

#include <stdlib.h>

int main(void)
{
	struct buf b = BUF_INIT;
	char small[6];
	char *stolen;

	is_str(buf_cstr(&b), "", "empty buffer reads as empty string");
	is_int(b.len, 0, "empty buffer has length 0");

	buf_append(&b, "a\0b", 3);
	is_int(b.len, 3, "append keeps NUL bytes");
	ok(b.data[3] == '\0', "terminator after data");

	buf_clear(&b);
	buf_printf(&b, "%s=%d", "x", 42);
	is_str(buf_cstr(&b), "x=42", "printf formats");

	for (int i = 0; i < 10000; i++)
		buf_append_char(&b, 'z');
	is_int(b.len, 10004, "grows across many appends");

	buf_consume(&b, 4);
	is_int(b.len, 10000, "consume removes the front");
	ok(b.data[0] == 'z', "consume keeps the rest");
	buf_consume(&b, 20000);
	is_int(b.len, 0, "consume past the end empties");

	buf_append_str(&b, "hello");
	buf_truncate(&b, 2);
	is_str(buf_cstr(&b), "he", "truncate shortens");
	buf_truncate(&b, 10);
	is_str(buf_cstr(&b), "he", "truncate never lengthens");

	buf_clear(&b);
	buf_append_uint(&b, 0);
	buf_append_char(&b, ' ');
	buf_append_uint(&b, 7);
	buf_append_char(&b, ' ');
	buf_append_uint(&b, 4294967295u);
	buf_append_char(&b, ' ');
	buf_append_uint(&b, 18446744073709551615ull);
	is_str(buf_cstr(&b), "0 7 4294967295 18446744073709551615",
	       "append_uint writes what %llu writes, 0 and the maximum too");
	buf_truncate(&b, 2);

	stolen = buf_steal(&b);
	is_str(stolen, "0 ", "steal hands over the data");
	ok(b.data == NULL && b.len == 0, "steal empties the buffer");
	free(stolen);

	is_int(str_copy(small, sizeof(small), "12345"), 0, "str_copy fits");
	is_str(small, "12345", "str_copy copies");
	is_int(str_copy(small, sizeof(small), "123456"), -1,
	       "str_copy reports truncation");
	is_str(small, "", "truncated copy leaves empty string");
	is_int(str_format(small, sizeof(small), "%d", 12345), 0,
	       "str_format fits");
	is_int(str_format(small, sizeof(small), "%d", 123456), -1,
	       "str_format reports truncation");

	buf_free(&b);
	buf_free(&b);
	ok(1, "double free of an empty buffer is harmless");
	return tap_done();
}
