/* virtio_blk.h: the virtio-blk PCI device (virtio_blk.c) on a VHD chain
 * the VM opened (hv/disk.h). The device does not own the chain: close it
 * after destroying the device. */
#ifndef HV_DEV_VIRTIO_BLK_H
#define HV_DEV_VIRTIO_BLK_H
#include "hv/dev/pci.h"

struct vhd_chain;

/* Registers the device at host slot (1-31) with its BARs placed and
 * decoding on; NULL when out of memory, the slot is taken or the PCI
 * window is full. A read-only leaf makes a read-only disk (F_RO). */
struct device *virtio_blk_create(struct vm *vm, struct pci_host *host,
				 unsigned slot, struct vhd_chain *disk);
/* The disk of a virtio-blk device, or NULL when dev is another model. */
struct vhd_chain *virtio_blk_disk(struct device *dev);
/* Moves the device onto another chain of the same size (a snapshot's new
 * leaf); requests are synchronous, so none is in flight. */
void virtio_blk_set_disk(struct device *dev, struct vhd_chain *disk);
/* Takes the requests again after a full volume stalled the device (the
 * console's `continue`, hv/vm_pause.c): ST_ENOSPC when one still finds
 * no room (it stays pending), else ST_OK. */
status_t virtio_blk_retry(struct device *dev);
/* Unregisters (releases BARs) and frees the device. */
void virtio_blk_destroy(struct device *dev);

#endif
