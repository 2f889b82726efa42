/* snap_memimg.c: the memory image (snapshot/memimg.h) on in-memory files:
 * region rules, round trips with pages in random order (zero, compressible
 * and incompressible pages, records across the 1 MiB chunks), refused
 * puts, a full volume and a power cut (sticky errors). Damaged images:
 * snap_memimg_damage.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "snap_memimg_util.h"
#include "storage/blockfile_fault.h"

/* Pages whose records take more than the 1 MiB write buffer. */
#define NBIG 1500

static void test_regions(void **s)
{
	struct memimg_region rg[9];

	(void)s;
	rg[0] = (struct memimg_region){ 0, 0xA0000 };
	rg[1] = (struct memimg_region){ 0x100000, 0x7F00000 };
	assert_int_equal(memimg_npages(rg, 2), 0xA0 + 0x7F00);
	assert_int_equal(memimg_npages(rg, 0), 0);
	rg[1].gpa = 0x9F000;                         /* overlaps */
	assert_int_equal(memimg_npages(rg, 2), 0);
	rg[1].gpa = 0x100800;                        /* unaligned */
	assert_int_equal(memimg_npages(rg, 2), 0);
	rg[1] = (struct memimg_region){ 0x100000, 0x1800 };
	assert_int_equal(memimg_npages(rg, 2), 0);
	rg[1] = (struct memimg_region){ 0x100000, 0 };
	assert_int_equal(memimg_npages(rg, 2), 0);
	rg[1] = (struct memimg_region){ UINT64_MAX - 0xFFF, 0x2000 };
	assert_int_equal(memimg_npages(rg, 2), 0);
	for (unsigned i = 0; i < 9; i++)
		rg[i] = (struct memimg_region){ i * 0x10000ull, PG };
	assert_int_equal(memimg_npages(rg, 8), 8);
	assert_int_equal(memimg_npages(rg, 9), 0);
	/* the writer refuses what memimg_npages refuses */
	struct img t;
	struct memimg_writer *w;
	img_new(&t, 1 << 20);
	assert_int_equal(memimg_writer_open(t.bf, rg, 9, &w), ST_EINVAL);
	img_free(&t);
}

static void test_round_trip(void **s)
{
	struct memimg_region rg[2] = { { 0, 160 * PG },
				       { 0x100000, 90 * PG } };
	struct img t;
	uint64_t size;

	(void)s;
	img_new(&t, 64 << 20);
	write_image(&t, rg, 2, 7);
	verify_image(&t, rg, 2);
	/* 40% zero pages cost nothing; 20% random pages cost 4096 + 24 */
	assert_int_equal(bf_size(t.bf, &size), ST_OK);
	assert_true(size > PG + 50 * (PG + 24) + 250 * 8 + 64);
	assert_true(size < PG + 50 * (PG + 24) + 100 * 1200 + 250 * 8 + 64);
	img_free(&t);
}

/* Enough pages that records cross the 1 MiB write buffer and read chunks;
 * a file that was longer before is truncated by the writer. */
static void test_large(void **s)
{
	struct memimg_region rg[1] = { { 0x200000, 1500 * PG } };
	uint8_t junk[PG] = { 1 };
	struct img t;

	(void)s;
	img_new(&t, 64 << 20);
	for (unsigned i = 0; i < 3000; i++)
		assert_int_equal(bf_write(t.bf, (uint64_t)i * PG, junk, PG),
				 ST_OK);
	write_image(&t, rg, 1, 99);
	verify_image(&t, rg, 1);
	img_free(&t);
}

