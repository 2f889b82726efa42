/* hv_multiboot.c: unit tests of the Multiboot v1 loader (hv/multiboot.c)
 * with kernels built in memory: ELF32 and a.out-kludge images, loaded
 * into a fake guest RAM of 640 KiB at 0 and 15 MiB at 1 MiB. Kernel
 * files live in heap buffers of exactly their size so that ASan catches
 * any read past their end. Offsets: Multiboot Specification 0.6.96,
 * sections 3.1 (header), 3.2 (machine state), 3.3 (boot information). */
#include <stdio.h>
#include "tests/unit/fake_mem.h"
#include "hv/multiboot.h"

#define LOW_SIZE 0xa0000u
#define HIGH_BASE 0x100000u
#define HIGH_SIZE 0xf00000u
#define TOP (HIGH_BASE + HIGH_SIZE)
#define GDT 0xfff00u /* in the reserved BIOS area of pc_map */

/* Boot information offsets (section 3.3). */
enum { MBI_FLAGS = 0, MBI_MEM_LOWER = 4, MBI_MEM_UPPER = 8, MBI_CMDLINE = 16,
       MBI_MODS_COUNT = 20, MBI_MODS_ADDR = 24, MBI_MMAP_LENGTH = 44,
       MBI_MMAP_ADDR = 48, MBI_LOADER = 64 };

static const struct mem_range pc_map[] = {
	{ 0, 0x9fc00, MEM_RAM },
	{ 0x9fc00, 0x400, MEM_RESERVED },
	{ 0xf0000, 0x10000, MEM_RESERVED },
	{ HIGH_BASE, HIGH_SIZE, MEM_RAM },
};

static struct fake_gmem fg;
static char err[256];

static int setup(void **state)
{
	(void)state;
	fake_gmem_init(&fg);
	memset(fake_gmem_add(&fg, 0, LOW_SIZE), 0xcc, LOW_SIZE);
	memset(fake_gmem_add(&fg, HIGH_BASE, HIGH_SIZE), 0xcc, HIGH_SIZE);
	memset(fake_gmem_add(&fg, 0xf0000, 0x10000), 0xcc, 0x10000);
	err[0] = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_gmem_free(&fg);
	return 0;
}

static void wr16(uint8_t *p, size_t off, uint16_t v)
{
	memcpy(p + off, &v, 2);
}

static void wr32(uint8_t *p, size_t off, uint32_t v)
{
	memcpy(p + off, &v, 4);
}

static void put_header(uint8_t *k, size_t off, uint32_t flags)
{
	wr32(k, off, MB_HEADER_MAGIC);
	wr32(k, off + 4, flags);
	wr32(k, off + 8, -(MB_HEADER_MAGIC + flags));
}

/* ---- ELF32 kernel ------------------------------------------------------ */

#define ELF_SIZE 0x3010u
#define PHOFF 0x34u
#define ENTRY_V 0xc0100010u
#define ENTRY_P 0x100010u

static void put_phdr(uint8_t *k, unsigned i, uint32_t type, uint32_t off,
		     uint32_t vaddr, uint32_t paddr, uint32_t filesz,
		     uint32_t memsz)
{
	size_t p = PHOFF + 32 * i;
	wr32(k, p, type);
	wr32(k, p + 4, off);
	wr32(k, p + 8, vaddr);
	wr32(k, p + 12, paddr);
	wr32(k, p + 16, filesz);
	wr32(k, p + 20, memsz);
	wr32(k, p + 24, 7);
	wr32(k, p + 28, 0x1000);
}

static uint8_t data_byte(size_t off)
{
	return (uint8_t)(off * 13 + 7);
}

/* The reference ELF kernel: a text+data+bss segment at 1 MiB linked at
 * 0xc0100000, a PT_NOTE, an empty PT_LOAD, and a small segment at 2 MiB. */
