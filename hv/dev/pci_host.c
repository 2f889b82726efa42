/* pci_host.c: the PCI host bridge on configuration mechanism 1 (PCI
 * Local Bus 3.0, 3.2.2.3.2): CONFIG_ADDRESS is the dword at 0xcf8,
 * CONFIG_DATA the bytes 0xcfc-0xcff; bus 0, function 0 only; absent
 * devices read all ones. The byte at 0xcf9 is the ICH/PIIX reset control
 * register (RST_CNT): RST_CPU (bit 2) resets the VM. The bridge is itself
 * 00:00.0 and keeps the table of registered functions (pci_fn.c). */
#include <stdlib.h>
#include <string.h>
#include "hv/dev/pci_internal.h"
#include "hv/vm.h"

#define HOST_STATE_VERSION 1
#define CFG_ENABLE 0x80000000u
#define RST_CPU 0x04

struct host_state {
	uint32_t version;
	uint32_t addr;
	uint8_t rst_cnt, pad[3];
	struct pci_fn_state self;
};

struct pci_host *pci_host_of(struct device *dev)
{
	return (struct pci_host *)dev;
}

struct device *pci_host_dev(struct pci_host *host)
{
	return &host->dev;
}

/* The function CONFIG_ADDRESS selects, or NULL (reads all ones). */
static struct pci_fn *selected(struct pci_host *h)
{
	uint32_t a = h->addr;
	if (!(a & CFG_ENABLE) || ((a >> 16) & 0xff) || ((a >> 8) & 7))
		return NULL;
	return h->fn[(a >> 11) & 31];
}

static void data_access(struct pci_host *h, unsigned port, unsigned size,
			bool write, uint64_t *val)
{
	struct pci_fn *fn = selected(h);
	unsigned off = (h->addr & 0xfc) + port;
	if (size > 4 - port)
		size = 4 - port; /* the part beyond 0xcff is not ours */
	if (!fn)
		return; /* *val stays all ones */
	if (write) {
		pci_cfg_write(fn, off, size, (uint32_t)*val);
		return;
	}
	uint64_t mask = size == 4 ? 0xffffffffull : (1ull << (size * 8)) - 1;
	*val = (*val & ~mask) | pci_cfg_read(fn, off, size);
}

static void host_access(struct device *dev, int region, uint64_t offset,
			unsigned size, bool write, uint64_t *val)
{
	struct pci_host *h = pci_host_of(dev);
	(void)region;
	if (offset >= 4) {
		data_access(h, (unsigned)offset - 4, size, write, val);
	} else if (offset == 0 && size == 4) {
		if (write)
			h->addr = (uint32_t)*val & 0x80fffffcu;
		else
			*val = (*val & ~0xffffffffull) | h->addr;
	} else if (offset == 1 && size == 1) {
		if (!write) {
			*val = (*val & ~0xffull) | h->rst_cnt;
			return;
		}
		h->rst_cnt = (uint8_t)*val & 0x0e;
		if (*val & RST_CPU)
			vm_stop(h->vm, VM_RESET, 0, "reset through port 0xCF9");
	}
	/* Other byte and word accesses to 0xcf8-0xcfb reach nothing. */
}

static void host_save(const struct device *dev, void *buf)
{
	const struct pci_host *h = (const struct pci_host *)dev;
	struct host_state s;
	memset(&s, 0, sizeof s);
	s.version = HOST_STATE_VERSION;
	s.addr = h->addr;
	s.rst_cnt = h->rst_cnt;
	pci_fn_save(&h->self, &s.self);
	memcpy(buf, &s, sizeof s);
}

static status_t host_restore(struct device *dev, const void *buf, size_t len)
{
	struct pci_host *h = pci_host_of(dev);
	struct host_state s;
	if (len != sizeof s)
		return ST_ECORRUPT;
	memcpy(&s, buf, sizeof s);
	if (s.version != HOST_STATE_VERSION || (s.addr & ~0x80fffffcu) ||
	    (s.rst_cnt & ~0x0e))
		return ST_ECORRUPT;
	status_t st = pci_fn_restore(&h->self, &s.self);
	if (st)
		return st;
	h->addr = s.addr;
	h->rst_cnt = s.rst_cnt;
	return ST_OK;
}

static void host_reset(struct device *dev)
{
	struct pci_host *h = pci_host_of(dev);
	h->addr = 0;
	h->rst_cnt = 0;
	pci_fn_reset(&h->self);
}

/* 00:00.0: a Q35 (82G33/G31/P35/P31 MCH) host bridge, no BARs. */
static status_t add_self(struct pci_host *h)
{
	pci_fn_init(&h->self, &h->dev, 0x8086, 0x29c0, 0x06000000);
	h->self.cfg[PCI_INT_PIN] = 0;
	h->self.wmask[PCI_INT_LINE] = 0;
	return pci_register_slot0(h, &h->self);
}

struct pci_host *pci_host_create(struct vm *vm)
{
	struct pci_host *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	h->dev = (struct device){
		.name = "pci-host", .vm = vm, .access = host_access,
		.state_size = sizeof(struct host_state), .save = host_save,
		.restore = host_restore, .reset = host_reset,
	};
	h->vm = vm;
	h->next_io = PCI_IO_BASE;
	h->next_mem = PCI_MMIO_BASE;
	if (add_self(h) || bus_claim(&vm->bus, BUS_PIO, 0xcf8, 8, &h->dev, 0)) {
		free(h);
		return NULL;
	}
	return h;
}
