/* intc_route.c: unit tests of interrupt routing (hv/irq.c: ISA lines to
 * the 8259 pair and the IOAPIC, MSIs by Intel SDM vol. 3, 11.11), the
 * bus (hv/bus.c), the virtual timers (hv/vtimer.c) and injection at
 * entry (hv/intr.c, SDM vol. 3, 6.9) against the fake vendor ops. */
#include "tests/unit/intc_fakes.h"

static uint8_t pic_irr(struct vm *vm, uint16_t cmd)
{
	outb(vm, cmd, 0x0a);
	return inb(vm, cmd);
}

/* ISA IRQ n reaches PIC input n and IOAPIC pin n, IRQ 0 pin 2. */
static void test_isa_routing(void **state)
{
	struct vm *vm = *state;
	pic_program(vm, 0x20, 0x28, 0x01);
	io_rte(vm, 0, 0x31);
	io_rte(vm, 2, 0x30);
	io_rte(vm, 4, 0x34);
	io_rte(vm, 12, 0x3c);
	irq_pulse(vm, 0);
	assert_int_equal(pic_irr(vm, 0x20), 0x01);
	assert_true(in_irr(vm, 0x30));
	assert_false(in_irr(vm, 0x31));
	irq_pulse(vm, 4);
	assert_int_equal(pic_irr(vm, 0x20), 0x11);
	assert_true(in_irr(vm, 0x34));
	irq_set(vm, 12, true);
	assert_int_equal(pic_irr(vm, 0xa0), 0x10);
	assert_true(in_irr(vm, 0x3c));
	irq_set(vm, 12, false);
	/* The PIC sees the same lines: its vectors after acknowledging. */
	assert_int_equal(pic_ack(vm), 0x20);
}

/* Lines 16-23 are IOAPIC-only; beyond 23 nothing. */
static void test_pci_lines(void **state)
{
	struct vm *vm = *state;
	pic_program(vm, 0x20, 0x28, 0x01);
	io_rte(vm, 16, (1ull << 15) | 0x50);
	io_rte(vm, 23, (1ull << 15) | 0x57);
	irq_set(vm, 16, true);
	irq_set(vm, 23, true);
	assert_true(in_irr(vm, 0x50));
	assert_true(in_irr(vm, 0x57));
	assert_true(in_tmr(vm, 0x50));
	assert_int_equal(pic_irr(vm, 0x20), 0);
	assert_int_equal(pic_irr(vm, 0xa0), 0);
	assert_false(pic_intr(vm));
	uint32_t irr[8];
	memcpy(irr, lapic_of(vm)->s.irr, sizeof irr);
	irq_set(vm, 24, true);
	irq_set(vm, 1000, true);
	irq_pulse(vm, 31);
	assert_memory_equal(irr, lapic_of(vm)->s.irr, sizeof irr);
}

/* The 8259's INTR wakes a halted vCPU when it reaches the CPU. */
static void test_extint_wakes(void **state)
{
	struct vm *vm = *state;
	struct vcpu *v = &vm->vcpu[0];
	pic_program(vm, 0x20, 0x28, 0x01);
	v->halted = true;
	irq_pulse(vm, 3);
	assert_false(v->halted);
	assert_int_equal(pic_ack(vm), 0x23);
	outb(vm, 0x20, 0x20);
	/* LINT0 masked: the PIC raises INTR but nobody listens. */
	apic_wr(vm, 0x350, 0x10700);
	v->halted = true;
	irq_pulse(vm, 5);
	assert_true(pic_intr(vm));
	assert_true(v->halted);
	assert_false(intr_wakes_halted(v));
	assert_int_equal(pic_ack(vm), 0x25);
	outb(vm, 0x20, 0x20);
	/* Masked at the PIC. */
	apic_wr(vm, 0x350, 0x00700);
	outb(vm, 0x21, 0x40);
	irq_pulse(vm, 6);
	assert_true(v->halted);
}

/* MSI: address 0xFEExxxxx, destination ID in bits 19:12, DM in bit 2;
 * data: vector 7:0, delivery mode 10:8, trigger mode 15. */
