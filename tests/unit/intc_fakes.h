/* intc_fakes.h: the environment of the interrupt controllers under
 * test (tests/unit/intc_*.c): a virtual clock the test sets, a vendor
 * ops table that records injections and window requests and answers
 * with test-controlled values, a one-vCPU VM with its local APIC, 8259
 * pair and IOAPIC, and port/MMIO/register helpers. One test binary
 * includes it once. */
#ifndef TESTS_UNIT_INTC_FAKES_H
#define TESTS_UNIT_INTC_FAKES_H
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "hv/intr.h"
#include "hv/ioapic.h"
#include "hv/irq.h"
#include "hv/lapic.h"
#include "hv/pic.h"
#include "hv/vm.h"

/* The clock: host TSC ticks at fake_hz per second. */
#include "tests/unit/fake_vclock.h"

/* The vendor: what the entry path asked for, and what it is told. */
struct fake_cpu {
	bool event_pending, irq_allowed, nmi_allowed;
	uint64_t reg[NR_VREGS];
	int injected[16];
	unsigned ninjected, nmis, windows;
	bool win_irq, win_nmi;
};
static struct fake_cpu fc;

static bool f_event_pending(struct vcpu *v)
{
	(void)v;
	return fc.event_pending;
}

static bool f_interrupt_allowed(struct vcpu *v)
{
	(void)v;
	return fc.irq_allowed;
}

static bool f_nmi_allowed(struct vcpu *v)
{
	(void)v;
	return fc.nmi_allowed;
}

static void f_inject_interrupt(struct vcpu *v, uint8_t vector)
{
	(void)v;
	assert_true(fc.ninjected < 16);
	fc.injected[fc.ninjected++] = vector;
}

static void f_inject_nmi(struct vcpu *v)
{
	(void)v;
	fc.nmis++;
}

static void f_request_window(struct vcpu *v, bool irq, bool nmi)
{
	(void)v;
	fc.windows++;
	fc.win_irq |= irq;
	fc.win_nmi |= nmi;
}

static uint64_t f_get_reg(struct vcpu *v, enum vreg r)
{
	(void)v;
	return fc.reg[r];
}

static void f_set_reg(struct vcpu *v, enum vreg r, uint64_t val)
{
	(void)v;
	fc.reg[r] = val;
}

static const struct vcpu_ops fake_ops = {
	.name = "fake",
	.get_reg = f_get_reg,
	.set_reg = f_set_reg,
	.event_pending = f_event_pending,
	.interrupt_allowed = f_interrupt_allowed,
	.nmi_allowed = f_nmi_allowed,
	.inject_interrupt = f_inject_interrupt,
	.inject_nmi = f_inject_nmi,
	.request_window = f_request_window,
};
const struct vcpu_ops *vcpu_ops = &fake_ops;

#define T0 1000000ull /* the clock when each test starts */

static inline struct vm *vm_new(void)
{
	struct vm *vm = calloc(1, sizeof *vm);
	assert_non_null(vm);
	memset(&fc, 0, sizeof fc);
	fc.irq_allowed = fc.nmi_allowed = true;
	fc.reg[VR_RFLAGS] = 0x202;
	fake_now = T0;
	fake_hz = 1000000000ull;
	vm->nvcpus = 1;
	vm->vcpu[0].vm = vm;
	vm->vcpu[0].id = 0;
	assert_int_equal(lapic_create(&vm->vcpu[0]), ST_OK);
	assert_non_null(pic_create(vm));
	assert_non_null(ioapic_create(vm));
	return vm;
}

static inline void vm_free(struct vm *vm)
{
	if (!vm)
		return;
	free(vm->vcpu[0].lapic);
	free(vm->pic);
	free(vm->ioapic);
	free(vm);
}

/* cmocka fixtures: *state is the VM, freed even when a test fails. */
static inline int vm_setup(void **state)
{
	*state = vm_new();
	return 0;
}

static inline int vm_teardown(void **state)
{
	vm_free(*state);
	return 0;
}

#define VM_TEST(f) cmocka_unit_test_setup_teardown(f, vm_setup, vm_teardown)

