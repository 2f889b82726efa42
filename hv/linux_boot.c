/* linux_boot.c: the Linux x86 boot protocol loader (linux_boot.h).
 * Offsets of the setup header and the zero page: the kernel's
 * Documentation/arch/x86/boot.rst ("The real-mode kernel header") and
 * zero-page.rst; the entry state: boot.rst, "64-bit Boot Protocol". */
#include <string.h>
#include "hv/lib/fmt.h"
#include "hv/linux_boot.h"

/* Setup header fields, at the same offset in the file and the zero page. */
enum {
	HDR_START = 0x1f1,
	HDR_SETUP_SECTS = 0x1f1, /* u8 */
	HDR_VID_MODE = 0x1fa,    /* u16 */
	HDR_BOOT_FLAG = 0x1fe,   /* u16, 0xAA55 */
	HDR_JUMP = 0x200,        /* u16; its second byte is the header's length */
	HDR_MAGIC = 0x202,       /* "HdrS" */
	HDR_VERSION = 0x206,     /* u16 */
	HDR_LOADER = 0x210,      /* u8 type_of_loader */
	HDR_LOADFLAGS = 0x211,   /* u8 */
	HDR_RAMDISK_IMAGE = 0x218,
	HDR_RAMDISK_SIZE = 0x21c,
	HDR_CMD_LINE_PTR = 0x228,
	HDR_INITRD_MAX = 0x22c,
	HDR_XLOADFLAGS = 0x236, /* u16, protocol 2.12 */
	HDR_CMDLINE_SIZE = 0x238,
	HDR_PREF_ADDRESS = 0x258, /* u64, protocol 2.10 */
	HDR_INIT_SIZE = 0x260,
	HDR_MIN_SIZE = 0x264,
};
/* Zero page fields outside the header (zero-page.rst). */
enum { ZP_ACPI_RSDP = 0x070, ZP_E820_ENTRIES = 0x1e8, ZP_E820_TABLE = 0x2d0,
       ZP_E820_MAX = 128, ZP_SIZE = 4096 };

#define HDRS_MAGIC 0x53726448u
#define LOADED_HIGH 0x01u
#define CAN_USE_HEAP 0x80u
#define XLF_KERNEL_64 0x01u
#define LOADER_UNDEFINED 0xffu
#define PROTOCOL_2_12 0x020c

#define FAIL(...) do { hv_snprintf(err, errlen, __VA_ARGS__); return ST_EINVAL; } while (0)

static uint32_t get(const uint8_t *p, size_t off, size_t len)
{
	uint32_t v = 0;
	memcpy(&v, p + off, len);
	return v;
}

static void put(uint8_t *p, size_t off, uint64_t v, size_t len)
{
	memcpy(p + off, &v, len);
}

int linux_detect(const uint8_t *k, size_t size)
{
	return size >= HDR_MIN_SIZE && get(k, HDR_BOOT_FLAG, 2) == 0xaa55 &&
	       get(k, HDR_MAGIC, 4) == HDRS_MAGIC;
}

/* The end of the RAM range that holds 1 MiB, where the kernel goes. */
static uint64_t low_ram_top(const struct linux_image *img)
{
	for (unsigned i = 0; i < img->nmap; i++) {
		const struct mem_range *r = &img->map[i];
		if (r->type == MEM_RAM && r->base <= LINUX_KERNEL_BASE &&
		    r->base + r->size > LINUX_KERNEL_BASE)
			return r->base + r->size;
	}
	return 0;
}

/* The protected-mode kernel goes to 1 MiB, as QEMU puts it. It needs
 * init_size bytes at the higher of that and its preferred address (a
 * relocatable kernel decompresses itself there): the initrd stays above. */
