/* pic.c (pc_pic): the 8259 pair (Intel 8259A datasheet) from inside:
 * ICW1-4 initialisation, the mask register, IRQ 0 from PIT channel 0
 * through the PIC and the local APIC's LINT0 in ExtINT (virtual wire)
 * with EOIs, in-service blocking without an EOI, spurious IRQ 7/15
 * handling (ISR bit clear: no EOI), and the ELCR at 0x4D0/0x4D1. */
#include "pclib.h"

static volatile uint32_t ticks, spurious;
static volatile uint8_t isr_in_handler;
static volatile int do_eoi = 1;

static void irq0(uint8_t v)
{
	(void)v;
	ticks++;
	isr_in_handler = pic_read_isr(0);
	if (do_eoi)
		pic_eoi(0);
}

/* A spurious IRQ 7 / 15 has no ISR bit: only the master gets an EOI for
 * the slave's spurious IRQ 15 (the cascade was in service). */
static void irq7_15(uint8_t v)
{
	int slave = v == 0x2f;
	if (pic_read_isr(slave) & 0x80) {
		pic_eoi(slave ? 15 : 7);
		return;
	}
	spurious++;
	if (slave)
		pic_eoi(0);
}

void guest_main(const struct mb_info *mbi)
{
	(void)mbi;
	pc_init();
	pc_set_handler(0x20, irq0);
	pc_set_handler(0x27, irq7_15);
	pc_set_handler(0x2f, irq7_15);

	uint16_t elcr = inb(0x4d0) | inb(0x4d1) << 8;
	printf("pic: ELCR 0x%04x\n", elcr);
	ASSERTF(!(elcr & 0x2107), "ELCR 0x%04x: IRQ 0, 1, 2, 8, 13 must be edge", elcr);
	outb(0x4d0, (elcr & 0xff) | 0x20);
	ASSERT_EQ(inb(0x4d0) & 0x20, 0x20);
	outb(0x4d0, elcr & 0xff);
	ASSERT_EQ(inb(0x4d0), elcr & 0xff);
	printf("pic: ELCR bit 5 writable\n");

	/* pc_init programmed ICW1-4 (vectors 0x20/0x28) and masked all. */
	ASSERT_EQ(inb(0x21), 0xff);
	ASSERT_EQ(inb(0xa1), 0xff);
	pic_set_mask(0xfffe);
	ASSERT_EQ(inb(0x21), 0xfe);
	pic_set_mask(0xffff);

	/* LINT0 in ExtINT, as a BIOS leaves it (virtual-wire mode). */
	uint32_t lvt0 = apic_read(APIC_LVT0);
	printf("pic: LAPIC LVT0 0x%x\n", lvt0);
	ASSERTF((lvt0 & 0x10700) == 0x700, "LINT0 0x%x is not an unmasked ExtINT", lvt0);
	apic_enable_xapic();

	pit_periodic(11932);		/* 100 Hz */
	sti(); udelay(30000); cli();
	ASSERTF(ticks == 0, "IRQ 0 through a masked PIC (%u)", ticks);
	pic_set_mask(0xfffe);
	ASSERTF(wait_count(&ticks, 5, 500), "%u ticks through the PIC in 500 ms", ticks);
	ASSERTF(isr_in_handler & 1, "ISR 0x%x in the handler", isr_in_handler);
	ASSERT_EQ(pic_read_isr(0), 0);
	printf("pic: IRQ 0 through the 8259 and LINT0, ISR set in the handler\n");

	/* Without an EOI, IRQ 0 stays in service and blocks itself. */
	do_eoi = 0;
	uint32_t n = ticks;
	sti(); udelay(50000); cli();
	ASSERTF(ticks == n + 1, "%u ticks without EOI, expected 1", ticks - n);
	ASSERT_EQ(pic_read_isr(0) & 1, 1);
	do_eoi = 1;
	pic_eoi(0);
	ASSERTF(wait_count(&ticks, n + 3, 500), "ticks did not resume after EOI");
	printf("pic: in-service IRQ 0 blocks until EOI\n");

	pic_set_mask(0xffff);
	pit_stop();
	sti(); udelay(20000); cli();
	printf("pic: %u spurious interrupts\n", spurious);
	ASSERT_EQ(pc_unexpected, 0);
}