static uint8_t *elf_kernel(size_t *size)
{
	uint8_t *k = calloc(1, ELF_SIZE);
	assert_non_null(k);
	memcpy(k, "\177ELF\1\1\1", 7);
	wr16(k, 16, 2);          /* ET_EXEC */
	wr16(k, 18, 3);          /* EM_386 */
	wr32(k, 20, 1);
	wr32(k, 24, ENTRY_V);
	wr32(k, 28, PHOFF);
	wr16(k, 40, 52);
	wr16(k, 42, 32);
	wr16(k, 44, 4);
	put_phdr(k, 0, 1, 0x1000, 0xc0100000, 0x100000, 0x2000, 0x3000);
	put_phdr(k, 1, 4, 0x100, 0x5000, 0x5000, 0x20, 0x20);
	put_phdr(k, 2, 1, 0x1000, 0xa0000, 0xa0000, 0, 0);
	put_phdr(k, 3, 1, 0x3000, 0x200000, 0x200000, 0x10, 0x10);
	put_header(k, 0x100, 3);
	for (size_t i = 0x1000; i < ELF_SIZE; i++)
		k[i] = data_byte(i);
	*size = ELF_SIZE;
	return k;
}

static uint8_t *exact_copy(const uint8_t *k, size_t size)
{
	uint8_t *c = malloc(size ? size : 1);
	assert_non_null(c);
	memcpy(c, k, size);
	return c;
}

static status_t load(const uint8_t *k, size_t size, const char *cmdline,
		     const struct mb_module *mods, unsigned nmods,
		     struct cpu_state *cs)
{
	struct mb_image img = { k, size, cmdline, mods, nmods, pc_map,
				sizeof pc_map / sizeof pc_map[0], GDT };
	err[0] = 0;
	return mb_load(&fg.gm, &img, cs, err, sizeof err);
}

static void expect_refused(const uint8_t *k, size_t size, const char *why)
{
	struct cpu_state cs;
	uint8_t *c = exact_copy(k, size);
	assert_int_equal(load(c, size, "", NULL, 0, &cs), ST_EINVAL);
	free(c);
	if (!strstr(err, why))
		fail_msg("error \"%s\" does not mention \"%s\"", err, why);
}

/* Segment register `seg` holds selector `sel`, and the GDT the loader
 * left in guest memory describes it as the hidden part says: base,
 * limit (4 KiB units), access byte (accessed bit set) and flags. */
static void expect_descriptor(const struct cpu_state *cs, int seg, uint16_t sel)
{
	const struct seg *s = &cs->seg[seg];
	assert_int_equal(s->sel, sel);
	assert_int_equal(cs->gdtr.base, GDT);
	assert_true(sel + 7u <= cs->gdtr.limit);
	uint64_t d = get32(&fg, GDT + sel) | (uint64_t)get32(&fg, GDT + sel + 4) << 32;
	assert_int_equal((d & 0xffff) | ((d >> 32) & 0xf0000), s->limit >> 12);
	assert_int_equal(((d >> 16) & 0xffffff) | ((d >> 56) << 24), s->base);
	assert_int_equal((d >> 40) & 0xff, s->attr & 0xff);
	assert_int_equal((d >> 52) & 0xf, (s->attr >> 8) & 0xf);
}

static void check_entry_state(const struct cpu_state *cs, uint32_t rip)
{
	assert_int_equal(cs->gpr[RAX], MB_BOOTLOADER_MAGIC);
	assert_int_equal(cs->gpr[RAX], 0x2BADB002);
	assert_int_equal(cs->rip, rip);
	assert_int_equal(cs->cr0, 0x11); /* PE | ET, paging off */
	assert_int_equal(cs->rflags & ((1u << 9) | (1u << 17)), 0); /* IF, VM */
	assert_true(cs->rflags & 2);
	assert_int_equal(cs->efer, 0);
	assert_int_equal(cs->cr4, 0);
	assert_int_equal(cs->seg[SEG_CS].attr, 0xc9b);
	assert_int_equal(cs->seg[SEG_CS].base, 0);
	assert_int_equal(cs->seg[SEG_CS].limit, 0xffffffff);
	expect_descriptor(cs, SEG_CS, 0x08);
	static const int data[] = { SEG_DS, SEG_ES, SEG_FS, SEG_GS, SEG_SS };
	for (int i = 0; i < 5; i++) {
		assert_int_equal(cs->seg[data[i]].attr, 0xc93);
		assert_int_equal(cs->seg[data[i]].base, 0);
		assert_int_equal(cs->seg[data[i]].limit, 0xffffffff);
		expect_descriptor(cs, data[i], 0x10);
	}
	assert_true(cs->seg[SEG_TR].attr & 0x80);
}

