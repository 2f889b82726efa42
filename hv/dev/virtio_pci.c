/* virtio_pci.c: the transitional virtio PCI transport (virtio_pci.h).
 * Registers are kept as fields and presented through little byte images
 * of each register block, so any access size at any offset works: a
 * write patches the image, then each field its bytes touched is taken
 * over. Legacy header: virtio 1.1, 4.1.4.8; common config: 4.1.4.3. */
#include <string.h>
#include "hv/dev/virtio_pci.h"
#include "hv/vm.h"

/* PCI capability cfg_type values (4.1.4). */
enum { CAP_COMMON = 1, CAP_NOTIFY = 2, CAP_ISR = 3, CAP_DEVICE = 4 };

static void put(uint8_t *img, unsigned off, unsigned size, uint64_t v)
{
	for (unsigned i = 0; i < size; i++)
		img[off + i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get(const uint8_t *img, unsigned off, unsigned size)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)img[off + i] << (8 * i);
	return v;
}

static bool touched(unsigned off, unsigned size, unsigned f, unsigned fsize)
{
	return off < f + fsize && f < off + size;
}

/* A virtio vendor capability (4.1.4, struct virtio_pci_cap). */
static status_t add_vcap(struct pci_fn *fn, uint8_t type, uint32_t off,
			 uint32_t len, bool notify)
{
	uint8_t c = pci_fn_add_cap(fn, PCI_CAP_VENDOR, notify ? 20 : 16);
	if (!c)
		return ST_ENOSPC;
	fn->cfg[c + 2] = notify ? 20 : 16;
	fn->cfg[c + 3] = type;
	fn->cfg[c + 4] = VPCI_BAR_MODERN;
	put(fn->cfg, c + 8, 4, off);
	put(fn->cfg, c + 12, 4, len);
	if (notify)
		put(fn->cfg, c + 16, 4, 4); /* notify_off_multiplier */
	return ST_OK;
}

status_t vpci_init(struct vpci *vp, uint16_t devid, uint16_t type)
{
	struct pci_fn *fn = &vp->fn;
	status_t st;
	/* Transitional IDs (4.1.2.1): class mass storage / SCSI for blk. */
	pci_fn_init(fn, &vp->dev, 0x1af4, devid, type == 2 ? 0x01000000 : 0xff000000);
	put(fn->cfg, PCI_SUBSYS_VENDOR, 2, 0x1af4);
	put(fn->cfg, PCI_SUBSYS_ID, 2, type);
	pci_fn_set_bar(fn, VPCI_BAR_LEGACY, PCI_BAR_IO, VPCI_LEGACY_SIZE);
	pci_fn_set_bar(fn, VPCI_BAR_MSIX, PCI_BAR_MEM32, VPCI_MSIX_BAR_SIZE);
	pci_fn_set_bar(fn, VPCI_BAR_MODERN, PCI_BAR_MEM64, VPCI_MODERN_SIZE);
	if ((st = pci_fn_add_msix(fn, VPCI_NVEC, VPCI_BAR_MSIX, 0, VPCI_MSIX_PBA)) ||
	    (st = add_vcap(fn, CAP_COMMON, VPCI_COMMON, 0x38, false)) ||
	    (st = add_vcap(fn, CAP_ISR, VPCI_ISR, 1, false)) ||
	    (st = add_vcap(fn, CAP_DEVICE, VPCI_DEVCFG, vp->ops->cfg_len, false)) ||
	    (st = add_vcap(fn, CAP_NOTIFY, VPCI_NOTIFY, 4, true)))
		return st;
	vpci_reset(vp);
	return ST_OK;
}

void vpci_reset(struct vpci *vp)
{
	memset(&vp->s, 0, sizeof vp->s);
	vp->s.msix_config = VIRTIO_NO_VECTOR;
	vp->s.queue_vector = VIRTIO_NO_VECTOR;
	vp->s.vq.size = vp->qmax;
	pci_intx(&vp->fn, false);
}