static void test_msi(void **state)
{
	struct vm *vm = *state;
	struct lapic *l = lapic_of(vm);
	irq_msi(vm, 0xfee00000, 0x0041);
	assert_true(in_irr(vm, 0x41));
	assert_false(in_tmr(vm, 0x41));
	irq_msi(vm, 0xfee00000, 0xc042);               /* level, assert */
	assert_true(in_tmr(vm, 0x42));
	irq_msi(vm, 0xfee01000, 0x0043);               /* APIC 1 */
	assert_false(in_irr(vm, 0x43));
	irq_msi(vm, 0xfeeff000, 0x0044);               /* broadcast */
	assert_true(in_irr(vm, 0x44));
	irq_msi(vm, 0xfee00008, 0x0045);               /* RH only */
	assert_true(in_irr(vm, 0x45));
	irq_msi(vm, 0xfee0000c, 0x0046);               /* logical 0 */
	assert_false(in_irr(vm, 0x46));
	apic_wr(vm, 0xd0, 0x02000000);
	irq_msi(vm, 0xfee0200c, 0x0047);               /* logical 0x02 */
	assert_true(in_irr(vm, 0x47));
	irq_msi(vm, 0xfee02000, 0x0048);               /* physical 2 */
	assert_false(in_irr(vm, 0x48));
	irq_msi(vm, 0xfee00000, 0x0149);               /* lowest priority */
	assert_true(in_irr(vm, 0x49));
	/* Not interrupt messages: elsewhere, or above 4 GiB. */
	irq_msi(vm, 0xfed00000, 0x004a);
	irq_msi(vm, 0x1fee00000ull, 0x004b);
	assert_false(in_irr(vm, 0x4a));
	assert_false(in_irr(vm, 0x4b));
	/* NMI: the vector is ignored. */
	assert_int_equal(l->s.nmi_pending, 0);
	irq_msi(vm, 0xfee00000, 0x044c);
	assert_int_equal(l->s.nmi_pending, 1);
	assert_false(in_irr(vm, 0x4c));
	/* INIT, SIPI, SMI, ExtINT: nothing here. */
	irq_msi(vm, 0xfee00000, 0x054d);
	irq_msi(vm, 0xfee00000, 0x064e);
	irq_msi(vm, 0xfee00000, 0x024f);
	irq_msi(vm, 0xfee00000, 0x0750);
	for (unsigned vec = 0x4d; vec <= 0x50; vec++)
		assert_false(in_irr(vm, vec));
	/* Wakes a halted vCPU. */
	vm->vcpu[0].halted = true;
	irq_msi(vm, 0xfee00000, 0x0051);
	assert_false(vm->vcpu[0].halted);
}

/* The bus: claims, overlaps, release and dispatch. */
struct rec_dev {
	struct device dev;
	int region;
	uint64_t offset, val;
	unsigned size, calls;
	bool write;
};

static void rec_access(struct device *dev, int region, uint64_t offset,
		       unsigned size, bool write, uint64_t *val)
{
	struct rec_dev *r = (struct rec_dev *)dev;
	r->region = region, r->offset = offset, r->size = size;
	r->write = write, r->calls++;
	if (write)
		r->val = *val;
	else
		*val = 0x1000 + offset;
}