/* Checks the boot information at EBX; returns it. */
static uint32_t check_mbi(const struct cpu_state *cs, uint64_t kernel_end,
			  const char *cmdline)
{
	uint32_t mbi = (uint32_t)cs->gpr[RBX];
	assert_int_equal(cs->gpr[RBX] >> 32, 0);
	assert_true(mbi >= kernel_end);
	assert_true(mbi + 88 <= TOP);
	uint32_t flags = get32(&fg, mbi + MBI_FLAGS);
	unsigned want = (1u << 0) | (1u << 2) | (1u << 3) | (1u << 6) | (1u << 9);
	assert_int_equal(flags & want, want);
	assert_int_equal(flags & ((1u << 1) | (1u << 11) | (1u << 12)), 0);
	assert_int_equal(get32(&fg, mbi + MBI_MEM_LOWER), 639);
	assert_int_equal(get32(&fg, mbi + MBI_MEM_UPPER), HIGH_SIZE / 1024);
	/* Command line. */
	uint32_t cl = get32(&fg, mbi + MBI_CMDLINE);
	assert_true(cl >= kernel_end && cl < TOP);
	assert_string_equal((const char *)fake_gmem_at(&fg, cl), cmdline);
	/* Loader name: a string in RAM above the kernel. */
	uint32_t ln = get32(&fg, mbi + MBI_LOADER);
	assert_true(ln >= kernel_end && ln < TOP);
	assert_true(strlen((const char *)fake_gmem_at(&fg, ln)) > 0);
	/* Memory map: 24-byte entries whose size field says 20. */
	uint32_t n = get32(&fg, mbi + MBI_MMAP_LENGTH);
	uint32_t mm = get32(&fg, mbi + MBI_MMAP_ADDR);
	assert_int_equal(n, 4 * 24);
	assert_true(mm >= kernel_end && mm + n <= TOP);
	for (unsigned i = 0; i < 4; i++) {
		uint32_t e = mm + 24 * i;
		assert_int_equal(get32(&fg, e), 20);
		assert_int_equal(get64(&fg, e + 4), pc_map[i].base);
		assert_int_equal(get64(&fg, e + 12), pc_map[i].size);
		assert_int_equal(get32(&fg, e + 20), pc_map[i].type);
	}
	return mbi;
}

static void test_elf(void **state)
{
	(void)state;
	size_t size;
	uint8_t *k = elf_kernel(&size);
	uint8_t *c = exact_copy(k, size);
	struct cpu_state cs;
	memset(&cs, 0xee, sizeof cs);
	assert_int_equal(load(c, size, "console=ttyS0 debug", NULL, 0, &cs), ST_OK);
	/* Segment 0: file bytes, then bss zeroed. */
	uint8_t *seg0 = fake_gmem_at(&fg, 0x100000);
	for (size_t i = 0; i < 0x2000; i++)
		assert_int_equal(seg0[i], data_byte(0x1000 + i));
	for (size_t i = 0x2000; i < 0x3000; i++)
		assert_int_equal(seg0[i], 0);
	assert_int_equal(seg0[0x3000], 0xcc);
	/* Segment 3. */
	uint8_t *seg3 = fake_gmem_at(&fg, 0x200000);
	for (size_t i = 0; i < 0x10; i++)
		assert_int_equal(seg3[i], data_byte(0x3000 + i));
	/* The PT_NOTE was not loaded. */
	assert_int_equal(*fake_gmem_at(&fg, 0x5000), 0xcc);
	check_entry_state(&cs, ENTRY_P);
	uint32_t mbi = check_mbi(&cs, 0x200010, "console=ttyS0 debug");
	assert_int_equal(get32(&fg, mbi + MBI_MODS_COUNT), 0);
	/* mb_detect agrees. */
	assert_true(mb_detect(c, size));
	free(c);
	free(k);
}