static void config_interrupt(struct vpci *vp)
{
	if (pci_msix_enabled(&vp->fn)) {
		if (vp->s.msix_config != VIRTIO_NO_VECTOR)
			pci_msix_notify(&vp->fn, vp->s.msix_config);
		return;
	}
	vp->s.isr |= 2;
	pci_intx(&vp->fn, true);
}

void vpci_broken(struct vpci *vp)
{
	vp->s.broken = 1;
	vp->s.status |= VIRTIO_S_NEEDS_RESET;
	config_interrupt(vp);
}

void vpci_queue_interrupt(struct vpci *vp)
{
	if (vring_no_interrupt(&vp->dev.vm->mem, &vp->s.vq))
		return;
	if (pci_msix_enabled(&vp->fn)) {
		if (vp->s.queue_vector != VIRTIO_NO_VECTOR)
			pci_msix_notify(&vp->fn, vp->s.queue_vector);
		return;
	}
	vp->s.isr |= 1;
	pci_intx(&vp->fn, true);
}

static uint8_t read_isr(struct vpci *vp)
{
	uint8_t v = vp->s.isr;
	vp->s.isr = 0;
	pci_intx(&vp->fn, false);
	return v;
}

static void notify(struct vpci *vp, uint64_t q)
{
	if (q || !vp->s.queue_enable || vp->s.broken)
		return;
	vp->s.vq.indirect = (vp->s.driver_features & VIRTIO_F_INDIRECT_DESC) != 0;
	vp->ops->notify(vp);
}

static uint16_t vector_ok(uint64_t v)
{
	return v < VPCI_NVEC ? (uint16_t)v : VIRTIO_NO_VECTOR;
}

static void write_status(struct vpci *vp, uint8_t v, bool modern)
{
	if (!v) {
		vpci_reset(vp);
		return;
	}
	uint64_t f = vp->s.driver_features;
	if (modern && (v & VIRTIO_S_FEATURES_OK) &&
	    !(vp->s.status & VIRTIO_S_FEATURES_OK) &&
	    ((f & ~vp->host_features) || !(f & VIRTIO_F_VERSION_1)))
		v &= (uint8_t)~VIRTIO_S_FEATURES_OK; /* refused (2.2.2) */
	vp->s.status = (uint8_t)((v & ~VIRTIO_S_NEEDS_RESET) |
				 (vp->s.status & VIRTIO_S_NEEDS_RESET));
}

/* ---- legacy I/O BAR (4.1.4.8) ---- */

static unsigned legacy_cfg_off(struct vpci *vp)
{
	return pci_msix_enabled(&vp->fn) ? 24 : 20;
}

static void legacy_image(struct vpci *vp, uint8_t *img)
{
	memset(img, 0, VPCI_LEGACY_SIZE);
	put(img, 0, 4, (uint32_t)vp->host_features);
	put(img, 4, 4, (uint32_t)vp->s.driver_features);
	put(img, 8, 4, vp->s.legacy_pfn);
	put(img, 12, 2, vp->s.queue_sel ? 0 : vp->qmax);
	put(img, 14, 2, vp->s.queue_sel);
	img[18] = vp->s.status;
	img[19] = vp->s.isr;
	put(img, 20, 2, vp->s.msix_config);
	put(img, 22, 2, vp->s.queue_sel ? VIRTIO_NO_VECTOR : vp->s.queue_vector);
	unsigned c = legacy_cfg_off(vp);
	for (unsigned i = 0; i < vp->ops->cfg_len && c + i < VPCI_LEGACY_SIZE; i++)
		img[c + i] = vp->ops->cfg_byte(vp, i);
}

/* Legacy layout (2.6.2 "Legacy Interfaces"): descriptors, then the
 * available ring, then the used ring on the next 4096 boundary. */
static void legacy_pfn(struct vpci *vp, uint32_t pfn)
{
	struct vring *q = &vp->s.vq;
	vp->s.legacy_pfn = pfn;
	vp->s.queue_enable = 0;
	memset(q, 0, sizeof *q);
	q->size = vp->qmax;
	if (!pfn)
		return;
	q->desc = (uint64_t)pfn << 12;
	q->avail = q->desc + 16ull * q->size;
	q->used = (q->avail + 6 + 2ull * q->size + 4095) & ~4095ull;
	if (vring_valid(&vp->dev.vm->mem, q))
		vp->s.queue_enable = 1;
}

