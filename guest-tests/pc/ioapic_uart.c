/* ioapic_uart.c (pc_ioapic_uart): the IOAPIC from inside (82093AA
 * datasheet): ID and version against the MADT, RTE read-back, the PIT on
 * the pin the MADT's IRQ 0 override names (GSI 2) counting ticks, and the
 * UART's receive interrupt on pin 4 (IER bit 0, gated by MCR OUT2): the
 * guest prints a prompt, the host sends one byte on COM1, the interrupt
 * handler reads it. */
#include "pclib.h"

#define VEC_PIT		0x30
#define VEC_UART	0x34

static volatile uint32_t pit_ticks, uart_irqs;
static volatile int got = -1;
static volatile uint8_t iir_seen;

static void pit_irq(uint8_t v) { (void)v; pit_ticks++; apic_eoi(); }

static void uart_irq(uint8_t v)
{
	(void)v;
	uart_irqs++;
	iir_seen = inb(COM1 + 2);
	int c;
	while ((c = serial_getc()) >= 0)
		got = c;
	apic_eoi();
}

/* The MADT's IOAPIC (type 1) and IRQ 0 override (type 2). */
static void madt(uint32_t *id, uint32_t *addr, uint32_t *irq0_gsi)
{
	*id = 0xff;
	*irq0_gsi = 0;
	const struct acpi_header *m = acpi_find_table("APIC");
	if (!m)
		return;
	const uint8_t *p = (const uint8_t *)m + 44, *end = (const uint8_t *)m + m->length;
	for (; p + 2 <= end && p[1] >= 2; p += p[1]) {
		if (p[0] == 1) {
			*id = p[2];
			*addr = *(const uint32_t *)(p + 4);
		} else if (p[0] == 2 && p[3] == 0) {
			*irq0_gsi = *(const uint32_t *)(p + 4);
		}
	}
}

void guest_main(const struct mb_info *mbi)
{
	(void)mbi;
	pc_init();
	apic_enable_xapic();
	pc_set_handler(VEC_PIT, pit_irq);
	pc_set_handler(VEC_UART, uart_irq);

	uint32_t madt_id, irq0_gsi;
	madt(&madt_id, &ioapic_base, &irq0_gsi);
	uint32_t id = (ioapic_read(0) >> 24) & 0xf, ver = ioapic_read(1);
	printf("ioapic_uart: IOAPIC at 0x%x, id %u, version 0x%x, %u pins\n",
	       ioapic_base, id, ver & 0xff, ((ver >> 16) & 0xff) + 1);
	ASSERT_EQ(ioapic_base, 0xfec00000);
	ASSERTF(madt_id == 0xff || madt_id == id, "MADT IOAPIC id %u, register %u",
		madt_id, id);
	ASSERT(((ver >> 16) & 0xff) + 1 >= 24);
	ASSERT((ver & 0xff) >= 0x11);
	for (unsigned pin = 0; pin < 24; pin++)
		ASSERTF(ioapic_read(0x10 + 2 * pin) & LVT_MASKED, "pin %u unmasked at start", pin);
	/* RTE read-back (vector, level, mask, destination). */
	ioapic_write(0x10 + 2 * 9, LVT_MASKED | (1u << 15) | 0x99);
	ioapic_write(0x11 + 2 * 9, 0x0f000000);
	ASSERT_EQ(ioapic_read(0x10 + 2 * 9) & 0x1afff, LVT_MASKED | (1u << 15) | 0x99);
	ASSERT_EQ(ioapic_read(0x11 + 2 * 9), 0x0f000000);
	ioapic_write(0x10 + 2 * 9, LVT_MASKED);
	ioapic_write(0x11 + 2 * 9, 0);
	printf("ioapic_uart: redirection entries masked at start, read back ok\n");

	/* PIT channel 0 at 100 Hz on the IRQ 0 pin. */
	unsigned pin = irq0_gsi ? irq0_gsi : 2;
	printf("ioapic_uart: IRQ 0 is GSI %u\n", irq0_gsi);
	ASSERT_EQ(pin, 2);
	ioapic_route(pin, VEC_PIT, 0, 0);
	pit_periodic(11932);
	ASSERTF(wait_count(&pit_ticks, 5, 500), "%u PIT ticks through the IOAPIC", pit_ticks);
	ioapic_route(pin, VEC_PIT, 0, 1);
	pit_stop();
	uint32_t n = pit_ticks;
	sti(); udelay(30000); cli();
	ASSERTF(pit_ticks == n, "PIT ticks on a masked pin (%u -> %u)", n, pit_ticks);
	printf("ioapic_uart: PIT ticks on pin 2 ok, none when masked\n");

	/* The UART's receive interrupt on pin 4. */
	while (serial_getc() >= 0)
		;
	ioapic_route(4, VEC_UART, 0, 0);
	outb(COM1 + 4, 0x0b);		/* DTR, RTS, OUT2 */
	outb(COM1 + 1, 0x01);		/* IER: received data available */
	sti(); udelay(2000); cli();
	ASSERTF(uart_irqs == 0, "UART interrupt with nothing received (IIR 0x%x)", iir_seen);
	printf("ioapic_uart: send a byte\n");
	ASSERTF(wait_count(&uart_irqs, 1, 120000), "no UART interrupt in 120 s");
	outb(COM1 + 1, 0x00);
	ioapic_route(4, VEC_UART, 0, 1);
	printf("ioapic_uart: UART interrupt, IIR 0x%x, received '%c'\n",
	       iir_seen, got > 32 ? got : '?');
	/* Received data available, or (FIFO mode) the character timeout. */
	ASSERTF((iir_seen & 0x0f) == 0x04 || (iir_seen & 0x0f) == 0x0c, "IIR 0x%x", iir_seen);
	ASSERT(got >= 0);
	ASSERT_EQ(pc_unexpected, 0);
}
