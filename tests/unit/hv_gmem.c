/* hv_gmem.c: unit tests of guest RAM regions and accessors (hv/gmem.c). */
#include "tests/unit/fake_mem.h"

struct hook_log {
	unsigned calls;
	uint64_t gpa, len;
};

static void hook(void *ctx, uint64_t gpa, uint64_t len)
{
	struct hook_log *h = ctx;
	h->calls++;
	h->gpa = gpa;
	h->len = len;
}

/* Two adjacent regions [0x1000, 0x3000) and [0x3000, 0x4000), one apart
 * at [0x10000, 0x11000). */
static void build(struct fake_gmem *fg, uint8_t **a, uint8_t **b, uint8_t **c)
{
	fake_gmem_init(fg);
	*a = fake_gmem_add(fg, 0x1000, 0x2000);
	*b = fake_gmem_add(fg, 0x3000, 0x1000);
	*c = fake_gmem_add(fg, 0x10000, 0x1000);
}

static void test_add(void **state)
{
	(void)state;
	struct fake_gmem fg;
	uint8_t buf[16];
	fake_gmem_init(&fg);
	fake_gmem_add(&fg, 0x100000, 0x100000);
	assert_int_equal(gmem_add(&fg.gm, 0x1ff000, 0x2000, buf), ST_EEXIST);
	assert_int_equal(gmem_add(&fg.gm, 0xff000, 0x2000, buf), ST_EEXIST);
	assert_int_equal(gmem_add(&fg.gm, 0x80000, 0x200000, buf), ST_EEXIST);
	assert_int_equal(gmem_add(&fg.gm, 0x180000, 0x1000, buf), ST_EEXIST);
	assert_int_equal(gmem_add(&fg.gm, 0x0, 0, buf), ST_EINVAL);
	assert_int_equal(gmem_add(&fg.gm, 0xfffffffffffff000ull, 0x2000, buf),
			 ST_EINVAL);
	assert_int_equal(fg.gm.nregions, 1);
	/* Touching is not overlapping. */
	fake_gmem_add(&fg, 0x200000, 0x1000);
	fake_gmem_add(&fg, 0xff000, 0x1000);
	for (unsigned i = 3; i < GMEM_MAX_REGIONS; i++)
		fake_gmem_add(&fg, 0x1000000 * i, 0x1000);
	assert_int_equal(gmem_add(&fg.gm, 0x40000000, 0x1000, buf), ST_EINVAL);
	assert_int_equal(gmem_size(&fg.gm), 0x100000 + 0x1000 * (GMEM_MAX_REGIONS - 1));
	fake_gmem_free(&fg);
}

static void test_read_write_across(void **state)
{
	(void)state;
	struct fake_gmem fg;
	uint8_t *a, *b, *c, in[0x100], out[0x100];
	build(&fg, &a, &b, &c);
	for (int i = 0; i < 0x100; i++)
		in[i] = (uint8_t)(i * 7 + 1);
	/* Across the boundary of two adjacent regions. */
	assert_int_equal(gmem_write(&fg.gm, 0x3000 - 0x80, in, 0x100), ST_OK);
	assert_memory_equal(a + 0x2000 - 0x80, in, 0x80);
	assert_memory_equal(b, in + 0x80, 0x80);
	memset(out, 0, sizeof out);
	assert_int_equal(gmem_read(&fg.gm, 0x3000 - 0x80, out, 0x100), ST_OK);
	assert_memory_equal(out, in, 0x100);
	/* The very first and last bytes. */
	assert_int_equal(gmem_write(&fg.gm, 0x1000, in, 1), ST_OK);
	assert_int_equal(a[0], in[0]);
	assert_int_equal(gmem_write(&fg.gm, 0x3fff, in + 5, 1), ST_OK);
	assert_int_equal(b[0xfff], in[5]);
	assert_int_equal(gmem_write(&fg.gm, 0x10ff0, in, 0x10), ST_OK);
	assert_memory_equal(c + 0xff0, in, 0x10);
	/* Length 0 anywhere is fine and writes nothing. */
	assert_int_equal(gmem_write(&fg.gm, 0x5000, in, 0), ST_OK);
	assert_int_equal(gmem_read(&fg.gm, 0x1000, out, 0), ST_OK);
	fake_gmem_free(&fg);
}

