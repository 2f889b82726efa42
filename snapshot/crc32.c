/* crc32.c: slicing-by-8 CRC-32. The eight 256-entry tables (8 KiB) are
 * built on the first call: a constant table would be 2048 literals, and
 * building them takes microseconds. The first caller builds them while
 * others wait, so concurrent first calls on several CPUs are safe. */
#include <string.h>

#include "snapshot/crc32.h"

#define POLY 0xEDB88320u

static uint32_t table[8][256];
static int table_state;    /* 0 = empty, 1 = being built, 2 = ready */

static void build_tables(void)
{
	for (uint32_t n = 0; n < 256; n++) {
		uint32_t c = n;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (POLY & (0u - (c & 1)));
		table[0][n] = c;
	}
	/* table[k][n]: the crc of byte n followed by k zero bytes. */
	for (int k = 1; k < 8; k++)
		for (uint32_t n = 0; n < 256; n++) {
			uint32_t prev = table[k - 1][n];
			table[k][n] = (prev >> 8) ^ table[0][prev & 0xff];
		}
}

static void ensure_tables(void)
{
	int expected = 0;

	if (__atomic_load_n(&table_state, __ATOMIC_ACQUIRE) == 2)
		return;
	if (__atomic_compare_exchange_n(&table_state, &expected, 1, 0,
					__ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)) {
		build_tables();
		__atomic_store_n(&table_state, 2, __ATOMIC_RELEASE);
		return;
	}
	while (__atomic_load_n(&table_state, __ATOMIC_ACQUIRE) != 2)
		__builtin_ia32_pause();
}

static inline uint32_t load_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

uint32_t crc32_update(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	ensure_tables();
	crc = ~crc;
	while (len && ((uintptr_t)p & 7)) {
		crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xff];
		len--;
	}
	/* Eight bytes a step: the crc folds into the first four, and each
	 * byte's contribution comes from the table for its distance to the
	 * end of the step. */
	while (len >= 8) {
		uint32_t lo = load_le32(p) ^ crc, hi = load_le32(p + 4);
		crc = table[7][lo & 0xff] ^ table[6][(lo >> 8) & 0xff] ^
		      table[5][(lo >> 16) & 0xff] ^ table[4][lo >> 24] ^
		      table[3][hi & 0xff] ^ table[2][(hi >> 8) & 0xff] ^
		      table[1][(hi >> 16) & 0xff] ^ table[0][hi >> 24];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xff];
	return ~crc;
}
