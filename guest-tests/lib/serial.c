/* serial.c: polled 16550 UART on COM1 (115200 8N1, FIFOs on), the only
 * output and input channel of a test guest. */
#include "guest.h"

#define UART_THR 0	/* transmit holding (write), receive buffer (read) */
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LSR_DR   0x01
#define LSR_THRE 0x20

void serial_init(void)
{
	outb(COM1 + UART_IER, 0x00);
	outb(COM1 + UART_LCR, 0x80);	/* DLAB: divisor latch */
	outb(COM1 + 0, 0x01);		/* 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + UART_LCR, 0x03);	/* 8N1 */
	outb(COM1 + UART_FCR, 0xc1);	/* FIFOs on; keep what arrived */
	outb(COM1 + UART_MCR, 0x0b);
}

static void putc_raw(char c)
{
	/* Bounded wait: an absent or wedged UART must not hang the guest. */
	for (int i = 0; i < 100000; i++)
		if (inb(COM1 + UART_LSR) & LSR_THRE)
			break;
	outb(COM1 + UART_THR, (uint8_t)c);
}

void serial_putc(char c)
{
	if (c == '\n')
		putc_raw('\r');
	putc_raw(c);
}

int serial_getc(void)
{
	if (!(inb(COM1 + UART_LSR) & LSR_DR))
		return -1;
	return inb(COM1 + UART_THR);
}

void puts_raw(const char *s)
{
	while (*s)
		serial_putc(*s++);
}
