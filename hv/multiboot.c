/* multiboot.c: the Multiboot v1 loader (multiboot.h). Structures from the
 * Multiboot Specification 0.6.96, sections 3.1 (header) and 3.3 (boot
 * information); ELF32 layout from the System V ABI. */
#include <stdbool.h>
#include <string.h>
#include "hv/lib/fmt.h"
#include "hv/multiboot.h"

#define MB_SEARCH 8192
#define MB_FLAG_AOUT (1u << 16)
#define LOW_MEM_TOP 0x100000u

struct mb_header {
	uint32_t magic, flags, checksum;
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr;
	uint32_t entry_addr;
};

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr, config_table, boot_loader_name;
	uint32_t apm_table;
	uint32_t vbe_control_info, vbe_mode_info;
	uint16_t vbe_mode, vbe_seg, vbe_off, vbe_len;
};
enum { MBI_MEM = 1u << 0, MBI_CMDLINE = 1u << 2, MBI_MODS = 1u << 3,
       MBI_MMAP = 1u << 6, MBI_LOADER = 1u << 9 };

struct __attribute__((packed)) mb_mmap_entry {
	uint32_t size;
	uint64_t base, length;
	uint32_t type;
};

struct mb_mod_entry {
	uint32_t start, end, string, reserved;
};

struct elf32_ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version, entry, phoff, shoff, flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct elf32_phdr {
	uint32_t type, offset, vaddr, paddr, filesz, memsz, flags, align;
};
#define PT_LOAD 1

static const struct mb_header *find_header(const uint8_t *k, size_t size)
{
	for (size_t off = 0; off + sizeof(struct mb_header) <= size &&
			     off < MB_SEARCH; off += 4) {
		const struct mb_header *h = (const void *)(k + off);
		if (h->magic == MB_HEADER_MAGIC &&
		    h->magic + h->flags + h->checksum == 0)
			return h;
	}
	return NULL;
}

int mb_detect(const uint8_t *kernel, size_t size)
{
	return find_header(kernel, size) != NULL;
}

#define FAIL(...) do { hv_snprintf(err, errlen, __VA_ARGS__); return ST_EINVAL; } while (0)

/* The a.out kludge (section 3.1.3): the header gives the load addresses. */
static status_t load_aout(struct gmem *gm, const struct mb_image *img,
			  const struct mb_header *h, uint32_t *entry,
			  uint64_t *end, char *err, size_t errlen)
{
	uint64_t hdr_off = (const uint8_t *)h - img->kernel;
	if (h->load_addr > h->header_addr || hdr_off < h->header_addr - h->load_addr)
		FAIL("multiboot: load_addr 0x%x above header_addr 0x%x",
		     h->load_addr, h->header_addr);
	uint64_t file_off = hdr_off - (h->header_addr - h->load_addr);
	uint64_t load_end = h->load_end_addr ? h->load_end_addr
					     : h->load_addr + (img->kernel_size - file_off);
	if (load_end < h->load_addr || file_off + (load_end - h->load_addr) > img->kernel_size)
		FAIL("multiboot: load_end_addr 0x%x past the end of the file",
		     h->load_end_addr);
	uint64_t bss_end = h->bss_end_addr > load_end ? h->bss_end_addr : load_end;
	if (gmem_write(gm, h->load_addr, img->kernel + file_off, load_end - h->load_addr) ||
	    gmem_fill(gm, load_end, 0, bss_end - load_end))
		FAIL("multiboot: image 0x%x-0x%llx does not fit in guest RAM",
		     h->load_addr, (unsigned long long)bss_end);
	*entry = h->entry_addr;
	*end = bss_end;
	return ST_OK;
}

