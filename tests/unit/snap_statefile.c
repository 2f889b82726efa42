/* snap_statefile.c: the machine-state file (snapshot/statefile.h): round
 * trips, lookups, writer refusals (sticky), and the reader refusing every
 * truncation, every bit flip, a newer version, bad tags, nonzero padding
 * and trailing bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "snapshot/crc32.h"
#include "snapshot/le.h"
#include "snapshot/statefile.h"

static char err[256];

/* Three sections: "vcpu0" (100 bytes), "uart" (empty), "vcpu0" again. */
static size_t sample(struct sf_writer *w, const uint8_t **out)
{
	uint8_t data[100];
	const void *buf;
	size_t len;

	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 1);
	sf_writer_init(w);
	sf_add(w, "vcpu0", 3, data, sizeof(data));
	sf_add(w, "uart", 1, NULL, 0);
	sf_add(w, "vcpu0", 4, "second", 6);
	assert_int_equal(sf_writer_finish(w, &buf, &len), ST_OK);
	*out = buf;
	return len;
}

/* Fixes the header crc after an edit of the header. */
static void reseal(uint8_t *b)
{
	put_le32(b + 24, 0);
	put_le32(b + 24, crc32_update(0, b, 32));
}

static void test_round_trip(void **s)
{
	struct sf_writer w;
	struct sf_reader r;
	struct sf_section sec;
	const uint8_t *buf;
	size_t len = sample(&w, &buf);

	(void)s;
	/* 32 + (40 + 104) + 40 + (40 + 8) */
	assert_int_equal(len, 264);
	assert_memory_equal(buf, "SVSTATE1", 8);
	assert_int_equal(sf_reader_open(&r, buf, len, err, sizeof(err)),
			 ST_OK);
	assert_int_equal(r.nsections, 3);
	assert_int_equal(sf_find(&r, "vcpu0", &sec), ST_OK);
	assert_int_equal(sec.version, 3);
	assert_int_equal(sec.len, 100);
	assert_int_equal(sec.data[99], (uint8_t)(99 * 7 + 1));
	assert_ptr_equal(sec.data, buf + 32 + 40);
	assert_int_equal(sf_find(&r, "uart", &sec), ST_OK);
	assert_int_equal(sec.len, 0);
	assert_string_equal(sec.tag, "uart");
	assert_int_equal(sf_find(&r, "vcpu1", &sec), ST_ENOENT);
	assert_int_equal(sf_find(&r, "vcpu", &sec), ST_ENOENT);
	assert_int_equal(sf_section_at(&r, 2, &sec), ST_OK);
	assert_int_equal(sec.version, 4);
	assert_memory_equal(sec.data, "second", 6);
	assert_int_equal(sf_section_at(&r, 3, &sec), ST_ENOENT);
	sf_writer_free(&w);
	/* no sections at all */
	sf_writer_init(&w);
	assert_int_equal(sf_writer_finish(&w, (const void **)&buf, &len),
			 ST_OK);
	assert_int_equal(len, 32);
	assert_int_equal(sf_reader_open(&r, buf, len, err, sizeof(err)),
			 ST_OK);
	assert_int_equal(r.nsections, 0);
	assert_int_equal(sf_section_at(&r, 0, &sec), ST_ENOENT);
	sf_writer_free(&w);
}

/* Many sections make the buffer grow several times. */
static void test_growth(void **s)
{
	struct sf_writer w;
	struct sf_reader r;
	struct sf_section sec;
	uint8_t *data = malloc(70000);
	const void *buf;
	char tag[SF_TAG_MAX];
	size_t len;

	(void)s;
	for (unsigned i = 0; i < 70000; i++)
		data[i] = (uint8_t)(i >> 3);
	sf_writer_init(&w);
	for (unsigned i = 0; i < 200; i++) {
		snprintf(tag, sizeof(tag), "dev%u", i);
		sf_add(&w, tag, i, data, i * 350);
	}
	assert_int_equal(sf_writer_finish(&w, &buf, &len), ST_OK);
	assert_int_equal(sf_reader_open(&r, buf, len, err, sizeof(err)),
			 ST_OK);
	assert_int_equal(sf_find(&r, "dev199", &sec), ST_OK);
	assert_int_equal(sec.len, 199 * 350);
	assert_memory_equal(sec.data, data, sec.len);
	sf_writer_free(&w);
	free(data);
}

static void expect_add_refused(const char *tag, const void *data,
			       size_t len)
{
	struct sf_writer w;
	const void *buf;
	size_t n;

	sf_writer_init(&w);
	sf_add(&w, "ok", 1, "x", 1);
	sf_add(&w, tag, 1, data, len);
	sf_add(&w, "later", 1, "y", 1);      /* the error is sticky */
	assert_int_equal(sf_writer_finish(&w, &buf, &n), ST_EINVAL);
	sf_writer_free(&w);
}

