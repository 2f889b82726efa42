/* lapic.c: the local APIC's registers and interrupt state (lapic.h).
 * Register offsets and reset values: Intel SDM vol. 3, 11.4.1 (Table
 * 11-1) and 11.12 (x2APIC, Table 11-6). The reset state is the one a PC
 * BIOS leaves (LINT0 ExtINT, LINT1 NMI, APIC software-enabled) so that
 * 8259 interrupts reach a guest that never touches the APIC.
 * Environment: the service loop; the vCPU is out of guest mode. */
#include <stdlib.h>
#include <string.h>
#include "hv/ioapic.h"
#include "hv/lapic.h"
#include "hv/vm.h"

#define LAPIC_STATE_VERSION 1
#define APIC_BASE_BSP (1ull << 8)
#define APIC_BASE_EXTD (1ull << 10)
#define APIC_BASE_EN (1ull << 11)
#define SVR_ENABLE (1u << 8)
#define LVT_MASK (1u << 16)
#define LVT_LEVEL (1u << 15)
enum { LVT_CMCI, LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1,
       LVT_ERROR };

void lapic_timer_load(struct lapic *l, uint32_t count);
uint32_t lapic_timer_current(const struct lapic *l);
void lapic_timer_update(struct lapic *l);
void lapic_timer_fire(struct vtimer *t);

static bool test_bit(const uint32_t *map, unsigned v)
{
	return (map[v >> 5] >> (v & 31)) & 1;
}

static void set_bit(uint32_t *map, unsigned v, bool on)
{
	if (on)
		map[v >> 5] |= 1u << (v & 31);
	else
		map[v >> 5] &= ~(1u << (v & 31));
}

static int highest(const uint32_t *map)
{
	for (int i = 7; i >= 0; i--)
		if (map[i])
			return i * 32 + 31 - __builtin_clz(map[i]);
	return -1;
}

static bool x2apic(const struct lapic *l)
{
	return (l->s.apic_base & APIC_BASE_EXTD) != 0;
}

static bool hw_enabled(const struct lapic *l)
{
	return (l->s.apic_base & APIC_BASE_EN) != 0;
}

static bool sw_enabled(const struct lapic *l)
{
	return hw_enabled(l) && (l->s.svr & SVR_ENABLE);
}

bool lapic_xapic_enabled(const struct lapic *l)
{
	return hw_enabled(l) && !x2apic(l);
}

/* Processor priority (11.8.3.1): the higher class of TPR and ISR. */
static uint32_t ppr(const struct lapic *l)
{
	int isr = highest(l->s.isr);
	uint32_t isr_class = isr < 0 ? 0 : (uint32_t)isr & 0xf0;
	return (l->s.tpr & 0xf0) >= isr_class ? l->s.tpr & 0xff : isr_class;
}

void lapic_reset(struct lapic *l)
{
	struct vcpu *v = l->vcpu;
	uint64_t base = LAPIC_DEFAULT_BASE | APIC_BASE_EN |
			(v->id == 0 ? APIC_BASE_BSP : 0);
	vtimer_cancel(v->vm, &l->timer);
	memset(&l->s, 0, sizeof l->s);
	l->s.version = LAPIC_STATE_VERSION;
	l->s.id = v->id;
	l->s.apic_base = base;
	l->s.dfr = 0xffffffffu;
	l->s.svr = SVR_ENABLE | 0xff;
	for (int i = 0; i < 7; i++)
		l->s.lvt[i] = LVT_MASK;
	l->s.lvt[LVT_LINT0] = APIC_DM_EXTINT << 8;
	l->s.lvt[LVT_LINT1] = APIC_DM_NMI << 8;
}

status_t lapic_create(struct vcpu *v)
{
	struct lapic *l = calloc(1, sizeof *l);
	if (!l)
		return ST_ENOMEM;
	l->vcpu = v;
	l->timer.fire = lapic_timer_fire;
	l->timer.ctx = l;
	v->lapic = l;
	lapic_reset(l);
	return ST_OK;
}