static void test_bus(void **state)
{
	(void)state;
	struct bus *bus = calloc(1, sizeof *bus);
	assert_non_null(bus);
	struct rec_dev a = { .dev = { .name = "a", .access = rec_access } };
	struct rec_dev b = { .dev = { .name = "b", .access = rec_access } };
	assert_int_equal(bus_claim(bus, BUS_PIO, 0x100, 0x10, &a.dev, 3), ST_OK);
	assert_int_equal(bus_claim(bus, BUS_PIO, 0x10f, 1, &b.dev, 0), ST_EEXIST);
	assert_int_equal(bus_claim(bus, BUS_PIO, 0xf8, 0x9, &b.dev, 0), ST_EEXIST);
	assert_int_equal(bus_claim(bus, BUS_PIO, 0xf0, 0x100, &b.dev, 0), ST_EEXIST);
	assert_int_equal(bus_claim(bus, BUS_PIO, 0xf8, 0x8, &b.dev, 0), ST_OK);
	assert_int_equal(bus_claim(bus, BUS_PIO, 0x110, 0x8, &b.dev, 1), ST_OK);
	assert_int_equal(bus_claim(bus, BUS_MMIO, 0x100, 0x10, &b.dev, 2), ST_OK);
	assert_int_equal(bus_claim(bus, BUS_PIO, 0x200, 0, &b.dev, 4), ST_EINVAL);
	assert_int_equal(bus_claim(bus, BUS_MMIO, ~0ull - 3, 8, &b.dev, 4),
			 ST_EINVAL);
	assert_int_equal(bus_claim(bus, BUS_MMIO, ~0ull - 7, 8, &b.dev, 4),
			 ST_EINVAL); /* base + size wraps to 0 */
	assert_int_equal(bus_claim(bus, BUS_PIO, 0x200, 1, NULL, 4), ST_EINVAL);
	/* Dispatch: offset within the range, the claimer's region. */
	uint64_t v = 0;
	assert_true(bus_access(bus, BUS_PIO, 0x10c, 2, false, &v));
	assert_int_equal(v, 0x100c);
	assert_int_equal(a.region, 3);
	assert_int_equal(a.size, 2);
	assert_false(a.write);
	v = 0x5a;
	assert_true(bus_access(bus, BUS_PIO, 0x113, 1, true, &v));
	assert_int_equal(b.region, 1);
	assert_int_equal(b.offset, 3);
	assert_int_equal(b.val, 0x5a);
	assert_true(bus_access(bus, BUS_MMIO, 0x100, 4, false, &v));
	assert_int_equal(b.region, 2);
	assert_false(bus_access(bus, BUS_PIO, 0x118, 1, false, &v));
	assert_false(bus_access(bus, BUS_MMIO, 0x110, 1, false, &v));
	assert_int_equal(a.calls, 1);
	/* Release frees the range for another claimer. */
	bus_release(bus, &a.dev, 2);                  /* holds none: no-op */
	assert_true(bus_access(bus, BUS_PIO, 0x100, 1, false, &v));
	bus_release(bus, &a.dev, 3);
	assert_false(bus_access(bus, BUS_PIO, 0x100, 1, false, &v));
	assert_true(bus_access(bus, BUS_PIO, 0x110, 1, false, &v));
	assert_true(bus_access(bus, BUS_PIO, 0xf8, 1, false, &v));
	assert_int_equal(bus_claim(bus, BUS_PIO, 0x100, 0x10, &b.dev, 5), ST_OK);
	assert_true(bus_access(bus, BUS_PIO, 0x100, 1, false, &v));
	assert_int_equal(b.region, 5);
	/* A full table. */
	while (bus->nranges < BUS_MAX_RANGES)
		assert_int_equal(bus_claim(bus, BUS_MMIO, 0x10000 * (bus->nranges + 1),
					   0x10, &a.dev, 9), ST_OK);
	assert_int_equal(bus_claim(bus, BUS_MMIO, 0x1000, 1, &a.dev, 9), ST_ENOSPC);
	assert_int_equal(bus_claim(bus, BUS_PIO, 0x100, 1, &a.dev, 9), ST_EEXIST);
	free(bus);
}

/* Virtual timers. */
struct tmr {
	struct vtimer t;
	struct vm *vm;
	unsigned fired, order;
	uint64_t rearm;       /* deadline to re-arm at from fire, or 0 */
	struct tmr *cancel;   /* timer to cancel from fire */
};
static unsigned fire_seq;

static void tmr_fire(struct vtimer *t)
{
	struct tmr *m = t->ctx;
	assert_false(t->armed);
	m->fired++;
	m->order = ++fire_seq;
	if (m->cancel)
		vtimer_cancel(m->vm, &m->cancel->t);
	if (m->rearm) {
		uint64_t at = m->rearm;
		m->rearm = 0;
		vtimer_arm(m->vm, t, at);
	}
}

static void tmr_init(struct tmr *m, struct vm *vm)
{
	memset(m, 0, sizeof *m);
	m->t.fire = tmr_fire;
	m->t.ctx = m;
	m->vm = vm;
}

