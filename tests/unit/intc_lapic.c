/* intc_lapic.c: unit tests of the local APIC (hv/dev/lapic*.c) against
 * the Intel SDM vol. 3, chapter 11: registers over xAPIC MMIO and
 * x2APIC MSRs, IA32_APIC_BASE transitions, priorities and EOI, the
 * software-disable state, self IPIs, destination matching, the timer in
 * its three modes and save/restore. */
#include "tests/unit/intc_fakes.h"

#define MSR_APIC_BASE 0x1b
#define MSR_TSC_DEADLINE 0x6e0
#define BASE_BSP (1ull << 8)
#define BASE_EXTD (1ull << 10)
#define BASE_EN (1ull << 11)

static uint64_t rdmsr_ok(struct lapic *l, uint32_t msr)
{
	uint64_t v = 0xdeadbeef;
	assert_true(lapic_rdmsr(l, msr, &v));
	return v;
}

static bool rdmsr_gp(struct lapic *l, uint32_t msr)
{
	uint64_t v;
	return !lapic_rdmsr(l, msr, &v);
}

static void to_x2apic(struct lapic *l)
{
	assert_true(lapic_wrmsr(l, MSR_APIC_BASE, LAPIC_DEFAULT_BASE |
				BASE_EN | BASE_EXTD));
}

/* 11.4.1, Table 11-1, and the BIOS-like reset state lapic.c documents. */
static void test_reset_state(void **state)
{
	struct vm *vm = *state;
	struct lapic *l = lapic_of(vm);
	assert_int_equal(rdmsr_ok(l, MSR_APIC_BASE),
			 LAPIC_DEFAULT_BASE | BASE_EN | BASE_BSP);
	assert_true(lapic_xapic_enabled(l));
	assert_int_equal(apic_rd(vm, 0x20), 0);
	assert_int_equal(apic_rd(vm, 0x30), 0x00050014);
	assert_int_equal(apic_rd(vm, 0xf0), 0x1ff);
	assert_int_equal(apic_rd(vm, 0xe0), 0xffffffff);
	assert_int_equal(apic_rd(vm, 0x320), 0x10000);
	assert_int_equal(apic_rd(vm, 0x350), 0x700);   /* LINT0 ExtINT */
	assert_int_equal(apic_rd(vm, 0x360), 0x400);   /* LINT1 NMI */
	assert_int_equal(apic_rd(vm, 0x370), 0x10000);
	assert_int_equal(apic_rd(vm, 0x80), 0);
	assert_int_equal(apic_rd(vm, 0xa0), 0);
	assert_int_equal(lapic_pending(l), -1);
	assert_true(lapic_extint_open(l));
	/* Only the BSP has IA32_APIC_BASE.BSP. */
	struct vcpu ap = { .vm = vm, .id = 1 };
	assert_int_equal(lapic_create(&ap), ST_OK);
	assert_int_equal(rdmsr_ok(ap.lapic, MSR_APIC_BASE),
			 LAPIC_DEFAULT_BASE | BASE_EN);
	assert_int_equal(ap.lapic->s.id, 1);
	free(ap.lapic);
}

static void test_register_writes(void **state)
{
	struct vm *vm = *state;
	apic_wr(vm, 0x80, 0x12345);
	assert_int_equal(apic_rd(vm, 0x80), 0x45);
	apic_wr(vm, 0xd0, 0x12345678);
	assert_int_equal(apic_rd(vm, 0xd0), 0x12000000);
	apic_wr(vm, 0xe0, 0);
	assert_int_equal(apic_rd(vm, 0xe0), 0x0fffffff);
	apic_wr(vm, 0x20, 0x05ffffff);
	assert_int_equal(apic_rd(vm, 0x20), 0x05000000);
	apic_wr(vm, 0x310, 0x12345678);
	assert_int_equal(apic_rd(vm, 0x310), 0x12000000);
	apic_wr(vm, 0x3e0, 0xffffffff);
	assert_int_equal(apic_rd(vm, 0x3e0), 0xb);
	apic_wr(vm, 0x3e0, 0);
	/* LVT writable bits (Figure 11-8): delivery status and remote IRR
	 * read-only; the timer has no delivery mode, the error LVT only a
	 * vector and the mask. */
	apic_wr(vm, 0x320, 0xffffffff & ~(1u << 18)); /* keep out of deadline */
	assert_int_equal(apic_rd(vm, 0x320), 0x300ff);
	apic_wr(vm, 0x350, 0xffffffff);
	assert_int_equal(apic_rd(vm, 0x350), 0x1a7ff);
	apic_wr(vm, 0x360, 0xffffffff);
	assert_int_equal(apic_rd(vm, 0x360), 0x1a7ff);
	apic_wr(vm, 0x370, 0xffffffff);
	assert_int_equal(apic_rd(vm, 0x370), 0x100ff);
	apic_wr(vm, 0x330, 0xffffffff);
	assert_int_equal(apic_rd(vm, 0x330), 0x107ff);
	apic_wr(vm, 0x340, 0xffffffff);
	assert_int_equal(apic_rd(vm, 0x340), 0x107ff);
	apic_wr(vm, 0x2f0, 0xffffffff);
	assert_int_equal(apic_rd(vm, 0x2f0), 0x107ff);
	/* Read-only registers ignore writes. */
	apic_wr(vm, 0x30, 0);
	assert_int_equal(apic_rd(vm, 0x30), 0x00050014);
	apic_wr(vm, 0xa0, 0xff);
	assert_int_equal(apic_rd(vm, 0xa0), 0x45);
	apic_wr(vm, 0x200, 0xffffffff);
	assert_int_equal(apic_rd(vm, 0x200), 0);
	/* Unaligned or non-dword accesses read 0 and write nothing. */
	uint64_t v = 0x99;
	lapic_mmio(lapic_of(vm), 0x80, 2, true, &v);
	assert_int_equal(apic_rd(vm, 0x80), 0x45);
	lapic_mmio(lapic_of(vm), 0x84, 4, false, &v);
	assert_int_equal(v, 0);
	v = 0x77;
	lapic_mmio(lapic_of(vm), 0x80, 1, false, &v);
	assert_int_equal(v, 0);
}

