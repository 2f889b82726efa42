/* virtio_pci.h: the virtio PCI transport of a transitional device with
 * one split virtqueue (virtio 1.1, 4.1): legacy registers in I/O BAR 0
 * (4.1.4.8), MSI-X in memory BAR 1, and the modern capabilities (common,
 * ISR, device and notify cfg, 4.1.4.3-4.1.4.7) in 64-bit memory BAR 4.
 * A device model (virtio_blk.c) embeds struct vpci first and supplies
 * its config bytes and the queue handler. */
#ifndef HV_DEV_VIRTIO_PCI_H
#define HV_DEV_VIRTIO_PCI_H
#include "hv/dev/pci.h"
#include "hv/dev/virtio_ring.h"

/* Layout of the BARs. */
#define VPCI_LEGACY_SIZE 64u
#define VPCI_MSIX_BAR_SIZE 0x1000u
#define VPCI_MSIX_PBA 0x800u
#define VPCI_MODERN_SIZE 0x4000u
enum { VPCI_COMMON = 0x0000, VPCI_ISR = 0x1000, VPCI_DEVCFG = 0x2000,
       VPCI_NOTIFY = 0x3000 };
enum { VPCI_BAR_LEGACY = 0, VPCI_BAR_MSIX = 1, VPCI_BAR_MODERN = 4 };
#define VPCI_NVEC 2              /* config change + the queue */
#define VIRTIO_NO_VECTOR 0xffff

/* Device status bits (2.1) and transport features (6). */
enum { VIRTIO_S_ACK = 1, VIRTIO_S_DRIVER = 2, VIRTIO_S_DRIVER_OK = 4,
       VIRTIO_S_FEATURES_OK = 8, VIRTIO_S_NEEDS_RESET = 0x40,
       VIRTIO_S_FAILED = 0x80 };
#define VIRTIO_F_INDIRECT_DESC (1ull << 28)
#define VIRTIO_F_VERSION_1 (1ull << 32)

struct vpci;

struct vpci_ops {
	/* The driver notified the queue: take and complete requests. */
	void (*notify)(struct vpci *vp);
	/* Byte off of the device-specific config (off < cfg_len). */
	uint8_t (*cfg_byte)(struct vpci *vp, unsigned off);
	unsigned cfg_len;
};

/* Transport state (saved as is inside the model's state). */
struct vpci_state {
	uint64_t driver_features;
	uint32_t dev_fsel, drv_fsel;
	uint32_t legacy_pfn;
	uint16_t queue_sel, msix_config, queue_vector, queue_enable;
	uint8_t status, isr, broken, pad;
	struct vring vq;
};

struct vpci {
	struct device dev;
	struct pci_fn fn;
	const struct vpci_ops *ops;
	uint64_t host_features;
	uint16_t qmax;
	struct vpci_state s;
};

/* Sets up fn for virtio device type `type` (5: block) with transitional
 * device ID devid, and the device's BARs and capabilities. */
status_t vpci_init(struct vpci *vp, uint16_t devid, uint16_t type);
void vpci_access(struct device *dev, int region, uint64_t offset,
		 unsigned size, bool write, uint64_t *val);
/* Device reset (status 0 written, or a machine reset). */
void vpci_reset(struct vpci *vp);
/* Used buffers were added: interrupt unless the driver opted out. */
void vpci_queue_interrupt(struct vpci *vp);
/* The device met a driver error it cannot go on from (2.1.2). */
void vpci_broken(struct vpci *vp);
/* ST_ECORRUPT when s cannot be this device's state. */
status_t vpci_check_state(const struct vpci *vp, const struct vpci_state *s);

#endif
