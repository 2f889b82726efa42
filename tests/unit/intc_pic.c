/* intc_pic.c: unit tests of the 8259A pair (hv/dev/pic8259.c) against
 * the Intel 8259A datasheet: the ICW1-4 sequence, OCW1 (IMR), OCW2 EOIs
 * and rotation, OCW3 register reads, poll and special mask, auto-EOI,
 * the cascade on IRQ 2, edge and (ELCR) level inputs, the spurious IRQ
 * 7, save/restore. */
#include "tests/unit/intc_fakes.h"

static uint8_t irr(struct vm *vm, uint16_t cmd)
{
	outb(vm, cmd, 0x0a);
	return inb(vm, cmd);
}

static uint8_t isr(struct vm *vm, uint16_t cmd)
{
	outb(vm, cmd, 0x0b);
	return inb(vm, cmd);
}

static void eoi(struct vm *vm)
{
	outb(vm, 0x20, 0x20);
}

static void pulse(struct vm *vm, unsigned irq)
{
	pic_set_irq(vm, irq, true);
	pic_set_irq(vm, irq, false);
}

static void test_reset_and_init(void **state)
{
	struct vm *vm = *state;
	/* Before any ICW: all masked, the BIOS's vectors 0x08 and 0x70. */
	assert_int_equal(inb(vm, 0x21), 0xff);
	assert_int_equal(inb(vm, 0xa1), 0xff);
	/* ELCR as a BIOS leaves it: IRQ 9 (SCI) and 11 (PCI) level. */
	assert_int_equal(inb(vm, 0x4d0), 0x00);
	assert_int_equal(inb(vm, 0x4d1), 0x0a);
	pic_set_irq(vm, 1, true);
	assert_false(pic_intr(vm));
	assert_int_equal(irr(vm, 0x20), 0x02);
	outb(vm, 0x21, 0xfd);
	assert_true(pic_intr(vm));
	assert_int_equal(pic_ack(vm), 0x09);
	eoi(vm);
	pic_set_irq(vm, 1, false);
	outb(vm, 0xa1, 0xfe);
	outb(vm, 0x21, 0xfb);
	pulse(vm, 8);
	assert_int_equal(pic_ack(vm), 0x70);
	outb(vm, 0xa0, 0x20);
	eoi(vm);
	/* ICW1 clears the IMR; ICW2's low three bits are ignored. */
	outb(vm, 0x21, 0xff);
	outb(vm, 0x20, 0x11);
	assert_int_equal(inb(vm, 0x21), 0x00);
	outb(vm, 0x21, 0x47);
	outb(vm, 0x21, 0x04);
	outb(vm, 0x21, 0x01);
	outb(vm, 0x21, 0xf7);                         /* OCW1 now */
	assert_int_equal(inb(vm, 0x21), 0xf7);
	pulse(vm, 3);
	assert_int_equal(pic_ack(vm), 0x43);
	eoi(vm);
	/* No ICW4 (IC4 = 0): ICW2, ICW3, then OCW1. */
	outb(vm, 0x20, 0x10);
	outb(vm, 0x21, 0x50);
	outb(vm, 0x21, 0x04);
	outb(vm, 0x21, 0xef);
	assert_int_equal(inb(vm, 0x21), 0xef);
	pulse(vm, 4);
	assert_int_equal(pic_ack(vm), 0x54);
	eoi(vm);
	/* Single (SNGL): no ICW3; IRQ 2 is an ordinary input. */
	outb(vm, 0x20, 0x13);
	outb(vm, 0x21, 0x60);
	outb(vm, 0x21, 0x01);
	outb(vm, 0x21, 0xfb);
	assert_int_equal(inb(vm, 0x21), 0xfb);
	pulse(vm, 2);
	assert_int_equal(pic_ack(vm), 0x62);
	/* Lines beyond 15 do not exist. */
	pic_set_irq(vm, 16, true);
}

