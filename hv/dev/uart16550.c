/* uart16550.c: a 16550A UART (COM1 at 0x3f8). Transmitted bytes go to
 * the host console unchanged; bytes typed on the host console fill the
 * receive FIFO. Registers per the PC16550D datasheet: RBR/THR, IER,
 * IIR/FCR, LCR, MCR, LSR, MSR, SCR, and the divisor latch under LCR.DLAB.
 * Loopback (MCR bit 4) echoes to the receiver, as drivers probe it.
 * The interrupt output drives IRQ 4 while an enabled condition holds and
 * MCR.OUT2 is set (on a PC, OUT2 gates the UART's IRQ line). */
#include <stdlib.h>
#include <string.h>
#include "hv/console.h"
#include "hv/dev/device.h"
#include "hv/irq.h"
#include "hv/log.h"
#include "hv/platform.h"
#include "hv/vm.h"

#define FIFO_SIZE 16
#define UART_STATE_VERSION 1

enum { IER_RDI = 1, IER_THRI = 2 };
enum { LSR_DR = 0x01, LSR_THRE = 0x20, LSR_TEMT = 0x40 };
enum { MCR_OUT2 = 0x08, MCR_LOOP = 0x10 };
enum { IIR_NONE = 0x01, IIR_THRI = 0x02, IIR_RDI = 0x04, IIR_FIFO = 0xc0 };

struct uart_state {
	uint32_t version;
	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm, thr_irq_pending;
	uint8_t rx[FIFO_SIZE];
	uint8_t rx_head, rx_count, pad[2];
};

struct uart {
	struct device dev;
	struct uart_state s;
	unsigned irq;
	bool irq_level;
};

static void rx_push(struct uart *u, uint8_t c)
{
	if (u->s.rx_count == FIFO_SIZE)
		return; /* overrun: the byte is lost, as on hardware */
	u->s.rx[(u->s.rx_head + u->s.rx_count) % FIFO_SIZE] = c;
	u->s.rx_count++;
}

static uint8_t rx_pop(struct uart *u)
{
	if (!u->s.rx_count)
		return 0;
	uint8_t c = u->s.rx[u->s.rx_head];
	u->s.rx_head = (u->s.rx_head + 1) % FIFO_SIZE;
	u->s.rx_count--;
	return c;
}

static uint8_t read_iir(struct uart *u)
{
	uint8_t fifo = (u->s.fcr & 1) ? IIR_FIFO : 0;
	if ((u->s.ier & IER_RDI) && u->s.rx_count)
		return IIR_RDI | fifo;
	if ((u->s.ier & IER_THRI) && u->s.thr_irq_pending) {
		u->s.thr_irq_pending = 0;
		return IIR_THRI | fifo;
	}
	return IIR_NONE | fifo;
}

/* Modem status in loopback reflects MCR (DTR->DSR, RTS->CTS, OUT1->RI,
 * OUT2->DCD); otherwise a connected line: DCD, DSR, CTS. */
static uint8_t read_msr(struct uart *u)
{
	uint8_t m = u->s.mcr;
	if (m & MCR_LOOP)
		return (uint8_t)(((m & 1) << 5) | ((m & 2) << 3) | ((m & 4) << 4) |
				 ((m & 8) << 4));
	return 0xb0;
}

static uint8_t uart_read(struct uart *u, unsigned reg)
{
	bool dlab = u->s.lcr & 0x80;
	switch (reg) {
	case 0: return dlab ? u->s.dll : rx_pop(u);
	case 1: return dlab ? u->s.dlm : u->s.ier;
	case 2: return read_iir(u);
	case 3: return u->s.lcr;
	case 4: return u->s.mcr;
	case 5: return (u->s.rx_count ? LSR_DR : 0) | LSR_THRE | LSR_TEMT;
	case 6: return read_msr(u);
	default: return u->s.scr;
	}
}

static void uart_write(struct uart *u, unsigned reg, uint8_t v)
{
	bool dlab = u->s.lcr & 0x80;
	switch (reg) {
	case 0:
		if (dlab) {
			u->s.dll = v;
		} else if (u->s.mcr & MCR_LOOP) {
			rx_push(u, v);
		} else {
			hv_guest_putc((char)v);
			u->s.thr_irq_pending = 1;
		}
		break;
	case 1:
		if (dlab)
			u->s.dlm = v;
		else
			u->s.ier = v & 0x0f, u->s.thr_irq_pending = (v & IER_THRI) != 0;
		break;
	case 2:
		u->s.fcr = v & 0xc9;
		if (v & 2)
			u->s.rx_count = 0;
		break;
	case 3: u->s.lcr = v; break;
	case 4: u->s.mcr = v & 0x1f; break;
	case 7: u->s.scr = v; break;
	}
}

/* Recomputes the IRQ line from IER, the FIFO, THRE and OUT2. */
static void update_irq(struct uart *u)
{
	bool pending = ((u->s.ier & IER_RDI) && u->s.rx_count) ||
		       ((u->s.ier & IER_THRI) && u->s.thr_irq_pending);
	bool level = pending && (u->s.mcr & MCR_OUT2);
	if (level != u->irq_level && u->dev.vm) {
		u->irq_level = level;
		irq_set(u->dev.vm, u->irq, level);
	}
}

static void uart_access(struct device *dev, int region, uint64_t offset,
			unsigned size, bool write, uint64_t *val)
{
	struct uart *u = (struct uart *)dev;
	(void)region;
	(void)size; /* wider accesses touch the first register only */
	if (write)
		uart_write(u, (unsigned)offset, (uint8_t)*val);
	else
		*val = (*val & ~0xffull) | uart_read(u, (unsigned)offset);
	update_irq(u);
}

static void uart_poll(struct device *dev)
{
	struct uart *u = (struct uart *)dev;
	int c;
	console_poll(dev->vm); /* Ctrl-] works while the guest reads nothing */
	while (u->s.rx_count < FIFO_SIZE && (c = console_input(dev->vm)) >= 0)
		rx_push(u, (uint8_t)c);
	update_irq(u);
}

static void uart_save(const struct device *dev, void *buf)
{
	memcpy(buf, &((const struct uart *)dev)->s, sizeof(struct uart_state));
}

static status_t uart_restore(struct device *dev, const void *buf, size_t len)
{
	struct uart_state s;
	if (len != sizeof s)
		return ST_ECORRUPT;
	memcpy(&s, buf, sizeof s);
	if (s.version != UART_STATE_VERSION || s.rx_head >= FIFO_SIZE ||
	    s.rx_count > FIFO_SIZE)
		return ST_ECORRUPT;
	((struct uart *)dev)->s = s;
	update_irq((struct uart *)dev);
	return ST_OK;
}

static void uart_reset(struct device *dev)
{
	struct uart *u = (struct uart *)dev;
	memset(&u->s, 0, sizeof u->s);
	u->s.version = UART_STATE_VERSION;
	u->s.dll = 12; /* 9600 baud */
}

struct device *uart16550_create(struct vm *vm, uint16_t base)
{
	struct uart *u = calloc(1, sizeof *u);
	if (!u)
		return NULL;
	u->dev = (struct device){
		.name = "uart16550", .vm = vm, .access = uart_access, .poll = uart_poll,
		.state_size = sizeof(struct uart_state), .save = uart_save,
		.restore = uart_restore, .reset = uart_reset,
	};
	u->irq = 4;
	uart_reset(&u->dev);
	if (bus_claim(&vm->bus, BUS_PIO, base, 8, &u->dev, 0)) {
		free(u);
		return NULL;
	}
	return &u->dev;
}
