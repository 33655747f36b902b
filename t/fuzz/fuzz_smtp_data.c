/*
 * libFuzzer entry point for the SMTP session's input after the commands
 * are parsed: command lines, DATA bodies (dot-stuffing, the end marker,
 * bare CR and LF, the size limit) and BDAT chunks, read through a real
 * stream the way smtpd reads them.  The first input byte sets the size
 * limit and the stream's input buffer, so short inputs reach both.
 *
 * What must hold: a message reported DONE never held a bare CR or LF and
 * never ended anywhere but at CR LF "." CR LF (the smuggling attacks), its
 * size is what was handed out, and nothing is handed out past the limit.
 */
#include "buf.h"
#include "log.h"
#include "stream.h"
#include "stream_data.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A pipe holds this much without a reader; longer inputs are cut. */
#define INPUT_MAX 60000

static void read_message(struct stream *s, uint64_t max_size)
{
	struct stream_data *d = stream_data_new(s, max_size);
	struct buf msg = BUF_INIT;
	enum stream_result res;
	const char *piece;
	size_t n;

	while ((res = stream_data_read(d, &piece, &n)) == STREAM_OK) {
		if (n == 0)
			log_panic("data: an empty piece");
		buf_append(&msg, piece, n);
	}
	if (stream_data_size(d) != msg.len)
		log_panic("data: size differs from what was handed out");
	if (msg.len > max_size)
		log_panic("data: handed out more than the limit");
	if (res == STREAM_DONE) {
		for (size_t i = 0; i < msg.len; i++) {
			if (msg.data[i] == '\n' &&
			    (i == 0 || msg.data[i - 1] != '\r'))
				log_panic("data: a bare LF in a good message");
			if (msg.data[i] == '\r' &&
			    (i + 1 == msg.len || msg.data[i + 1] != '\n'))
				log_panic("data: a bare CR in a good message");
		}
	}
	stream_data_free(&d);
	buf_free(&msg);
}

static void read_chunk(struct stream *s, unsigned long size)
{
	while (size > 0) {
		const char *p;
		size_t n;

		if (stream_read_bytes(s, size, &p, &n) != STREAM_OK)
			return;
		if (n == 0 || n > size)
			log_panic("bdat: a piece of the wrong size");
		size -= n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stream_settings set = stream_default_settings;
	struct stream *s;
	struct stream_line line;
	uint64_t max_size;
	int fds[2];

	if (size < 1)
		return 0;
	max_size = (data[0] & 0x0f) == 0 ? 1u << 20 : (data[0] & 0x0f) * 16u;
	set.input_max = (data[0] & 0x10) != 0 ? 1024 : 64 * 1024;
	data++;
	size--;
	if (size > INPUT_MAX)
		size = INPUT_MAX;
	if (pipe2(fds, O_CLOEXEC) < 0)
		log_fatal("pipe: %m");
	if (size > 0 && write(fds[1], data, size) != (ssize_t)size)
		log_fatal("write: %m");
	close(fds[1]);
	s = stream_new(NULL, fds[0], &set, NULL, NULL);
	for (;;) {
		enum stream_result res = stream_read_line(s, 510, &line);
		unsigned long chunk;
		char *end;

		if (res == STREAM_TOO_LONG)
			continue;
		if (res != STREAM_OK)
			break;
		if (line.len != strlen(line.data))
			continue;
		if (strcasecmp(line.data, "DATA") == 0) {
			read_message(s, max_size);
		} else if (strncasecmp(line.data, "BDAT ", 5) == 0) {
			chunk = strtoul(line.data + 5, &end, 10);
			if (end != line.data + 5 && chunk <= max_size)
				read_chunk(s, chunk);
		}
	}
	stream_free(&s);
	return 0;
}