static void legacy_access(struct vpci *vp, unsigned off, unsigned size,
			  bool write, uint64_t *val)
{
	uint8_t img[VPCI_LEGACY_SIZE];
	if (off >= VPCI_LEGACY_SIZE)
		return;
	if (size > VPCI_LEGACY_SIZE - off)
		size = VPCI_LEGACY_SIZE - off;
	legacy_image(vp, img);
	if (!write) {
		*val = get(img, off, size);
		if (touched(off, size, 19, 1))
			read_isr(vp);
		return;
	}
	put(img, off, size, *val);
	if (touched(off, size, 4, 4))
		vp->s.driver_features = get(img, 4, 4);
	if (touched(off, size, 14, 2))
		vp->s.queue_sel = (uint16_t)get(img, 14, 2);
	if (touched(off, size, 8, 4) && !vp->s.queue_sel)
		legacy_pfn(vp, (uint32_t)get(img, 8, 4));
	if (touched(off, size, 20, 2) && pci_msix_enabled(&vp->fn))
		vp->s.msix_config = vector_ok(get(img, 20, 2));
	if (touched(off, size, 22, 2) && pci_msix_enabled(&vp->fn) &&
	    !vp->s.queue_sel)
		vp->s.queue_vector = vector_ok(get(img, 22, 2));
	if (touched(off, size, 18, 1))
		write_status(vp, img[18], false);
	if (touched(off, size, 16, 2))
		notify(vp, get(img, 16, 2));
}

/* ---- modern common configuration (4.1.4.3) ---- */

#define COMMON_SIZE 0x38

static void common_image(struct vpci *vp, uint8_t *img)
{
	bool q0 = !vp->s.queue_sel;
	struct vring *q = &vp->s.vq;
	memset(img, 0, COMMON_SIZE);
	put(img, 0x00, 4, vp->s.dev_fsel);
	put(img, 0x04, 4, vp->s.dev_fsel < 2 ? vp->host_features >> (32 * vp->s.dev_fsel) : 0);
	put(img, 0x08, 4, vp->s.drv_fsel);
	put(img, 0x0c, 4, vp->s.drv_fsel < 2 ? vp->s.driver_features >> (32 * vp->s.drv_fsel) : 0);
	put(img, 0x10, 2, vp->s.msix_config);
	put(img, 0x12, 2, 1);
	img[0x14] = vp->s.status;
	img[0x15] = 0; /* config_generation: the config never changes */
	put(img, 0x16, 2, vp->s.queue_sel);
	put(img, 0x18, 2, q0 ? q->size : 0);
	put(img, 0x1a, 2, q0 ? vp->s.queue_vector : VIRTIO_NO_VECTOR);
	put(img, 0x1c, 2, q0 ? vp->s.queue_enable : 0);
	put(img, 0x1e, 2, 0); /* queue_notify_off */
	put(img, 0x20, 8, q0 ? q->desc : 0);
	put(img, 0x28, 8, q0 ? q->avail : 0);
	put(img, 0x30, 8, q0 ? q->used : 0);
}

static void write_driver_features(struct vpci *vp, uint32_t v)
{
	if (vp->s.drv_fsel >= 2 || (vp->s.status & VIRTIO_S_FEATURES_OK))
		return;
	unsigned sh = 32 * vp->s.drv_fsel;
	vp->s.driver_features = (vp->s.driver_features & ~(0xffffffffull << sh)) |
				((uint64_t)v << sh);
}

static void enable_queue(struct vpci *vp)
{
	if (vring_valid(&vp->dev.vm->mem, &vp->s.vq) && vp->s.vq.size <= vp->qmax)
		vp->s.queue_enable = 1;
	else
		vpci_broken(vp); /* out-of-range ring: needs reset */
}

