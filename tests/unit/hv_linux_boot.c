/* hv_linux_boot.c: unit tests of the Linux boot protocol loader
 * (hv/linux_boot.c) with bzImages built in memory, loaded into a fake
 * guest RAM of 640 KiB at 0 and 63 MiB at 1 MiB. Offsets: the kernel's
 * Documentation/arch/x86/boot.rst (setup header) and zero-page.rst. */
#include <stdio.h>
#include "tests/unit/fake_mem.h"
#include "hv/linux_boot.h"

#define LOW_SIZE 0xa0000u
#define HIGH_BASE 0x100000u
#define HIGH_SIZE 0x3f00000u
#define TOP (HIGH_BASE + HIGH_SIZE)
#define SETUP_SECTS 3
#define PM_OFF ((SETUP_SECTS + 1) * 512)
#define PM_SIZE 0x5000u
#define INIT_SIZE 0x200000u

static const struct mem_range pc_map[] = {
	{ 0, LOW_SIZE, MEM_RAM },
	{ 0xc0000, 0x40000, MEM_RESERVED },
	{ HIGH_BASE, HIGH_SIZE, MEM_RAM },
};

static struct fake_gmem fg;
static char err[256];
static uint8_t *kernel;
static size_t kernel_size;

static void wr(uint8_t *p, size_t off, uint64_t v, size_t len)
{
	memcpy(p + off, &v, len);
}

static uint64_t rd(const uint8_t *p, size_t off, size_t len)
{
	uint64_t v = 0;
	memcpy(&v, p + off, len);
	return v;
}

/* A bzImage of protocol 2.15 with a 64-bit entry point, relocatable,
 * its protected-mode part filled with a pattern. */
static void make_kernel(void)
{
	kernel_size = PM_OFF + PM_SIZE;
	kernel = calloc(1, kernel_size);
	assert_non_null(kernel);
	wr(kernel, 0x1f1, SETUP_SECTS, 1);
	wr(kernel, 0x1fe, 0xaa55, 2);
	wr(kernel, 0x200, 0x6aeb, 2); /* jmp over a header ending at 0x26c */
	wr(kernel, 0x202, 0x53726448, 4);
	wr(kernel, 0x206, 0x020f, 2);
	wr(kernel, 0x211, 0x01, 1);        /* LOADED_HIGH */
	wr(kernel, 0x22c, 0x7fffffff, 4);  /* initrd_addr_max */
	wr(kernel, 0x236, 0x3, 2);         /* XLF_KERNEL_64, above 4G */
	wr(kernel, 0x238, 2047, 4);        /* cmdline_size */
	wr(kernel, 0x258, 0x1000000, 8);   /* pref_address 16 MiB */
	wr(kernel, 0x260, INIT_SIZE, 4);
	for (size_t i = 0; i < PM_SIZE; i++)
		kernel[PM_OFF + i] = (uint8_t)(i * 7 + 1);
}

static int setup(void **state)
{
	(void)state;
	fake_gmem_init(&fg);
	memset(fake_gmem_add(&fg, 0, LOW_SIZE), 0xcc, LOW_SIZE);
	memset(fake_gmem_add(&fg, HIGH_BASE, HIGH_SIZE), 0xcc, HIGH_SIZE);
	make_kernel();
	err[0] = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_gmem_free(&fg);
	free(kernel);
	return 0;
}

static struct linux_image image(const uint8_t *initrd, size_t initrd_size,
				const char *cmdline)
{
	return (struct linux_image){ kernel, kernel_size, initrd, initrd_size,
				     cmdline, pc_map, 3, 0xf0000 };
}

static void test_detect(void **state)
{
	(void)state;
	assert_true(linux_detect(kernel, kernel_size));
	assert_false(linux_detect(kernel, 0x200));
	wr(kernel, 0x202, 0, 4);
	assert_false(linux_detect(kernel, kernel_size));
}