/* An entry point outside every segment is taken as is; a NULL command
 * line gives an empty string. */
static void test_elf_entry_untranslated(void **state)
{
	(void)state;
	size_t size;
	uint8_t *k = elf_kernel(&size);
	struct cpu_state cs;
	wr32(k, 24, 0x100020); /* a physical entry: no vaddr covers it */
	uint8_t *c = exact_copy(k, size);
	assert_int_equal(load(c, size, NULL, NULL, 0, &cs), ST_OK);
	assert_int_equal(cs.rip, 0x100020);
	check_mbi(&cs, 0x200010, "");
	free(c);
	/* Identity-linked segment. */
	put_phdr(k, 0, 1, 0x1000, 0x100000, 0x100000, 0x2000, 0x3000);
	wr32(k, 24, 0x102ffc); /* in the bss, still inside memsz */
	c = exact_copy(k, size);
	assert_int_equal(load(c, size, NULL, NULL, 0, &cs), ST_OK);
	assert_int_equal(cs.rip, 0x102ffc);
	free(c);
	free(k);
}

static void test_modules(void **state)
{
	(void)state;
	size_t size;
	uint8_t *k = elf_kernel(&size);
	uint8_t *m1 = malloc(5000), m2[3] = { 1, 2, 3 };
	assert_non_null(m1);
	for (int i = 0; i < 5000; i++)
		m1[i] = (uint8_t)(i ^ 0x5a);
	struct mb_module mods[2] = { { m1, 5000, "initrd arg=1" },
				     { m2, 3, NULL } };
	struct cpu_state cs;
	assert_int_equal(load(k, size, "root=/dev/ram0", mods, 2, &cs), ST_OK);
	uint32_t mbi = check_mbi(&cs, 0x200010, "root=/dev/ram0");
	assert_int_equal(get32(&fg, mbi + MBI_MODS_COUNT), 2);
	uint32_t ma = get32(&fg, mbi + MBI_MODS_ADDR);
	assert_true(ma >= 0x200010 && ma + 32 <= TOP);
	uint32_t prev_end = 0x200010;
	for (int i = 0; i < 2; i++) {
		uint32_t start = get32(&fg, ma + 16 * i);
		uint32_t end = get32(&fg, ma + 16 * i + 4);
		uint32_t str = get32(&fg, ma + 16 * i + 8);
		assert_int_equal(start & 0xfff, 0);
		assert_true(start >= prev_end);
		assert_int_equal(end - start, mods[i].size);
		assert_true(end <= TOP);
		assert_memory_equal(fake_gmem_at(&fg, start), mods[i].data,
				    mods[i].size);
		assert_string_equal((const char *)fake_gmem_at(&fg, str),
				    mods[i].cmdline ? mods[i].cmdline : "");
		assert_true(str >= 0x200010);
		/* The MBI does not overlap a module. */
		assert_true(mbi >= end || mbi + 88 <= start);
		prev_end = end;
	}
	free(m1);
	free(k);
}

/* A module too big for RAM is refused. */
static void test_module_too_big(void **state)
{
	(void)state;
	size_t size;
	uint8_t *k = elf_kernel(&size);
	size_t big = HIGH_SIZE;
	uint8_t *m = calloc(1, big);
	assert_non_null(m);
	struct mb_module mod = { m, big, "big" };
	struct cpu_state cs;
	assert_int_equal(load(k, size, "", &mod, 1, &cs), ST_EINVAL);
	assert_non_null(strstr(err, "module 0"));
	free(m);
	free(k);
}

