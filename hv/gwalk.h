/* gwalk.h: translation of a guest linear address through the guest's
 * own page tables: paging off, 32-bit (with 4 MiB pages), PAE, and
 * 4-level long mode (SDM vol. 3, 4.3-4.5). Checks present, write and
 * user permissions for the access and the given privilege; sets no
 * accessed or dirty bits. Portable: tables are read through gmem. */
#ifndef HV_GWALK_H
#define HV_GWALK_H
#include <stdbool.h>
#include <stdint.h>
#include "status.h"
#include "hv/gmem.h"

struct gwalk_regs {
	uint64_t cr0, cr3, cr4, efer;
};

enum { GW_WRITE = 1, GW_USER = 2, GW_FETCH = 4 };

/* ST_EFAULT with *pf_error (a #PF error code) when the walk faults, or
 * ST_EFAULT with *pf_error = ~0 when a table lies outside guest RAM. */
status_t gwalk(const struct gmem *gm, const struct gwalk_regs *r,
	       uint64_t linear, unsigned access, uint64_t *gpa,
	       uint32_t *pf_error);

#endif
