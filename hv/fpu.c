/* fpu.c: the guest's x87/SSE/AVX state while host code runs. The
 * hardware switches none of it on an exit (DESIGN.md section 3), and the
 * firmware and lz4 may use SSE, so after an exit the guest's registers
 * are saved (XSAVE under the guest's XCR0, else FXSAVE) and the host's
 * XCR0 is restored; before the next entry the reverse.
 * Environment: the CPU that runs the vCPU, around each entry. */
#include <stdbool.h>
#include <string.h>
#include "hv/cpuid_table.h"
#include "hv/hv.h"
#include "hv/platform.h"
#include "hv/x86.h"


static bool have_xsave;
static uint64_t host_xcr0, guest_mask;

status_t fpu_init(void)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	have_xsave = (r[2] >> 26) & 1;
	if (!have_xsave) {
		guest_mask = 3;
		return ST_OK;
	}
	write_cr4(read_cr4() | CR4_OSXSAVE);
	host_xcr0 = xgetbv(0);
	cpuid(0xd, 0, r);
	guest_mask = (((uint64_t)r[3] << 32) | r[0]) & GUEST_XCR0_ALLOWED;
	return ST_OK;
}

uint64_t fpu_guest_xcr0_mask(void)
{
	return guest_mask;
}

/* XSAVE needs the largest area for all supported components. */
void *fpu_alloc_area(void)
{
	void *p = plat_alloc_pages(FPU_AREA_PAGES);
	if (p)
		memset(p, 0, FPU_AREA_SIZE);
	if (p) /* a valid initial image: FCW 0x37f, MXCSR 0x1f80 */
		*(uint16_t *)p = 0x37f, *(uint32_t *)((uint8_t *)p + 24) = 0x1f80;
	return p;
}

void fpu_leave_guest(uint64_t guest_xcr0, void *area)
{
	if (!have_xsave) {
		__asm__ volatile("fxsave64 (%0)" : : "r"(area) : "memory");
		return;
	}
	__asm__ volatile("xsave64 (%0)" : : "r"(area), "a"((uint32_t)guest_xcr0),
			 "d"((uint32_t)(guest_xcr0 >> 32)) : "memory");
	if (guest_xcr0 != host_xcr0)
		xsetbv(0, host_xcr0);
}

void fpu_enter_guest(uint64_t guest_xcr0, void *area)
{
	if (!have_xsave) {
		__asm__ volatile("fxrstor64 (%0)" : : "r"(area) : "memory");
		return;
	}
	if (guest_xcr0 != host_xcr0)
		xsetbv(0, guest_xcr0);
	__asm__ volatile("xrstor64 (%0)" : : "r"(area), "a"((uint32_t)guest_xcr0),
			 "d"((uint32_t)(guest_xcr0 >> 32)) : "memory");
}