static void common_queue_write(struct vpci *vp, const uint8_t *img,
			       unsigned off, unsigned size)
{
	struct vring *q = &vp->s.vq;
	if (vp->s.queue_sel)
		return;
	if (touched(off, size, 0x1a, 2))
		vp->s.queue_vector = vector_ok(get(img, 0x1a, 2));
	if (vp->s.queue_enable)
		return; /* size and addresses are fixed while enabled */
	if (touched(off, size, 0x18, 2))
		q->size = (uint16_t)get(img, 0x18, 2);
	if (touched(off, size, 0x20, 8))
		q->desc = get(img, 0x20, 8);
	if (touched(off, size, 0x28, 8))
		q->avail = get(img, 0x28, 8);
	if (touched(off, size, 0x30, 8))
		q->used = get(img, 0x30, 8);
	if (touched(off, size, 0x1c, 2) && get(img, 0x1c, 2) == 1)
		enable_queue(vp);
}

static void common_access(struct vpci *vp, unsigned off, unsigned size,
			  bool write, uint64_t *val)
{
	uint8_t img[COMMON_SIZE];
	if (off >= COMMON_SIZE)
		return;
	if (size > COMMON_SIZE - off)
		size = COMMON_SIZE - off;
	common_image(vp, img);
	if (!write) {
		*val = get(img, off, size);
		return;
	}
	put(img, off, size, *val);
	if (touched(off, size, 0x00, 4))
		vp->s.dev_fsel = (uint32_t)get(img, 0x00, 4);
	if (touched(off, size, 0x08, 4))
		vp->s.drv_fsel = (uint32_t)get(img, 0x08, 4);
	if (touched(off, size, 0x0c, 4))
		write_driver_features(vp, (uint32_t)get(img, 0x0c, 4));
	if (touched(off, size, 0x10, 2))
		vp->s.msix_config = vector_ok(get(img, 0x10, 2));
	if (touched(off, size, 0x16, 2))
		vp->s.queue_sel = (uint16_t)get(img, 0x16, 2);
	common_queue_write(vp, img, off, size);
	if (touched(off, size, 0x14, 1))
		write_status(vp, img[0x14], true);
}

static void modern_access(struct vpci *vp, uint64_t off, unsigned size,
			  bool write, uint64_t *val)
{
	if (off < VPCI_ISR) {
		common_access(vp, (unsigned)off, size, write, val);
	} else if (off == VPCI_ISR) {
		if (!write)
			*val = read_isr(vp);
	} else if (off >= VPCI_DEVCFG && off < VPCI_NOTIFY) {
		unsigned c = (unsigned)(off - VPCI_DEVCFG);
		uint64_t v = 0;
		if (write)
			return; /* nothing writable in our device configs */
		for (unsigned i = 0; i < size && c + i < vp->ops->cfg_len; i++)
			v |= (uint64_t)vp->ops->cfg_byte(vp, c + i) << (8 * i);
		*val = v;
	} else if (off == VPCI_NOTIFY && write) {
		notify(vp, *val & 0xffff);
	} else if (!write) {
		*val = 0;
	}
}

void vpci_access(struct device *dev, int region, uint64_t offset,
		 unsigned size, bool write, uint64_t *val)
{
	struct vpci *vp = (struct vpci *)dev;
	if (pci_msix_access(&vp->fn, (unsigned)region, offset, size, write, val))
		return;
	if (!write)
		*val = 0; /* unimplemented bytes read as zero */
	if (region == VPCI_BAR_LEGACY)
		legacy_access(vp, (unsigned)offset, size, write, val);
	else if (region == VPCI_BAR_MODERN)
		modern_access(vp, offset, size, write, val);
}

status_t vpci_check_state(const struct vpci *vp, const struct vpci_state *s)
{
	const struct vring *q = &s->vq;
	if ((s->driver_features & ~vp->host_features) || s->isr > 3 ||
	    s->broken > 1 || s->queue_enable > 1 || q->size > vp->qmax ||
	    (s->msix_config >= VPCI_NVEC && s->msix_config != VIRTIO_NO_VECTOR) ||
	    (s->queue_vector >= VPCI_NVEC && s->queue_vector != VIRTIO_NO_VECTOR))
		return ST_ECORRUPT;
	if (s->queue_enable && (!q->size || (q->size & (q->size - 1))))
		return ST_ECORRUPT;
	return ST_OK;
}