/* 11.8.3.1: PPR is the higher class of TPR and the highest ISR vector;
 * an interrupt is taken only when its class is above PPR's. */
static void test_priority_classes(void **state)
{
	struct vm *vm = *state;
	struct lapic *l = lapic_of(vm);
	lapic_accept(l, 0x51, false);
	lapic_accept(l, 0x31, false);
	assert_true(in_irr(vm, 0x51) && in_irr(vm, 0x31));
	assert_int_equal(apic_rd(vm, 0x210), 0x00020000 | 0x00000000);
	assert_int_equal(take(vm), 0x51);
	assert_true(in_isr(vm, 0x51));
	assert_false(in_irr(vm, 0x51));
	assert_int_equal(apic_rd(vm, 0x100 + 0x20), 1u << (0x51 - 0x40));
	assert_int_equal(apic_rd(vm, 0xa0), 0x50);
	assert_int_equal(lapic_pending(l), -1);         /* 0x31 below */
	lapic_accept(l, 0x5f, false);
	assert_int_equal(lapic_pending(l), -1);         /* same class */
	lapic_accept(l, 0x60, false);
	assert_int_equal(lapic_pending(l), 0x60);
	/* TPR above the ISR class: PPR is the TPR, all of it. */
	apic_wr(vm, 0x80, 0x67);
	assert_int_equal(apic_rd(vm, 0xa0), 0x67);
	assert_int_equal(lapic_pending(l), -1);
	/* TPR of the same class as ISR: PPR = TPR; below: ISR class only. */
	apic_wr(vm, 0x80, 0x57);
	assert_int_equal(apic_rd(vm, 0xa0), 0x57);
	apic_wr(vm, 0x80, 0x4f);
	assert_int_equal(apic_rd(vm, 0xa0), 0x50);
	apic_wr(vm, 0x80, 0);
	/* Nested: 0x60 on top of 0x51; EOIs pop the highest first. */
	assert_int_equal(take(vm), 0x60);
	assert_int_equal(apic_rd(vm, 0xa0), 0x60);
	apic_wr(vm, 0xb0, 0);
	assert_false(in_isr(vm, 0x60));
	assert_true(in_isr(vm, 0x51));
	assert_int_equal(lapic_pending(l), -1);         /* 0x5f, class 5 */
	apic_wr(vm, 0xb0, 0);
	assert_int_equal(apic_rd(vm, 0xa0), 0);
	assert_int_equal(take(vm), 0x5f);
	apic_wr(vm, 0xb0, 0);
	assert_int_equal(take(vm), 0x31);
	apic_wr(vm, 0xb0, 0);
	apic_wr(vm, 0xb0, 0); /* EOI with nothing in service: harmless */
	assert_int_equal(lapic_pending(l), -1);
	/* Accepting wakes a halted vCPU. */
	vm->vcpu[0].halted = true;
	lapic_accept(l, 0x40, false);
	assert_false(vm->vcpu[0].halted);
}

/* 11.5.3: vectors 0-15 are illegal; ESR bit 6, and the IRR bit is
 * never set. ESR writes clear it. */
