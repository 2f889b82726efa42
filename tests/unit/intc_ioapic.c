/* intc_ioapic.c: unit tests of the I/O APIC (hv/dev/ioapic.c) against
 * the 82093AA datasheet: IOREGSEL/IOWIN, the ID, version and
 * arbitration registers, redirection entries (read-only bits, masking),
 * edge and level inputs with remote IRR and EOI, destinations and
 * delivery modes, save/restore. */
#include "tests/unit/intc_fakes.h"

#define RTE_MASK (1ull << 16)
#define RTE_LEVEL (1ull << 15)
#define RTE_RIRR (1ull << 14)
#define RTE_LOGICAL (1ull << 11)
#define DEST(d) ((uint64_t)(d) << 56)

static void test_registers(void **state)
{
	struct vm *vm = *state;
	uint64_t v = 0;
	assert_true(bus_access(&vm->bus, BUS_MMIO, IOAPIC_BASE, 4, true, &(uint64_t){ 0x1ff }));
	assert_true(bus_access(&vm->bus, BUS_MMIO, IOAPIC_BASE, 4, false, &v));
	assert_int_equal(v, 0xff);                     /* 8-bit IOREGSEL */
	assert_int_equal(io_rd(vm, 1), 0x00170020);    /* 24 entries, v0x20 */
	assert_int_equal(io_rd(vm, 0), 1u << 24);      /* ID = nvcpus */
	io_wr(vm, 0, 0xff000000);
	assert_int_equal(io_rd(vm, 0), 0x0f000000);    /* 4-bit ID */
	assert_int_equal(io_rd(vm, 2), 0x0f000000);    /* arbitration */
	io_wr(vm, 1, 0);
	assert_int_equal(io_rd(vm, 1), 0x00170020);
	/* Every entry comes up masked. */
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
		assert_int_equal(io_rte_rd(vm, pin), RTE_MASK);
	/* Delivery status and remote IRR are read-only. */
	io_wr(vm, 0x10 + 2 * 3, 0xffffffff);
	assert_int_equal(io_rd(vm, 0x10 + 2 * 3), 0xffffafff);
	io_wr(vm, 0x11 + 2 * 3, 0xff000000);
	assert_int_equal(io_rd(vm, 0x11 + 2 * 3), 0xff000000);
	assert_int_equal(io_rd(vm, 0x10 + 2 * 3), 0xffffafff);
	/* Nothing else in the window. */
	v = 0;
	assert_true(bus_access(&vm->bus, BUS_MMIO, IOAPIC_BASE + 0x20, 4, false, &v));
	assert_int_equal(v, 0);
	assert_false(bus_access(&vm->bus, BUS_MMIO, IOAPIC_BASE + 0x1000, 4, false, &v));
	/* Out-of-range inputs are ignored. */
	ioapic_set_irq(vm, IOAPIC_PINS, true);
	ioapic_set_irq(vm, 1000, true);
}

/* Edge inputs deliver on a rising edge only. */
static void test_edge(void **state)
{
	struct vm *vm = *state;
	io_rte(vm, 4, 0x34);
	ioapic_set_irq(vm, 4, true);
	assert_true(in_irr(vm, 0x34));
	assert_false(in_tmr(vm, 0x34));
	assert_int_equal(io_rte_rd(vm, 4) & RTE_RIRR, 0);
	assert_int_equal(take(vm), 0x34);
	ioapic_set_irq(vm, 4, true);                  /* still high */
	assert_false(in_irr(vm, 0x34));
	ioapic_set_irq(vm, 4, false);
	ioapic_set_irq(vm, 4, true);
	assert_true(in_irr(vm, 0x34));
	/* EOI of an edge vector leaves the IOAPIC alone. */
	apic_wr(vm, 0xb0, 0);
	assert_int_equal(take(vm), 0x34);
	apic_wr(vm, 0xb0, 0);
	assert_false(in_irr(vm, 0x34));
}

/* Datasheet, 3.2.4 bit 16: "Edge-sensitive interrupts signaled on a
 * masked interrupt pin are ignored (i.e., not delivered or held
 * pending)", also when the pin is unmasked with its line still high;
 * rewriting an entry is no edge either. */
static void test_masked_edge_ignored(void **state)
{
	struct vm *vm = *state;
	io_rte(vm, 4, RTE_MASK | 0x34);
	ioapic_set_irq(vm, 4, true);
	assert_false(in_irr(vm, 0x34));
	io_rte(vm, 4, 0x34);                          /* unmask, line high */
	assert_false(in_irr(vm, 0x34));
	io_rte(vm, 4, 0x34);                          /* rewrite */
	io_wr(vm, 0x11 + 2 * 4, 0);
	assert_false(in_irr(vm, 0x34));
	ioapic_set_irq(vm, 4, false);
	ioapic_set_irq(vm, 4, true);
	assert_true(in_irr(vm, 0x34));
}