static void test_writer_refusals(void **s)
{
	(void)s;
	expect_add_refused(NULL, "x", 1);
	expect_add_refused("", "x", 1);
	expect_add_refused("a23456789012345678901234", "x", 1);   /* 24 */
	expect_add_refused("has space", "x", 1);
	expect_add_refused("tab\t", "x", 1);
	expect_add_refused("ok", NULL, 5);
	expect_add_refused("ok", "x", (size_t)UINT32_MAX + 1);
}

static void expect_refused(const uint8_t *b, size_t len, status_t want,
			   const char *says)
{
	struct sf_reader r;
	status_t st;

	memset(err, 0, sizeof(err));
	st = sf_reader_open(&r, b, len, err, sizeof(err));
	if (st != want || !strstr(err, says))
		fail_msg("want %s '%s', got %s '%s'", status_str(want), says,
			 status_str(st), err);
}

static void test_reader_refusals(void **s)
{
	struct sf_writer w;
	const uint8_t *buf;
	size_t len = sample(&w, &buf);
	uint8_t *b = malloc(len + 8);

	(void)s;
	/* every truncation, every bit flip */
	for (size_t n = 0; n < len; n++)
		expect_refused(buf, n, ST_ECORRUPT, "");
	memcpy(b, buf, len);
	for (size_t i = 0; i < len; i++)
		for (int bit = 0; bit < 8; bit++) {
			struct sf_reader r;
			b[i] ^= (uint8_t)(1 << bit);
			status_t st = sf_reader_open(&r, b, len, NULL, 0);
			b[i] ^= (uint8_t)(1 << bit);
			if (st != ST_ECORRUPT && st != ST_EUNSUPP)
				fail_msg("flip of bit %d at %zu: %d", bit, i,
					 st);
		}
	expect_refused(b, 10, ST_ECORRUPT, "shorter than its header");
	memcpy(b, "SVSTATE2", 8);
	expect_refused(b, len, ST_ECORRUPT, "bad magic");
	memcpy(b, buf, len);
	put_le32(b + 8, 2);
	expect_refused(b, len, ST_EUNSUPP, "newer");
	put_le32(b + 8, 0);
	reseal(b);
	expect_refused(b, len, ST_ECORRUPT, "bad version");
	memcpy(b, buf, len);
	put_le32(b + 28, 1);
	reseal(b);
	expect_refused(b, len, ST_ECORRUPT, "reserved");
	/* trailing bytes, with total_len saying so */
	memcpy(b, buf, len);
	memset(b + len, 0, 8);
	put_le64(b + 16, len + 8);
	reseal(b);
	expect_refused(b, len + 8, ST_ECORRUPT, "8 bytes after the last");
	expect_refused(b, len, ST_ECORRUPT, "header says 272 bytes");
	/* one section more than there is */
	memcpy(b, buf, len);
	put_le32(b + 12, 4);
	reseal(b);
	expect_refused(b, len, ST_ECORRUPT, "section 3: cut short");
	/* a length running past the end */
	memcpy(b, buf, len);
	put_le32(b + 32 + 28, 5000);
	expect_refused(b, len, ST_ECORRUPT, "run past the end");
	/* padding not zero (outside every crc) */
	memcpy(b, buf, len);
	b[32 + 40 + 100] = 1;
	expect_refused(b, len, ST_ECORRUPT, "padding not zero");
	/* a tag of 24 characters (no NUL) or with junk after its NUL */
	memcpy(b, buf, len);
	memset(b + 32, 'a', 24);
	expect_refused(b, len, ST_ECORRUPT, "not terminated");
	memcpy(b, buf, len);
	b[32 + 20] = 'x';
	expect_refused(b, len, ST_ECORRUPT, "junk after the tag");
	memcpy(b, buf, len);
	b[32] = 0;
	expect_refused(b, len, ST_ECORRUPT, "tag empty");
	memcpy(b, buf, len);
	b[32 + 1] = ' ';
	expect_refused(b, len, ST_ECORRUPT, "bad tag");
	/* a section's data changed */
	memcpy(b, buf, len);
	b[32 + 40 + 5] ^= 0x10;
	expect_refused(b, len, ST_ECORRUPT, "section 0 (vcpu0): crc mismatch");
	/* NULL err is fine */
	assert_int_equal(sf_reader_open(&(struct sf_reader){0}, b, 3, NULL, 0),
			 ST_ECORRUPT);
	free(b);
	sf_writer_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_writer_refusals),
		cmocka_unit_test(test_reader_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