static void test_illegal_vector(void **state)
{
	struct vm *vm = *state;
	struct lapic *l = lapic_of(vm);
	lapic_accept(l, 0x05, false);
	assert_false(in_irr(vm, 0x05));
	assert_int_equal(apic_rd(vm, 0x200), 0);
	assert_int_equal(apic_rd(vm, 0x280) & 0x40, 0x40);
	lapic_accept(l, 0x10, false);
	assert_true(in_irr(vm, 0x10));
	assert_int_equal(apic_rd(vm, 0x200), 1u << 16);
	apic_wr(vm, 0x280, 0);
	assert_int_equal(apic_rd(vm, 0x280), 0);
	/* x2APIC: only 0 may be written to the ESR (Table 11-6). */
	to_x2apic(l);
	assert_false(lapic_wrmsr(l, 0x828, 1));
	assert_true(lapic_wrmsr(l, 0x828, 0));
	assert_int_equal(rdmsr_ok(l, 0x828), 0);
}

/* 11.9: the EOI of a level-triggered vector (TMR set) is broadcast to
 * the IOAPIC; an edge one is not. */
static void test_eoi_level_reaches_ioapic(void **state)
{
	struct vm *vm = *state;
	io_rte(vm, 5, 0x8045); /* level, vector 0x45, dest 0 */
	io_rte(vm, 6, 0x0046); /* edge, vector 0x46 */
	ioapic_set_irq(vm, 5, true);
	assert_true(in_irr(vm, 0x45));
	assert_true(in_tmr(vm, 0x45));
	assert_int_equal(io_rte_rd(vm, 5) & (1u << 14), 1u << 14);
	assert_int_equal(take(vm), 0x45);
	ioapic_set_irq(vm, 5, false);
	apic_wr(vm, 0xb0, 0);
	assert_int_equal(io_rte_rd(vm, 5) & (1u << 14), 0);
	assert_false(in_irr(vm, 0x45));
	/* Edge: TMR clear. */
	ioapic_set_irq(vm, 6, true);
	assert_false(in_tmr(vm, 0x46));
	assert_int_equal(take(vm), 0x46);
	apic_wr(vm, 0xb0, 0);
	assert_false(in_isr(vm, 0x46));
}

/* 11.4.7.2: SVR bit 8 clear sets every LVT mask and keeps it set;
 * fixed interrupts are not accepted; NMI still is. */
static void test_software_disable(void **state)
{
	struct vm *vm = *state;
	struct lapic *l = lapic_of(vm);
	apic_wr(vm, 0x320, 0x20);
	apic_wr(vm, 0xf0, 0xff);
	assert_int_equal(apic_rd(vm, 0xf0), 0xff);
	for (unsigned off = 0x320; off <= 0x370; off += 0x10)
		assert_true(apic_rd(vm, off) & 0x10000);
	assert_true(apic_rd(vm, 0x2f0) & 0x10000);
	apic_wr(vm, 0x350, 0x700);
	assert_int_equal(apic_rd(vm, 0x350), 0x10700);
	assert_false(lapic_extint_open(l));
	lapic_accept(l, 0x40, false);
	assert_false(in_irr(vm, 0x40));
	lapic_deliver(l, APIC_DM_NMI, 0, false);
	assert_int_equal(l->s.nmi_pending, 1);
	/* Enabled again: the masks stay until written. */
	apic_wr(vm, 0xf0, 0x1ff);
	assert_true(apic_rd(vm, 0x350) & 0x10000);
	apic_wr(vm, 0x350, 0x700);
	assert_int_equal(apic_rd(vm, 0x350), 0x700);
	assert_true(lapic_extint_open(l));
	lapic_accept(l, 0x40, false);
	assert_int_equal(lapic_pending(l), 0x40);
}

static void test_extint_open(void **state)
{
	struct vm *vm = *state;
	struct lapic *l = lapic_of(vm);
	assert_true(lapic_extint_open(l));
	apic_wr(vm, 0x350, 0x10700);
	assert_false(lapic_extint_open(l));
	apic_wr(vm, 0x350, 0x00030);          /* fixed mode */
	assert_false(lapic_extint_open(l));
	apic_wr(vm, 0x350, 0x00400);          /* NMI mode */
	assert_false(lapic_extint_open(l));
	/* APIC globally disabled: INTR goes straight to the CPU. */
	assert_true(lapic_wrmsr(l, MSR_APIC_BASE, LAPIC_DEFAULT_BASE));
	assert_true(lapic_extint_open(l));
}

/* 11.6.1: IPIs to this vCPU by destination and shorthand; INIT and
 * SIPI go nowhere; the ICR never shows "send pending". */
