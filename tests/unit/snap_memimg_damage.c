/* snap_memimg_damage.c: damaged memory images: unfinished captures are
 * refused as incomplete; every truncation and every single bit flip of a
 * small image is caught by open or by read_all (or changes no page: lz4
 * can encode the same bytes more than one way); a damaged page fails its
 * own read only; index entries pointing outside or into the middle of a
 * record; a newer version; read_all stopping at its callback's error. */
#include "snap_memimg_util.h"

/* Six pages: zero, text, pointers, random, zero, zero. */
static const struct memimg_region small_rg[1] = { { 0x1000, 6 * PG } };

/* A read_all callback for damaged images: ST_EMISMATCH for a page given
 * twice or with the wrong contents. */
static status_t check_page_quiet(void *ctx, uint64_t index, const void *page)
{
	struct seen *s = ctx;
	uint8_t want[PG];

	make_page(want, index);
	if (index >= 6 || s->count[index]++ || memcmp(page, want, PG))
		return ST_EMISMATCH;
	return ST_OK;
}

static uint8_t *file_data(struct img *t, uint64_t *size)
{
	struct memfs_file *f = memfs_find(&t->fs, "mem.img");

	*size = f->size;
	return f->data;
}

static status_t open_and_read_all(struct img *t)
{
	struct memimg_reader *r;
	struct seen s = { calloc(6, 1), 0, 0 };
	uint8_t *page = malloc(PG);
	status_t st;

	st = memimg_reader_open(t->bf, &r, err, sizeof(err));
	if (st == ST_OK) {
		st = memimg_read_all(r, check_page_quiet, &s);
		memimg_reader_free(r);
	}
	free(s.count);
	free(page);
	return st;
}

/* The index and footer crcs made right again after an edit. */
static void reseal_tail(uint8_t *d, uint64_t size)
{
	uint8_t *f = d + size - 64;
	uint64_t io = get_le64(f + 8), n = get_le64(f + 16);

	put_le32(f + 32, crc32_update(0, d + io, 8 * n));
	put_le32(f + 36, 0);
	put_le32(f + 36, crc32_update(0, f, 64));
}

static void test_incomplete(void **s)
{
	struct memimg_region rg[1] = { { 0, 1500 * PG } };
	struct memimg_reader *r;
	struct memimg_writer *w;
	uint8_t page[PG];
	struct img t;
	uint64_t size;

	(void)s;
	/* records still in the buffer: only the header is on disk */
	img_new(&t, 64 << 20);
	assert_int_equal(memimg_writer_open(t.bf, rg, 1, &w), ST_OK);
	make_page(page, 1);
	assert_int_equal(memimg_put_page(w, 1, page), ST_OK);
	memimg_writer_free(w);
	assert_int_equal(memimg_reader_open(t.bf, &r, err, sizeof(err)),
			 ST_ECORRUPT);
	assert_non_null(strstr(err, "incomplete image"));
	img_free(&t);
	/* a buffer written out, no index or footer */
	img_new(&t, 64 << 20);
	assert_int_equal(memimg_writer_open(t.bf, rg, 1, &w), ST_OK);
	for (uint64_t i = 0; i < 1400; i++) {
		make_page(page, i);
		assert_int_equal(memimg_put_page(w, i, page), ST_OK);
	}
	memimg_writer_free(w);
	assert_int_equal(bf_size(t.bf, &size), ST_OK);
	assert_true(size > (1 << 20));
	assert_int_equal(memimg_reader_open(t.bf, &r, err, sizeof(err)),
			 ST_ECORRUPT);
	assert_non_null(strstr(err, "incomplete image"));
	img_free(&t);
}

static void test_truncations_and_flips(void **s)
{
	struct img t;
	uint64_t size;
	uint8_t *d;

	(void)s;
	img_new(&t, 1 << 20);
	write_image(&t, small_rg, 1, 3);
	assert_int_equal(open_and_read_all(&t), ST_OK);
	d = file_data(&t, &size);
	for (uint64_t n = size; n-- > 0;) {
		assert_int_equal(bf_resize(t.bf, n), ST_OK);
		assert_int_equal(open_and_read_all(&t), ST_ECORRUPT);
	}
	img_free(&t);
	img_new(&t, 1 << 20);
	write_image(&t, small_rg, 1, 3);
	d = file_data(&t, &size);
	for (uint64_t i = 0; i < size; i++)
		for (int bit = 0; bit < 8; bit++) {
			d[i] ^= (uint8_t)(1 << bit);
			status_t st = open_and_read_all(&t);
			d[i] ^= (uint8_t)(1 << bit);
			/* OK only with every page right: a flip in an lz4
			 * stream can leave its output unchanged. */
			if (st != ST_ECORRUPT && st != ST_EUNSUPP &&
			    (st != ST_OK || i < PG || i >= size - 64 - 6 * 8))
				fail_msg("flip of bit %d at %llu: %s", bit,
					 (unsigned long long)i, status_str(st));
		}
	assert_int_equal(open_and_read_all(&t), ST_OK);
	img_free(&t);
}

/* Finds the record of page `index` through the index in the file. */
static uint64_t record_of(uint8_t *d, uint64_t size, uint64_t index)
{
	uint64_t io = get_le64(d + size - 64 + 8);

	return get_le64(d + io + 8 * index);
}