static void test_all_zero_and_all_random(void **s)
{
	struct memimg_region rg[1] = { { 0, 64 * PG } };
	struct memimg_writer *w;
	uint8_t *page = calloc(1, PG);
	uint32_t seed = 5;
	struct img t;
	uint64_t size;

	(void)s;
	img_new(&t, 4 << 20);
	assert_int_equal(memimg_writer_open(t.bf, rg, 1, &w), ST_OK);
	for (uint64_t i = 0; i < 64; i++)
		assert_int_equal(memimg_put_page(w, 63 - i, page), ST_OK);
	assert_int_equal(memimg_writer_finish(w), ST_OK);
	memimg_writer_free(w);
	assert_int_equal(bf_size(t.bf, &size), ST_OK);
	assert_int_equal(size, PG + 64 * 8 + 64);
	img_free(&t);
	img_new(&t, 4 << 20);
	assert_int_equal(memimg_writer_open(t.bf, rg, 1, &w), ST_OK);
	for (uint64_t i = 0; i < 64; i++) {
		for (unsigned k = 0; k < PG; k += 4)
			put_le32(page + k, rnd(&seed));
		assert_int_equal(memimg_put_page(w, i, page), ST_OK);
	}
	assert_int_equal(memimg_writer_finish(w), ST_OK);
	memimg_writer_free(w);
	assert_int_equal(bf_size(t.bf, &size), ST_OK);
	assert_int_equal(size, PG + 64 * (24 + PG) + 64 * 8 + 64);
	img_free(&t);
	free(page);
}

static void test_put_refusals(void **s)
{
	struct memimg_region rg[1] = { { 0, 8 * PG } };
	struct memimg_writer *w;
	uint8_t page[PG];
	struct img t;

	(void)s;
	img_new(&t, 1 << 20);
	assert_int_equal(memimg_writer_open(t.bf, rg, 1, &w), ST_OK);
	make_page(page, 3);
	assert_int_equal(memimg_put_page(w, 3, page), ST_OK);
	assert_int_equal(memimg_put_page(w, 3, page), ST_EINVAL);
	assert_int_equal(memimg_put_page(w, 8, page), ST_EINVAL);
	assert_int_equal(memimg_put_page(w, UINT64_MAX, page), ST_EINVAL);
	/* zero pages count as put too */
	make_page(page, 0);
	assert_int_equal(memimg_put_page(w, 0, page), ST_OK);
	assert_int_equal(memimg_put_page(w, 0, page), ST_EINVAL);
	/* not all pages: finish refuses, and the writer goes on */
	assert_int_equal(memimg_writer_finish(w), ST_EINVAL);
	for (uint64_t i = 1; i < 8; i++)
		if (i != 3) {
			make_page(page, i);
			assert_int_equal(memimg_put_page(w, i, page), ST_OK);
		}
	assert_int_equal(memimg_writer_finish(w), ST_OK);
	assert_int_equal(memimg_put_page(w, 1, page), ST_EINVAL);
	assert_int_equal(memimg_writer_finish(w), ST_EINVAL);
	memimg_writer_free(w);
	verify_image(&t, rg, 1);
	img_free(&t);
}

/* A volume of `max` bytes: the first failing put or finish says ENOSPC,
 * and every later call does too. */
static void full_volume(uint64_t max, int fail_in_finish)
{
	struct memimg_region rg[1] = { { 0, NBIG * PG } };
	struct memimg_writer *w;
	uint8_t page[PG];
	status_t st = ST_OK;
	struct img t;
	uint64_t i;

	img_new(&t, max);
	assert_int_equal(memimg_writer_open(t.bf, rg, 1, &w), ST_OK);
	for (i = 0; i < NBIG && st == ST_OK; i++) {
		make_page(page, i);
		st = memimg_put_page(w, i, page);
	}
	if (fail_in_finish) {
		assert_int_equal(st, ST_OK);
		st = memimg_writer_finish(w);
	}
	assert_int_equal(st, ST_ENOSPC);
	assert_int_equal(memimg_put_page(w, NBIG - 1, page), ST_ENOSPC);
	assert_int_equal(memimg_writer_finish(w), ST_ENOSPC);
	memimg_writer_free(w);
	assert_int_equal(memimg_reader_open(t.bf, &(struct memimg_reader *){0},
					    err, sizeof(err)), ST_ECORRUPT);
	assert_non_null(strstr(err, "incomplete image"));
	img_free(&t);
}