static void test_vtimer(void **state)
{
	struct vm *vm = *state;
	struct vtimer_set *s = &vm->timers;
	struct tmr a, b, c;
	tmr_init(&a, vm), tmr_init(&b, vm), tmr_init(&c, vm);
	assert_int_equal(vtimer_run_due(s, 0), UINT64_MAX);
	vtimer_arm(vm, &a.t, 100);
	vtimer_arm(vm, &b.t, 50);
	vtimer_arm(vm, &c.t, 300);
	assert_true(a.t.armed && b.t.armed && c.t.armed);
	assert_int_equal(vtimer_run_due(s, 10), 50);
	/* Re-arming moves, never duplicates. */
	vtimer_arm(vm, &b.t, 200);
	assert_int_equal(s->n, 3);
	assert_int_equal(vtimer_run_due(s, 10), 100);
	/* Due at exactly the deadline, each once. */
	assert_int_equal(vtimer_run_due(s, 100), 200);
	assert_int_equal(a.fired, 1);
	assert_false(a.t.armed);
	assert_int_equal(vtimer_run_due(s, 100), 200);
	assert_int_equal(a.fired, 1);
	/* Cancel; cancelling an unarmed timer is harmless. */
	vtimer_cancel(vm, &b.t);
	vtimer_cancel(vm, &b.t);
	assert_false(b.t.armed);
	assert_int_equal(vtimer_run_due(s, 250), 300);
	assert_int_equal(b.fired, 0);
	/* Several due at once all fire; a periodic one re-arms from fire
	 * and the returned deadline counts it. */
	vtimer_arm(vm, &a.t, 310);
	vtimer_arm(vm, &b.t, 320);
	c.rearm = 400;
	assert_int_equal(vtimer_run_due(s, 350), 400);
	assert_int_equal(a.fired, 2);
	assert_int_equal(b.fired, 1);
	assert_int_equal(c.fired, 1);
	assert_true(c.t.armed);
	assert_int_equal(s->n, 1);
	/* Re-armed into the past from fire: fires again in the same run. */
	c.rearm = 390;
	assert_int_equal(vtimer_run_due(s, 400), UINT64_MAX);
	assert_int_equal(c.fired, 3);
	assert_int_equal(s->n, 0);
	/* A fire that cancels another due timer keeps it from firing. */
	vtimer_arm(vm, &a.t, 500);
	vtimer_arm(vm, &b.t, 500);
	a.cancel = &b;
	b.cancel = &a;
	assert_int_equal(vtimer_run_due(s, 500), UINT64_MAX);
	assert_int_equal(a.fired + b.fired, 2 + 1 + 1);
	assert_false(a.t.armed || b.t.armed);
	/* The set holds VTIMER_MAX; one more is not armed. */
	struct tmr many[VTIMER_MAX + 1];
	for (unsigned i = 0; i <= VTIMER_MAX; i++) {
		tmr_init(&many[i], vm);
		vtimer_arm(vm, &many[i].t, 1000 + i);
	}
	assert_false(many[VTIMER_MAX].t.armed);
	assert_int_equal(s->n, VTIMER_MAX);
	assert_int_equal(vtimer_run_due(s, 999), 1000);
	vtimer_cancel(vm, &many[0].t);
	assert_int_equal(vtimer_run_due(s, 999), 1001);
	assert_int_equal(vtimer_run_due(s, 5000), UINT64_MAX);
	for (unsigned i = 1; i < VTIMER_MAX; i++)
		assert_int_equal(many[i].fired, 1);
	assert_int_equal(many[0].fired + many[VTIMER_MAX].fired, 0);
}

/* Injection at entry (SDM vol. 3, 6.9): NMI first, then the local
 * APIC, then the 8259 through LINT0; windows when blocked. */
