/* lapic_access.c: the ways a guest reaches its local APIC: the
 * IA32_APIC_BASE MSR (mode switches, SDM vol. 3, 11.4.4 and 11.12.5),
 * the xAPIC MMIO page, x2APIC MSRs 0x800-0x8ff (11.12.1), and the
 * TSC_DEADLINE MSR; plus the saved image for snapshots. */
#include <string.h>
#include "hv/lapic.h"
#include "hv/vm.h"

#define APIC_BASE_BSP (1ull << 8)
#define APIC_BASE_EXTD (1ull << 10)
#define APIC_BASE_EN (1ull << 11)
#define MSR_APIC_BASE 0x1b
#define MSR_TSC_DEADLINE 0x6e0
#define LAPIC_STATE_VERSION 1

uint32_t lapic_read_reg(struct lapic *l, unsigned reg);
bool lapic_write_reg(struct lapic *l, unsigned reg, uint64_t val);
void lapic_set_deadline(struct lapic *l, uint64_t tsc);
void lapic_timer_update(struct lapic *l);

/* Legal transitions (Figure 11-27): disabled <-> xAPIC <-> x2APIC, and
 * x2APIC -> disabled; xAPIC cannot be entered from x2APIC directly. */
static bool set_base(struct lapic *l, uint64_t val)
{
	uint64_t old = l->s.apic_base;
	bool en = val & APIC_BASE_EN, extd = val & APIC_BASE_EXTD;
	if ((val & 0x2ff) || (val >> 36) || (extd && !en))
		return false;
	if ((old & APIC_BASE_EXTD) && en && !extd)
		return false;
	if (!(old & APIC_BASE_EN) && extd)
		return false;
	val = (val & ~APIC_BASE_BSP) | (old & APIC_BASE_BSP);
	if (!en) { /* disabling resets the APIC (11.4.3) */
		lapic_reset(l);
		l->s.apic_base = val;
		return true;
	}
	if (!(old & APIC_BASE_EN)) { /* back on: power-up state, LVTs masked */
		lapic_reset(l);
		l->s.svr = 0xff;
		for (int i = 0; i < 7; i++)
			l->s.lvt[i] = 1u << 16;
	}
	l->s.apic_base = val;
	return true;
}

bool lapic_rdmsr(struct lapic *l, uint32_t msr, uint64_t *val)
{
	bool x2 = l->s.apic_base & APIC_BASE_EXTD;
	if (msr == MSR_APIC_BASE) {
		*val = l->s.apic_base;
		return true;
	}
	if (msr == MSR_TSC_DEADLINE) {
		*val = l->s.tsc_deadline;
		return true;
	}
	if (msr < 0x800 || msr > 0x8ff || !x2)
		return false;
	unsigned reg = msr - 0x800;
	if (reg == 0x30) {
		*val = ((uint64_t)l->s.icr_hi << 32) | lapic_read_reg(l, reg);
		return true;
	}
	/* Write-only or absent registers #GP on read, the reserved ones
	 * of Table 11-6 included (0x829-0x82e, 0x83a-0x83d, 0x840-0x8ff). */
	if (reg == 0x0b || reg == 0x3f || reg == 0x0e || reg == 0x31 ||
	    reg == 0x09 || reg == 0x0c || reg < 0x02 || (reg > 0x03 && reg < 0x08) ||
	    (reg > 0x28 && reg < 0x2f) || (reg > 0x39 && reg < 0x3e) ||
	    reg > 0x3f)
		return false;
	*val = lapic_read_reg(l, reg);
	return true;
}

bool lapic_wrmsr(struct lapic *l, uint32_t msr, uint64_t val)
{
	bool x2 = l->s.apic_base & APIC_BASE_EXTD;
	if (msr == MSR_APIC_BASE)
		return set_base(l, val);
	if (msr == MSR_TSC_DEADLINE) {
		lapic_set_deadline(l, val);
		return true;
	}
	if (msr < 0x800 || msr > 0x8ff || !x2)
		return false;
	unsigned reg = msr - 0x800;
	if (reg != 0x30 && (val >> 32))
		return false;
	if ((reg == 0x0b || reg == 0x28) && val)
		return false; /* EOI and ESR take only 0 in x2APIC mode */
	return lapic_write_reg(l, reg, val);
}

void lapic_mmio(struct lapic *l, uint64_t offset, unsigned size, bool write,
		uint64_t *val)
{
	unsigned reg = (unsigned)(offset >> 4);
	if ((offset & 0xf) || size != 4) {
		if (!write)
			*val = 0; /* unaligned or partial: undefined; reads 0 */
		return;
	}
	if (write)
		lapic_write_reg(l, reg, (uint32_t)*val);
	else
		*val = lapic_read_reg(l, reg);
}

void lapic_save(const struct lapic *l, struct lapic_state *out)
{
	*out = l->s;
}

status_t lapic_restore(struct lapic *l, const struct lapic_state *in)
{
	if (in->version != LAPIC_STATE_VERSION)
		return ST_ECORRUPT;
	l->s = *in;
	lapic_timer_update(l);
	return ST_OK;
}
