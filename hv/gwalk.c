/* gwalk.c: guest page-table walker (gwalk.h). */
#include "hv/gwalk.h"
#include "hv/x86.h"

#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_U (1ull << 2)
#define PTE_PS (1ull << 7)
#define ADDR_MASK 0x000ffffffffff000ull
#define PF_P 1u
#define CR4_SMEP (1ull << 20)
#define CR4_LA57 (1ull << 12) /* 5-level paging (SDM vol. 3, 4.5) */

static status_t read_entry(const struct gmem *gm, uint64_t addr, bool wide,
			   uint64_t *e)
{
	uint32_t e32;
	if (wide)
		return gmem_read(gm, addr, e, 8);
	if (gmem_read(gm, addr, &e32, 4))
		return ST_EFAULT;
	*e = e32;
	return ST_OK;
}

/* Supervisor writes ignore W when CR0.WP is clear (SDM vol. 3, 4.6). */
static bool allowed(uint64_t rights_w, uint64_t rights_u, unsigned access,
		    uint64_t cr0)
{
	if ((access & GW_USER) && !rights_u)
		return false;
	if ((access & GW_WRITE) && !rights_w &&
	    ((access & GW_USER) || (cr0 & CR0_WP)))
		return false;
	return true;
}

/* I/D is reported only with NX in use (PAE paging and EFER.NXE) or
 * SMEP; otherwise it is 0 (SDM vol. 3, 4.7; APM vol. 2, 8.4.2). */
static bool reports_fetch(const struct gwalk_regs *r)
{
	return (r->cr4 & CR4_SMEP) ||
	       ((r->cr4 & CR4_PAE) && (r->efer & EFER_NXE));
}

static status_t fault(uint32_t *pf_error, unsigned access, bool present,
		      const struct gwalk_regs *r)
{
	*pf_error = (present ? PF_P : 0) | ((access & GW_WRITE) ? 2 : 0) |
		    ((access & GW_USER) ? 4 : 0) |
		    ((access & GW_FETCH) && reports_fetch(r) ? 16 : 0);
	return ST_EFAULT;
}

status_t gwalk(const struct gmem *gm, const struct gwalk_regs *r,
	       uint64_t linear, unsigned access, uint64_t *gpa,
	       uint32_t *pf_error)
{
	bool wide = (r->cr4 & CR4_PAE) != 0;
	bool lm = (r->efer & EFER_LMA) != 0;
	int levels = lm ? ((r->cr4 & CR4_LA57) ? 5 : 4) : (wide ? 3 : 2);
	uint64_t table = wide ? (lm ? r->cr3 & ADDR_MASK : r->cr3 & 0xffffffe0ull)
			      : r->cr3 & 0xfffff000ull;
	uint64_t w = 1, u = 1, e = 0;
	if (!(r->cr0 & CR0_PG)) {
		*gpa = linear & 0xffffffffull;
		return ST_OK;
	}
	if (!lm)
		linear &= 0xffffffffull;
	for (int level = levels; level >= 1; level--) {
		unsigned shift = wide ? 12 + 9 * (level - 1) : 12 + 10 * (level - 1);
		unsigned idx_bits = (wide && !lm && level == 3) ? 2 : (wide ? 9 : 10);
		uint64_t idx = (linear >> shift) & ((1ull << idx_bits) - 1);
		if (read_entry(gm, table + idx * (wide ? 8 : 4), wide, &e)) {
			*pf_error = ~0u;
			return ST_EFAULT;
		}
		if (!(e & PTE_P))
			return fault(pf_error, access, false, r);
		/* PAE PDPTEs carry no rights (SDM vol. 3, 4.4.1). */
		if (!(wide && !lm && level == 3)) {
			w &= (e & PTE_W) != 0;
			u &= (e & PTE_U) != 0;
		}
		bool large = level > 1 && (e & PTE_PS) &&
			     (level == 2 || (lm && level == 3)) &&
			     (wide || (r->cr4 & CR4_PSE));
		if (large || level == 1) {
			if (!allowed(w, u, access, r->cr0))
				return fault(pf_error, access, true, r);
			uint64_t page = 1ull << shift;
			uint64_t base = e & ADDR_MASK & ~(page - 1);
			if (!wide && large) /* PSE-36: bits 13-20 are address 32-39 */
				base = (e & 0xffc00000ull) | ((e >> 13) & 0xffull) << 32;
			*gpa = base | (linear & (page - 1));
			return ST_OK;
		}
		table = e & (wide ? ADDR_MASK : 0xfffff000ull);
	}
	return ST_EFAULT;
}