static void test_intr_nmi_first(void **state)
{
	struct vm *vm = *state;
	struct vcpu *v = &vm->vcpu[0];
	struct lapic *l = lapic_of(vm);
	intr_prepare_entry(v);
	assert_int_equal(fc.ninjected + fc.nmis + fc.windows, 0);
	lapic_deliver(l, APIC_DM_NMI, 0, false);
	lapic_accept(l, 0x40, false);
	intr_prepare_entry(v);
	assert_int_equal(fc.nmis, 1);
	assert_int_equal(fc.ninjected, 0);
	assert_int_equal(l->s.nmi_pending, 0);
	assert_true(in_irr(vm, 0x40));
	intr_prepare_entry(v);
	assert_int_equal(fc.ninjected, 1);
	assert_int_equal(fc.injected[0], 0x40);
	assert_true(in_isr(vm, 0x40));
	assert_false(in_irr(vm, 0x40));
	assert_int_equal(fc.windows, 0);
	/* NMI blocked (in an NMI handler): NMI window, interrupt goes in. */
	fc.nmi_allowed = false;
	lapic_deliver(l, APIC_DM_NMI, 0, false);
	lapic_accept(l, 0x50, false);
	intr_prepare_entry(v);
	assert_int_equal(fc.nmis, 1);
	assert_true(fc.win_nmi);
	assert_int_equal(l->s.nmi_pending, 1);
	assert_int_equal(fc.ninjected, 2);
	assert_int_equal(fc.injected[1], 0x50);
	/* Both blocked: both windows, nothing injected. */
	fc.win_nmi = fc.win_irq = false;
	fc.irq_allowed = false;
	lapic_accept(l, 0x60, false);
	intr_prepare_entry(v);
	assert_true(fc.win_nmi && fc.win_irq);
	assert_int_equal(fc.ninjected, 2);
	assert_true(in_irr(vm, 0x60));
	fc.nmi_allowed = fc.irq_allowed = true;
	intr_prepare_entry(v);
	assert_int_equal(fc.nmis, 2);
	intr_prepare_entry(v);
	assert_int_equal(fc.injected[2], 0x60);
}

static void test_intr_lapic_before_extint(void **state)
{
	struct vm *vm = *state;
	struct vcpu *v = &vm->vcpu[0];
	struct lapic *l = lapic_of(vm);
	pic_program(vm, 0x20, 0x28, 0x01);
	irq_pulse(vm, 1);
	lapic_accept(l, 0x40, false);
	intr_prepare_entry(v);
	assert_int_equal(fc.ninjected, 1);
	assert_int_equal(fc.injected[0], 0x40);
	assert_int_equal(pic_irr(vm, 0x20), 0x02);    /* not acknowledged */
	/* 0x40 in service still leaves the 8259's INTR through. */
	intr_prepare_entry(v);
	assert_int_equal(fc.ninjected, 2);
	assert_int_equal(fc.injected[1], 0x21);
	assert_int_equal(pic_irr(vm, 0x20), 0x00);
	outb(vm, 0x20, 0x0b);
	assert_int_equal(inb(vm, 0x20), 0x02);
	outb(vm, 0x20, 0x20);
	/* A vector below the processor priority does not hide the 8259. */
	apic_wr(vm, 0x80, 0xf0);
	lapic_accept(l, 0x41, false);
	irq_pulse(vm, 3);
	intr_prepare_entry(v);
	assert_int_equal(fc.injected[2], 0x23);
	outb(vm, 0x20, 0x20);
	/* LINT0 masked: the 8259 is not seen; no window either. */
	apic_wr(vm, 0x350, 0x10700);
	irq_pulse(vm, 4);
	unsigned windows = fc.windows;
	intr_prepare_entry(v);
	assert_int_equal(fc.ninjected, 3);
	assert_int_equal(fc.windows, windows);
	assert_true(pic_intr(vm));
	/* APIC globally disabled: INTR straight in. */
	assert_true(lapic_wrmsr(l, 0x1b, LAPIC_DEFAULT_BASE));
	intr_prepare_entry(v);
	assert_int_equal(fc.ninjected, 4);
	assert_int_equal(fc.injected[3], 0x24);
}