static void test_elf_refused(void **state)
{
	(void)state;
	size_t size;
	uint8_t *k = elf_kernel(&size), *c;

	/* ELF64. */
	c = exact_copy(k, size);
	c[4] = 2;
	expect_refused(c, size, "64-bit");
	free(c);
	/* No header. */
	c = exact_copy(k, size);
	memset(c + 0x100, 0, 12);
	expect_refused(c, size, "no multiboot header");
	assert_false(mb_detect(c, size));
	/* Bad checksum. */
	put_header(c, 0x100, 3);
	wr32(c, 0x108, -(MB_HEADER_MAGIC + 3) + 1);
	expect_refused(c, size, "no multiboot header");
	assert_false(mb_detect(c, size));
	free(c);
	/* Not ELF and no a.out kludge. */
	c = exact_copy(k, size);
	c[1] = 'X';
	expect_refused(c, size, "not an ELF");
	free(c);
	/* Segment outside RAM: in the VGA hole, past the top, bss into the
	 * hole. */
	uint32_t bad[][3] = { { 0xa0000, 0x10, 0x10 }, { TOP - 8, 0x10, 0x10 },
			      { 0x9f000, 0x100, 0x2000 }, { 0xfffffff0, 0x10, 0x10 },
			      { 0x100000, 0x10, 0xfffffff0 } };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		c = exact_copy(k, size);
		put_phdr(c, 3, 1, 0x1000, bad[i][0], bad[i][0], bad[i][1], bad[i][2]);
		expect_refused(c, size, "not in guest RAM");
		free(c);
	}
	/* No loadable segment. */
	c = exact_copy(k, size);
	wr16(c, 44, 3);
	put_phdr(c, 0, 6, 0, 0, 0, 0, 0x10);
	put_phdr(c, 2, 1, 0, 0, 0, 0, 0);
	expect_refused(c, size, "no loadable segment");
	free(c);
	free(k);
}

/* Malformed headers never make the loader read outside the file. */
static void test_elf_out_of_file(void **state)
{
	(void)state;
	size_t size;
	uint8_t *k = elf_kernel(&size), *c;

	c = exact_copy(k, size);
	wr32(c, 28, ELF_SIZE + 4);                 /* phoff past the end */
	expect_refused(c, size, "program headers out of the file");
	wr32(c, 28, ELF_SIZE - 32 * 4 + 1);        /* table runs past the end */
	expect_refused(c, size, "program headers out of the file");
	wr32(c, 28, 0xffffffe0);                   /* wrapping */
	expect_refused(c, size, "program headers out of the file");
	wr32(c, 28, PHOFF);
	wr16(c, 44, 0xffff);                       /* too many */
	expect_refused(c, size, "program headers out of the file");
	wr16(c, 44, 4);
	wr16(c, 42, 56);                           /* ELF64-sized entries */
	expect_refused(c, size, "program headers out of the file");
	free(c);
	/* Segment contents beyond the file. */
	uint32_t seg[][3] = { { ELF_SIZE - 0xf, 0x10, 0x10 },
			      { ELF_SIZE + 1, 0, 0x10 },
			      { 0xfffffff0, 0x20, 0x20 },
			      { 0x3000, 0xffffffff, 0xffffffff },
			      { 0x3000, 0x20, 0x10 } /* filesz > memsz */ };
	for (size_t i = 0; i < sizeof seg / sizeof seg[0]; i++) {
		c = exact_copy(k, size);
		put_phdr(c, 3, 1, seg[i][0], 0x200000, 0x200000, seg[i][1], seg[i][2]);
		expect_refused(c, size, "segment 3 out of the file");
		free(c);
	}
	/* Truncated files of every length refuse cleanly. */
	struct cpu_state cs;
	for (size_t n = 0; n < size; n += n < 0x200 ? 1 : 0x3f) {
		c = exact_copy(k, n);
		assert_int_equal(load(c, n, "", NULL, 0, &cs), ST_EINVAL);
		free(c);
	}
	/* A tiny file holding only a header: not ELF. */
	c = calloc(1, 12);
	assert_non_null(c);
	put_header(c, 0, 0);
	assert_int_equal(load(c, 12, "", NULL, 0, &cs), ST_EINVAL);
	free(c);
	/* The header may sit anywhere 4-aligned in the first 8 KiB. */
	c = calloc(1, 0x2100);
	assert_non_null(c);
	put_header(c, 8192 - 32, 3);
	assert_true(mb_detect(c, 0x2100));
	memset(c, 0, 0x2100);
	put_header(c, 8192, 3);
	assert_false(mb_detect(c, 0x2100));
	put_header(c, 0x102, 3);                   /* not 4-aligned */
	assert_false(mb_detect(c, 0x2100));
	free(c);
	free(k);
}

