/* snap_crc32.c: crc32_update against known values and a bit-at-a-time
 * reference: every alignment and length around the 8-byte steps, chained
 * calls, and concurrent first calls (the lazily built tables). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "snapshot/crc32.h"

static uint32_t ref_crc(uint32_t crc, const uint8_t *p, size_t n)
{
	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = crc & 1 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
	}
	return ~crc;
}

static void *first_call(void *arg)
{
	*(uint32_t *)arg = crc32_update(0, "123456789", 9);
	return NULL;
}

/* Runs first so the tables are built by racing threads. */
static void test_concurrent_first_use(void **s)
{
	pthread_t th[4];
	uint32_t out[4];

	(void)s;
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, first_call,
						&out[i]), 0);
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(out[i], 0xCBF43926u);
	}
}

static void test_known_values(void **s)
{
	static const uint8_t zeros[32];

	(void)s;
	assert_int_equal(crc32_update(0, "", 0), 0);
	assert_int_equal(crc32_update(0, NULL, 0), 0);
	assert_int_equal(crc32_update(0, "123456789", 9), 0xCBF43926u);
	assert_int_equal(crc32_update(0, "a", 1), 0xE8B7BE43u);
	assert_int_equal(crc32_update(0, "The quick brown fox jumps over the "
				      "lazy dog", 43), 0x414FA339u);
	assert_int_equal(crc32_update(0, zeros, 32), 0x190A55ADu);
}

static void test_against_reference(void **s)
{
	uint8_t *buf = malloc(4096 + 16);

	(void)s;
	for (size_t i = 0; i < 4096 + 16; i++)
		buf[i] = (uint8_t)(i * 131 + (i >> 7) * 7);
	for (size_t off = 0; off < 9; off++)
		for (size_t len = 0; len < 80; len++)
			assert_int_equal(crc32_update(0, buf + off, len),
					 ref_crc(0, buf + off, len));
	for (size_t off = 0; off < 9; off++)
		assert_int_equal(crc32_update(0, buf + off, 4096),
				 ref_crc(0, buf + off, 4096));
	free(buf);
}

static void test_chaining(void **s)
{
	uint8_t buf[1000];
	uint32_t whole;

	(void)s;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i ^ 0x5a);
	whole = crc32_update(0, buf, sizeof(buf));
	for (size_t cut = 0; cut <= sizeof(buf); cut += 37) {
		uint32_t c = crc32_update(0, buf, cut);
		assert_int_equal(crc32_update(c, buf + cut, sizeof(buf) - cut),
				 whole);
	}
	/* a nonzero start value behaves like the reference */
	assert_int_equal(crc32_update(0x12345678u, buf, 999),
			 ref_crc(0x12345678u, buf, 999));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_concurrent_first_use),
		cmocka_unit_test(test_known_values),
		cmocka_unit_test(test_against_reference),
		cmocka_unit_test(test_chaining),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
