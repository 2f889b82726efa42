/* multiboot.h: loads a Multiboot (version 0.6.96) kernel the way
 * `qemu-system-x86_64 -kernel` does: a 32-bit ELF, or any image with the
 * a.out kludge, placed in guest RAM, with modules, an information
 * structure (mem_lower/upper, memory map, command line, modules, loader
 * name) and the machine state of the specification's section 3.2.
 * Portable: writes go through gmem. */
#ifndef HV_MULTIBOOT_H
#define HV_MULTIBOOT_H
#include <stddef.h>
#include <stdint.h>
#include "status.h"
#include "hv/cpu_state.h"
#include "hv/gmem.h"

#define MB_BOOTLOADER_MAGIC 0x2BADB002u
#define MB_HEADER_MAGIC 0x1BADB002u

struct mb_module {
	const void *data;
	size_t size;
	const char *cmdline;
};

struct mb_image {
	const uint8_t *kernel;
	size_t kernel_size;
	const char *cmdline;
	const struct mb_module *mods;
	unsigned nmods;
	const struct mem_range *map; /* the guest's physical memory map */
	unsigned nmap;
	/* Where the loader's GDT goes (MB_GDT_SIZE bytes): memory the map
	 * reserves, so that the kernel never reuses it while it trusts it. */
	uint32_t gdt;
};

#define MB_GDT_SIZE 40u

/* True when the image carries a valid multiboot header. */
int mb_detect(const uint8_t *kernel, size_t size);
/* Loads the kernel and its data; fills *entry for the first instruction.
 * On failure `err` says why and guest RAM may hold a partial image. */
status_t mb_load(struct gmem *gm, const struct mb_image *img,
		 struct cpu_state *entry, char *err, size_t errlen);

#endif
