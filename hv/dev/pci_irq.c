/* pci_irq.c: a function's interrupts. MSI-X (PCI Local Bus 3.0, 6.8.2):
 * the table (address, data, vector control per entry, 6.8.2.6-6.8.2.9)
 * and the pending bit array live in a memory BAR; a vector masked by its
 * entry or by the function mask is held pending and sent when unmasked.
 * INTA# (6.2.4, line PCI_INTX_LINE) when MSI-X is off; all functions
 * share the wire, which is the OR of their levels. */
#include <string.h>
#include "hv/dev/pci_internal.h"
#include "hv/irq.h"

enum { MSIX_ENABLE = 0x80, MSIX_FMASK = 0x40 }; /* control, high byte */

static uint8_t ctrl_hi(const struct pci_fn *fn)
{
	return fn->msix.cap ? fn->cfg[fn->msix.cap + 3] : 0;
}

bool pci_msix_enabled(const struct pci_fn *fn)
{
	return ctrl_hi(fn) & MSIX_ENABLE;
}

static bool vector_masked(const struct pci_fn *fn, unsigned v)
{
	return (ctrl_hi(fn) & MSIX_FMASK) || (fn->msix.table[v][3] & 1);
}

static void send(struct pci_fn *fn, unsigned v)
{
	const uint32_t *e = fn->msix.table[v];
	fn->msix.pending &= ~(1u << v);
	irq_msi(fn->host->vm, e[0] | (uint64_t)e[1] << 32, e[2]);
}

void pci_msix_notify(struct pci_fn *fn, unsigned v)
{
	if (v >= fn->msix.nvec || !pci_msix_enabled(fn) || !fn->host)
		return;
	if (vector_masked(fn, v))
		fn->msix.pending |= 1u << v;
	else
		send(fn, v);
}

static void deliver_pending(struct pci_fn *fn)
{
	if (!pci_msix_enabled(fn) || !fn->host)
		return;
	for (unsigned v = 0; v < fn->msix.nvec; v++)
		if ((fn->msix.pending & (1u << v)) && !vector_masked(fn, v))
			send(fn, v);
}

void pci_msix_cfg_written(struct pci_fn *fn)
{
	deliver_pending(fn);
	pci_intx_update(fn);
}

/* One byte of the table or PBA; the PBA is read-only. */
static uint8_t msix_byte(const struct pci_fn *fn, uint64_t off, bool *hit)
{
	const struct pci_msix *m = &fn->msix;
	*hit = true;
	if (off >= m->table_off && off - m->table_off < m->nvec * 16u) {
		uint64_t t = off - m->table_off;
		return (uint8_t)(m->table[t / 16][t % 16 / 4] >> (8 * (t % 4)));
	}
	if (off >= m->pba_off && off - m->pba_off < 8)
		return off - m->pba_off < 4
			       ? (uint8_t)(m->pending >> (8 * (off - m->pba_off)))
			       : 0;
	*hit = false;
	return 0;
}

static void msix_put(struct pci_fn *fn, uint64_t off, uint8_t b)
{
	struct pci_msix *m = &fn->msix;
	if (off < m->table_off || off - m->table_off >= m->nvec * 16u)
		return;
	uint64_t t = off - m->table_off;
	uint32_t *w = &m->table[t / 16][t % 16 / 4];
	unsigned sh = 8 * (t % 4);
	*w = (*w & ~(0xffu << sh)) | (uint32_t)b << sh;
	if (t % 16 >= 12)
		*w &= 1; /* vector control: only the mask bit exists */
}

bool pci_msix_access(struct pci_fn *fn, unsigned bar, uint64_t offset,
		     unsigned size, bool write, uint64_t *val)
{
	bool hit;
	if (!fn->msix.cap || bar != fn->msix.bar)
		return false;
	msix_byte(fn, offset, &hit);
	if (!hit)
		return false;
	if (write) {
		for (unsigned i = 0; i < size; i++)
			msix_put(fn, offset + i, (uint8_t)(*val >> (8 * i)));
		deliver_pending(fn);
		return true;
	}
	uint64_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)msix_byte(fn, offset + i, &hit) << (8 * i);
	*val = v;
	return true;
}

void pci_intx_update(struct pci_fn *fn)
{
	struct pci_host *h = fn->host;
	if (!h)
		return;
	uint16_t cmd = (uint16_t)pci_cfg_read(fn, PCI_COMMAND, 2);
	bool level = fn->intx && !pci_msix_enabled(fn) && !(cmd & PCI_CMD_INTX_OFF);
	if (fn->intx)
		fn->cfg[PCI_STATUS] |= PCI_STATUS_INTX;
	else
		fn->cfg[PCI_STATUS] &= (uint8_t)~PCI_STATUS_INTX;
	if (level)
		h->intx_slots |= 1u << fn->slot;
	else
		h->intx_slots &= ~(1u << fn->slot);
	if ((h->intx_slots != 0) != h->line) {
		h->line = h->intx_slots != 0;
		irq_set(h->vm, PCI_INTX_LINE, h->line);
	}
}

void pci_intx(struct pci_fn *fn, bool level)
{
	fn->intx = level;
	pci_intx_update(fn);
}