static status_t load_kernel(struct gmem *gm, const struct linux_image *img,
			    uint64_t *kernel_end, char *err, size_t errlen)
{
	const uint8_t *k = img->kernel;
	unsigned version = get(k, HDR_VERSION, 2);
	size_t setup_sects = get(k, HDR_SETUP_SECTS, 1) ? get(k, HDR_SETUP_SECTS, 1) : 4;
	size_t setup_size = (setup_sects + 1) * 512;
	if (version < PROTOCOL_2_12)
		FAIL("linux: boot protocol %u.%02u is older than 2.12, which the "
		     "64-bit entry needs", version >> 8, version & 0xff);
	if (!(get(k, HDR_LOADFLAGS, 1) & LOADED_HIGH))
		FAIL("linux: a zImage (loaded low) is not supported: use a bzImage");
	if (!(get(k, HDR_XLOADFLAGS, 2) & XLF_KERNEL_64))
		FAIL("linux: the kernel has no 64-bit entry point (XLF_KERNEL_64)");
	if (setup_size >= img->kernel_size)
		FAIL("linux: setup of %zu bytes leaves no kernel in a %zu-byte file",
		     setup_size, img->kernel_size);
	size_t pm_size = img->kernel_size - setup_size;
	uint64_t need = get(k, HDR_INIT_SIZE, 4);
	if (need < pm_size)
		need = pm_size;
	uint64_t pref = 0;
	memcpy(&pref, k + HDR_PREF_ADDRESS, 8);
	*kernel_end = (pref > LINUX_KERNEL_BASE ? pref : LINUX_KERNEL_BASE) + need;
	if (*kernel_end > low_ram_top(img))
		FAIL("linux: the kernel needs RAM up to %llu MiB, more than the "
		     "guest has", (unsigned long long)(*kernel_end >> 20));
	if (gmem_write(gm, LINUX_KERNEL_BASE, k + setup_size, pm_size))
		FAIL("linux: cannot write the kernel into guest RAM");
	return ST_OK;
}

/* The initrd goes as high as low RAM and initrd_addr_max allow, as
 * QEMU and GRUB put it, page-aligned, above the kernel's init_size. */
static status_t load_initrd(struct gmem *gm, const struct linux_image *img,
			    uint64_t kernel_end, uint8_t *zp, char *err,
			    size_t errlen)
{
	if (!img->initrd)
		return ST_OK;
	uint64_t top = low_ram_top(img);
	uint64_t max = (uint64_t)get(img->kernel, HDR_INITRD_MAX, 4) + 1;
	if (top > max)
		top = max;
	if (img->initrd_size > top || ((top - img->initrd_size) & ~0xfffull) < kernel_end)
		FAIL("linux: the initrd (%zu KiB) does not fit in RAM above the "
		     "kernel: give the guest more memory", img->initrd_size >> 10);
	uint64_t at = (top - img->initrd_size) & ~0xfffull;
	if (gmem_write(gm, at, img->initrd, img->initrd_size))
		FAIL("linux: cannot write the initrd into guest RAM");
	put(zp, HDR_RAMDISK_IMAGE, at, 4);
	put(zp, HDR_RAMDISK_SIZE, img->initrd_size, 4);
	return ST_OK;
}

static status_t load_cmdline(struct gmem *gm, const struct linux_image *img,
			     uint8_t *zp, char *err, size_t errlen)
{
	const char *s = img->cmdline ? img->cmdline : "";
	size_t len = strlen(s) + 1;
	size_t max = get(img->kernel, HDR_CMDLINE_SIZE, 4) + 1;
	if (max > LINUX_CMDLINE_MAX)
		max = LINUX_CMDLINE_MAX;
	if (len > max)
		FAIL("linux: the command line (%zu bytes) is longer than the "
		     "kernel takes (%zu)", len - 1, max - 1);
	if (gmem_write(gm, LINUX_CMDLINE, s, len))
		FAIL("linux: cannot write the command line into guest RAM");
	put(zp, HDR_CMD_LINE_PTR, LINUX_CMDLINE, 4);
	return ST_OK;
}

/* The zero page starts as the file's setup header; the loader then
 * fills in what it decided (boot.rst, "Details of header fields"). */
