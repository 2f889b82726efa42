/* linux_boot.h: loads a Linux bzImage the way `qemu-system-x86_64 -kernel
 * -initrd -append` does, but through the 64-bit entry point of the x86
 * boot protocol (Documentation/arch/x86/boot.rst, protocol 2.12 and up):
 * the kernel at 1 MiB, the zero page (boot_params) with the e820 map, the
 * command line, the initrd at the top of low RAM and the ACPI RSDP, and a
 * machine in long mode with the first 4 GiB identity-mapped.
 * Portable: writes go through gmem. */
#ifndef HV_LINUX_BOOT_H
#define HV_LINUX_BOOT_H
#include <stddef.h>
#include <stdint.h>
#include "status.h"
#include "hv/cpu_state.h"
#include "hv/gmem.h"

/* Fixed guest addresses of what the loader builds below 640 KiB. */
#define LINUX_ZERO_PAGE 0x7000u
#define LINUX_GDT 0x8000u
#define LINUX_PAGE_TABLES 0x9000u /* PML4, PDPT, 4 page directories */
#define LINUX_CMDLINE 0x20000u
#define LINUX_CMDLINE_MAX 4096u
#define LINUX_KERNEL_BASE 0x100000u

struct linux_image {
	const uint8_t *kernel; /* the bzImage file */
	size_t kernel_size;
	const uint8_t *initrd; /* NULL for none */
	size_t initrd_size;
	const char *cmdline;
	const struct mem_range *map; /* the guest's physical memory map */
	unsigned nmap;
	uint64_t rsdp; /* guest address of the ACPI RSDP, 0 for none */
};

/* True when the file carries the boot protocol's setup header. */
int linux_detect(const uint8_t *kernel, size_t size);
/* Loads kernel, initrd, command line and zero page; fills *entry with
 * the 64-bit entry state. On failure `err` says why, and guest RAM may
 * hold a partial image. */
status_t linux_load(struct gmem *gm, const struct linux_image *img,
		    struct cpu_state *entry, char *err, size_t errlen);

#endif