static void test_self_ipis(void **state)
{
	struct vm *vm = *state;
	struct lapic *l = lapic_of(vm);
	apic_wr(vm, 0x310, 0x00000000);
	apic_wr(vm, 0x300, 0x00000031);                /* fixed, dest 0 */
	assert_true(in_irr(vm, 0x31));
	assert_false(in_tmr(vm, 0x31));
	assert_int_equal(apic_rd(vm, 0x300) & (1u << 12), 0);
	apic_wr(vm, 0x300, 0x00040032);                /* self */
	assert_true(in_irr(vm, 0x32));
	apic_wr(vm, 0x310, 0x07000000);
	apic_wr(vm, 0x300, 0x00080033);                /* all incl. self */
	assert_true(in_irr(vm, 0x33));
	apic_wr(vm, 0x300, 0x000c0034);                /* all excl. self */
	assert_false(in_irr(vm, 0x34));
	apic_wr(vm, 0x300, 0x00000035);                /* dest 7: not us */
	assert_false(in_irr(vm, 0x35));
	apic_wr(vm, 0x310, 0xff000000);
	apic_wr(vm, 0x300, 0x00000036);                /* broadcast */
	assert_true(in_irr(vm, 0x36));
	/* Logical, flat: LDR bit 0. */
	apic_wr(vm, 0xd0, 0x01000000);
	apic_wr(vm, 0x310, 0x01000000);
	apic_wr(vm, 0x300, 0x00000837);
	assert_true(in_irr(vm, 0x37));
	apic_wr(vm, 0x310, 0x02000000);
	apic_wr(vm, 0x300, 0x00000838);
	assert_false(in_irr(vm, 0x38));
	/* INIT, SIPI to self: ignored; NMI: pending. */
	uint32_t irr[8];
	memcpy(irr, l->s.irr, sizeof irr);
	apic_wr(vm, 0x300, 0x00044500);
	apic_wr(vm, 0x300, 0x00040698);
	assert_memory_equal(irr, l->s.irr, sizeof irr);
	assert_int_equal(l->s.nmi_pending, 0);
	apic_wr(vm, 0x300, 0x00040400);
	assert_int_equal(l->s.nmi_pending, 1);
	/* A level-trigger bit in the ICR does not make the IPI level. */
	apic_wr(vm, 0x300, 0x0004c039);
	assert_true(in_irr(vm, 0x39));
	assert_false(in_tmr(vm, 0x39));
}

/* 11.6.2: physical, logical flat and cluster destinations; 11.12.10
 * for x2APIC's derived logical ID. */
static void test_matches(void **state)
{
	struct vm *vm = *state;
	struct lapic *l = lapic_of(vm);
	assert_true(lapic_matches(l, 0, false));
	assert_true(lapic_matches(l, 0xff, false));
	assert_false(lapic_matches(l, 1, false));
	apic_wr(vm, 0x20, 0x03000000);
	assert_true(lapic_matches(l, 3, false));
	assert_true(lapic_matches(l, 0x103, false)); /* only 8 bits count */
	assert_false(lapic_matches(l, 0, false));
	/* Flat: any common bit of the 8-bit logical ID. */
	apic_wr(vm, 0xd0, 0x0a000000);
	assert_true(lapic_matches(l, 0x02, true));
	assert_true(lapic_matches(l, 0x0f, true));
	assert_false(lapic_matches(l, 0x05, true));
	assert_false(lapic_matches(l, 0x00, true));
	assert_true(lapic_matches(l, 0xff, true));
	/* Cluster: cluster number in bits 7:4 equal, a common member bit. */
	apic_wr(vm, 0xe0, 0x0fffffff);
	apic_wr(vm, 0xd0, 0x21000000);
	assert_true(lapic_matches(l, 0x21, true));
	assert_true(lapic_matches(l, 0x23, true));
	assert_false(lapic_matches(l, 0x22, true));
	assert_false(lapic_matches(l, 0x11, true));
	assert_true(lapic_matches(l, 0xff, true));
	/* x2APIC: 32-bit IDs, logical = cluster (ID[19:4]) and 1 << ID[3:0]. */
	to_x2apic(l);
	l->s.id = 0x13;
	assert_int_equal(rdmsr_ok(l, 0x802), 0x13);
	assert_int_equal(rdmsr_ok(l, 0x80d), 0x00010008);
	assert_true(lapic_matches(l, 0x13, false));
	assert_true(lapic_matches(l, 0xffffffff, false));
	assert_false(lapic_matches(l, 0x03, false));
	assert_false(lapic_matches(l, 0x113, false));
	assert_true(lapic_matches(l, 0x00010008, true));
	assert_true(lapic_matches(l, 0x0001000f, true));
	assert_false(lapic_matches(l, 0x00010007, true));
	assert_false(lapic_matches(l, 0x00000008, true));
	assert_true(lapic_matches(l, 0xffffffff, true));
}