static void test_edge_ack_eoi(void **state)
{
	struct vm *vm = *state;
	pic_program(vm, 0x20, 0x28, 0x01);
	assert_false(pic_intr(vm));
	pic_set_irq(vm, 1, true);
	assert_true(pic_intr(vm));
	assert_int_equal(irr(vm, 0x20), 0x02);
	assert_int_equal(pic_ack(vm), 0x21);
	assert_int_equal(irr(vm, 0x20), 0x00);
	assert_int_equal(isr(vm, 0x20), 0x02);
	assert_false(pic_intr(vm));
	eoi(vm);
	assert_int_equal(isr(vm, 0x20), 0x00);
	assert_false(pic_intr(vm));                   /* no new edge */
	pic_set_irq(vm, 1, false);
	pic_set_irq(vm, 1, true);
	assert_true(pic_intr(vm));
	/* A short pulse is latched. */
	pulse(vm, 4);
	assert_int_equal(irr(vm, 0x20), 0x12);
}

/* Fully nested mode: an interrupt in service blocks its own and lower
 * priorities; non-specific EOI ends the highest, specific EOI the named. */
static void test_nesting(void **state)
{
	struct vm *vm = *state;
	pic_program(vm, 0x20, 0x28, 0x01);
	pulse(vm, 3);
	assert_int_equal(pic_ack(vm), 0x23);
	pulse(vm, 5);
	assert_false(pic_intr(vm));
	pulse(vm, 3);
	assert_false(pic_intr(vm));
	pulse(vm, 1);
	assert_true(pic_intr(vm));
	assert_int_equal(pic_ack(vm), 0x21);
	assert_int_equal(isr(vm, 0x20), 0x0a);
	eoi(vm);                                      /* ends IRQ 1 */
	assert_int_equal(isr(vm, 0x20), 0x08);
	assert_false(pic_intr(vm));
	outb(vm, 0x20, 0x63);                         /* specific, IRQ 3 */
	assert_int_equal(isr(vm, 0x20), 0x00);
	assert_int_equal(pic_ack(vm), 0x23);          /* 3 before 5 */
	outb(vm, 0x20, 0x40);                         /* OCW2 no-op */
	assert_int_equal(isr(vm, 0x20), 0x08);
	eoi(vm);
	assert_int_equal(pic_ack(vm), 0x25);
	eoi(vm);
	eoi(vm);                                      /* nothing in service */
	assert_int_equal(isr(vm, 0x20), 0x00);
	/* Masked: latched in IRR, not raised until unmasked. */
	outb(vm, 0x21, 0x40);
	pulse(vm, 6);
	assert_false(pic_intr(vm));
	assert_int_equal(irr(vm, 0x20), 0x40);
	outb(vm, 0x21, 0x00);
	assert_int_equal(pic_ack(vm), 0x26);
}

/* The slave's INT drives master IR2; its vectors come from the slave. */
static void test_cascade(void **state)
{
	struct vm *vm = *state;
	pic_program(vm, 0x20, 0x28, 0x01);
	outb(vm, 0x4d1, 0x00);                        /* all edge */
	pic_set_irq(vm, 10, true);
	assert_true(pic_intr(vm));
	assert_int_equal(irr(vm, 0x20), 0x04);
	assert_int_equal(pic_ack(vm), 0x2a);
	assert_int_equal(isr(vm, 0x20), 0x04);
	assert_int_equal(isr(vm, 0xa0), 0x04);
	assert_int_equal(irr(vm, 0x20), 0x00);
	pic_set_irq(vm, 10, false);
	/* IRQ 10 in service: master IRQ 3 (below IR2) and slave IRQ 12
	 * wait; master IRQ 1 does not. */
	pulse(vm, 12);
	pulse(vm, 3);
	assert_false(pic_intr(vm));
	pulse(vm, 1);
	assert_int_equal(pic_ack(vm), 0x21);
	eoi(vm);
	/* Slave IRQ 9 is above 10 on the slave, but the master's IR2 is
	 * in service: it waits for the master's EOI. */
	pulse(vm, 9);
	assert_false(pic_intr(vm));
	eoi(vm);
	assert_true(pic_intr(vm));
	assert_int_equal(pic_ack(vm), 0x29);
	assert_int_equal(isr(vm, 0xa0), 0x06);
	outb(vm, 0xa0, 0x20);                         /* ends 9 */
	eoi(vm);
	outb(vm, 0xa0, 0x20);                         /* ends 10 */
	assert_int_equal(isr(vm, 0xa0), 0x00);
	assert_int_equal(pic_ack(vm), 0x2c);          /* 12 (IR2) before 3 */
	outb(vm, 0xa0, 0x20);
	eoi(vm);
	assert_int_equal(pic_ack(vm), 0x23);
	eoi(vm);
	assert_false(pic_intr(vm));
	/* Masked on the slave, or IR2 masked on the master. */
	outb(vm, 0xa1, 0x08);
	pulse(vm, 11);
	assert_false(pic_intr(vm));
	assert_int_equal(irr(vm, 0xa0), 0x08);
	outb(vm, 0x21, 0x04);
	outb(vm, 0xa1, 0x00);
	assert_false(pic_intr(vm));
	outb(vm, 0x21, 0x00);
	assert_int_equal(pic_ack(vm), 0x2b);
}

