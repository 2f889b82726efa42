/* fuzz_memimg.c: libFuzzer target: arbitrary bytes opened as a memory
 * image (an in-memory file). When the reader accepts it, read_all must
 * give every page exactly once and agree with read_page (or both fail),
 * and the pages written again through memimg_writer must read back the
 * same. With SNAP_FUZZ_EXPECT_VALID set every input must be accepted and
 * read whole. Each input runs twice: as given, and with the header, index
 * and footer crcs recomputed (records keep theirs), so mutations get past
 * those checksums. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot/crc32.h"
#include "snapshot/le.h"
#include "snapshot/memimg.h"
#include "storage/blockfile_mem.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

struct walk {
	struct memimg_reader *r;
	struct memimg_writer *w;
	uint8_t *seen;
	uint8_t page[MEMIMG_PAGE];
};

static status_t on_page(void *ctx, uint64_t index, const void *page)
{
	struct walk *k = ctx;

	CHECK(index < memimg_reader_npages(k->r));
	CHECK(!k->seen[index]);
	k->seen[index] = 1;
	CHECK(memimg_read_page(k->r, index, k->page) == ST_OK);
	CHECK(!memcmp(k->page, page, MEMIMG_PAGE));
	CHECK(memimg_put_page(k->w, index, page) == ST_OK);
	return ST_OK;
}

static status_t same_page(void *ctx, uint64_t index, const void *page)
{
	struct walk *k = ctx;

	CHECK(memimg_read_page(k->r, index, k->page) == ST_OK);
	return memcmp(k->page, page, MEMIMG_PAGE) ? ST_EINVAL : ST_OK;
}

/* Writes the pages of r again into "copy" and compares. */
static void walk_all(struct memfs *fs, const struct bf_opener *op,
		     struct memimg_reader *r, int expect_valid)
{
	struct memimg_region regions[MEMIMG_MAX_REGIONS];
	unsigned n = memimg_reader_regions(r, regions);
	struct walk k = { .r = r };
	struct memimg_reader *r2;
	struct blockfile *out;
	status_t st;

	CHECK(op->open(op->ctx, "copy", BF_CREATE, &out) == ST_OK);
	CHECK(memimg_writer_open(out, regions, n, &k.w) == ST_OK);
	k.seen = calloc(memimg_reader_npages(r), 1);
	st = memimg_read_all(r, on_page, &k);
	CHECK(st == ST_OK || (st == ST_ECORRUPT && !expect_valid));
	if (st == ST_OK) {
		CHECK(memimg_writer_finish(k.w) == ST_OK);
		CHECK(memimg_reader_open(out, &r2, NULL, 0) == ST_OK);
		CHECK(memimg_reader_npages(r2) == memimg_reader_npages(r));
		st = memimg_read_all(r2, same_page, &k);
		CHECK(st == ST_OK);
		memimg_reader_free(r2);
	}
	memimg_writer_free(k.w);
	free(k.seen);
	bf_close(out);
	(void)fs;
}

/* Offsets of memimg.h's layout. */
static uint8_t *fix_crcs(const uint8_t *data, size_t size)
{
	uint64_t index_off, n;
	uint8_t *c, *f;

	if (size < 4096 + 64)
		return NULL;
	c = malloc(size);
	memcpy(c, data, size);
	put_le32(c + 160, crc32_update(0, c, 160));
	f = c + size - 64;
	index_off = get_le64(f + 8);
	n = get_le64(f + 16);
	if (index_off <= size - 64 && n <= (size - 64 - index_off) / 8)
		put_le32(f + 32, crc32_update(0, c + index_off, 8 * n));
	put_le32(f + 36, 0);
	put_le32(f + 36, crc32_update(0, f, 64));
	return c;
}

static void one_input(const uint8_t *data, size_t size, int expect_valid)
{
	struct memimg_reader *r;
	struct blockfile *bf;
	struct bf_opener op;
	struct memfs fs;
	char err[160];
	status_t st;

	memfs_init(&fs, 64u << 20);
	memfs_opener(&fs, &op);
	CHECK(memfs_put(&fs, "img", data, size) == ST_OK);
	CHECK(op.open(op.ctx, "img", BF_RDONLY, &bf) == ST_OK);
	memset(err, 'x', sizeof(err));
	st = memimg_reader_open(bf, &r, err, sizeof(err));
	if (st) {
		CHECK(!expect_valid);
		CHECK(st == ST_ECORRUPT || st == ST_EUNSUPP);
		CHECK(err[0] && memchr(err, 0, sizeof(err)));
	} else {
		walk_all(&fs, &op, r, expect_valid);
		memimg_reader_free(r);
	}
	bf_close(bf);
	memfs_free(&fs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int expect_valid = -1;
	uint8_t *fixed;

	if (expect_valid < 0)
		expect_valid = getenv("SNAP_FUZZ_EXPECT_VALID") != NULL;
	one_input(data, size, expect_valid);
	if ((fixed = fix_crcs(data, size))) {
		if (memcmp(fixed, data, size))
			one_input(fixed, size, 0);
		free(fixed);
	}
	return 0;
}
