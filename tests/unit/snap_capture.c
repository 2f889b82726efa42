/* snap_capture.c: unit tests of the copy-on-write capture engine
 * (snapshot/capture.c) over two RAM regions in host memory: guest
 * writes during the capture (faults and the hypervisor's own writes)
 * never reach the image, which reads back exactly as RAM was at the
 * start; every page ends writable; a full volume fails the capture
 * without holding the guest up. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "snapshot/capture.h"
#include "storage/blockfile_mem.h"

#define PAGE 4096u
#define LOW_SIZE (160u * 1024)          /* like 0 - 0xA0000 */
#define HIGH_GPA 0x100000u
#define HIGH_SIZE (5u * 1024 * 1024)    /* crosses 2 MiB runs */
#define NPAGES ((LOW_SIZE + HIGH_SIZE) / PAGE)

struct fixture {
	struct gmem gm;
	uint8_t *low, *high;
	uint8_t *before;                /* RAM as it was at the snapshot */
	uint8_t writable[NPAGES];
	struct memfs fs;
	struct bf_opener op;
	struct blockfile *bf;
	struct memimg_writer *w;
	struct capture cap;
};

static unsigned page_index(uint64_t gpa)
{
	return gpa < HIGH_GPA ? (unsigned)(gpa / PAGE)
			      : (unsigned)((LOW_SIZE + gpa - HIGH_GPA) / PAGE);
}

static uint8_t *host(struct fixture *f, uint64_t gpa)
{
	return gpa < HIGH_GPA ? f->low + gpa : f->high + (gpa - HIGH_GPA);
}

static void unprotect(void *ctx, uint64_t gpa, uint64_t size)
{
	struct fixture *f = ctx;
	assert_int_equal(gpa % PAGE, 0);
	assert_int_equal(size % PAGE, 0);
	for (uint64_t a = gpa; a < gpa + size; a += PAGE)
		f->writable[page_index(a)] = 1;
}

/* RAM with a pattern: zero pages, repeated bytes and noise. */
static void fill(uint8_t *p, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++) {
		size_t page = i / PAGE;
		p[i] = page % 3 == 0 ? 0 : page % 3 == 1 ? (uint8_t)(page + seed)
							  : (uint8_t)(i * 7 + seed);
	}
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	f->low = malloc(LOW_SIZE);
	f->high = malloc(HIGH_SIZE);
	fill(f->low, LOW_SIZE, 1);
	fill(f->high, HIGH_SIZE, 2);
	f->gm.region[0] = (struct gmem_region){ 0, LOW_SIZE, f->low };
	f->gm.region[1] = (struct gmem_region){ HIGH_GPA, HIGH_SIZE, f->high };
	f->gm.nregions = 2;
	f->before = malloc(LOW_SIZE + HIGH_SIZE);
	memcpy(f->before, f->low, LOW_SIZE);
	memcpy(f->before + LOW_SIZE, f->high, HIGH_SIZE);
	memfs_init(&f->fs, 1ull << 32);
	memfs_opener(&f->fs, &f->op);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	memfs_free(&f->fs);
	free(f->low);
	free(f->high);
	free(f->before);
	free(f);
	return 0;
}

static void start(struct fixture *f)
{
	struct memimg_region reg[MEMIMG_MAX_REGIONS];
	struct capture_ops ops = { f, unprotect };
	unsigned n = capture_layout(&f->gm, reg);
	assert_int_equal(n, 2);
	assert_int_equal(f->op.open(f->op.ctx, "img", BF_CREATE, &f->bf), ST_OK);
	assert_int_equal(memimg_writer_open(f->bf, reg, n, &f->w), ST_OK);
	assert_int_equal(capture_start(&f->cap, &f->gm, f->w, &ops), ST_OK);
	assert_int_equal(f->cap.npages, NPAGES);
}

/* A guest write: the first one to a protected page faults. */
static void guest_write(struct fixture *f, uint64_t gpa, uint8_t byte)
{
	if (!f->writable[page_index(gpa)])
		assert_true(capture_fault(&f->cap, gpa));
	assert_true(f->writable[page_index(gpa)]);
	*host(f, gpa) = byte;
}

static void check_image(struct fixture *f)
{
	struct memimg_reader *r;
	uint8_t page[PAGE];
	char err[128];
	assert_int_equal(memimg_reader_open(f->bf, &r, err, sizeof err), ST_OK);
	assert_int_equal(memimg_reader_npages(r), NPAGES);
	for (unsigned i = 0; i < NPAGES; i++) {
		assert_int_equal(memimg_read_page(r, i, page), ST_OK);
		assert_memory_equal(page, f->before + (size_t)i * PAGE, PAGE);
	}
	memimg_reader_free(r);
}

static void test_writes_during_capture(void **state)
{
	struct fixture *f = *state;
	start(f);
	/* A burst over all RAM before the writer has done anything. */
	for (uint64_t a = 0; a < LOW_SIZE; a += PAGE)
		guest_write(f, a + 5, 0xaa);
	capture_step(&f->cap, 100);
	for (uint64_t a = HIGH_GPA; a < HIGH_GPA + HIGH_SIZE; a += 3 * PAGE)
		guest_write(f, a + 17, 0xbb);
	/* The hypervisor writes across a page boundary (a DMA). */
	uint64_t dma = HIGH_GPA + 4 * 1024 * 1024 + PAGE - 8;
	capture_before_write(&f->cap, dma, 16);
	memset(host(f, dma), 0xcc, 16);
	capture_before_write(&f->cap, 0xa0000, 16); /* not RAM: ignored */
	assert_false(capture_fault(&f->cap, 0xa0000));
	assert_false(capture_fault(&f->cap, HIGH_GPA + HIGH_SIZE));
	while (!capture_step(&f->cap, 37))
		;
	assert_true(capture_complete(&f->cap));
	assert_int_equal(f->cap.err, ST_OK);
	for (unsigned i = 0; i < NPAGES; i++)
		assert_true(f->writable[i]);
	/* A late fault on a copied page only makes it writable. */
	assert_true(capture_fault(&f->cap, HIGH_GPA));
	assert_int_equal(memimg_writer_finish(f->w), ST_OK);
	check_image(f);
	capture_free(&f->cap);
	memimg_writer_free(f->w);
	bf_close(f->bf);
}

static void test_full_volume(void **state)
{
	struct fixture *f = *state;
	uint64_t x = 88172645463325252ull;
	for (size_t i = 0; i < HIGH_SIZE; i++) { /* incompressible */
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		f->high[i] = (uint8_t)x;
	}
	f->fs.max_size = 64 * 1024;
	start(f);
	for (uint64_t a = HIGH_GPA; a < HIGH_GPA + HIGH_SIZE; a += PAGE)
		guest_write(f, a, 1); /* the guest is never held up */
	assert_int_equal(f->cap.err, ST_ENOSPC);
	capture_abandon(&f->cap);
	for (unsigned i = 0; i < NPAGES; i++)
		assert_true(f->writable[i]);
	memimg_writer_free(f->w);
	bf_close(f->bf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_writes_during_capture, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_full_volume, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