static void test_intr_windows(void **state)
{
	struct vm *vm = *state;
	struct vcpu *v = &vm->vcpu[0];
	struct lapic *l = lapic_of(vm);
	pic_program(vm, 0x20, 0x28, 0x01);
	/* IF clear (or a shadow): window, nothing taken. */
	fc.irq_allowed = false;
	lapic_accept(l, 0x40, false);
	intr_prepare_entry(v);
	assert_int_equal(fc.ninjected, 0);
	assert_int_equal(fc.windows, 1);
	assert_true(fc.win_irq);
	assert_false(fc.win_nmi);
	assert_true(in_irr(vm, 0x40));
	assert_false(in_isr(vm, 0x40));
	fc.irq_allowed = true;
	intr_prepare_entry(v);
	assert_int_equal(fc.injected[0], 0x40);
	apic_wr(vm, 0xb0, 0);
	/* The 8259 blocked likewise: not acknowledged until the window. */
	fc.irq_allowed = false;
	fc.windows = 0;
	irq_pulse(vm, 6);
	intr_prepare_entry(v);
	assert_int_equal(fc.windows, 1);
	assert_int_equal(pic_irr(vm, 0x20), 0x40);
	fc.irq_allowed = true;
	intr_prepare_entry(v);
	assert_int_equal(fc.injected[1], 0x26);
	outb(vm, 0x20, 0x20);
	/* An event being delivered: nothing injected, window if anything
	 * waits (NMI included), no window otherwise. */
	fc.event_pending = true;
	fc.windows = 0, fc.win_irq = fc.win_nmi = false;
	intr_prepare_entry(v);
	assert_int_equal(fc.windows, 0);
	lapic_accept(l, 0x41, false);
	intr_prepare_entry(v);
	assert_int_equal(fc.windows, 1);
	assert_true(fc.win_irq);
	assert_false(fc.win_nmi);
	assert_int_equal(fc.ninjected, 2);
	assert_true(in_irr(vm, 0x41));
	lapic_deliver(l, APIC_DM_NMI, 0, false);
	intr_prepare_entry(v);
	assert_true(fc.win_nmi);
	assert_int_equal(fc.nmis, 0);
	assert_int_equal(l->s.nmi_pending, 1);
	take(vm);
	l->s.nmi_pending = 0;
	fc.windows = 0;
	irq_pulse(vm, 7);
	intr_prepare_entry(v);
	assert_int_equal(fc.windows, 1);
	assert_int_equal(pic_irr(vm, 0x20), 0x80);
	fc.event_pending = false;
	/* No local APIC: nothing at all. */
	struct vcpu bare = { .vm = vm };
	intr_prepare_entry(&bare);
	assert_false(intr_wakes_halted(&bare));
}

/* HLT ends on an NMI, or on an interrupt the guest takes (IF set). */
static void test_intr_wakes_halted(void **state)
{
	struct vm *vm = *state;
	struct vcpu *v = &vm->vcpu[0];
	struct lapic *l = lapic_of(vm);
	pic_program(vm, 0x20, 0x28, 0x01);
	assert_false(intr_wakes_halted(v));
	lapic_accept(l, 0x40, false);
	assert_true(intr_wakes_halted(v));
	fc.reg[VR_RFLAGS] = 0x2;
	assert_false(intr_wakes_halted(v));
	lapic_deliver(l, APIC_DM_NMI, 0, false);
	assert_true(intr_wakes_halted(v));
	l->s.nmi_pending = 0;
	fc.reg[VR_RFLAGS] = 0x202;
	apic_wr(vm, 0x80, 0x40);                      /* TPR blocks it */
	assert_false(intr_wakes_halted(v));
	irq_pulse(vm, 2 + 1);
	assert_true(intr_wakes_halted(v));
	apic_wr(vm, 0x350, 0x10700);
	assert_false(intr_wakes_halted(v));
	apic_wr(vm, 0x80, 0);
	assert_true(intr_wakes_halted(v));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		VM_TEST(test_isa_routing),
		VM_TEST(test_pci_lines),
		VM_TEST(test_extint_wakes),
		VM_TEST(test_msi),
		VM_TEST(test_bus),
		VM_TEST(test_vtimer),
		VM_TEST(test_intr_nmi_first),
		VM_TEST(test_intr_lapic_before_extint),
		VM_TEST(test_intr_windows),
		VM_TEST(test_intr_wakes_halted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