/* Level inputs: remote IRR set on delivery, cleared by the EOI, which
 * delivers again while the line stays high. */
static void test_level_remote_irr(void **state)
{
	struct vm *vm = *state;
	io_rte(vm, 9, RTE_LEVEL | 0x49);
	ioapic_set_irq(vm, 9, true);
	assert_true(in_irr(vm, 0x49));
	assert_true(in_tmr(vm, 0x49));
	assert_true(io_rte_rd(vm, 9) & RTE_RIRR);
	assert_int_equal(take(vm), 0x49);
	ioapic_set_irq(vm, 9, true);                  /* no new message */
	assert_false(in_irr(vm, 0x49));
	/* Remote IRR survives a rewrite of the entry (read-only). */
	io_rte(vm, 9, RTE_LEVEL | 0x49);
	assert_true(io_rte_rd(vm, 9) & RTE_RIRR);
	assert_false(in_irr(vm, 0x49));
	apic_wr(vm, 0xb0, 0);                         /* line still high */
	assert_true(in_irr(vm, 0x49));
	assert_true(io_rte_rd(vm, 9) & RTE_RIRR);
	assert_int_equal(take(vm), 0x49);
	ioapic_set_irq(vm, 9, false);
	apic_wr(vm, 0xb0, 0);
	assert_int_equal(io_rte_rd(vm, 9) & RTE_RIRR, 0);
	assert_false(in_irr(vm, 0x49));
	assert_int_equal(lapic_pending(lapic_of(vm)), -1);
	/* Masked while in service: the EOI clears remote IRR, nothing is
	 * delivered until unmasked, then the high line is. */
	ioapic_set_irq(vm, 9, true);
	assert_int_equal(take(vm), 0x49);
	io_rte(vm, 9, RTE_MASK | RTE_LEVEL | 0x49);
	apic_wr(vm, 0xb0, 0);
	assert_int_equal(io_rte_rd(vm, 9) & RTE_RIRR, 0);
	assert_false(in_irr(vm, 0x49));
	io_rte(vm, 9, RTE_LEVEL | 0x49);
	assert_true(in_irr(vm, 0x49));
	assert_true(io_rte_rd(vm, 9) & RTE_RIRR);
}

static void test_unmask_high_level_delivers(void **state)
{
	struct vm *vm = *state;
	io_rte(vm, 10, RTE_MASK | RTE_LEVEL | 0x5a);
	ioapic_set_irq(vm, 10, true);
	assert_false(in_irr(vm, 0x5a));
	assert_int_equal(io_rte_rd(vm, 10) & RTE_RIRR, 0);
	io_wr(vm, 0x10 + 2 * 10, (uint32_t)(RTE_LEVEL | 0x5a));
	assert_true(in_irr(vm, 0x5a));
	assert_true(in_tmr(vm, 0x5a));
	/* Dropped before unmasking: nothing. */
	io_rte(vm, 11, RTE_MASK | RTE_LEVEL | 0x5b);
	ioapic_set_irq(vm, 11, true);
	ioapic_set_irq(vm, 11, false);
	io_rte(vm, 11, RTE_LEVEL | 0x5b);
	assert_false(in_irr(vm, 0x5b));
}

/* Switching a pin to edge clears a stale remote IRR. */
static void test_edge_clears_remote_irr(void **state)
{
	struct vm *vm = *state;
	io_rte(vm, 12, RTE_LEVEL | 0x5c);
	ioapic_set_irq(vm, 12, true);
	assert_true(io_rte_rd(vm, 12) & RTE_RIRR);
	ioapic_set_irq(vm, 12, false);
	io_rte(vm, 12, 0x5c);
	assert_int_equal(io_rte_rd(vm, 12) & RTE_RIRR, 0);
}

/* The EOI register at +0x40 (version 0x20 parts) and the broadcast
 * EOI both clear remote IRR of every pin with that vector. */
static void test_eoi_register(void **state)
{
	struct vm *vm = *state;
	io_rte(vm, 13, RTE_LEVEL | 0x60);
	io_rte(vm, 14, RTE_LEVEL | 0x60);
	io_rte(vm, 15, RTE_LEVEL | 0x61);
	ioapic_set_irq(vm, 13, true);
	ioapic_set_irq(vm, 14, true);
	ioapic_set_irq(vm, 15, true);
	ioapic_set_irq(vm, 13, false);
	ioapic_set_irq(vm, 14, false);
	ioapic_set_irq(vm, 15, false);
	uint64_t v = 0x60;
	assert_true(bus_access(&vm->bus, BUS_MMIO, IOAPIC_BASE + 0x40, 4, true, &v));
	assert_int_equal(io_rte_rd(vm, 13) & RTE_RIRR, 0);
	assert_int_equal(io_rte_rd(vm, 14) & RTE_RIRR, 0);
	assert_true(io_rte_rd(vm, 15) & RTE_RIRR);
	ioapic_eoi(vm, 0x61);
	assert_int_equal(io_rte_rd(vm, 15) & RTE_RIRR, 0);
	/* Re-delivery through the register while the line is high. */
	ioapic_set_irq(vm, 15, true);
	assert_int_equal(take(vm), 0x61);
	v = 0x61;
	assert_true(bus_access(&vm->bus, BUS_MMIO, IOAPIC_BASE + 0x40, 4, true, &v));
	assert_true(in_irr(vm, 0x61));
}