/* 11.4.4 and 11.12.5 (Figure 11-27): the legal mode transitions. */
static void test_apic_base_transitions(void **state)
{
	struct vm *vm = *state;
	struct lapic *l = lapic_of(vm);
	uint64_t base = LAPIC_DEFAULT_BASE;
	/* Reserved bits, EXTD without EN, bits above MAXPHYADDR. */
	assert_false(lapic_wrmsr(l, MSR_APIC_BASE, base | BASE_EN | 1));
	assert_false(lapic_wrmsr(l, MSR_APIC_BASE, base | BASE_EN | (1u << 9)));
	assert_false(lapic_wrmsr(l, MSR_APIC_BASE, base | BASE_EXTD));
	assert_false(lapic_wrmsr(l, MSR_APIC_BASE, (1ull << 40) | BASE_EN));
	assert_int_equal(rdmsr_ok(l, MSR_APIC_BASE), base | BASE_EN | BASE_BSP);
	/* Moving the page keeps the state; BSP is read-only. */
	apic_wr(vm, 0x80, 0x20);
	assert_true(lapic_wrmsr(l, MSR_APIC_BASE, 0xfed00000 | BASE_EN));
	assert_int_equal(rdmsr_ok(l, MSR_APIC_BASE), 0xfed00000 | BASE_EN | BASE_BSP);
	assert_int_equal(apic_rd(vm, 0x80), 0x20);
	/* xAPIC -> x2APIC -> (no) xAPIC. */
	assert_true(lapic_wrmsr(l, MSR_APIC_BASE, base | BASE_EN | BASE_EXTD));
	assert_false(lapic_xapic_enabled(l));
	assert_int_equal(rdmsr_ok(l, 0x808), 0x20);
	assert_false(lapic_wrmsr(l, MSR_APIC_BASE, base | BASE_EN));
	assert_int_equal(rdmsr_ok(l, MSR_APIC_BASE) & (BASE_EN | BASE_EXTD),
			 BASE_EN | BASE_EXTD);
	/* x2APIC -> disabled: reset, nothing accepted, INTR straight in. */
	assert_true(lapic_wrmsr(l, MSR_APIC_BASE, base));
	assert_false(lapic_xapic_enabled(l));
	assert_int_equal(rdmsr_ok(l, MSR_APIC_BASE), base | BASE_BSP);
	lapic_accept(l, 0x40, false);
	assert_int_equal(lapic_pending(l), -1);
	assert_false(in_irr(vm, 0x40));
	assert_true(lapic_extint_open(l));
	assert_true(rdmsr_gp(l, 0x808));
	/* disabled -> (no) x2APIC. */
	assert_false(lapic_wrmsr(l, MSR_APIC_BASE, base | BASE_EN | BASE_EXTD));
	/* disabled -> xAPIC: power-up state, software-disabled, LVTs masked. */
	assert_true(lapic_wrmsr(l, MSR_APIC_BASE, base | BASE_EN));
	assert_true(lapic_xapic_enabled(l));
	assert_int_equal(apic_rd(vm, 0xf0), 0xff);
	assert_int_equal(apic_rd(vm, 0x80), 0);
	for (unsigned off = 0x320; off <= 0x370; off += 0x10)
		assert_int_equal(apic_rd(vm, off), 0x10000);
	assert_false(lapic_extint_open(l));
	lapic_accept(l, 0x40, false);
	assert_int_equal(lapic_pending(l), -1);
}

/* 11.12.1 (Table 11-6): x2APIC MSRs exist only in x2APIC mode; RDMSR
 * of write-only or reserved registers and WRMSR of read-only ones #GP. */
