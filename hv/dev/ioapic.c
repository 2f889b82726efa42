/* ioapic.c: the I/O APIC (Intel 82093AA datasheet, sections 3.0-3.2):
 * IOREGSEL at +0x00, IOWIN at +0x10, the EOI register at +0x40 (version
 * 0x20 parts); ID, version and arbitration registers; 24 redirection
 * entries. Edge inputs deliver on a rising edge; level inputs deliver
 * while asserted and not awaiting EOI (remote IRR). Delivery goes to the
 * local APIC of each vCPU whose destination matches. */
#include <stdlib.h>
#include <string.h>
#include "hv/ioapic.h"
#include "hv/lapic.h"
#include "hv/vm.h"

#define IOAPIC_STATE_VERSION 1
#define RTE_MASK (1ull << 16)
#define RTE_LEVEL (1ull << 15)
#define RTE_REMOTE_IRR (1ull << 14)
#define RTE_LOGICAL (1ull << 11)
#define RTE_RO_BITS ((1ull << 12) | RTE_REMOTE_IRR) /* delivery status, IRR */

struct ioapic_state {
	uint32_t version;
	uint32_t id, regsel, lines;
	uint64_t rte[IOAPIC_PINS];
};

struct ioapic {
	struct device dev;
	struct ioapic_state s;
};

static struct ioapic *of(struct vm *vm)
{
	return (struct ioapic *)vm->ioapic;
}

static void deliver(struct vm *vm, uint64_t rte)
{
	uint32_t dest = (uint32_t)(rte >> 56);
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		struct lapic *l = vm->vcpu[i].lapic;
		if (l && lapic_matches(l, dest, rte & RTE_LOGICAL)) {
			lapic_deliver(l, (rte >> 8) & 7, (uint8_t)rte, rte & RTE_LEVEL);
			if (((rte >> 8) & 7) == APIC_DM_LOWEST)
				break;
		}
	}
}

/* Delivers pin `pin` if its line asks for it now. */
static void service(struct ioapic *io, unsigned pin)
{
	uint64_t *rte = &io->s.rte[pin];
	bool asserted = (io->s.lines >> pin) & 1;
	if (!asserted || (*rte & RTE_MASK))
		return;
	if (*rte & RTE_LEVEL) {
		if (*rte & RTE_REMOTE_IRR)
			return;
		*rte |= RTE_REMOTE_IRR;
	}
	deliver(io->dev.vm, *rte);
}

void ioapic_set_irq(struct vm *vm, unsigned gsi, bool level)
{
	struct ioapic *io = of(vm);
	if (!io || gsi >= IOAPIC_PINS)
		return;
	bool was = (io->s.lines >> gsi) & 1;
	io->s.lines = level ? io->s.lines | (1u << gsi) : io->s.lines & ~(1u << gsi);
	if (level && (!was || (io->s.rte[gsi] & RTE_LEVEL)))
		service(io, gsi);
}

void ioapic_eoi(struct vm *vm, uint8_t vector)
{
	struct ioapic *io = of(vm);
	for (unsigned pin = 0; io && pin < IOAPIC_PINS; pin++) {
		if ((uint8_t)io->s.rte[pin] != vector ||
		    !(io->s.rte[pin] & RTE_REMOTE_IRR))
			continue;
		io->s.rte[pin] &= ~RTE_REMOTE_IRR;
		service(io, pin);
	}
}

static uint32_t read_reg(struct ioapic *io)
{
	uint32_t r = io->s.regsel;
	if (r == 0)
		return io->s.id << 24;
	if (r == 1)
		return ((IOAPIC_PINS - 1) << 16) | 0x20;
	if (r == 2)
		return io->s.id << 24;
	if (r >= 0x10 && r < 0x10 + 2 * IOAPIC_PINS) {
		uint64_t rte = io->s.rte[(r - 0x10) / 2];
		return (r & 1) ? (uint32_t)(rte >> 32) : (uint32_t)rte;
	}
	return 0xffffffffu;
}

static void write_reg(struct ioapic *io, uint32_t val)
{
	uint32_t r = io->s.regsel;
	if (r == 0) {
		io->s.id = (val >> 24) & 0xf;
		return;
	}
	if (r < 0x10 || r >= 0x10 + 2 * IOAPIC_PINS)
		return;
	unsigned pin = (r - 0x10) / 2;
	uint64_t *rte = &io->s.rte[pin];
	uint64_t keep = *rte & RTE_RO_BITS;
	uint64_t v = (r & 1) ? ((uint64_t)val << 32) | (uint32_t)*rte
			     : (*rte & 0xffffffff00000000ull) | val;
	*rte = (v & ~RTE_RO_BITS) | keep;
	if (!(*rte & RTE_LEVEL)) {
		/* An edge seen while masked is lost (datasheet 3.2.4, bit
		 * 16): unmasking or rewriting is no new edge. */
		*rte &= ~RTE_REMOTE_IRR;
		return;
	}
	service(io, pin); /* unmasking a level line that is still high */
}

static void ioapic_access(struct device *dev, int region, uint64_t offset,
			  unsigned size, bool write, uint64_t *val)
{
	struct ioapic *io = (struct ioapic *)dev;
	(void)region, (void)size;
	if (offset == 0x00) {
		if (write)
			io->s.regsel = (uint8_t)*val;
		else
			*val = io->s.regsel;
	} else if (offset == 0x10) {
		if (write)
			write_reg(io, (uint32_t)*val);
		else
			*val = read_reg(io);
	} else if (offset == 0x40 && write) {
		ioapic_eoi(dev->vm, (uint8_t)*val);
	} else if (!write) {
		*val = 0;
	}
}

static void ioapic_reset(struct device *dev)
{
	struct ioapic *io = (struct ioapic *)dev;
	uint32_t lines = io->s.lines;
	memset(&io->s, 0, sizeof io->s);
	io->s.version = IOAPIC_STATE_VERSION;
	io->s.id = dev->vm->nvcpus ? dev->vm->nvcpus : 1;
	io->s.lines = lines;
	for (unsigned i = 0; i < IOAPIC_PINS; i++)
		io->s.rte[i] = RTE_MASK;
}

static void ioapic_save(const struct device *dev, void *buf)
{
	memcpy(buf, &((const struct ioapic *)dev)->s, sizeof(struct ioapic_state));
}

static status_t ioapic_restore(struct device *dev, const void *buf, size_t len)
{
	struct ioapic_state s;
	if (len != sizeof s)
		return ST_ECORRUPT;
	memcpy(&s, buf, sizeof s);
	if (s.version != IOAPIC_STATE_VERSION)
		return ST_ECORRUPT;
	((struct ioapic *)dev)->s = s;
	return ST_OK;
}

struct device *ioapic_create(struct vm *vm)
{
	struct ioapic *io = calloc(1, sizeof *io);
	if (!io)
		return NULL;
	io->dev = (struct device){
		.name = "ioapic", .vm = vm, .access = ioapic_access,
		.state_size = sizeof(struct ioapic_state), .save = ioapic_save,
		.restore = ioapic_restore, .reset = ioapic_reset,
	};
	ioapic_reset(&io->dev);
	if (bus_claim(&vm->bus, BUS_MMIO, IOAPIC_BASE, 0x1000, &io->dev, 0)) {
		free(io);
		return NULL;
	}
	vm->ioapic = &io->dev;
	return &io->dev;
}