/* Program headers at an odd offset (the ELF format does not require
 * alignment) load the same. */
static void test_elf_unaligned_phdrs(void **state)
{
	(void)state;
	size_t size;
	uint8_t *k = elf_kernel(&size);
	memmove(k + 0x200 + 1, k + PHOFF, 4 * 32);
	wr32(k, 28, 0x201);
	uint8_t *c = exact_copy(k, size);
	struct cpu_state cs;
	assert_int_equal(load(c, size, "", NULL, 0, &cs), ST_OK);
	assert_int_equal(cs.rip, ENTRY_P);
	assert_int_equal(*fake_gmem_at(&fg, 0x100000), data_byte(0x1000));
	free(c);
	free(k);
}

/* ---- a.out kludge ------------------------------------------------------ */

#define AOUT_SIZE 0x1000u
#define AOUT_HDR 0x40u

/* Header at file offset 0x40, loaded at 1 MiB: header_addr 0x100040. */
static uint8_t *aout_kernel(uint32_t load_end, uint32_t bss_end)
{
	uint8_t *k = malloc(AOUT_SIZE);
	assert_non_null(k);
	for (size_t i = 0; i < AOUT_SIZE; i++)
		k[i] = data_byte(i);
	put_header(k, AOUT_HDR, 0x10003);
	wr32(k, AOUT_HDR + 12, 0x100040);   /* header_addr */
	wr32(k, AOUT_HDR + 16, 0x100000);   /* load_addr */
	wr32(k, AOUT_HDR + 20, load_end);   /* load_end_addr */
	wr32(k, AOUT_HDR + 24, bss_end);    /* bss_end_addr */
	wr32(k, AOUT_HDR + 28, 0x100100);   /* entry_addr */
	return k;
}

static void test_aout(void **state)
{
	(void)state;
	uint8_t *k = aout_kernel(0x100800, 0x102000);
	struct cpu_state cs;
	assert_int_equal(load(k, AOUT_SIZE, "aout", NULL, 0, &cs), ST_OK);
	uint8_t *g = fake_gmem_at(&fg, 0x100000);
	assert_memory_equal(g, k, 0x800);
	for (size_t i = 0x800; i < 0x2000; i++)
		assert_int_equal(g[i], 0);
	/* (The boot information follows from 0x102000 on.) */
	check_entry_state(&cs, 0x100100);
	check_mbi(&cs, 0x102000, "aout");
	free(k);
}

static void test_aout_whole_file(void **state)
{
	(void)state;
	/* load_end_addr 0: the whole file; bss_end_addr 0: no bss. */
	uint8_t *k = aout_kernel(0, 0);
	struct cpu_state cs;
	assert_int_equal(load(k, AOUT_SIZE, "", NULL, 0, &cs), ST_OK);
	assert_memory_equal(fake_gmem_at(&fg, 0x100000), k, AOUT_SIZE);
	check_mbi(&cs, 0x100000 + AOUT_SIZE, "");
	free(k);
	/* Loading starts after the file's first bytes when header_addr -
	 * load_addr is smaller than the header's offset. */
	k = aout_kernel(0x100100, 0);
	wr32(k, AOUT_HDR + 12, 0x100020); /* header 0x20 into the image */
	assert_int_equal(load(k, AOUT_SIZE, "", NULL, 0, &cs), ST_OK);
	assert_memory_equal(fake_gmem_at(&fg, 0x100000), k + 0x20, 0x100);
	free(k);
}

