/* pic8259.c: two cascaded 8259A PICs (Intel 8259A datasheet: ICW1-4,
 * OCW1-3; fully nested mode with optional rotation, auto-EOI, IRR/ISR
 * reads, poll) and the edge/level control registers (ELCR) of PIIX/ICH
 * chipsets at 0x4D0/0x4D1. */
#include <stdlib.h>
#include <string.h>
#include "hv/pic.h"
#include "hv/vm.h"

#define PIC_STATE_VERSION 1

struct chip {
	uint8_t irr, isr, imr, base, elcr, lines;
	uint8_t init_step, icw4, single, auto_eoi, read_isr, poll, prio_add;
	uint8_t special_mask, pad[3];
};

struct pic_state {
	uint32_t version;
	struct chip c[2];
};

struct pic {
	struct device dev;
	struct pic_state s;
};

static struct pic *of(struct vm *vm)
{
	return (struct pic *)vm->pic;
}

/* Highest-priority set bit of `mask`, counting from prio_add; 8 if none. */
static unsigned top(const struct chip *c, uint8_t mask)
{
	for (unsigned i = 0; i < 8; i++)
		if (mask & (1u << ((i + c->prio_add) & 7)))
			return i;
	return 8;
}

/* The IRQ this chip would raise, or -1. */
static int chip_output(const struct chip *c)
{
	uint8_t pending = c->irr & ~c->imr;
	unsigned p = top(c, pending);
	if (p == 8)
		return -1;
	uint8_t in_service = c->isr;
	if (c->special_mask)
		in_service &= ~c->imr;
	if (top(c, in_service) <= p)
		return -1;
	return (int)((p + c->prio_add) & 7);
}

static void set_line(struct chip *c, unsigned irq, bool level)
{
	uint8_t bit = 1u << irq;
	if (c->elcr & bit) {
		c->irr = level ? c->irr | bit : c->irr & ~bit;
	} else if (level && !(c->lines & bit)) {
		c->irr |= bit;
	}
	c->lines = level ? c->lines | bit : c->lines & ~bit;
}

static void update_cascade(struct pic *p)
{
	set_line(&p->s.c[0], 2, chip_output(&p->s.c[1]) >= 0);
}

void pic_set_irq(struct vm *vm, unsigned irq, bool level)
{
	struct pic *p = of(vm);
	if (!p || irq >= 16)
		return;
	set_line(&p->s.c[irq >> 3], irq & 7, level);
	update_cascade(p);
}

bool pic_intr(struct vm *vm)
{
	struct pic *p = of(vm);
	return p && chip_output(&p->s.c[0]) >= 0;
}

/* One chip's acknowledge: IRR to ISR (or auto-EOI), edge IRR cleared. */
static void ack_chip(struct chip *c, unsigned irq)
{
	uint8_t bit = 1u << irq;
	if (!(c->elcr & bit))
		c->irr &= ~bit;
	if (c->auto_eoi)
		return;
	c->isr |= bit;
}

uint8_t pic_ack(struct vm *vm)
{
	struct pic *p = of(vm);
	struct chip *m = &p->s.c[0], *s = &p->s.c[1];
	int irq = chip_output(m);
	if (irq < 0)
		return m->base + 7;
	ack_chip(m, (unsigned)irq);
	if (irq != 2 || m->single) {
		update_cascade(p);
		return m->base + (uint8_t)irq;
	}
	int sirq = chip_output(s);
	uint8_t vec = sirq < 0 ? s->base + 7 : s->base + (uint8_t)sirq;
	if (sirq >= 0)
		ack_chip(s, (unsigned)sirq);
	update_cascade(p);
	return vec;
}

/* OCW2 (datasheet, Figure 8): EOI forms and rotation. */
static void ocw2(struct chip *c, uint8_t val)
{
	unsigned cmd = val >> 5, level = val & 7;
	unsigned hi = top(c, c->isr);
	unsigned hi_irq = (hi + c->prio_add) & 7;
	switch (cmd) {
	case 1: case 5: /* non-specific EOI (and rotate) */
		if (hi == 8)
			break;
		c->isr &= ~(1u << hi_irq);
		if (cmd == 5)
			c->prio_add = (uint8_t)((hi_irq + 1) & 7);
		break;
	case 3: case 7: /* specific EOI (and rotate) */
		c->isr &= ~(1u << level);
		if (cmd == 7)
			c->prio_add = (uint8_t)((level + 1) & 7);
		break;
	case 6: /* set priority: `level` becomes lowest */
		c->prio_add = (uint8_t)((level + 1) & 7);
		break;
	}
}

