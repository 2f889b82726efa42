/* portio: port I/O as a guest sees it: the 16550 at COM1 keeps what is
 * written to its scratch, line-control and divisor registers and reports an
 * idle transmitter; ports nobody claims read as all ones at every width and
 * drop writes; string I/O (REP OUTSB to COM1, REP INSB/INSW from an
 * unclaimed port) works; the POST port 0x80 that Linux uses for delays
 * takes writes. */
#include "guest.h"

#define UNCLAIMED1 0x2e0
#define UNCLAIMED2 0x3a0
#define UNCLAIMED3 0x12f0

static void check_unclaimed(uint16_t port)
{
	uint8_t b = inb(port);
	uint16_t w = inw(port);
	uint32_t l = inl(port);
	printf("portio: port 0x%x reads %02x %04x %08x\n", port, b, w, l);
	ASSERT_EQ(b, 0xff);
	ASSERT_EQ(w, 0xffff);
	ASSERT_EQ(l, 0xffffffff);
	outb(port, 0x12);
	outw(port, 0x3456);
	outl(port, 0x789abcde);
	ASSERT_EQ(inb(port), 0xff);
	ASSERT_EQ(inl(port), 0xffffffff);
}

static void check_uart(void)
{
	for (unsigned v = 0; v < 256; v += 0x55) {
		outb(COM1 + 7, (uint8_t)v);
		ASSERT_EQ(inb(COM1 + 7), v);
	}
	printf("portio: uart scratch register keeps values\n");

	uint8_t lcr = inb(COM1 + 3);
	ASSERT_EQ(lcr, 0x03);		/* 8N1 as the library set it */
	outb(COM1 + 3, 0x80 | lcr);	/* DLAB */
	ASSERT_EQ(inb(COM1 + 0), 0x01);	/* divisor 1: 115200 baud */
	ASSERT_EQ(inb(COM1 + 1), 0x00);
	outb(COM1 + 0, 0x0c);		/* 9600 baud, then back */
	ASSERT_EQ(inb(COM1 + 0), 0x0c);
	outb(COM1 + 0, 0x01);
	outb(COM1 + 3, lcr);
	ASSERT_EQ(inb(COM1 + 3), lcr);
	printf("portio: uart line control and divisor latch ok\n");

	uint8_t lsr = inb(COM1 + 5);
	ASSERTF(lsr & 0x20, "LSR 0x%02x: transmitter holding register not empty", lsr);
	uint8_t iir = inb(COM1 + 2);
	ASSERTF(iir & 0x01, "IIR 0x%02x: interrupt pending with IER 0", iir);
	printf("portio: uart lsr 0x%02x iir 0x%02x\n", lsr, iir);
}

static void check_string_io(void)
{
	static const char msg[] = "portio: string output through rep outsb\r\n";
	const void *src = msg;
	uint32_t n = sizeof(msg) - 1;
	__asm__ volatile("rep outsb" : "+S"(src), "+c"(n) : "d"(COM1) : "memory");
	ASSERT_EQ(n, 0);
	ASSERT_EQ((uint32_t)src, (uint32_t)msg + sizeof(msg) - 1);

	uint8_t buf[16];
	uint16_t wbuf[4];
	memset(buf, 0, sizeof(buf));
	memset(wbuf, 0, sizeof(wbuf));
	void *dst = buf;
	n = sizeof(buf);
	__asm__ volatile("rep insb" : "+D"(dst), "+c"(n) : "d"(UNCLAIMED1) : "memory");
	ASSERT_EQ(n, 0);
	ASSERT_EQ((uint32_t)dst, (uint32_t)buf + sizeof(buf));
	for (unsigned i = 0; i < sizeof(buf); i++)
		ASSERT_EQ(buf[i], 0xff);
	dst = wbuf;
	n = 4;
	__asm__ volatile("rep insw" : "+D"(dst), "+c"(n) : "d"(UNCLAIMED1) : "memory");
	ASSERT_EQ((uint32_t)dst, (uint32_t)wbuf + sizeof(wbuf));
	for (unsigned i = 0; i < 4; i++)
		ASSERT_EQ(wbuf[i], 0xffff);
	printf("portio: rep insb/insw from an unclaimed port read all ones\n");
}

void guest_main(const struct mb_info *mbi)
{
	(void)mbi;
	check_uart();
	check_unclaimed(UNCLAIMED1);
	check_unclaimed(UNCLAIMED2);
	check_unclaimed(UNCLAIMED3);
	printf("portio: unclaimed ports read all ones\n");
	for (int i = 0; i < 4; i++)
		outb(0x80, (uint8_t)i);
	printf("portio: port 0x80 takes writes\n");
	check_string_io();
}