static void test_load(void **state)
{
	(void)state;
	static uint8_t initrd[10000];
	for (size_t i = 0; i < sizeof initrd; i++)
		initrd[i] = (uint8_t)(i ^ 0x5a);
	struct linux_image img = image(initrd, sizeof initrd, "console=ttyS0 quiet");
	struct cpu_state cs;
	assert_int_equal(linux_load(&fg.gm, &img, &cs, err, sizeof err), ST_OK);
	/* The protected-mode kernel at 1 MiB. */
	assert_memory_equal(fake_gmem_at(&fg, LINUX_KERNEL_BASE), kernel + PM_OFF, PM_SIZE);
	/* The zero page: header copied, loader's fields filled in. */
	const uint8_t *zp = fake_gmem_at(&fg, LINUX_ZERO_PAGE);
	assert_int_equal(rd(zp, 0x202, 4), 0x53726448);
	assert_int_equal(rd(zp, 0x260, 4), INIT_SIZE);
	assert_int_equal(rd(zp, 0x210, 1), 0xff);      /* type_of_loader */
	assert_int_equal(rd(zp, 0x211, 1), 0x81);      /* + CAN_USE_HEAP */
	assert_int_equal(rd(zp, 0x1fa, 2), 0xffff);    /* vid_mode normal */
	assert_int_equal(rd(zp, 0x070, 8), 0xf0000);   /* acpi_rsdp_addr */
	assert_int_equal(rd(zp, 0x228, 4), LINUX_CMDLINE);
	assert_string_equal((char *)fake_gmem_at(&fg, LINUX_CMDLINE), "console=ttyS0 quiet");
	/* The initrd at the top of RAM, page-aligned. */
	uint64_t at = rd(zp, 0x218, 4);
	assert_int_equal(at, (TOP - sizeof initrd) & ~0xfffull);
	assert_int_equal(rd(zp, 0x21c, 4), sizeof initrd);
	assert_memory_equal(fake_gmem_at(&fg, at), initrd, sizeof initrd);
	/* e820: the three ranges of the map. */
	assert_int_equal(rd(zp, 0x1e8, 1), 3);
	assert_int_equal(rd(zp, 0x2d0 + 20 + 0, 8), 0xc0000);
	assert_int_equal(rd(zp, 0x2d0 + 20 + 8, 8), 0x40000);
	assert_int_equal(rd(zp, 0x2d0 + 20 + 16, 4), MEM_RESERVED);
	assert_int_equal(rd(zp, 0x2d0 + 40 + 8, 8), HIGH_SIZE);
	/* Long mode at the 64-bit entry, RSI = zero page. */
	assert_int_equal(cs.rip, LINUX_KERNEL_BASE + 0x200);
	assert_int_equal(cs.gpr[RSI], LINUX_ZERO_PAGE);
	assert_int_equal(cs.efer & 0x500, 0x500);
	assert_int_equal(cs.cr0 & 0x80000001u, 0x80000001u);
	assert_int_equal(cs.cr4 & 0x20, 0x20);
	assert_int_equal(cs.cr3, LINUX_PAGE_TABLES);
	assert_int_equal(cs.seg[SEG_CS].sel, 0x10);
	assert_int_equal(cs.seg[SEG_CS].attr, 0xa9b);
	assert_int_equal(cs.seg[SEG_DS].sel, 0x18);
	assert_int_equal(rd(fake_gmem_at(&fg, LINUX_GDT), 0x10, 8), 0x00af9b000000ffffull);
	/* Identity map: 3 GiB + 6 MiB maps to itself through a 2 MiB page. */
	uint64_t va = 0xc0600000ull;
	uint64_t pml4e = get64(&fg, LINUX_PAGE_TABLES);
	uint64_t pdpte = get64(&fg, (pml4e & ~0xfffull) + ((va >> 30) & 511) * 8);
	uint64_t pde = get64(&fg, (pdpte & ~0xfffull) + ((va >> 21) & 511) * 8);
	assert_int_equal(pde, va | 0x83);
}

static void test_no_initrd_empty_cmdline(void **state)
{
	(void)state;
	struct linux_image img = image(NULL, 0, NULL);
	struct cpu_state cs;
	assert_int_equal(linux_load(&fg.gm, &img, &cs, err, sizeof err), ST_OK);
	const uint8_t *zp = fake_gmem_at(&fg, LINUX_ZERO_PAGE);
	assert_int_equal(rd(zp, 0x218, 4), 0);
	assert_int_equal(rd(zp, 0x21c, 4), 0);
	assert_string_equal((char *)fake_gmem_at(&fg, LINUX_CMDLINE), "");
}

static void expect_refusal(const char *cmdline, size_t initrd_size, const char *why)
{
	struct linux_image img = image(initrd_size ? kernel : NULL, initrd_size, cmdline);
	struct cpu_state cs;
	assert_int_equal(linux_load(&fg.gm, &img, &cs, err, sizeof err), ST_EINVAL);
	if (!strstr(err, why))
		fail_msg("error '%s' does not say '%s'", err, why);
}

static void test_refusals(void **state)
{
	(void)state;
	static char long_line[3000];
	memset(long_line, 'x', sizeof long_line - 1);
	expect_refusal(long_line, 0, "command line");
	/* An initrd that does not fit above the kernel's 16 MiB + init_size:
	 * the image is only the kernel buffer, its size is what counts. */
	struct linux_image img = image(kernel, TOP - 0x1000000, "");
	struct cpu_state cs;
	assert_int_equal(linux_load(&fg.gm, &img, &cs, err, sizeof err), ST_EINVAL);
	assert_non_null(strstr(err, "initrd"));
	wr(kernel, 0x236, 0x2, 2);
	expect_refusal("", 0, "64-bit entry");
	wr(kernel, 0x236, 0x3, 2);
	wr(kernel, 0x206, 0x020b, 2);
	expect_refusal("", 0, "older than 2.12");
	wr(kernel, 0x206, 0x020f, 2);
	wr(kernel, 0x211, 0, 1);
	expect_refusal("", 0, "zImage");
	wr(kernel, 0x211, 1, 1);
	wr(kernel, 0x260, 0x8000000, 4); /* init_size beyond RAM */
	expect_refusal("", 0, "more than the guest has");
	wr(kernel, 0x260, INIT_SIZE, 4);
	wr(kernel, 0x1f1, 200, 1); /* setup larger than the file */
	expect_refusal("", 0, "leaves no kernel");
	wr(kernel, 0x202, 0, 4);
	expect_refusal("", 0, "HdrS");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_detect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_initrd_empty_cmdline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
