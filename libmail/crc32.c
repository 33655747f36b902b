#include "crc32.h"

#include <string.h>

/* Every cache entry a SEARCH reads is checked, so this is on the hot path
 * of large searches: the CPU's CRC-32C instruction where there is one
 * (SSE 4.2), else eight table lookups per 8 bytes ("slicing by 8") rather
 * than one per byte. */

static uint32_t crc32c_table[8][256];
static int crc32c_mode;		/* 0: not chosen, 1: tables, 2: instruction */

static void crc32c_init(void)
{
	uint32_t i, j, c;

	for (i = 0; i < 256; i++) {
		c = i;
		for (j = 0; j < 8; j++)
			c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
		crc32c_table[0][i] = c;
	}
	for (i = 0; i < 256; i++) {
		for (j = 1; j < 8; j++) {
			c = crc32c_table[j - 1][i];
			crc32c_table[j][i] = (c >> 8) ^ crc32c_table[0][c & 0xff];
		}
	}
	crc32c_mode = 1;
#if defined(__x86_64__) && defined(__GNUC__)
	if (__builtin_cpu_supports("sse4.2"))
		crc32c_mode = 2;
#endif
}

/* The running (inverted) value over p[0..len), by tables. */
static uint32_t crc32c_tables(uint32_t crc, const unsigned char *p,
			      size_t len)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	while (len >= 8) {
		uint64_t w;

		memcpy(&w, p, 8);
		w ^= crc;
		crc = crc32c_table[7][w & 0xff] ^
			crc32c_table[6][(w >> 8) & 0xff] ^
			crc32c_table[5][(w >> 16) & 0xff] ^
			crc32c_table[4][(w >> 24) & 0xff] ^
			crc32c_table[3][(w >> 32) & 0xff] ^
			crc32c_table[2][(w >> 40) & 0xff] ^
			crc32c_table[1][(w >> 48) & 0xff] ^
			crc32c_table[0][w >> 56];
		p += 8;
		len -= 8;
	}
#endif
	while (len-- > 0)
		crc = crc32c_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("sse4.2")))
static uint32_t crc32c_instruction(uint32_t crc, const unsigned char *p,
				   size_t len)
{
	uint64_t c = crc;

	while (len >= 8) {
		uint64_t w;

		memcpy(&w, p, 8);
		c = __builtin_ia32_crc32di(c, w);
		p += 8;
		len -= 8;
	}
	crc = (uint32_t)c;
	while (len-- > 0)
		crc = __builtin_ia32_crc32qi(crc, *p++);
	return crc;
}
#endif

uint32_t crc32c(uint32_t crc, const void *data, size_t len)
{
	if (crc32c_mode == 0)
		crc32c_init();
	if (len == 0)
		return crc;
#if defined(__x86_64__) && defined(__GNUC__)
	if (crc32c_mode == 2)
		return ~crc32c_instruction(~crc, data, len);
#endif
	return ~crc32c_tables(~crc, data, len);
}

uint32_t crc32c_portable(uint32_t crc, const void *data, size_t len)
{
	if (crc32c_mode == 0)
		crc32c_init();
	if (len == 0)
		return crc;
	return ~crc32c_tables(~crc, data, len);
}
