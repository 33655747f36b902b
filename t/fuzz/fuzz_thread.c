/* libFuzzer entry point for what SORT and THREAD read from messages: the
 * input is split at NUL bytes into up to 64 headers, whose keys (base
 * subject, sent date, addresses, Message-ID and references) are read and
 * then sorted and threaded both ways.  A reply chain, a loop or a
 * duplicate ID must never crash, hang or leave a message out, nor print
 * one twice.
 */
#include "buf.h"
#include "log.h"
#include "imapd/imap_msgkeys.h"
#include "imapd/imap_sort.h"
#include "imapd/imap_thread.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_MSGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every message number appears exactly once in the thread lists. */
static void fuzz_check_numbers(const char *out, size_t count)
{
	uint8_t seen[FUZZ_MAX_MSGS + 1] = { 0 };
	size_t total = 0;

	for (const char *p = out; *p != '\0'; p++) {
		unsigned long n;

		if (*p < '0' || *p > '9')
			continue;
		n = strtoul(p, (char **)&p, 10);
		p--;
		if (n == 0 || n > count || seen[n]++)
			log_panic("thread: bad or repeated number %lu in %s", n,
				  out);
		total++;
	}
	if (total != count)
		log_panic("thread: %zu of %zu messages", total, count);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imap_msgkeys keys[FUZZ_MAX_MSGS];
	const struct imap_msgkeys *ptrs[FUZZ_MAX_MSGS];
	struct imap_sort_program prog = { .count = 2 };
	struct buf out = BUF_INIT;
	size_t count = 0, pos = 0;

	while (pos < size && count < FUZZ_MAX_MSGS) {
		const char *start = (const char *)data + pos;
		const char *end = memchr(start, '\0', size - pos);
		size_t len = end != NULL ? (size_t)(end - start) : size - pos;

		memset(&keys[count], 0, sizeof(keys[count]));
		keys[count].seq = keys[count].uid = (uint32_t)count + 1;
		imap_msgkeys_from_header(start, len, IMAP_MSGKEYS_HEADER |
					 IMAP_MSGKEYS_THREAD, &keys[count]);
		ptrs[count] = &keys[count];
		count++;
		pos += len + 1;
	}
	for (int alg = 0; alg < 2; alg++) {
		buf_clear(&out);
		/* A small cap on references, so cut chains are covered. */
		imap_thread_run((enum imap_thread_alg)alg, ptrs, count,
				1 + size % 8, false, &out);
		fuzz_check_numbers(buf_cstr(&out), count);
	}
	prog.criteria[0].key = IMAP_SORT_SUBJECT;
	prog.criteria[1].key = IMAP_SORT_DISPLAYFROM;
	prog.criteria[1].reverse = true;
	imap_sort_run(&prog, ptrs, count);
	for (size_t i = 0; i < count; i++)
		imap_msgkeys_deinit(&keys[i]);
	buf_free(&out);
	return 0;
}