static status_t load_elf(struct gmem *gm, const struct mb_image *img,
			 uint32_t *entry, uint64_t *end, char *err,
			 size_t errlen)
{
	const struct elf32_ehdr *eh = (const void *)img->kernel;
	if (img->kernel_size < sizeof *eh || memcmp(eh->ident, "\177ELF", 4))
		FAIL("multiboot: not an ELF file and no a.out kludge in the header");
	if (eh->ident[4] != 1)
		FAIL("multiboot: 64-bit ELF kernels are not loadable (like QEMU, "
		     "we take 32-bit ELF or the a.out kludge)");
	if (eh->phentsize != sizeof(struct elf32_phdr) ||
	    eh->phoff > img->kernel_size ||
	    (uint64_t)eh->phnum * sizeof(struct elf32_phdr) > img->kernel_size - eh->phoff)
		FAIL("multiboot: ELF program headers out of the file");
	*entry = eh->entry;
	*end = 0;
	for (unsigned i = 0; i < eh->phnum; i++) {
		struct elf32_phdr copy;
		const struct elf32_phdr *ph = &copy;
		/* Copied out: nothing makes e_phoff a multiple of 4. */
		memcpy(&copy, img->kernel + eh->phoff + i * sizeof copy, sizeof copy);
		if (ph->type != PT_LOAD || !ph->memsz)
			continue;
		if (ph->filesz > ph->memsz || ph->offset > img->kernel_size ||
		    ph->filesz > img->kernel_size - ph->offset)
			FAIL("multiboot: ELF segment %u out of the file", i);
		if (gmem_write(gm, ph->paddr, img->kernel + ph->offset, ph->filesz) ||
		    gmem_fill(gm, (uint64_t)ph->paddr + ph->filesz, 0,
			      ph->memsz - ph->filesz))
			FAIL("multiboot: ELF segment %u at 0x%x (0x%x bytes) is not in "
			     "guest RAM", i, ph->paddr, ph->memsz);
		if (eh->entry >= ph->vaddr && eh->entry - ph->vaddr < ph->memsz)
			*entry = eh->entry - ph->vaddr + ph->paddr;
		if ((uint64_t)ph->paddr + ph->memsz > *end)
			*end = (uint64_t)ph->paddr + ph->memsz;
	}
	if (!*end)
		FAIL("multiboot: ELF file has no loadable segment");
	return ST_OK;
}

static uint64_t page_up(uint64_t a)
{
	return (a + 0xfff) & ~0xfffull;
}

/* Appends bytes at *cursor; returns their guest address or 0. */
static uint32_t put(struct gmem *gm, uint64_t *cursor, const void *data,
		    size_t len)
{
	uint64_t at = *cursor;
	if (at + len > 0xffffffffull || gmem_write(gm, at, data, len))
		return 0;
	*cursor = (at + len + 7) & ~7ull;
	return (uint32_t)at;
}

static uint32_t put_str(struct gmem *gm, uint64_t *cursor, const char *s)
{
	return put(gm, cursor, s, strlen(s) + 1);
}

static void fill_mem_info(struct mb_info *mbi, const struct mb_image *img)
{
	for (unsigned i = 0; i < img->nmap; i++) {
		const struct mem_range *r = &img->map[i];
		if (r->type != MEM_RAM)
			continue;
		if (r->base == 0)
			mbi->mem_lower = (uint32_t)((r->size < 0xa0000 ? r->size : 0xa0000) >> 10);
		if (r->base == LOW_MEM_TOP)
			mbi->mem_upper = (uint32_t)(r->size >> 10);
	}
	mbi->flags |= MBI_MEM;
}

static status_t write_info(struct gmem *gm, const struct mb_image *img,
			   uint64_t cursor, uint32_t *mbi_addr, char *err,
			   size_t errlen)
{
	struct mb_info mbi = { 0 };
	struct mb_mod_entry mods[16];
	struct mb_mmap_entry mmap[16];
	if (img->nmods > 16 || img->nmap > 16)
		FAIL("multiboot: too many modules or memory ranges");
	for (unsigned i = 0; i < img->nmods; i++) {
		cursor = page_up(cursor);
		mods[i].start = put(gm, &cursor, img->mods[i].data, img->mods[i].size);
		mods[i].end = mods[i].start + (uint32_t)img->mods[i].size;
		if (!mods[i].start)
			FAIL("multiboot: module %u (%zu bytes) does not fit in RAM", i,
			     img->mods[i].size);
	}
	cursor = page_up(cursor);
	for (unsigned i = 0; i < img->nmods; i++) {
		const char *s = img->mods[i].cmdline ? img->mods[i].cmdline : "";
		mods[i].string = put_str(gm, &cursor, s);
		mods[i].reserved = 0;
	}
	for (unsigned i = 0; i < img->nmap; i++)
		mmap[i] = (struct mb_mmap_entry){ 20, img->map[i].base,
						  img->map[i].size, img->map[i].type };
	fill_mem_info(&mbi, img);
	mbi.cmdline = put_str(gm, &cursor, img->cmdline ? img->cmdline : "");
	mbi.boot_loader_name = put_str(gm, &cursor, "hv");
	mbi.mmap_addr = put(gm, &cursor, mmap, img->nmap * sizeof mmap[0]);
	mbi.mmap_length = img->nmap * sizeof mmap[0];
	mbi.mods_count = img->nmods;
	mbi.mods_addr = img->nmods ? put(gm, &cursor, mods, img->nmods * sizeof mods[0])
				   : 0;
	mbi.flags |= MBI_CMDLINE | MBI_MMAP | MBI_LOADER | MBI_MODS;
	*mbi_addr = put(gm, &cursor, &mbi, sizeof mbi);
	if (!mbi.cmdline || !mbi.boot_loader_name || !mbi.mmap_addr || !*mbi_addr ||
	    (img->nmods && !mbi.mods_addr))
		FAIL("multiboot: no room in guest RAM for the boot information");
	return ST_OK;
}

