/* pci_fn.c: one function's type 0 configuration header (PCI Local Bus
 * 3.0, 6.1-6.2.5 and 6.7 capabilities list) behind the host bridge:
 * masked writes, BAR sizing and placement, mapping BARs on the VM's
 * buses when the command register enables decoding, reset and
 * save/restore of the config space and MSI-X state. */
#include <string.h>
#include "hv/dev/pci_internal.h"
#include "hv/vm.h"

#define CAP_FIRST 0x40

static uint32_t rd32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

void pci_fn_init(struct pci_fn *fn, struct device *dev, uint16_t vendor,
		 uint16_t device, uint32_t class_rev)
{
	memset(fn, 0, sizeof *fn);
	fn->dev = dev;
	fn->cap_end = CAP_FIRST;
	fn->cfg[PCI_VENDOR_ID] = (uint8_t)vendor;
	fn->cfg[PCI_VENDOR_ID + 1] = (uint8_t)(vendor >> 8);
	fn->cfg[PCI_DEVICE_ID] = (uint8_t)device;
	fn->cfg[PCI_DEVICE_ID + 1] = (uint8_t)(device >> 8);
	wr32(&fn->cfg[PCI_REVISION], class_rev);
	/* Command: I/O, memory, bus master, interrupt disable (6.2.2). */
	fn->wmask[PCI_COMMAND] = PCI_CMD_IO | PCI_CMD_MEM | PCI_CMD_MASTER;
	fn->wmask[PCI_COMMAND + 1] = PCI_CMD_INTX_OFF >> 8;
	fn->wmask[0x0c] = 0xff; /* cache line size */
	fn->wmask[PCI_INT_LINE] = 0xff;
	fn->cfg[PCI_INT_LINE] = PCI_INTX_LINE;
	fn->cfg[PCI_INT_PIN] = 1; /* INTA# */
}

void pci_fn_set_bar(struct pci_fn *fn, unsigned idx, enum pci_bar_type type,
		    uint32_t size)
{
	if (idx >= PCI_BARS || (type == PCI_BAR_MEM64 && idx + 1 >= PCI_BARS))
		return;
	fn->bar[idx] = (struct pci_bar){ type, size };
}

uint8_t pci_fn_add_cap(struct pci_fn *fn, uint8_t id, unsigned len)
{
	unsigned off = (fn->cap_end + 3u) & ~3u;
	if (len < 2 || off + len > 256)
		return 0;
	if (fn->cap_end == CAP_FIRST && !fn->cfg[PCI_CAP_PTR]) {
		fn->cfg[PCI_CAP_PTR] = (uint8_t)off;
	} else {
		unsigned p = fn->cfg[PCI_CAP_PTR];
		while (fn->cfg[p + 1])
			p = fn->cfg[p + 1];
		fn->cfg[p + 1] = (uint8_t)off;
	}
	fn->cfg[off] = id;
	fn->cfg[off + 1] = 0;
	fn->cfg[PCI_STATUS] |= PCI_STATUS_CAPS;
	fn->cap_end = (uint8_t)(off + len > 255 ? 255 : off + len);
	return (uint8_t)off;
}

/* MSI-X capability structure, PCI 3.0 6.8.2 (Figure 6-10). */
status_t pci_fn_add_msix(struct pci_fn *fn, unsigned nvec, unsigned bar,
			 uint32_t table_off, uint32_t pba_off)
{
	if (!nvec || nvec > PCI_MSIX_MAX || bar >= PCI_BARS ||
	    (table_off & 7) || (pba_off & 7))
		return ST_EINVAL;
	uint8_t cap = pci_fn_add_cap(fn, PCI_CAP_MSIX, 12);
	if (!cap)
		return ST_ENOSPC;
	fn->cfg[cap + 2] = (uint8_t)(nvec - 1);
	fn->cfg[cap + 3] = (uint8_t)((nvec - 1) >> 8);
	fn->wmask[cap + 3] = 0xc0; /* MSI-X Enable, Function Mask */
	wr32(&fn->cfg[cap + 4], table_off | bar);
	wr32(&fn->cfg[cap + 8], pba_off | bar);
	fn->msix = (struct pci_msix){ .cap = cap, .bar = (uint8_t)bar,
				      .nvec = (uint16_t)nvec,
				      .table_off = table_off, .pba_off = pba_off };
	return ST_OK;
}

static bool is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