/* Datasheet: no request at the INTA pulse -> IR7's vector, IS7 not set. */
static void test_spurious(void **state)
{
	struct vm *vm = *state;
	pic_program(vm, 0x20, 0x28, 0x01);
	assert_int_equal(pic_ack(vm), 0x27);
	assert_int_equal(isr(vm, 0x20), 0x00);
	/* A level request withdrawn before the acknowledge. */
	outb(vm, 0x4d0, 0x20);
	pic_set_irq(vm, 5, true);
	assert_true(pic_intr(vm));
	pic_set_irq(vm, 5, false);
	assert_false(pic_intr(vm));
	assert_int_equal(pic_ack(vm), 0x27);
	assert_int_equal(isr(vm, 0x20), 0x00);
	/* Masked after INTR was raised. */
	pulse(vm, 4);
	outb(vm, 0x21, 0x10);
	assert_int_equal(pic_ack(vm), 0x27);
	outb(vm, 0x21, 0x00);
	assert_int_equal(pic_ack(vm), 0x24);
	eoi(vm);
	/* The slave's request withdrawn: the slave answers with its IR7. */
	outb(vm, 0x4d1, 0x04);
	pic_set_irq(vm, 10, true);
	pic_set_irq(vm, 10, false);
	assert_int_equal(pic_ack(vm), 0x2f);
	assert_int_equal(isr(vm, 0xa0), 0x00);
}

/* ELCR (PIIX): level inputs; IRQ 0-2, 8 and 13 stay edge. */
static void test_elcr_level(void **state)
{
	struct vm *vm = *state;
	pic_program(vm, 0x20, 0x28, 0x01);
	outb(vm, 0x4d0, 0xff);
	outb(vm, 0x4d1, 0xff);
	assert_int_equal(inb(vm, 0x4d0), 0xf8);
	assert_int_equal(inb(vm, 0x4d1), 0xde);
	outb(vm, 0x4d0, 0x20);
	outb(vm, 0x4d1, 0x00);
	pic_set_irq(vm, 5, true);
	assert_int_equal(pic_ack(vm), 0x25);
	assert_int_equal(irr(vm, 0x20), 0x20);        /* follows the line */
	assert_false(pic_intr(vm));
	eoi(vm);
	assert_true(pic_intr(vm));                    /* still high */
	assert_int_equal(pic_ack(vm), 0x25);
	pic_set_irq(vm, 5, false);
	assert_int_equal(irr(vm, 0x20), 0x00);
	eoi(vm);
	assert_false(pic_intr(vm));
}