/* The GDT and selectors QEMU's multiboot option ROM leaves: null, flat
 * 32-bit code at 0x08, flat data at 0x10, 16-bit code and data at 0x18
 * and 0x20. Section 3.2 lets GDTR be anything, but kernels in the wild
 * take an interrupt or reload a segment before their own LGDT. The
 * accessed bits are set so that loading a selector never writes to the
 * descriptor (it may live in ROM; SDM vol. 3, 3.4.5.1). */
static const uint64_t boot_gdt[MB_GDT_SIZE / 8] = {
	0, 0x00cf9b000000ffffull, 0x00cf93000000ffffull,
	0x00009b000000ffffull, 0x000093000000ffffull,
};
enum { MB_CODE_SEL = 0x08, MB_DATA_SEL = 0x10 };

static bool reserved(const struct mb_image *img, uint64_t base, uint64_t len)
{
	for (unsigned i = 0; i < img->nmap; i++) {
		const struct mem_range *r = &img->map[i];
		if (r->type != MEM_RAM && base >= r->base &&
		    base + len <= r->base + r->size)
			return true;
	}
	return false;
}

/* Section 3.2: 32-bit protected mode, flat segments, paging off. */
static void entry_state(struct cpu_state *cs, uint32_t entry, uint32_t mbi,
			uint32_t gdt)
{
	cpu_state_flat(cs, 0xc9b); /* 32-bit code */
	for (int s = 0; s < NR_SEGS; s++)
		if (s != SEG_LDTR && s != SEG_TR)
			cs->seg[s].sel = s == SEG_CS ? MB_CODE_SEL : MB_DATA_SEL;
	cs->gpr[RAX] = MB_BOOTLOADER_MAGIC;
	cs->gpr[RBX] = mbi;
	cs->rip = entry;
	cs->cr0 = 0x11; /* PE, ET */
	cs->gdtr = (struct dtable){ gdt, MB_GDT_SIZE - 1 };
	cs->idtr.limit = 0xffff;
}

status_t mb_load(struct gmem *gm, const struct mb_image *img,
		 struct cpu_state *entry, char *err, size_t errlen)
{
	const struct mb_header *h = find_header(img->kernel, img->kernel_size);
	uint32_t entry_addr, mbi_addr;
	uint64_t end;
	status_t st;
	if (!h)
		FAIL("multiboot: no multiboot header in the first 8 KiB");
	if (!reserved(img, img->gdt, MB_GDT_SIZE) ||
	    gmem_write(gm, img->gdt, boot_gdt, sizeof boot_gdt))
		FAIL("multiboot: no reserved memory for the GDT at 0x%x", img->gdt);
	if (h->flags & MB_FLAG_AOUT)
		st = load_aout(gm, img, h, &entry_addr, &end, err, errlen);
	else
		st = load_elf(gm, img, &entry_addr, &end, err, errlen);
	if (st)
		return st;
	st = write_info(gm, img, page_up(end), &mbi_addr, err, errlen);
	if (st)
		return st;
	entry_state(entry, entry_addr, mbi_addr, img->gdt);
	return ST_OK;
}