/* Places BAR i at the next free address and sets its write mask. */
static status_t place_bar(struct pci_host *h, struct pci_fn *fn, unsigned i)
{
	struct pci_bar *b = &fn->bar[i];
	uint32_t addr, size = b->size;
	uint8_t *reg = &fn->cfg[PCI_BAR0 + 4 * i];
	if (b->type == PCI_BAR_IO) {
		if (!is_pow2(size) || size < 4 || size > 256)
			return ST_EINVAL;
		addr = (h->next_io + size - 1) & ~(size - 1);
		if (addr + size > 0x10000)
			return ST_ENOSPC;
		h->next_io = addr + size;
		wr32(reg, addr | 1);
		wr32(&fn->wmask[PCI_BAR0 + 4 * i], ~(size - 1) & 0xfffcu);
	} else {
		if (!is_pow2(size) || size < 16 || size > 0x10000000)
			return ST_EINVAL;
		uint32_t align = size < 4096 ? 4096 : size;
		addr = (h->next_mem + align - 1) & ~(align - 1);
		if (addr < h->next_mem || (uint64_t)addr + size > PCI_MMIO_LIMIT)
			return ST_ENOSPC;
		h->next_mem = addr + align;
		wr32(reg, addr | (b->type == PCI_BAR_MEM64 ? 4 : 0));
		wr32(&fn->wmask[PCI_BAR0 + 4 * i], ~(size - 1) & ~0xfu);
		if (b->type == PCI_BAR_MEM64)
			wr32(&fn->wmask[PCI_BAR0 + 4 * i + 4], 0xffffffffu);
	}
	fn->bar0[i] = addr;
	return ST_OK;
}

static status_t attach(struct pci_host *h, unsigned slot, struct pci_fn *fn)
{
	status_t st;
	if (slot >= PCI_SLOTS)
		return ST_EINVAL;
	if (h->fn[slot])
		return ST_EEXIST;
	for (unsigned i = 0; i < PCI_BARS; i++) {
		if (fn->bar[i].type == PCI_BAR_NONE)
			continue;
		if ((st = place_bar(h, fn, i)))
			return st;
		if (fn->bar[i].type == PCI_BAR_MEM64)
			i++;
	}
	fn->host = h;
	fn->slot = slot;
	/* What firmware would leave: decoding and bus mastering on. */
	fn->cfg[PCI_COMMAND] |= PCI_CMD_IO | PCI_CMD_MEM | PCI_CMD_MASTER;
	memcpy(fn->cfg0, fn->cfg, sizeof fn->cfg);
	h->fn[slot] = fn;
	pci_fn_reset(fn);
	return ST_OK;
}

status_t pci_register(struct pci_host *h, unsigned slot, struct pci_fn *fn)
{
	if (!slot)
		return ST_EEXIST; /* the bridge itself */
	return attach(h, slot, fn);
}

status_t pci_register_slot0(struct pci_host *h, struct pci_fn *fn)
{
	return attach(h, 0, fn);
}

void pci_unregister(struct pci_fn *fn)
{
	if (!fn->host)
		return;
	pci_intx(fn, false);
	for (unsigned i = 0; i < PCI_BARS; i++)
		if (fn->mapped[i])
			bus_release(&fn->host->vm->bus, fn->dev, (int)i);
	memset(fn->mapped, 0, sizeof fn->mapped);
	fn->host->fn[fn->slot] = NULL;
	fn->host = NULL;
}

uint32_t pci_cfg_read(struct pci_fn *fn, unsigned off, unsigned size)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < size && off + i < 256; i++)
		v |= (uint32_t)fn->cfg[off + i] << (8 * i);
	return v;
}

static bool touches(unsigned off, unsigned size, unsigned lo, unsigned hi)
{
	return off < hi && lo < off + size;
}

void pci_cfg_write(struct pci_fn *fn, unsigned off, unsigned size,
		   uint32_t val)
{
	for (unsigned i = 0; i < size && off + i < 256; i++) {
		uint8_t m = fn->wmask[off + i], b = (uint8_t)(val >> (8 * i));
		fn->cfg[off + i] = (uint8_t)((fn->cfg[off + i] & ~m) | (b & m));
	}
	if (touches(off, size, PCI_COMMAND, PCI_COMMAND + 2) ||
	    touches(off, size, PCI_BAR0, PCI_BAR0 + 4 * PCI_BARS))
		pci_fn_remap(fn);
	if (fn->msix.cap && touches(off, size, fn->msix.cap, fn->msix.cap + 4))
		pci_msix_cfg_written(fn);
	if (touches(off, size, PCI_COMMAND, PCI_COMMAND + 2))
		pci_intx_update(fn);
}