static void test_auto_eoi(void **state)
{
	struct vm *vm = *state;
	pic_program(vm, 0x20, 0x28, 0x03);
	pulse(vm, 1);
	assert_int_equal(pic_ack(vm), 0x21);
	assert_int_equal(isr(vm, 0x20), 0x00);
	pulse(vm, 3);
	assert_true(pic_intr(vm));
	pulse(vm, 14);
	assert_int_equal(pic_ack(vm), 0x2e);
	assert_int_equal(isr(vm, 0x20), 0x00);
	assert_int_equal(isr(vm, 0xa0), 0x00);
	assert_int_equal(pic_ack(vm), 0x23);
}

/* OCW2 rotation: the serviced (or named) level becomes lowest. */
static void test_rotation(void **state)
{
	struct vm *vm = *state;
	pic_program(vm, 0x20, 0x28, 0x01);
	pulse(vm, 1);
	assert_int_equal(pic_ack(vm), 0x21);
	outb(vm, 0x20, 0xa0);                         /* rotate on EOI */
	assert_int_equal(isr(vm, 0x20), 0x00);
	pulse(vm, 1);
	pulse(vm, 5);
	assert_int_equal(pic_ack(vm), 0x25);          /* 1 is lowest now */
	pulse(vm, 3);
	assert_int_equal(pic_ack(vm), 0x23);          /* 3 above 5 still */
	eoi(vm);                                      /* ends 3, not 5 */
	assert_int_equal(isr(vm, 0x20), 0x20);
	eoi(vm);
	assert_int_equal(pic_ack(vm), 0x21);
	eoi(vm);
	/* Set priority: IRQ 3 lowest, so 4 highest. */
	outb(vm, 0x20, 0xc3);
	pulse(vm, 3);
	pulse(vm, 4);
	assert_int_equal(pic_ack(vm), 0x24);
	assert_false(pic_intr(vm));                   /* 3 below 4 */
	outb(vm, 0x20, 0xe4);                         /* specific, rotate */
	assert_int_equal(isr(vm, 0x20), 0x00);
	assert_int_equal(pic_ack(vm), 0x23);
	pulse(vm, 4);                                 /* 4 lowest now */
	assert_false(pic_intr(vm));
	eoi(vm);
	assert_int_equal(pic_ack(vm), 0x24);
}

/* OCW3: IRR/ISR selection sticks; the poll command acknowledges. */
static void test_ocw3_poll_special_mask(void **state)
{
	struct vm *vm = *state;
	pic_program(vm, 0x20, 0x28, 0x01);
	pulse(vm, 6);
	outb(vm, 0x20, 0x0b);
	assert_int_equal(inb(vm, 0x20), 0x00);
	outb(vm, 0x20, 0x08);                         /* no RR: keeps ISR */
	assert_int_equal(inb(vm, 0x20), 0x00);
	outb(vm, 0x20, 0x0a);
	assert_int_equal(inb(vm, 0x20), 0x40);
	assert_int_equal(inb(vm, 0x20), 0x40);
	assert_int_equal(inb(vm, 0x21), 0x00);        /* data port: IMR */
	outb(vm, 0x20, 0x0c);                         /* poll */
	assert_int_equal(inb(vm, 0x20), 0x86);
	assert_int_equal(isr(vm, 0x20), 0x40);
	assert_int_equal(irr(vm, 0x20), 0x00);
	outb(vm, 0x20, 0x0c);
	assert_int_equal(inb(vm, 0x20), 0x00);        /* nothing (6 blocks) */
	eoi(vm);
	/* Slave poll. */
	pulse(vm, 13);
	outb(vm, 0xa0, 0x0c);
	assert_int_equal(inb(vm, 0xa0), 0x85);
	assert_int_equal(isr(vm, 0xa0), 0x20);
	outb(vm, 0xa0, 0x20);
	outb(vm, 0x20, 0x0c);                         /* master saw IR2 */
	assert_int_equal(inb(vm, 0x20), 0x82);
	eoi(vm);
	/* Special mask mode: masking IRQ 3 in service lets 5 through. */
	pulse(vm, 3);
	assert_int_equal(pic_ack(vm), 0x23);
	pulse(vm, 5);
	assert_false(pic_intr(vm));
	outb(vm, 0x21, 0x08);
	assert_false(pic_intr(vm));
	outb(vm, 0x20, 0x68);                         /* set SMM */
	assert_true(pic_intr(vm));
	assert_int_equal(pic_ack(vm), 0x25);
	outb(vm, 0x20, 0x65);
	outb(vm, 0x20, 0x48);                         /* reset SMM */
	assert_int_equal(isr(vm, 0x20), 0x08);
	outb(vm, 0x21, 0x00);
	pulse(vm, 4);
	assert_false(pic_intr(vm));
}