static void init_zero_page(uint8_t *zp, const struct linux_image *img)
{
	const uint8_t *k = img->kernel;
	size_t end = HDR_JUMP + 2 + get(k, HDR_JUMP + 1, 1);
	if (end > img->kernel_size)
		end = img->kernel_size;
	memset(zp, 0, ZP_SIZE);
	memcpy(zp + HDR_START, k + HDR_START, end - HDR_START);
	put(zp, HDR_VID_MODE, 0xffff, 2); /* "normal" */
	put(zp, HDR_LOADER, LOADER_UNDEFINED, 1);
	put(zp, HDR_LOADFLAGS, get(zp, HDR_LOADFLAGS, 1) | CAN_USE_HEAP, 1);
	put(zp, ZP_ACPI_RSDP, img->rsdp, 8);
}

static void put_e820(uint8_t *zp, const struct linux_image *img)
{
	unsigned n = 0;
	for (unsigned i = 0; i < img->nmap && n < ZP_E820_MAX; i++, n++) {
		uint8_t *e = zp + ZP_E820_TABLE + n * 20;
		put(e, 0, img->map[i].base, 8);
		put(e, 8, img->map[i].size, 8);
		put(e, 16, img->map[i].type, 4);
	}
	put(zp, ZP_E820_ENTRIES, n, 1);
}

/* Long mode needs paging: PML4 -> one PDPT -> four page directories of
 * 2 MiB pages map 0-4 GiB one to one (SDM vol. 3, 4.5), enough for the
 * kernel, its zero page, command line and initrd. Linux builds its own
 * tables early, so these pages are free again once it runs. */
static status_t build_page_tables(struct gmem *gm)
{
	static uint64_t t[6][512];
	memset(t, 0, sizeof t);
	t[0][0] = (LINUX_PAGE_TABLES + 0x1000) | 3; /* present, writable */
	for (uint64_t i = 0; i < 4; i++) {
		t[1][i] = (LINUX_PAGE_TABLES + 0x2000 + i * 0x1000) | 3;
		for (uint64_t j = 0; j < 512; j++)
			t[2 + i][j] = (i << 30) | (j << 21) | 0x83; /* 2 MiB page */
	}
	return gmem_write(gm, LINUX_PAGE_TABLES, t, sizeof t);
}

/* Flat segments: __BOOT_CS 0x10 (64-bit code), __BOOT_DS 0x18. */
static status_t build_gdt(struct gmem *gm)
{
	static const uint64_t gdt[4] = { 0, 0, 0x00af9b000000ffffull,
					 0x00cf93000000ffffull };
	return gmem_write(gm, LINUX_GDT, gdt, sizeof gdt);
}

/* boot.rst, 64-bit boot protocol: long mode, paging on with the loaded
 * ranges identity-mapped, __BOOT_CS/__BOOT_DS, interrupts off, RSI =
 * the zero page, entry at the kernel's load address + 0x200. */
static void entry_state(struct cpu_state *cs)
{
	cpu_state_flat(cs, 0xa9b); /* 64-bit code */
	cs->gpr[RSI] = LINUX_ZERO_PAGE;
	cs->rip = LINUX_KERNEL_BASE + 0x200;
	cs->cr0 = 0x80000031; /* PG, NE, ET, PE */
	cs->cr3 = LINUX_PAGE_TABLES;
	cs->cr4 = 0x20; /* PAE */
	cs->efer = 0x500; /* LME, LMA */
	cs->gdtr = (struct dtable){ LINUX_GDT, 0x1f };
}

status_t linux_load(struct gmem *gm, const struct linux_image *img,
		    struct cpu_state *entry, char *err, size_t errlen)
{
	static uint8_t zp[ZP_SIZE];
	uint64_t kernel_end;
	status_t st;
	if (!linux_detect(img->kernel, img->kernel_size))
		FAIL("linux: no boot protocol header (HdrS) in the kernel file");
	init_zero_page(zp, img);
	if ((st = load_kernel(gm, img, &kernel_end, err, errlen)) ||
	    (st = load_initrd(gm, img, kernel_end, zp, err, errlen)) ||
	    (st = load_cmdline(gm, img, zp, err, errlen)))
		return st;
	put_e820(zp, img);
	if (gmem_write(gm, LINUX_ZERO_PAGE, zp, sizeof zp) || build_gdt(gm) ||
	    build_page_tables(gm))
		FAIL("linux: cannot write the boot structures into guest RAM");
	entry_state(entry);
	return ST_OK;
}
