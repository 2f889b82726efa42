/* pci_internal.h: the host bridge's state, shared by the bridge's own
 * files (pci_host.c, pci_fn.c, pci_irq.c); models use pci.h only. */
#ifndef HV_DEV_PCI_INTERNAL_H
#define HV_DEV_PCI_INTERNAL_H
#include "hv/dev/pci.h"

struct pci_host {
	struct device dev;
	struct vm *vm;
	uint32_t addr;            /* CONFIG_ADDRESS */
	uint8_t rst_cnt;          /* 0xcf9 */
	bool line;                /* INTA# wire as last driven */
	uint32_t intx_slots;      /* slots asserting INTA# */
	struct pci_fn *fn[PCI_SLOTS];
	struct pci_fn self;       /* 00:00.0 */
	uint32_t next_io, next_mem;
};

/* Registers the bridge's own function at slot 0. */
status_t pci_register_slot0(struct pci_host *h, struct pci_fn *fn);

#endif