/* Destinations (physical, broadcast, logical) and delivery modes. */
static void test_destination_and_modes(void **state)
{
	struct vm *vm = *state;
	struct lapic *l = lapic_of(vm);
	io_rte(vm, 1, DEST(1) | 0x41);                 /* APIC 1: absent */
	ioapic_set_irq(vm, 1, true);
	assert_false(in_irr(vm, 0x41));
	io_rte(vm, 2, DEST(0xff) | 0x42);              /* broadcast */
	ioapic_set_irq(vm, 2, true);
	assert_true(in_irr(vm, 0x42));
	apic_wr(vm, 0xd0, 0x04000000);                 /* logical 0x04 */
	io_rte(vm, 3, DEST(0x04) | RTE_LOGICAL | 0x43);
	ioapic_set_irq(vm, 3, true);
	assert_true(in_irr(vm, 0x43));
	io_rte(vm, 5, DEST(0x08) | RTE_LOGICAL | 0x45);
	ioapic_set_irq(vm, 5, true);
	assert_false(in_irr(vm, 0x45));
	io_rte(vm, 6, (APIC_DM_LOWEST << 8) | 0x46);   /* lowest priority */
	ioapic_set_irq(vm, 6, true);
	assert_true(in_irr(vm, 0x46));
	io_rte(vm, 7, (APIC_DM_NMI << 8));
	ioapic_set_irq(vm, 7, true);
	assert_int_equal(l->s.nmi_pending, 1);
	io_rte(vm, 8, (APIC_DM_EXTINT << 8) | 0x48);  /* the 8259's job */
	ioapic_set_irq(vm, 8, true);
	assert_false(in_irr(vm, 0x48));
	/* Delivery wakes a halted vCPU. */
	vm->vcpu[0].halted = true;
	io_rte(vm, 17, 0x51);
	ioapic_set_irq(vm, 17, true);
	assert_false(vm->vcpu[0].halted);
}

static void test_save_restore_reset(void **state)
{
	struct vm *vm = *state;
	struct device *d = vm->ioapic;
	io_wr(vm, 0, 0x05000000);
	io_rte(vm, 20, DEST(0) | RTE_LEVEL | 0x70);
	ioapic_set_irq(vm, 20, true);
	uint64_t sel = 0x21;                           /* IOREGSEL too */
	assert_true(bus_access(&vm->bus, BUS_MMIO, IOAPIC_BASE, 4, true, &sel));
	uint8_t *img = malloc(d->state_size);
	assert_non_null(img);
	d->save(d, img);
	struct vm *vm2 = vm_new();
	struct device *d2 = vm2->ioapic;
	assert_int_equal(d2->restore(d2, img, d->state_size), ST_OK);
	uint64_t v = 0;
	assert_true(bus_access(&vm2->bus, BUS_MMIO, IOAPIC_BASE, 4, false, &v));
	assert_int_equal(v, 0x21);
	assert_int_equal(io_rd(vm2, 0), 0x05000000);
	assert_int_equal(io_rte_rd(vm2, 20), RTE_RIRR | RTE_LEVEL | 0x70);
	/* The line is still high: the EOI delivers in the restored VM. */
	ioapic_eoi(vm2, 0x70);
	assert_true(in_irr(vm2, 0x70));
	assert_int_equal(d2->restore(d2, img, d->state_size - 1), ST_ECORRUPT);
	img[0] ^= 0xff;                                /* the version */
	assert_int_equal(d2->restore(d2, img, d->state_size), ST_ECORRUPT);
	free(img);
	vm_free(vm2);
	/* Reset: all masked, lines kept. */
	d->reset(d);
	assert_int_equal(io_rte_rd(vm, 20), RTE_MASK);
	assert_int_equal(io_rd(vm, 0), 1u << 24);
	io_rte(vm, 20, RTE_LEVEL | 0x71);
	assert_true(in_irr(vm, 0x71));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		VM_TEST(test_registers),
		VM_TEST(test_edge),
		VM_TEST(test_masked_edge_ignored),
		VM_TEST(test_level_remote_irr),
		VM_TEST(test_unmask_high_level_delivers),
		VM_TEST(test_edge_clears_remote_irr),
		VM_TEST(test_eoi_register),
		VM_TEST(test_destination_and_modes),
		VM_TEST(test_save_restore_reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