void lapic_accept(struct lapic *l, uint8_t vector, bool level)
{
	if (!sw_enabled(l) || vector < 16) {
		/* Received illegal vector; "the local APIC will never set an
		 * IRR bit in the range 0 to 15" (11.5.3). */
		if (vector < 16)
			l->s.esr |= 1u << 6;
		return;
	}
	set_bit(l->s.irr, vector, true);
	set_bit(l->s.tmr, vector, level);
	l->vcpu->halted = false;
}

void lapic_deliver(struct lapic *l, unsigned mode, uint8_t vector, bool level)
{
	switch (mode) {
	case APIC_DM_FIXED:
	case APIC_DM_LOWEST:
		lapic_accept(l, vector, level);
		break;
	case APIC_DM_NMI:
		l->s.nmi_pending = 1;
		l->vcpu->halted = false;
		break;
	default:
		break; /* SMI, INIT, SIPI to a running single vCPU: ignored */
	}
}

int lapic_pending(const struct lapic *l)
{
	int v = highest(l->s.irr);
	if (v < 0 || !sw_enabled(l) || ((uint32_t)v & 0xf0) <= (ppr(l) & 0xf0))
		return -1;
	return v;
}

void lapic_ack(struct lapic *l, uint8_t vector)
{
	set_bit(l->s.irr, vector, false);
	set_bit(l->s.isr, vector, true);
}

bool lapic_extint_open(const struct lapic *l)
{
	uint32_t lint0 = l->s.lvt[LVT_LINT0];
	if (!hw_enabled(l))
		return true;
	return sw_enabled(l) && !(lint0 & LVT_MASK) &&
	       ((lint0 >> 8) & 7) == APIC_DM_EXTINT;
}

bool lapic_matches(const struct lapic *l, uint32_t dest, bool logical)
{
	if (x2apic(l)) {
		if (!logical)
			return dest == 0xffffffffu || dest == l->s.id;
		uint32_t ldr = ((l->s.id >> 4) << 16) | (1u << (l->s.id & 15));
		return dest == 0xffffffffu ||
		       ((dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff));
	}
	dest &= 0xff;
	if (!logical)
		return dest == 0xff || dest == (l->s.id & 0xff);
	if (dest == 0xff)
		return true;
	uint32_t ldr = l->s.ldr >> 24;
	if ((l->s.dfr >> 28) == 0xf) /* flat model */
		return (dest & ldr) != 0;
	return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xf); /* cluster */
}

static void eoi(struct lapic *l)
{
	int v = highest(l->s.isr);
	if (v < 0)
		return;
	set_bit(l->s.isr, (unsigned)v, false);
	if (test_bit(l->s.tmr, (unsigned)v))
		ioapic_eoi(l->vcpu->vm, (uint8_t)v);
}

/* Interprocessor interrupts (11.6): only this vCPU exists, so an IPI
 * that names it (or "self", "all including self") is delivered to it;
 * INIT and SIPI to absent processors go nowhere. */
static void send_ipi(struct lapic *l, uint32_t lo, uint32_t dest)
{
	unsigned shorthand = (lo >> 18) & 3, mode = (lo >> 8) & 7;
	bool to_self = shorthand == 1 || shorthand == 2 ||
		       (shorthand == 0 && lapic_matches(l, dest, lo & (1u << 11)));
	if (to_self && mode != APIC_DM_INIT && mode != APIC_DM_SIPI)
		lapic_deliver(l, mode, (uint8_t)lo, false);
}

void lapic_set_base(struct lapic *l, uint64_t val);
uint32_t lapic_read_reg(struct lapic *l, unsigned reg);
bool lapic_write_reg(struct lapic *l, unsigned reg, uint64_t val);