static void test_aout_refused(void **state)
{
	(void)state;
	uint8_t *k = aout_kernel(0x100800, 0x102000);
	/* load_addr above header_addr. */
	wr32(k, AOUT_HDR + 16, 0x100044);
	expect_refused(k, AOUT_SIZE, "load_addr");
	/* Header offset smaller than header_addr - load_addr. */
	wr32(k, AOUT_HDR + 16, 0x100000 - 0x100);
	expect_refused(k, AOUT_SIZE, "load_addr");
	wr32(k, AOUT_HDR + 16, 0x100000);
	/* load_end past the file, or below load_addr. */
	wr32(k, AOUT_HDR + 20, 0x100000 + AOUT_SIZE + 1);
	expect_refused(k, AOUT_SIZE, "past the end of the file");
	wr32(k, AOUT_HDR + 20, 0xfffff);
	expect_refused(k, AOUT_SIZE, "past the end of the file");
	wr32(k, AOUT_HDR + 20, 0x100800);
	/* bss into a hole past RAM. */
	wr32(k, AOUT_HDR + 24, TOP + 1);
	expect_refused(k, AOUT_SIZE, "does not fit in guest RAM");
	free(k);
	/* Loaded in the VGA hole. */
	k = aout_kernel(0xa0800, 0);
	wr32(k, AOUT_HDR + 12, 0xa0040);
	wr32(k, AOUT_HDR + 16, 0xa0000);
	expect_refused(k, AOUT_SIZE, "does not fit in guest RAM");
	free(k);
	/* The 32-byte header runs past a short file: not found. */
	k = aout_kernel(0, 0);
	expect_refused(k, AOUT_HDR + 28, "no multiboot header");
	free(k);
}

/* The GDT must go where the map reserves memory: in RAM the kernel
 * could reuse it while it still trusts it. */
static void test_gdt_must_be_reserved(void **state)
{
	(void)state;
	size_t size;
	uint8_t *k = elf_kernel(&size);
	struct mb_image img = { k, size, "", NULL, 0, pc_map,
				sizeof pc_map / sizeof pc_map[0], 0x8000 };
	struct cpu_state cs;
	assert_int_equal(mb_load(&fg.gm, &img, &cs, err, sizeof err), ST_EINVAL);
	assert_non_null(strstr(err, "reserved memory for the GDT"));
	free(k);
}

/* Unusual memory maps: mem_lower capped at 640 KiB, no upper RAM. */
static void test_mem_info(void **state)
{
	(void)state;
	size_t size;
	uint8_t *k = elf_kernel(&size);
	const struct mem_range map[] = { { 0, 0x100000, MEM_RAM },
					 { 0x100000, 0x100000, MEM_RESERVED } };
	struct mb_image img = { k, size, "", NULL, 0, map, 2, 0x1fff00 };
	struct cpu_state cs;
	assert_int_equal(mb_load(&fg.gm, &img, &cs, err, sizeof err), ST_OK);
	uint32_t mbi = (uint32_t)cs.gpr[RBX];
	assert_int_equal(get32(&fg, mbi + MBI_MEM_LOWER), 640);
	assert_int_equal(get32(&fg, mbi + MBI_MEM_UPPER), 0);
	assert_int_equal(get32(&fg, mbi + MBI_MMAP_LENGTH), 48);
	free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_elf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_elf_entry_untranslated, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_modules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_module_too_big, setup, teardown),
		cmocka_unit_test_setup_teardown(test_elf_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_elf_out_of_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_elf_unaligned_phdrs, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_aout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aout_whole_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aout_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mem_info, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gdt_must_be_reserved, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