static void test_x2apic_msrs(void **state)
{
	struct vm *vm = *state;
	struct lapic *l = lapic_of(vm);
	assert_true(rdmsr_gp(l, 0x802));
	assert_false(lapic_wrmsr(l, 0x808, 0x10));
	assert_true(rdmsr_gp(l, 0x10));
	assert_false(lapic_wrmsr(l, 0x10, 0));
	to_x2apic(l);
	assert_int_equal(rdmsr_ok(l, 0x802), 0);
	assert_int_equal(rdmsr_ok(l, 0x803), 0x00050014);
	assert_int_equal(rdmsr_ok(l, 0x80d), 1);
	assert_int_equal(rdmsr_ok(l, 0x80f), 0x1ff);
	assert_int_equal(rdmsr_ok(l, 0x835), 0x700);
	static const uint32_t no_read[] = { 0x800, 0x801, 0x804, 0x807, 0x809,
		0x80b, 0x80c, 0x80e, 0x829, 0x82e, 0x831, 0x83a, 0x83d, 0x83f,
		0x840, 0x8ff };
	for (unsigned i = 0; i < sizeof no_read / sizeof *no_read; i++)
		if (!rdmsr_gp(l, no_read[i]))
			fail_msg("RDMSR %#x did not #GP", no_read[i]);
	static const uint32_t no_write[] = { 0x802, 0x803, 0x80a, 0x80d,
		0x80e, 0x810, 0x817, 0x818, 0x820, 0x827, 0x831, 0x839, 0x840 };
	for (unsigned i = 0; i < sizeof no_write / sizeof *no_write; i++)
		if (lapic_wrmsr(l, no_write[i], 0))
			fail_msg("WRMSR %#x did not #GP", no_write[i]);
	/* Upper halves must be 0 except in the ICR; EOI takes only 0. */
	assert_false(lapic_wrmsr(l, 0x808, 1ull << 32));
	assert_true(lapic_wrmsr(l, 0x808, 0x30));
	assert_int_equal(rdmsr_ok(l, 0x808), 0x30);
	assert_true(lapic_wrmsr(l, 0x808, 0));
	lapic_accept(l, 0x50, false);
	assert_int_equal(take(vm), 0x50);
	assert_false(lapic_wrmsr(l, 0x80b, 1));
	assert_true(in_isr(vm, 0x50));
	assert_true(lapic_wrmsr(l, 0x80b, 0));
	assert_false(in_isr(vm, 0x50));
	/* Self IPI register and the 64-bit ICR. */
	assert_true(lapic_wrmsr(l, 0x83f, 0x45));
	assert_true(in_irr(vm, 0x45));
	assert_true(lapic_wrmsr(l, 0x830, 0x0000000000000046ull));
	assert_true(in_irr(vm, 0x46));
	assert_true(lapic_wrmsr(l, 0x830, 0x0000000500000047ull));
	assert_false(in_irr(vm, 0x47));
	assert_int_equal(rdmsr_ok(l, 0x830), 0x0000000500000047ull);
	assert_true(lapic_wrmsr(l, 0x830, 0xffffffff00000048ull));
	assert_true(in_irr(vm, 0x48));
	assert_true(lapic_wrmsr(l, 0x830, 0x0000000100000849ull)); /* logical */
	assert_true(in_irr(vm, 0x49));
	/* The MMIO page is not the way in any more (mmio.c asks first). */
	assert_false(lapic_xapic_enabled(l));
}

/* The timer (11.5.4) counts at LAPIC_BUS_HZ / divisor. */
static uint64_t armed_at(struct vm *vm)
{
	struct lapic *l = lapic_of(vm);
	assert_true(l->timer.armed);
	return l->timer.deadline;
}

static void test_timer_oneshot(void **state)
{
	struct vm *vm = *state;
	struct lapic *l = lapic_of(vm);
	apic_wr(vm, 0x3e0, 0xb);                       /* divide by 1 */
	apic_wr(vm, 0x320, 0x20);                      /* one-shot, 0x20 */
	apic_wr(vm, 0x380, 1000);
	assert_int_equal(apic_rd(vm, 0x380), 1000);
	assert_int_equal(apic_rd(vm, 0x390), 1000);
	assert_int_equal(armed_at(vm), T0 + 1000);
	fake_now = T0 + 400;
	assert_int_equal(apic_rd(vm, 0x390), 600);
	fake_now = T0 + 999;
	assert_int_equal(vtimer_run_due(&vm->timers, fake_now), T0 + 1000);
	assert_false(in_irr(vm, 0x20));
	fake_now = T0 + 1000;
	assert_int_equal(vtimer_run_due(&vm->timers, fake_now), UINT64_MAX);
	assert_true(in_irr(vm, 0x20));
	assert_false(l->timer.armed);
	assert_int_equal(apic_rd(vm, 0x390), 0);
	fake_now = T0 + 5000;
	assert_int_equal(apic_rd(vm, 0x390), 0);
	/* Reload restarts; a zero count stops it. */
	apic_wr(vm, 0x380, 10);
	assert_int_equal(armed_at(vm), T0 + 5010);
	apic_wr(vm, 0x380, 0);
	assert_false(l->timer.armed);
	assert_int_equal(apic_rd(vm, 0x390), 0);
	/* Masked: it counts and expires without an interrupt. */
	lapic_ack(l, 0x20);
	apic_wr(vm, 0xb0, 0);
	apic_wr(vm, 0x320, 0x10020);
	apic_wr(vm, 0x380, 10);
	fake_now += 10;
	vtimer_run_due(&vm->timers, fake_now);
	assert_false(in_irr(vm, 0x20));
	assert_int_equal(apic_rd(vm, 0x390), 0);
}

