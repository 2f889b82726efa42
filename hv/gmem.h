/* gmem.h: guest-physical memory, as a table of RAM regions each backed
 * by one host block. gmem_write() is the one path by which the
 * hypervisor itself writes into guest RAM (DESIGN.md section 2: it is
 * where a memory capture in progress gets to preserve a page first).
 * Portable; host unit tests back regions with malloc'd memory. */
#ifndef HV_GMEM_H
#define HV_GMEM_H
#include <stddef.h>
#include <stdint.h>
#include "status.h"

#define GMEM_MAX_REGIONS 8

/* e820 / multiboot memory types (ACPI 6.x, 15.1 Table 15-374). */
enum { MEM_RAM = 1, MEM_RESERVED = 2 };

struct mem_range {
	uint64_t base, size;
	uint32_t type;
};

struct gmem_region {
	uint64_t gpa, size;
	uint8_t *hva;
};

struct gmem {
	struct gmem_region region[GMEM_MAX_REGIONS];
	unsigned nregions;
	/* Called before the hypervisor writes into a guest page. */
	void (*before_write)(void *ctx, uint64_t gpa, uint64_t len);
	void *before_write_ctx;
};

status_t gmem_add(struct gmem *gm, uint64_t gpa, uint64_t size, void *hva);
/* Host pointer for [gpa, gpa+len) if it lies in one region, else NULL.
 * For reading only: writes go through gmem_write. */
const void *gmem_peek(const struct gmem *gm, uint64_t gpa, uint64_t len);
status_t gmem_read(const struct gmem *gm, uint64_t gpa, void *buf,
		   uint64_t len);
status_t gmem_write(struct gmem *gm, uint64_t gpa, const void *buf,
		    uint64_t len);
status_t gmem_fill(struct gmem *gm, uint64_t gpa, uint8_t byte, uint64_t len);
/* Total bytes of RAM. */
uint64_t gmem_size(const struct gmem *gm);

#endif