uint64_t pci_bar_base(const struct pci_fn *fn, unsigned i)
{
	uint32_t lo = rd32(&fn->cfg[PCI_BAR0 + 4 * i]);
	switch (fn->bar[i].type) {
	case PCI_BAR_IO: return lo & ~3u;
	case PCI_BAR_MEM32: return lo & ~0xfu;
	case PCI_BAR_MEM64:
		return (lo & ~0xfu) |
		       (uint64_t)rd32(&fn->cfg[PCI_BAR0 + 4 * i + 4]) << 32;
	default: return 0;
	}
}

/* Whether BAR i should decode now, and where. */
static bool bar_wanted(const struct pci_fn *fn, unsigned i, uint64_t *base)
{
	uint16_t cmd = (uint16_t)pci_cfg_read((struct pci_fn *)fn, PCI_COMMAND, 2);
	uint64_t b = pci_bar_base(fn, i), size = fn->bar[i].size;
	*base = b;
	if (fn->bar[i].type == PCI_BAR_IO)
		return (cmd & PCI_CMD_IO) && b && b + size <= 0x10000;
	return (cmd & PCI_CMD_MEM) && b && b + size > b;
}

void pci_fn_remap(struct pci_fn *fn)
{
	if (!fn->host)
		return;
	struct bus *bus = &fn->host->vm->bus;
	for (unsigned i = 0; i < PCI_BARS; i++) {
		uint64_t base;
		if (fn->bar[i].type == PCI_BAR_NONE)
			continue;
		bool want = bar_wanted(fn, i, &base);
		if (fn->mapped[i] && (!want || fn->mapped_base[i] != base)) {
			bus_release(bus, fn->dev, (int)i);
			fn->mapped[i] = false;
		}
		/* A BAR overlapping another device's range stays unmapped. */
		if (want && !fn->mapped[i] &&
		    !bus_claim(bus, fn->bar[i].type == PCI_BAR_IO ? BUS_PIO : BUS_MMIO,
			       base, fn->bar[i].size, fn->dev, (int)i)) {
			fn->mapped[i] = true;
			fn->mapped_base[i] = base;
		}
	}
}

static void msix_reset(struct pci_fn *fn)
{
	memset(fn->msix.table, 0, sizeof fn->msix.table);
	for (unsigned v = 0; v < PCI_MSIX_MAX; v++)
		fn->msix.table[v][3] = 1; /* masked (6.8.2.9) */
	fn->msix.pending = 0;
}

void pci_fn_reset(struct pci_fn *fn)
{
	memcpy(fn->cfg, fn->cfg0, sizeof fn->cfg);
	msix_reset(fn);
	fn->intx = false;
	pci_fn_remap(fn);
	pci_intx_update(fn);
}

void pci_fn_save(const struct pci_fn *fn, struct pci_fn_state *s)
{
	memset(s, 0, sizeof *s);
	memcpy(s->cfg, fn->cfg, sizeof s->cfg);
	memcpy(s->table, fn->msix.table, sizeof s->table);
	s->pending = fn->msix.pending;
	s->intx = fn->intx;
}

/* A saved config space must agree with this function in every bit the
 * guest cannot write (IDs, BAR types, capabilities), the dynamic
 * interrupt status bit aside. */
static bool cfg_fits(const struct pci_fn *fn, const uint8_t *cfg)
{
	for (unsigned i = 0; i < 256; i++) {
		uint8_t ro = (uint8_t)~fn->wmask[i];
		if (i == PCI_STATUS)
			ro &= (uint8_t)~PCI_STATUS_INTX;
		if ((cfg[i] & ro) != (fn->cfg0[i] & ro))
			return false;
	}
	return true;
}

status_t pci_fn_restore(struct pci_fn *fn, const struct pci_fn_state *s)
{
	uint32_t vmask = fn->msix.nvec >= 32 ? ~0u : (1u << fn->msix.nvec) - 1;
	if (!cfg_fits(fn, s->cfg) || (s->pending & ~vmask) || s->intx > 1)
		return ST_ECORRUPT;
	memcpy(fn->cfg, s->cfg, sizeof fn->cfg);
	memcpy(fn->msix.table, s->table, sizeof fn->msix.table);
	for (unsigned v = 0; v < PCI_MSIX_MAX; v++)
		fn->msix.table[v][3] &= 1;
	fn->msix.pending = s->pending;
	fn->intx = s->intx;
	pci_fn_remap(fn);
	pci_intx_update(fn);
	return ST_OK;
}