static inline struct lapic *lapic_of(struct vm *vm)
{
	return vm->vcpu[0].lapic;
}

/* xAPIC registers by MMIO offset. */
static inline uint32_t apic_rd(struct vm *vm, unsigned off)
{
	uint64_t v = 0xdeadbeef;
	lapic_mmio(lapic_of(vm), off, 4, false, &v);
	return (uint32_t)v;
}

static inline void apic_wr(struct vm *vm, unsigned off, uint32_t val)
{
	uint64_t v = val;
	lapic_mmio(lapic_of(vm), off, 4, true, &v);
}

static inline bool bit_in(const uint32_t *map, unsigned v)
{
	return (map[v >> 5] >> (v & 31)) & 1;
}

static inline bool in_irr(struct vm *vm, unsigned v)
{
	return bit_in(lapic_of(vm)->s.irr, v);
}

static inline bool in_isr(struct vm *vm, unsigned v)
{
	return bit_in(lapic_of(vm)->s.isr, v);
}

static inline bool in_tmr(struct vm *vm, unsigned v)
{
	return bit_in(lapic_of(vm)->s.tmr, v);
}

/* Takes the highest deliverable vector as the entry path would. */
static inline int take(struct vm *vm)
{
	int v = lapic_pending(lapic_of(vm));
	if (v >= 0)
		lapic_ack(lapic_of(vm), (uint8_t)v);
	return v;
}

/* The IOAPIC through its MMIO window. */
static inline void io_wr(struct vm *vm, unsigned reg, uint32_t val)
{
	uint64_t v = reg;
	assert_true(bus_access(&vm->bus, BUS_MMIO, IOAPIC_BASE, 4, true, &v));
	v = val;
	assert_true(bus_access(&vm->bus, BUS_MMIO, IOAPIC_BASE + 0x10, 4, true, &v));
}

static inline uint32_t io_rd(struct vm *vm, unsigned reg)
{
	uint64_t v = reg;
	assert_true(bus_access(&vm->bus, BUS_MMIO, IOAPIC_BASE, 4, true, &v));
	v = ~0ull;
	assert_true(bus_access(&vm->bus, BUS_MMIO, IOAPIC_BASE + 0x10, 4, false, &v));
	return (uint32_t)v;
}

static inline void io_rte(struct vm *vm, unsigned pin, uint64_t rte)
{
	io_wr(vm, 0x11 + 2 * pin, (uint32_t)(rte >> 32));
	io_wr(vm, 0x10 + 2 * pin, (uint32_t)rte);
}

static inline uint64_t io_rte_rd(struct vm *vm, unsigned pin)
{
	return ((uint64_t)io_rd(vm, 0x11 + 2 * pin) << 32) |
	       io_rd(vm, 0x10 + 2 * pin);
}

/* The 8259 pair through its ports. */
static inline void outb(struct vm *vm, uint16_t port, uint8_t val)
{
	uint64_t v = val;
	assert_true(bus_access(&vm->bus, BUS_PIO, port, 1, true, &v));
}

static inline uint8_t inb(struct vm *vm, uint16_t port)
{
	uint64_t v = 0xff;
	assert_true(bus_access(&vm->bus, BUS_PIO, port, 1, false, &v));
	return (uint8_t)v;
}

/* The PC BIOS/Linux programming: master at `mbase`, slave at `sbase`,
 * cascade on IRQ 2, 8086 mode, everything unmasked. */
static inline void pic_program(struct vm *vm, uint8_t mbase, uint8_t sbase,
			       uint8_t icw4)
{
	outb(vm, 0x20, 0x11);
	outb(vm, 0x21, mbase);
	outb(vm, 0x21, 0x04);
	outb(vm, 0x21, icw4);
	outb(vm, 0xa0, 0x11);
	outb(vm, 0xa1, sbase);
	outb(vm, 0xa1, 0x02);
	outb(vm, 0xa1, icw4);
	outb(vm, 0x21, 0x00);
	outb(vm, 0xa1, 0x00);
}

#endif
