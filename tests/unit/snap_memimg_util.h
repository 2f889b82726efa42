/* snap_memimg_util.h: what the memory-image unit tests share: the test
 * memory's page contents (zero, text-like, pointer-like, random), an image
 * on an in-memory file, and writing or checking a whole image. */
#ifndef TESTS_SNAP_MEMIMG_UTIL_H
#define TESTS_SNAP_MEMIMG_UTIL_H

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
#include "snapshot/memimg.h"
#include "storage/blockfile_mem.h"

#define PG MEMIMG_PAGE

static char err[256] __attribute__((unused));

static inline uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Page i of the test memory: kind by i % 5: zero, text-like, a repeated
 * word, random (incompressible), zero again. */
static inline void make_page(uint8_t *p, uint64_t i)
{
	uint32_t s = (uint32_t)i * 2654435761u + 1;

	switch (i % 5) {
	case 0: case 4:
		memset(p, 0, PG);
		break;
	case 1:
		for (unsigned k = 0; k < PG; k++)
			p[k] = (uint8_t)("snapshot page text "[k % 19] +
					 (k % 97 == 0 ? (uint8_t)i : 0));
		break;
	case 2:
		for (unsigned k = 0; k < PG; k += 8)
			put_le64(p + k, 0xffff800000000000ull + i * 64 + k % 64);
		break;
	default:
		for (unsigned k = 0; k < PG; k += 4)
			put_le32(p + k, rnd(&s));
	}
}

struct img {
	struct memfs fs;
	struct bf_opener op;
	struct blockfile *bf;
};

static inline void img_new(struct img *t, uint64_t max)
{
	memfs_init(&t->fs, max);
	memfs_opener(&t->fs, &t->op);
	assert_int_equal(t->op.open(t->op.ctx, "mem.img", BF_CREATE, &t->bf),
			 ST_OK);
}

static inline void img_free(struct img *t)
{
	bf_close(t->bf);
	memfs_free(&t->fs);
}

/* Shuffled 0..n-1. */
static inline uint64_t *shuffled(uint64_t n, uint32_t seed)
{
	uint64_t *o = malloc(n * sizeof(*o));

	for (uint64_t i = 0; i < n; i++)
		o[i] = i;
	for (uint64_t i = n; i > 1; i--) {
		uint64_t j = rnd(&seed) % i, t = o[i - 1];
		o[i - 1] = o[j];
		o[j] = t;
	}
	return o;
}

/* Writes all n pages of the regions in a random order. */
static inline void write_image(struct img *t, const struct memimg_region *rg,
			unsigned nrg, uint32_t seed)
{
	uint64_t n = memimg_npages(rg, nrg), *order = shuffled(n, seed);
	struct memimg_writer *w;
	uint8_t *page = malloc(PG);
	uint64_t size;

	assert_int_equal(memimg_writer_open(t->bf, rg, nrg, &w), ST_OK);
	assert_int_equal(memimg_writer_bytes(w), PG);
	for (uint64_t i = 0; i < n; i++) {
		make_page(page, order[i]);
		assert_int_equal(memimg_put_page(w, order[i], page), ST_OK);
	}
	assert_int_equal(memimg_writer_finish(w), ST_OK);
	assert_int_equal(bf_size(t->bf, &size), ST_OK);
	assert_int_equal(memimg_writer_bytes(w), size);
	memimg_writer_free(w);
	free(order);
	free(page);
}

struct seen {
	uint8_t *count;
	uint64_t calls, stop_at;
};

static inline status_t check_page(void *ctx, uint64_t index, const void *page)
{
	struct seen *s = ctx;
	uint8_t want[PG];

	make_page(want, index);
	assert_memory_equal(page, want, PG);
	s->count[index]++;
	return ++s->calls == s->stop_at ? ST_EIO : ST_OK;
}

/* Opens the image and checks every page both ways. */
static inline void verify_image(struct img *t, const struct memimg_region *rg,
			 unsigned nrg)
{
	struct memimg_region got[MEMIMG_MAX_REGIONS];
	uint64_t n = memimg_npages(rg, nrg);
	struct seen s = { calloc(n, 1), 0, 0 };
	struct memimg_reader *r;
	uint8_t *page = malloc(PG), *want = malloc(PG);

	assert_int_equal(memimg_reader_open(t->bf, &r, err, sizeof(err)),
			 ST_OK);
	assert_int_equal(memimg_reader_regions(r, got), nrg);
	assert_memory_equal(got, rg, nrg * sizeof(*rg));
	assert_int_equal(memimg_reader_npages(r), n);
	for (uint64_t i = 0; i < n; i++) {
		make_page(want, i);
		assert_int_equal(memimg_read_page(r, i, page), ST_OK);
		assert_memory_equal(page, want, PG);
	}
	assert_int_equal(memimg_read_page(r, n, page), ST_EINVAL);
	assert_int_equal(memimg_read_all(r, check_page, &s), ST_OK);
	for (uint64_t i = 0; i < n; i++)
		assert_int_equal(s.count[i], 1);
	memimg_reader_free(r);
	free(s.count);
	free(page);
	free(want);
}

#endif
