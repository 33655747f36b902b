/* Unit tests for libmail/crc32.c: the CRC-32C check value, pieces fed in
 * turn give the whole's value, and the instruction and the tables agree
 * at every length and alignment. */
#include "tap.h"
#include "crc32.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
	unsigned char data[600];
	bool agree = true, chained = true;

	/* RFC 3720 appendix B.4 and the usual check value. */
	is_int((int)(crc32c(0, "123456789", 9) == 0xe3069283u), 1,
	       "check value of \"123456789\"");
	is_int((int)(crc32c_portable(0, "123456789", 9) == 0xe3069283u), 1,
	       "the same by tables");
	memset(data, 0, 32);
	is_int((int)(crc32c(0, data, 32) == 0x8a9136aau), 1,
	       "32 zero bytes (RFC 3720 B.4)");
	memset(data, 0xff, 32);
	is_int((int)(crc32c(0, data, 32) == 0x62a8ab43u), 1,
	       "32 0xff bytes (RFC 3720 B.4)");
	is_int((int)crc32c(7, "", 0), 7, "nothing changes nothing");

	srand(2);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)rand();
	for (size_t off = 0; off < 9; off++) {
		for (size_t len = 0; off + len <= sizeof(data); len++) {
			uint32_t whole = crc32c(0, data + off, len);
			size_t cut = len / 3;

			if (whole != crc32c_portable(0, data + off, len))
				agree = false;
			if (whole != crc32c(crc32c(0, data + off, cut),
					    data + off + cut, len - cut))
				chained = false;
		}
	}
	ok(agree, "instruction and tables agree at every length and offset");
	ok(chained, "pieces fed in turn give the value of the whole");
	return tap_done();
}