static void test_full_volume(void **s)
{
	struct memimg_region rg[1] = { { 0, NBIG * PG } };
	struct img t;
	uint64_t size;

	(void)s;
	/* the size a complete image takes */
	img_new(&t, 64 << 20);
	write_image(&t, rg, 1, 1);
	assert_int_equal(bf_size(t.bf, &size), ST_OK);
	img_free(&t);
	assert_true(size > (1 << 20));
	full_volume(256 << 10, 0);          /* the first buffer write fails */
	full_volume(size - 100, 1);         /* the footer does not fit */
	full_volume(size - NBIG * 8, 1);    /* nor the index */
	/* not even the header: open fails and leaves nothing to free */
	struct memimg_writer *w = NULL;
	img_new(&t, PG - 1);
	assert_int_equal(memimg_writer_open(t.bf, rg, 1, &w), ST_ENOSPC);
	assert_null(w);
	img_free(&t);
}

/* The power goes at the Nth write (1 header, 2-3 records, 4 index, 5
 * footer): EIO from then on, sticky. */
static void test_power_cut(void **s)
{
	struct memimg_region rg[1] = { { 0, NBIG * PG } };
	struct memimg_writer *w;
	struct bf_opener fop;
	struct fault_domain d;
	struct blockfile *bf;
	uint8_t page[PG];
	struct img t;

	(void)s;
	for (unsigned cut = 2; cut <= 5; cut++) {
		status_t st = ST_OK;
		img_new(&t, 64 << 20);
		fault_domain_init(&d, &t.op, cut, 0);
		fault_opener(&d, &fop);
		assert_int_equal(fop.open(fop.ctx, "cut.img", BF_CREATE, &bf),
				 ST_OK);
		assert_int_equal(memimg_writer_open(bf, rg, 1, &w), ST_OK);
		for (uint64_t i = 0; i < NBIG && st == ST_OK; i++) {
			make_page(page, i);
			st = memimg_put_page(w, i, page);
		}
		if (st == ST_OK)
			st = memimg_writer_finish(w);
		assert_int_equal(st, ST_EIO);
		assert_int_equal(memimg_writer_finish(w), ST_EIO);
		memimg_writer_free(w);
		bf_close(bf);
		img_free(&t);
	}
}

/* One writer, two images: the second must not inherit the first's
 * index (pages stored in the first are zero pages in the second). */
static void test_writer_reuse(void **s)
{
	struct memimg_region rg[1] = { { 0x100000, 64 * PG } };
	struct memimg_writer *w;
	struct img first, second;
	uint8_t page[PG];

	(void)s;
	img_new(&first, 64 << 20);
	img_new(&second, 64 << 20);
	assert_int_equal(memimg_writer_alloc(rg, 1, &w), ST_OK);
	assert_int_equal(memimg_writer_start(w, first.bf), ST_OK);
	memset(page, 0xab, PG);
	for (uint64_t i = 0; i < 64; i++)
		assert_int_equal(memimg_put_page(w, i, page), ST_OK);
	assert_int_equal(memimg_writer_finish(w), ST_OK);
	assert_int_equal(memimg_writer_start(w, second.bf), ST_OK);
	assert_int_equal(memimg_writer_bytes(w), PG);
	for (uint64_t i = 64; i-- > 0;) {
		make_page(page, i);
		assert_int_equal(memimg_put_page(w, i, page), ST_OK);
	}
	assert_int_equal(memimg_writer_finish(w), ST_OK);
	memimg_writer_free(w);
	verify_image(&second, rg, 1);
	img_free(&first);
	img_free(&second);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regions),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_large),
		cmocka_unit_test(test_all_zero_and_all_random),
		cmocka_unit_test(test_put_refusals),
		cmocka_unit_test(test_full_volume),
		cmocka_unit_test(test_power_cut),
		cmocka_unit_test(test_writer_reuse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