static void test_damaged_page(void **s)
{
	struct memimg_reader *r;
	uint8_t page[PG], want[PG];
	uint64_t size, rec;
	struct img t;
	uint8_t *d;

	(void)s;
	img_new(&t, 1 << 20);
	write_image(&t, small_rg, 1, 3);
	d = file_data(&t, &size);
	rec = record_of(d, size, 3);                  /* the random page */
	assert_int_equal(get_le32(d + rec + 4), 2);   /* stored raw */
	assert_int_equal(get_le32(d + record_of(d, size, 1) + 4), 1); /* lz4 */
	assert_int_equal(record_of(d, size, 0), 0);   /* zero: nothing */
	d[rec + 24 + 1000] ^= 4;
	assert_int_equal(memimg_reader_open(t.bf, &r, err, sizeof(err)),
			 ST_OK);
	assert_int_equal(memimg_read_page(r, 3, page), ST_ECORRUPT);
	for (uint64_t i = 0; i < 6; i++)
		if (i != 3) {
			make_page(want, i);
			assert_int_equal(memimg_read_page(r, i, page), ST_OK);
			assert_memory_equal(page, want, PG);
		}
	memimg_reader_free(r);
	assert_int_equal(open_and_read_all(&t), ST_ECORRUPT);
	d[rec + 24 + 1000] ^= 4;
	/* the record of page 1 claims to be page 2 */
	rec = record_of(d, size, 1);
	put_le64(d + rec + 8, 2);
	assert_int_equal(memimg_reader_open(t.bf, &r, err, sizeof(err)),
			 ST_OK);
	assert_int_equal(memimg_read_page(r, 1, page), ST_ECORRUPT);
	memimg_reader_free(r);
	assert_int_equal(open_and_read_all(&t), ST_ECORRUPT);
	img_free(&t);
}

static void test_bad_index(void **s)
{
	struct memimg_reader *r;
	uint64_t size, io, rec;
	uint8_t page[PG];
	struct img t;
	uint8_t *d;

	(void)s;
	img_new(&t, 1 << 20);
	write_image(&t, small_rg, 1, 3);
	d = file_data(&t, &size);
	io = get_le64(d + size - 64 + 8);
	rec = record_of(d, size, 2);
	/* into the middle of a record: open passes, the reads do not */
	put_le64(d + io + 8 * 2, rec + 8);
	reseal_tail(d, size);
	assert_int_equal(memimg_reader_open(t.bf, &r, err, sizeof(err)),
			 ST_OK);
	assert_int_equal(memimg_read_page(r, 2, page), ST_ECORRUPT);
	memimg_reader_free(r);
	assert_int_equal(open_and_read_all(&t), ST_ECORRUPT);
	/* two pages sharing a record */
	put_le64(d + io + 8 * 2, record_of(d, size, 1));
	reseal_tail(d, size);
	assert_int_equal(open_and_read_all(&t), ST_ECORRUPT);
	/* past the records, or into the header */
	put_le64(d + io + 8 * 2, io - 10);
	reseal_tail(d, size);
	assert_int_equal(memimg_reader_open(t.bf, &r, err, sizeof(err)),
			 ST_ECORRUPT);
	assert_non_null(strstr(err, "page 2 points outside"));
	put_le64(d + io + 8 * 2, 100);
	reseal_tail(d, size);
	assert_int_equal(memimg_reader_open(t.bf, &r, err, sizeof(err)),
			 ST_ECORRUPT);
	/* a stored page dropped from the index reads as zero: read_all
	 * finds its record unclaimed */
	put_le64(d + io + 8 * 2, 0);
	reseal_tail(d, size);
	assert_int_equal(open_and_read_all(&t), ST_ECORRUPT);
	img_free(&t);
}

static void test_version_and_header(void **s)
{
	struct memimg_reader *r;
	struct img t;
	uint64_t size;
	uint8_t *d;

	(void)s;
	img_new(&t, 1 << 20);
	write_image(&t, small_rg, 1, 3);
	d = file_data(&t, &size);
	put_le32(d + 8, 2);
	assert_int_equal(memimg_reader_open(t.bf, &r, err, sizeof(err)),
			 ST_EUNSUPP);
	assert_non_null(strstr(err, "newer"));
	put_le32(d + 8, 1);
	memcpy(d, "SVMEMIM2", 8);
	assert_int_equal(memimg_reader_open(t.bf, &r, err, sizeof(err)),
			 ST_ECORRUPT);
	assert_non_null(strstr(err, "not a memory image"));
	memcpy(d, "SVMEMIM1", 8);
	/* regions that disagree with npages, crc made right */
	put_le64(d + 32 + 8, 7 * PG);
	put_le32(d + 160, crc32_update(0, d, 160));
	assert_int_equal(memimg_reader_open(t.bf, &r, err, sizeof(err)),
			 ST_ECORRUPT);
	assert_non_null(strstr(err, "bad regions"));
	img_free(&t);
}

static void test_read_all_stops(void **s)
{
	struct memimg_reader *r;
	struct seen st = { calloc(6, 1), 0, 2 };
	struct img t;

	(void)s;
	img_new(&t, 1 << 20);
	write_image(&t, small_rg, 1, 3);
	assert_int_equal(memimg_reader_open(t.bf, &r, err, sizeof(err)),
			 ST_OK);
	assert_int_equal(memimg_read_all(r, check_page, &st), ST_EIO);
	assert_int_equal(st.calls, 2);
	memimg_reader_free(r);
	free(st.count);
	img_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_incomplete),
		cmocka_unit_test(test_truncations_and_flips),
		cmocka_unit_test(test_damaged_page),
		cmocka_unit_test(test_bad_index),
		cmocka_unit_test(test_version_and_header),
		cmocka_unit_test(test_read_all_stops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