/* Datasheet, ICW1: the edge sense circuit is reset, so an edge input
 * high during initialization needs a new low-to-high transition; a
 * level input (ELCR) keeps requesting while high. */
static void test_reinit_with_lines_high(void **state)
{
	struct vm *vm = *state;
	pic_program(vm, 0x20, 0x28, 0x01);
	outb(vm, 0x4d0, 0x20);
	pic_set_irq(vm, 1, true);
	pic_set_irq(vm, 5, true);
	pic_program(vm, 0x30, 0x38, 0x01);
	assert_int_equal(irr(vm, 0x20), 0x20);
	assert_true(pic_intr(vm));
	assert_int_equal(pic_ack(vm), 0x35);
	eoi(vm);
	pic_set_irq(vm, 5, false);
	assert_false(pic_intr(vm));
	pic_set_irq(vm, 1, false);
	pic_set_irq(vm, 1, true);
	assert_int_equal(pic_ack(vm), 0x31);
	assert_int_equal(inb(vm, 0x4d0), 0x20);       /* ELCR kept */
}

static void test_save_restore_reset(void **state)
{
	struct vm *vm = *state;
	struct device *d = vm->pic;
	pic_program(vm, 0x20, 0x28, 0x01);
	outb(vm, 0x4d1, 0x08);
	outb(vm, 0xa1, 0x40);
	pulse(vm, 4);
	pulse(vm, 3);
	assert_int_equal(pic_ack(vm), 0x23);
	pic_set_irq(vm, 11, true);
	uint8_t *img = malloc(d->state_size);
	assert_non_null(img);
	d->save(d, img);
	struct vm *vm2 = vm_new();
	struct device *d2 = vm2->pic;
	assert_int_equal(d2->restore(d2, img, d->state_size), ST_OK);
	assert_int_equal(inb(vm2, 0xa1), 0x40);
	assert_int_equal(inb(vm2, 0x4d1), 0x08);
	assert_int_equal(isr(vm2, 0x20), 0x08);
	assert_int_equal(irr(vm2, 0x20), 0x14);
	assert_int_equal(irr(vm2, 0xa0), 0x08);
	eoi(vm2);
	assert_int_equal(pic_ack(vm2), 0x2b);
	assert_int_equal(d2->restore(d2, img, d->state_size + 1), ST_ECORRUPT);
	img[0] ^= 0xff;
	assert_int_equal(d2->restore(d2, img, d->state_size), ST_ECORRUPT);
	free(img);
	vm_free(vm2);
	d->reset(d);
	assert_int_equal(inb(vm, 0x21), 0xff);
	assert_int_equal(inb(vm, 0xa1), 0xff);
	assert_int_equal(isr(vm, 0x20), 0x00);
	assert_false(pic_intr(vm));
	outb(vm, 0x21, 0xef);
	pulse(vm, 4);
	assert_int_equal(pic_ack(vm), 0x0c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		VM_TEST(test_reset_and_init),
		VM_TEST(test_edge_ack_eoi),
		VM_TEST(test_nesting),
		VM_TEST(test_cascade),
		VM_TEST(test_spurious),
		VM_TEST(test_elcr_level),
		VM_TEST(test_auto_eoi),
		VM_TEST(test_rotation),
		VM_TEST(test_ocw3_poll_special_mask),
		VM_TEST(test_reinit_with_lines_high),
		VM_TEST(test_save_restore_reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