static void test_outside_ram(void **state)
{
	(void)state;
	struct fake_gmem fg;
	uint8_t *a, *b, *c, in[0x100], out[0x100];
	struct hook_log h = { 0 };
	build(&fg, &a, &b, &c);
	fg.gm.before_write = hook;
	fg.gm.before_write_ctx = &h;
	memset(in, 0xee, sizeof in);
	memset(out, 0x55, sizeof out);
	/* Starts in RAM, runs past its end into the gap: nothing happens. */
	assert_int_equal(gmem_write(&fg.gm, 0x3f80, in, 0x100), ST_EFAULT);
	assert_int_equal(gmem_fill(&fg.gm, 0x3f80, 0xee, 0x100), ST_EFAULT);
	for (int i = 0; i < 0x1000; i++)
		assert_int_equal(b[i], 0);
	assert_int_equal(gmem_read(&fg.gm, 0x3f80, out, 0x100), ST_EFAULT);
	for (int i = 0; i < 0x100; i++)
		assert_int_equal(out[i], 0x55);
	/* Starts before RAM. */
	assert_int_equal(gmem_write(&fg.gm, 0xf80, in, 0x100), ST_EFAULT);
	assert_int_equal(a[0], 0);
	/* Wholly outside, and spanning a region with a gap inside. */
	assert_int_equal(gmem_write(&fg.gm, 0x20000, in, 1), ST_EFAULT);
	assert_int_equal(gmem_read(&fg.gm, 0x0, out, 1), ST_EFAULT);
	assert_int_equal(gmem_fill(&fg.gm, 0x3000, 0xee, 0xe001), ST_EFAULT);
	assert_int_equal(b[0], 0);
	/* Wrapping around the address space. */
	assert_int_equal(gmem_read(&fg.gm, 0x10000, out, UINT64_MAX), ST_EFAULT);
	assert_int_equal(h.calls, 0);
	fake_gmem_free(&fg);
}

static void test_fill_and_hook(void **state)
{
	(void)state;
	struct fake_gmem fg;
	uint8_t *a, *b, *c, in[4] = { 1, 2, 3, 4 };
	struct hook_log h = { 0 };
	build(&fg, &a, &b, &c);
	/* No hook: fine. */
	assert_int_equal(gmem_fill(&fg.gm, 0x1000, 0x11, 0x10), ST_OK);
	fg.gm.before_write = hook;
	fg.gm.before_write_ctx = &h;
	assert_int_equal(gmem_fill(&fg.gm, 0x2800, 0xab, 0x1000), ST_OK);
	assert_int_equal(h.calls, 1);
	assert_int_equal(h.gpa, 0x2800);
	assert_int_equal(h.len, 0x1000);
	for (int i = 0x1800; i < 0x2000; i++)
		assert_int_equal(a[i], 0xab);
	for (int i = 0; i < 0x800; i++)
		assert_int_equal(b[i], 0xab);
	assert_int_equal(a[0x17ff], 0);
	assert_int_equal(b[0x800], 0);
	assert_int_equal(a[0xf], 0x11);
	assert_int_equal(a[0x10], 0);
	assert_int_equal(gmem_write(&fg.gm, 0x10002, in, 4), ST_OK);
	assert_int_equal(h.calls, 2);
	assert_int_equal(h.gpa, 0x10002);
	assert_int_equal(h.len, 4);
	assert_memory_equal(c + 2, in, 4);
	/* Empty writes and reads do not call the hook. */
	assert_int_equal(gmem_write(&fg.gm, 0x10002, in, 0), ST_OK);
	assert_int_equal(gmem_fill(&fg.gm, 0x10002, 0, 0), ST_OK);
	uint8_t out[4];
	assert_int_equal(gmem_read(&fg.gm, 0x10002, out, 4), ST_OK);
	assert_int_equal(h.calls, 2);
	fake_gmem_free(&fg);
}

static void test_peek(void **state)
{
	(void)state;
	struct fake_gmem fg;
	uint8_t *a, *b, *c;
	build(&fg, &a, &b, &c);
	assert_ptr_equal(gmem_peek(&fg.gm, 0x1000, 0x2000), a);
	assert_ptr_equal(gmem_peek(&fg.gm, 0x2ffc, 4), a + 0x1ffc);
	assert_ptr_equal(gmem_peek(&fg.gm, 0x10fff, 1), c + 0xfff);
	assert_ptr_equal(gmem_peek(&fg.gm, 0x3000, 0), b);
	/* Across two regions, even adjacent ones: NULL. */
	assert_null(gmem_peek(&fg.gm, 0x2ffc, 8));
	assert_null(gmem_peek(&fg.gm, 0x1000, 0x2001));
	assert_null(gmem_peek(&fg.gm, 0xfff, 1));
	assert_null(gmem_peek(&fg.gm, 0x4000, 1));
	assert_null(gmem_peek(&fg.gm, 0x10000, UINT64_MAX));
	fake_gmem_free(&fg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add),
		cmocka_unit_test(test_read_write_across),
		cmocka_unit_test(test_outside_ram),
		cmocka_unit_test(test_fill_and_hook),
		cmocka_unit_test(test_peek),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