/* Figure 11-10: DCR bits 0, 1, 3 give 2, 4, ..., 128 and 1. */
static void test_timer_divide(void **state)
{
	struct vm *vm = *state;
	static const struct { uint32_t dcr; uint64_t div; } d[] = {
		{ 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 }, { 0x8, 32 },
		{ 0x9, 64 }, { 0xa, 128 }, { 0xb, 1 },
	};
	apic_wr(vm, 0x320, 0x20);
	for (unsigned i = 0; i < sizeof d / sizeof *d; i++) {
		apic_wr(vm, 0x3e0, d[i].dcr | 0xf0); /* other bits ignored */
		assert_int_equal(apic_rd(vm, 0x3e0), d[i].dcr);
		apic_wr(vm, 0x380, 100);
		assert_int_equal(armed_at(vm), fake_now + 100 * d[i].div);
		fake_now += 50 * d[i].div;
		assert_int_equal(apic_rd(vm, 0x390), 50);
	}
	/* A 2.5 GHz clock: 1 GHz bus ticks become 2.5 clock ticks each. */
	fake_hz = 2500000000ull;
	apic_wr(vm, 0x3e0, 0x0);
	apic_wr(vm, 0x380, 1000);
	assert_int_equal(armed_at(vm), fake_now + 5000);
	fake_now += 2500;
	assert_int_equal(apic_rd(vm, 0x390), 500);
}

static void test_timer_periodic(void **state)
{
	struct vm *vm = *state;
	struct lapic *l = lapic_of(vm);
	apic_wr(vm, 0x3e0, 0xb);
	apic_wr(vm, 0x320, 0x20021);                   /* periodic, 0x21 */
	apic_wr(vm, 0x380, 100);
	assert_int_equal(armed_at(vm), T0 + 100);
	fake_now = T0 + 100;
	assert_int_equal(vtimer_run_due(&vm->timers, fake_now), T0 + 200);
	assert_true(in_irr(vm, 0x21));
	assert_int_equal(armed_at(vm), T0 + 200);
	fake_now = T0 + 150;
	assert_int_equal(apic_rd(vm, 0x390), 50);
	fake_now = T0 + 200;
	assert_int_equal(apic_rd(vm, 0x390), 100);     /* reloaded */
	/* Late by several periods: the next expiry stays on the grid. */
	fake_now = T0 + 555;
	assert_int_equal(vtimer_run_due(&vm->timers, fake_now), T0 + 600);
	assert_int_equal(apic_rd(vm, 0x390), 45);
	apic_wr(vm, 0x380, 0);
	assert_false(l->timer.armed);
}

/* 11.5.4.1: TSC-deadline mode, the MSR against the guest's TSC. */
static void test_timer_tsc_deadline(void **state)
{
	struct vm *vm = *state;
	struct lapic *l = lapic_of(vm);
	fc.reg[VR_TSC_OFFSET] = 500;                   /* guest = host + 500 */
	/* Not in deadline mode: the MSR reads 0 and ignores writes. */
	assert_true(lapic_wrmsr(l, MSR_TSC_DEADLINE, 12345));
	assert_int_equal(rdmsr_ok(l, MSR_TSC_DEADLINE), 0);
	assert_false(l->timer.armed);
	apic_wr(vm, 0x320, 0x40030);
	apic_wr(vm, 0x380, 1000);                      /* ignored */
	assert_int_equal(apic_rd(vm, 0x380), 0);
	assert_int_equal(apic_rd(vm, 0x390), 0);
	assert_false(l->timer.armed);
	assert_true(lapic_wrmsr(l, MSR_TSC_DEADLINE, T0 + 500 + 2000));
	assert_int_equal(rdmsr_ok(l, MSR_TSC_DEADLINE), T0 + 2500);
	assert_int_equal(armed_at(vm), T0 + 2000);
	assert_int_equal(apic_rd(vm, 0x390), 0);
	fake_now = T0 + 1999;
	vtimer_run_due(&vm->timers, fake_now);
	assert_false(in_irr(vm, 0x30));
	fake_now = T0 + 2000;
	assert_int_equal(vtimer_run_due(&vm->timers, fake_now), UINT64_MAX);
	assert_true(in_irr(vm, 0x30));
	assert_int_equal(rdmsr_ok(l, MSR_TSC_DEADLINE), 0);
	assert_int_equal(take(vm), 0x30);
	apic_wr(vm, 0xb0, 0);
	/* Already passed: fires at once, even below the TSC offset. */
	assert_true(lapic_wrmsr(l, MSR_TSC_DEADLINE, T0 + 600));
	assert_true(armed_at(vm) <= fake_now);
	assert_int_equal(vtimer_run_due(&vm->timers, fake_now), UINT64_MAX);
	assert_int_equal(take(vm), 0x30);
	apic_wr(vm, 0xb0, 0);
	assert_true(lapic_wrmsr(l, MSR_TSC_DEADLINE, 1));
	assert_true(armed_at(vm) <= fake_now);
	assert_int_equal(vtimer_run_due(&vm->timers, fake_now), UINT64_MAX);
	assert_int_equal(take(vm), 0x30);
	assert_int_equal(rdmsr_ok(l, MSR_TSC_DEADLINE), 0);
	/* 0 disarms. */
	assert_true(lapic_wrmsr(l, MSR_TSC_DEADLINE, T0 + 9000));
	assert_true(l->timer.armed);
	assert_true(lapic_wrmsr(l, MSR_TSC_DEADLINE, 0));
	assert_false(l->timer.armed);
	assert_int_equal(rdmsr_ok(l, MSR_TSC_DEADLINE), 0);
}