uint32_t lapic_read_reg(struct lapic *l, unsigned reg)
{
	switch (reg) {
	case 0x02: return x2apic(l) ? l->s.id : l->s.id << 24;
	case 0x03: return 0x00050014u; /* version 0x14, 6 LVT entries */
	case 0x08: return l->s.tpr;
	case 0x0a: return ppr(l);
	case 0x0d: return x2apic(l) ? ((l->s.id >> 4) << 16) | (1u << (l->s.id & 15))
				    : l->s.ldr;
	case 0x0e: return x2apic(l) ? 0 : l->s.dfr;
	case 0x0f: return l->s.svr;
	case 0x28: return l->s.esr;
	case 0x30: return l->s.icr_lo & ~(1u << 12); /* never busy */
	case 0x31: return l->s.icr_hi;
	case 0x38: return l->s.timer_init;
	case 0x39: return lapic_timer_current(l);
	case 0x3e: return l->s.timer_dcr;
	}
	if (reg >= 0x10 && reg < 0x18)
		return l->s.isr[reg - 0x10];
	if (reg >= 0x18 && reg < 0x20)
		return l->s.tmr[reg - 0x18];
	if (reg >= 0x20 && reg < 0x28)
		return l->s.irr[reg - 0x20];
	if (reg == 0x2f || (reg >= 0x32 && reg <= 0x37))
		return l->s.lvt[reg == 0x2f ? LVT_CMCI : reg - 0x32 + 1];
	return 0;
}

/* LVT writable bits per entry (11.5.1, Figure 11-8). */
static uint32_t lvt_mask(unsigned idx)
{
	switch (idx) {
	case LVT_TIMER: return 0x700ff;
	case LVT_LINT0: case LVT_LINT1: return 0x1a7ff;
	case LVT_ERROR: return 0x100ff;
	default: return 0x107ff;
	}
}

/* Returns false for a write that #GPs in x2APIC mode (read-only reg). */
bool lapic_write_reg(struct lapic *l, unsigned reg, uint64_t val)
{
	uint32_t v32 = (uint32_t)val;
	switch (reg) {
	case 0x02: if (!x2apic(l)) l->s.id = v32 >> 24; return !x2apic(l);
	case 0x08: l->s.tpr = v32 & 0xff; return true;
	case 0x0b: eoi(l); return true;
	case 0x0d: if (!x2apic(l)) l->s.ldr = v32 & 0xff000000u; return !x2apic(l);
	case 0x0e: if (!x2apic(l)) l->s.dfr = v32 | 0x0fffffffu; return !x2apic(l);
	case 0x0f:
		l->s.svr = v32 & 0x1ff;
		if (!(l->s.svr & SVR_ENABLE))
			for (int i = 0; i < 7; i++)
				l->s.lvt[i] |= LVT_MASK;
		return true;
	case 0x28: l->s.esr = 0; return true;
	case 0x30:
		l->s.icr_lo = v32 & ~(1u << 12);
		if (x2apic(l))
			l->s.icr_hi = (uint32_t)(val >> 32);
		send_ipi(l, l->s.icr_lo, x2apic(l) ? l->s.icr_hi : l->s.icr_hi >> 24);
		return true;
	case 0x31: if (!x2apic(l)) l->s.icr_hi = v32 & 0xff000000u; return !x2apic(l);
	case 0x38: lapic_timer_load(l, v32); return true;
	case 0x3e: l->s.timer_dcr = v32 & 0xb; lapic_timer_update(l); return true;
	case 0x3f: /* x2APIC self IPI */
		if (x2apic(l))
			lapic_accept(l, (uint8_t)v32, false);
		return x2apic(l);
	}
	if (reg == 0x2f || (reg >= 0x32 && reg <= 0x37)) {
		unsigned idx = reg == 0x2f ? LVT_CMCI : reg - 0x32 + 1;
		uint32_t old = l->s.lvt[idx];
		l->s.lvt[idx] = (v32 & lvt_mask(idx)) |
				(sw_enabled(l) ? 0 : LVT_MASK);
		/* Entering or leaving TSC-deadline mode (bit 18) disarms the
		 * timer (11.5.4.1). */
		if (idx == LVT_TIMER && ((old ^ l->s.lvt[idx]) & (1u << 18)))
			l->s.timer_init = 0, l->s.tsc_deadline = 0;
		if (idx == LVT_TIMER)
			lapic_timer_update(l);
		return true;
	}
	return false;
}
