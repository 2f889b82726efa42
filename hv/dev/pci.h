/* pci.h: the PCI host bridge (configuration mechanism 1, bus 0) and the
 * API its function models use: register a function with its config space,
 * write mask and BARs; the bridge maps BARs on the VM's buses, handles
 * MSI-X (PCI Local Bus 3.0, 6.8.2) and INTA#. A function model embeds a
 * struct pci_fn next to its struct device; BAR accesses reach that
 * device's access callback with the BAR index as region. */
#ifndef HV_DEV_PCI_H
#define HV_DEV_PCI_H
#include <stdbool.h>
#include <stdint.h>
#include "hv/dev/device.h"

struct vm;
struct pci_host;

#define PCI_SLOTS 32
#define PCI_BARS 6
#define PCI_MSIX_MAX 8
#define PCI_INTX_LINE 11          /* INTA# of every function (ISA IRQ 11) */

/* Where the bridge places BARs at reset (no BIOS to do it): */
#define PCI_IO_BASE 0xc000u       /* I/O BARs upward from here */
#define PCI_MMIO_BASE 0xc0000000u /* memory BARs upward from here ... */
#define PCI_MMIO_LIMIT 0xfec00000u /* ... below this (IOAPIC) */

/* Config space registers (PCI Local Bus 3.0, 6.1 and 6.2). */
enum {
	PCI_VENDOR_ID = 0x00, PCI_DEVICE_ID = 0x02, PCI_COMMAND = 0x04,
	PCI_STATUS = 0x06, PCI_REVISION = 0x08, PCI_CLASS_PROG = 0x09,
	PCI_HEADER_TYPE = 0x0e, PCI_BAR0 = 0x10, PCI_SUBSYS_VENDOR = 0x2c,
	PCI_SUBSYS_ID = 0x2e, PCI_ROM = 0x30, PCI_CAP_PTR = 0x34,
	PCI_INT_LINE = 0x3c, PCI_INT_PIN = 0x3d,
};
enum {
	PCI_CMD_IO = 1 << 0, PCI_CMD_MEM = 1 << 1, PCI_CMD_MASTER = 1 << 2,
	PCI_CMD_INTX_OFF = 1 << 10,
};
enum { PCI_STATUS_INTX = 1 << 3, PCI_STATUS_CAPS = 1 << 4 };
enum { PCI_CAP_MSIX = 0x11, PCI_CAP_VENDOR = 0x09 };

enum pci_bar_type { PCI_BAR_NONE, PCI_BAR_IO, PCI_BAR_MEM32, PCI_BAR_MEM64 };

struct pci_bar {
	enum pci_bar_type type;
	uint32_t size;            /* power of two; I/O >= 4, memory >= 16 */
};

/* The MSI-X state the bridge keeps per function (6.8.2.6-6.8.2.9). */
struct pci_msix {
	uint8_t cap;              /* config offset of the capability, 0: none */
	uint8_t bar;
	uint16_t nvec;
	uint32_t table_off, pba_off;
	uint32_t table[PCI_MSIX_MAX][4]; /* addr lo, addr hi, data, control */
	uint32_t pending;
};

struct pci_fn {
	struct device *dev;       /* the model: gets the BAR accesses */
	struct pci_host *host;
	unsigned slot;
	uint8_t cfg[256], wmask[256];
	uint8_t cfg0[256];        /* the power-on config space (reset) */
	struct pci_bar bar[PCI_BARS];
	uint32_t bar0[PCI_BARS];  /* the address the bridge assigned */
	struct pci_msix msix;
	uint8_t cap_end;          /* where the next capability goes */
	bool intx;                /* INTA# level as the model drives it */
	bool mapped[PCI_BARS];
	uint64_t mapped_base[PCI_BARS];
};

/* Serialized part of a function (its model saves it inside its own). */
struct pci_fn_state {
	uint8_t cfg[256];
	uint32_t table[PCI_MSIX_MAX][4];
	uint32_t pending;
	uint8_t intx, pad[3];
};

/* The bridge: claims ports 0xcf8-0xcff (0xcf9 is the reset control
 * register) and is itself 00:00.0 (Q35 host bridge IDs). NULL when out
 * of memory or the ports are taken. Add pci_host_dev() to the VM. */
struct pci_host *pci_host_create(struct vm *vm);
struct device *pci_host_dev(struct pci_host *host);

/* Prepares fn (zeroed config space, header type 0) for a model; then the
 * model fills the IDs, adds BARs and capabilities and registers it. */
void pci_fn_init(struct pci_fn *fn, struct device *dev, uint16_t vendor,
		 uint16_t device, uint32_t class_rev);
void pci_fn_set_bar(struct pci_fn *fn, unsigned idx, enum pci_bar_type type,
		    uint32_t size);
/* Appends a capability of len bytes (id, next filled in); returns its
 * config offset, 0 when space is out. wmask is left read-only. */
uint8_t pci_fn_add_cap(struct pci_fn *fn, uint8_t id, unsigned len);
/* MSI-X with nvec vectors, table and PBA in memory BAR bar. */
status_t pci_fn_add_msix(struct pci_fn *fn, unsigned nvec, unsigned bar,
			 uint32_t table_off, uint32_t pba_off);
/* Puts fn at slot (1-31): assigns BAR addresses, enables decoding and
 * bus mastering, claims the BARs. ST_EEXIST: slot taken; ST_ENOSPC:
 * the window is full; ST_EINVAL: a bad BAR. */
status_t pci_register(struct pci_host *host, unsigned slot,
		      struct pci_fn *fn);
void pci_unregister(struct pci_fn *fn);

/* Config space as the bridge's data port sees it (tests use it too). */
uint32_t pci_cfg_read(struct pci_fn *fn, unsigned off, unsigned size);
void pci_cfg_write(struct pci_fn *fn, unsigned off, unsigned size,
		   uint32_t val);
/* (Re)claims or releases every BAR after a change of BAR or command. */
void pci_fn_remap(struct pci_fn *fn);
/* Back to the power-on config space, BARs at their assigned addresses. */
void pci_fn_reset(struct pci_fn *fn);
void pci_fn_save(const struct pci_fn *fn, struct pci_fn_state *s);
/* ST_ECORRUPT (fn unchanged) when s cannot belong to this function. */
status_t pci_fn_restore(struct pci_fn *fn, const struct pci_fn_state *s);
/* Current base of BAR idx (from config space). */
uint64_t pci_bar_base(const struct pci_fn *fn, unsigned idx);

/* MSI-X (pci_irq.c). An access in BAR `bar` at offset: true when it hit
 * the table or PBA (handled); the model handles the rest. */
bool pci_msix_access(struct pci_fn *fn, unsigned bar, uint64_t offset,
		     unsigned size, bool write, uint64_t *val);
bool pci_msix_enabled(const struct pci_fn *fn);
/* Sends vector's message, or marks it pending while masked. */
void pci_msix_notify(struct pci_fn *fn, unsigned vector);
/* Called by the bridge after a config write touched the capability. */
void pci_msix_cfg_written(struct pci_fn *fn);
/* Drives INTA# (line PCI_INTX_LINE); ignored while MSI-X is on or
 * the command register's interrupt disable bit is set. */
void pci_intx(struct pci_fn *fn, bool level);
/* Re-evaluates the line after a command or MSI-X enable change. */
void pci_intx_update(struct pci_fn *fn);

#endif