/* 11.5.4.1: "Transitioning between TSC-deadline mode and other timer
 * modes also disarms the timer." */
static void test_timer_mode_switch_disarms(void **state)
{
	struct vm *vm = *state;
	struct lapic *l = lapic_of(vm);
	apic_wr(vm, 0x3e0, 0xb);
	apic_wr(vm, 0x320, 0x20);
	apic_wr(vm, 0x380, 1000);
	apic_wr(vm, 0x320, 0x40020);                   /* to deadline */
	assert_false(l->timer.armed);
	apic_wr(vm, 0x320, 0x20);                      /* and back */
	assert_false(l->timer.armed);
	assert_int_equal(apic_rd(vm, 0x390), 0);
	fake_now = T0 + 1000;
	vtimer_run_due(&vm->timers, fake_now);
	assert_false(in_irr(vm, 0x20));
	/* An armed deadline does not survive the switch either. */
	apic_wr(vm, 0x320, 0x40020);
	assert_true(lapic_wrmsr(l, MSR_TSC_DEADLINE, T0 + 5000));
	assert_true(l->timer.armed);
	apic_wr(vm, 0x320, 0x20);
	assert_false(l->timer.armed);
	assert_int_equal(rdmsr_ok(l, MSR_TSC_DEADLINE), 0);
	apic_wr(vm, 0x320, 0x40020);
	assert_int_equal(rdmsr_ok(l, MSR_TSC_DEADLINE), 0);
	assert_false(l->timer.armed);
	/* Re-writing the same mode keeps the timer. */
	assert_true(lapic_wrmsr(l, MSR_TSC_DEADLINE, T0 + 5000));
	apic_wr(vm, 0x320, 0x40021);
	assert_int_equal(armed_at(vm), T0 + 5000);
}

static void test_save_restore(void **state)
{
	struct vm *vm = *state;
	struct lapic *l = lapic_of(vm);
	apic_wr(vm, 0x80, 0x10);
	apic_wr(vm, 0xd0, 0x04000000);
	apic_wr(vm, 0x3e0, 0x1);
	apic_wr(vm, 0x320, 0x20022);
	apic_wr(vm, 0x380, 250);
	lapic_accept(l, 0x60, true);
	lapic_accept(l, 0x70, false);
	assert_int_equal(take(vm), 0x70);
	struct lapic_state img;
	lapic_save(l, &img);
	fake_now = T0 + 300;
	struct vm *vm2 = vm_new();
	fake_now = T0 + 300;
	struct lapic *l2 = lapic_of(vm2);
	assert_int_equal(lapic_restore(l2, &img), ST_OK);
	for (unsigned off = 0x20; off < 0x400; off += 0x10)
		if (apic_rd(vm2, off) != apic_rd(vm, off))
			fail_msg("register %#x differs after restore", off);
	assert_int_equal(armed_at(vm2), armed_at(vm));
	assert_int_equal(armed_at(vm2), T0 + 1000);
	assert_int_equal(lapic_pending(l2), -1);
	apic_wr(vm2, 0xb0, 0);
	assert_int_equal(lapic_pending(l2), 0x60);
	assert_true(in_tmr(vm2, 0x60));
	img.version = 99;
	assert_int_equal(lapic_restore(l2, &img), ST_ECORRUPT);
	vm_free(vm2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		VM_TEST(test_reset_state),
		VM_TEST(test_register_writes),
		VM_TEST(test_priority_classes),
		VM_TEST(test_illegal_vector),
		VM_TEST(test_eoi_level_reaches_ioapic),
		VM_TEST(test_software_disable),
		VM_TEST(test_extint_open),
		VM_TEST(test_self_ipis),
		VM_TEST(test_matches),
		VM_TEST(test_apic_base_transitions),
		VM_TEST(test_x2apic_msrs),
		VM_TEST(test_timer_oneshot),
		VM_TEST(test_timer_divide),
		VM_TEST(test_timer_periodic),
		VM_TEST(test_timer_tsc_deadline),
		VM_TEST(test_timer_mode_switch_disarms),
		VM_TEST(test_save_restore),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