static void write_cmd(struct chip *c, uint8_t val)
{
	if (val & 0x10) { /* ICW1 */
		uint8_t elcr = c->elcr, lines = c->lines;
		memset(c, 0, sizeof *c);
		c->elcr = elcr, c->lines = lines;
		/* The edge sense circuit is reset (datasheet, ICW1): edge
		 * inputs need a new rising edge; level inputs still request. */
		c->irr = lines & elcr;
		c->icw4 = val & 1;
		c->single = (val >> 1) & 1;
		c->init_step = 2;
	} else if (val & 0x08) { /* OCW3 */
		if (val & 0x02)
			c->read_isr = val & 1;
		c->poll = (val >> 2) & 1;
		if (val & 0x40)
			c->special_mask = (val >> 5) & 1;
	} else {
		ocw2(c, val);
	}
}

static void write_data(struct chip *c, uint8_t val)
{
	switch (c->init_step) {
	case 2:
		c->base = val & 0xf8;
		c->init_step = c->single ? (c->icw4 ? 4 : 0) : 3;
		break;
	case 3:
		c->init_step = c->icw4 ? 4 : 0;
		break;
	case 4:
		c->auto_eoi = (val >> 1) & 1;
		c->init_step = 0;
		break;
	default:
		c->imr = val;
	}
}

/* Poll command (OCW3 P bit): the next read acknowledges. */
static uint8_t poll_read(struct pic *p, unsigned idx)
{
	struct chip *c = &p->s.c[idx];
	int irq = chip_output(c);
	c->poll = 0;
	if (irq < 0)
		return 0;
	ack_chip(c, (unsigned)irq);
	update_cascade(p);
	return 0x80 | (uint8_t)irq;
}

static void pic_access(struct device *dev, int region, uint64_t offset,
		       unsigned size, bool write, uint64_t *val)
{
	struct pic *p = (struct pic *)dev;
	(void)size;
	if (region == 2) { /* ELCR; IRQ 0-2, 8 and 13 are always edge */
		static const uint8_t fixed[2] = { 0x07, 0x21 };
		if (write)
			p->s.c[offset].elcr = (uint8_t)*val & ~fixed[offset];
		else
			*val = p->s.c[offset].elcr;
		return;
	}
	struct chip *c = &p->s.c[region];
	if (write) {
		if (offset == 0)
			write_cmd(c, (uint8_t)*val);
		else
			write_data(c, (uint8_t)*val);
		update_cascade(p);
	} else if (offset == 0) {
		*val = c->poll ? poll_read(p, (unsigned)region)
			       : (c->read_isr ? c->isr : c->irr);
	} else {
		*val = c->imr;
	}
}

static void pic_reset(struct device *dev)
{
	struct pic *p = (struct pic *)dev;
	memset(&p->s, 0, sizeof p->s);
	p->s.version = PIC_STATE_VERSION;
	p->s.c[0].imr = p->s.c[1].imr = 0xff;
	p->s.c[0].base = 0x08, p->s.c[1].base = 0x70; /* the BIOS's vectors */
	/* As a BIOS leaves it: the SCI (IRQ 9) and PCI INTx (IRQ 11) level. */
	p->s.c[1].elcr = 0x0a;
}

static void pic_save(const struct device *dev, void *buf)
{
	memcpy(buf, &((const struct pic *)dev)->s, sizeof(struct pic_state));
}

static status_t pic_restore(struct device *dev, const void *buf, size_t len)
{
	struct pic_state s;
	if (len != sizeof s)
		return ST_ECORRUPT;
	memcpy(&s, buf, sizeof s);
	if (s.version != PIC_STATE_VERSION)
		return ST_ECORRUPT;
	((struct pic *)dev)->s = s;
	return ST_OK;
}

struct device *pic_create(struct vm *vm)
{
	struct pic *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->dev = (struct device){
		.name = "pic8259", .vm = vm, .access = pic_access,
		.state_size = sizeof(struct pic_state), .save = pic_save,
		.restore = pic_restore, .reset = pic_reset,
	};
	pic_reset(&p->dev);
	if (bus_claim(&vm->bus, BUS_PIO, 0x20, 2, &p->dev, 0) ||
	    bus_claim(&vm->bus, BUS_PIO, 0xa0, 2, &p->dev, 1) ||
	    bus_claim(&vm->bus, BUS_PIO, 0x4d0, 2, &p->dev, 2)) {
		bus_release(&vm->bus, &p->dev, 0);
		bus_release(&vm->bus, &p->dev, 1);
		free(p);
		return NULL;
	}
	vm->pic = &p->dev;
	return &p->dev;
}
