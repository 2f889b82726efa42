/* virtio_blk.c: a transitional virtio-blk PCI device (virtio 1.1, 5.2)
 * on a VHD chain (storage/). Requests are taken synchronously when the
 * driver notifies: IN, OUT, FLUSH (the leaf's block file), GET_ID;
 * others answer UNSUPP. A request whose buffers leave guest RAM, run
 * past the disk or have a malformed header answers IOERR; a request
 * without a writable status byte completes with length 0; a broken
 * chain (loop, too long) marks the device as needing a reset. A write
 * the boot volume has no room for is not answered: it goes back to the
 * avail ring (not completed, not lost), the device stalls and the VM
 * pauses (hv/vm_pause.c) until `continue` retries it.
 * Lock: guarded by the device's own lock when SMP arrives; today only
 * the BSP's service loop touches it. */
#include <stdlib.h>
#include <string.h>
#include "hv/dev/virtio_blk.h"
#include "hv/dev/virtio_pci.h"
#include "hv/vm.h"
#include "storage/vhd_chain.h"

#define VBLK_STATE_VERSION 1
#define QUEUE_SIZE 256
#define SECTOR 512u
#define BOUNCE (64u * 1024)

/* Request types and status values (5.2.6). */
enum { T_IN = 0, T_OUT = 1, T_FLUSH = 4, T_GET_ID = 8 };
enum { S_OK = 0, S_IOERR = 1, S_UNSUPP = 2 };
/* Not a virtio status: the volume is full, the request waits. */
#define S_STALL 0xff
#define LEN_STALL UINT32_MAX
/* Feature bits (5.2.3). */
#define F_SEG_MAX (1ull << 2)
#define F_RO (1ull << 5)
#define F_BLK_SIZE (1ull << 6)
#define F_FLUSH (1ull << 9)
#define ID_LEN 20

struct vblk_state {
	uint32_t version, pad;
	struct pci_fn_state pci;
	struct vpci_state v;
};

struct vblk {
	struct vpci vp;           /* first: the struct device */
	struct vhd_chain *disk;
	uint64_t sectors;
	struct vchain chain;
	bool stalled;    /* a request waits for room: notifies wait too */
	bool kick;       /* restored with requests available: take them */
	uint8_t bounce[BOUNCE];
};

/* Device configuration layout (5.2.4): capacity, size_max, seg_max,
 * geometry, blk_size. */
static uint8_t cfg_byte(struct vpci *vp, unsigned off)
{
	struct vblk *b = (struct vblk *)vp;
	uint8_t img[24] = { 0 };
	uint32_t seg_max = QUEUE_SIZE - 2, blk = SECTOR;
	memcpy(img, &b->sectors, 8);
	memcpy(img + 12, &seg_max, 4);
	memcpy(img + 20, &blk, 4);
	return off < sizeof img ? img[off] : 0;
}

/* The data part of a request must be whole sectors inside the disk. */
static bool range_ok(struct vblk *b, uint64_t sector, uint64_t bytes)
{
	return !(bytes % SECTOR) && sector <= b->sectors &&
	       bytes / SECTOR <= b->sectors - sector;
}

static uint8_t do_in(struct vblk *b, struct gmem *gm, uint64_t sector,
		     uint64_t len)
{
	if (!range_ok(b, sector, len))
		return S_IOERR;
	for (uint64_t pos = 0; pos < len;) {
		uint64_t n = len - pos < BOUNCE ? len - pos : BOUNCE;
		if (vhd_chain_read(b->disk, sector * SECTOR + pos, b->bounce, n) ||
		    vchain_write(gm, &b->chain, pos, b->bounce, n))
			return S_IOERR;
		pos += n;
	}
	return S_OK;
}

/* A storage failure: a full volume stalls the request (retried whole
 * later: the parts already written are written again with the same
 * bytes, as the guest cannot change them while paused), others fail it. */
static uint8_t storage_status(status_t st)
{
	return st == ST_OK ? S_OK : st == ST_ENOSPC ? S_STALL : S_IOERR;
}

static uint8_t do_out(struct vblk *b, struct gmem *gm, uint64_t sector,
		      uint64_t len)
{
	if (!range_ok(b, sector, len) || (b->vp.host_features & F_RO))
		return S_IOERR;
	for (uint64_t pos = 0; pos < len;) {
		uint64_t n = len - pos < BOUNCE ? len - pos : BOUNCE;
		if (vchain_read(gm, &b->chain, 16 + pos, b->bounce, n))
			return S_IOERR;
		uint8_t s = storage_status(vhd_chain_write(
			b->disk, sector * SECTOR + pos, b->bounce, n));
		if (s)
			return s;
		pos += n;
	}
	return S_OK;
}

static uint8_t do_get_id(struct vblk *b, struct gmem *gm, uint64_t len,
			 uint64_t *written)
{
	char id[ID_LEN] = "hv-virtio-blk";
	uint64_t n = len < ID_LEN ? len : ID_LEN;
	if (vchain_write(gm, &b->chain, 0, id, n))
		return S_IOERR;
	*written = n;
	return S_OK;
}

/* Performs the request in b->chain; returns the used length, or
 * LEN_STALL (nothing written to the guest) when the volume is full. The header
 * (type, reserved, sector: 16 bytes) starts the readable part, the status
 * byte ends the writable part (any layout, 5.2.6). */
static uint32_t handle(struct vblk *b, struct gmem *gm)
{
	struct vchain *c = &b->chain;
	uint8_t hdr[16], status = S_IOERR;
	uint64_t data = c->wlen ? c->wlen - 1 : 0, written = 0;
	uint32_t type;
	uint64_t sector;
	if (!c->wlen)
		return 0; /* nowhere to put a status */
	if (c->rlen < 16 || vchain_read(gm, c, 0, hdr, 16))
		goto done;
	memcpy(&type, hdr, 4);
	memcpy(&sector, hdr + 8, 8);
	switch (type) {
	case T_IN:
		if (c->rlen == 16 && !(status = do_in(b, gm, sector, data)))
			written = data;
		break;
	case T_OUT:
		if (!data)
			status = do_out(b, gm, sector, c->rlen - 16);
		break;
	case T_FLUSH:
		if (c->rlen == 16 && !data)
			status = storage_status(vhd_chain_flush(b->disk));
		break;
	case T_GET_ID:
		if (c->rlen == 16)
			status = do_get_id(b, gm, data, &written);
		break;
	default:
		status = S_UNSUPP;
	}
done:
	if (status == S_STALL)
		return LEN_STALL;
	if (vchain_write(gm, c, c->wlen - 1, &status, 1))
		return 0;
	return (uint32_t)written + 1;
}

/* Takes the available requests; ST_ENOSPC when one found the volume
 * full: it is put back (the avail index is not consumed, so a snapshot
 * taken meanwhile holds it as not yet taken) and the device stalls. */
static status_t run_queue(struct vblk *b)
{
	struct gmem *gm = &b->vp.dev.vm->mem;
	struct vring *q = &b->vp.s.vq;
	status_t st = ST_OK;
	bool used = false;
	uint16_t head;
	int r;
	q->indirect = (b->vp.s.driver_features & VIRTIO_F_INDIRECT_DESC) != 0;
	/* The guest is stopped while we run: at most one ring's worth. */
	for (unsigned n = 0; n < q->size; n++) {
		uint32_t len = 0;
		if ((r = vring_pop(gm, q, &head)) <= 0) {
			if (r < 0)
				vpci_broken(&b->vp); /* avail index out of range */
			break;
		}
		bool bad = vring_chain(gm, q, head, &b->chain) != ST_OK;
		if (!bad && (len = handle(b, gm)) == LEN_STALL) {
			q->last_avail--;
			b->stalled = true;
			st = ST_ENOSPC;
			break;
		}
		if (vring_push(gm, q, head, len))
			bad = true;
		used = true;
		if (bad) {
			vpci_broken(&b->vp);
			break;
		}
	}
	if (used)
		vpci_queue_interrupt(&b->vp);
	return st;
}

static void vblk_notify(struct vpci *vp)
{
	struct vblk *b = (struct vblk *)vp;
	if (b->stalled)
		return; /* its VM is paused: `continue` retries */
	if (run_queue(b) == ST_ENOSPC)
		vm_pause(vp->dev.vm, VM_PAUSED_DISK_FULL,
			 "disk %s: no space left on the boot volume for the "
			 "guest's write; it waits", b->disk->layer[0]->path);
}

/* Whether the driver's queue takes requests (as the transport's notify
 * checks, virtio_pci.c). */
static bool queue_live(const struct vblk *b)
{
	const struct vpci_state *s = &b->vp.s;
	return s->vq.size && s->queue_enable && !s->broken;
}

status_t virtio_blk_retry(struct device *dev)
{
	struct vblk *b = (struct vblk *)dev;
	b->stalled = false;
	b->kick = false;
	return queue_live(b) ? run_queue(b) : ST_OK;
}

/* Requests a restored state left available (a snapshot taken while a
 * write waited for room) are taken without a new notify. */
static void vblk_poll(struct device *dev)
{
	struct vblk *b = (struct vblk *)dev;
	if (b->kick && !b->stalled) {
		b->kick = false;
		if (queue_live(b))
			vblk_notify(&b->vp);
	}
}

static void vblk_save(const struct device *dev, void *buf)
{
	const struct vblk *b = (const struct vblk *)dev;
	struct vblk_state s;
	memset(&s, 0, sizeof s);
	s.version = VBLK_STATE_VERSION;
	pci_fn_save(&b->vp.fn, &s.pci);
	s.v = b->vp.s;
	memcpy(buf, &s, sizeof s);
}

static status_t vblk_restore(struct device *dev, const void *buf, size_t len)
{
	struct vblk *b = (struct vblk *)dev;
	struct vblk_state s;
	status_t st;
	if (len != sizeof s)
		return ST_ECORRUPT;
	memcpy(&s, buf, sizeof s);
	if (s.version != VBLK_STATE_VERSION)
		return ST_ECORRUPT;
	if ((st = vpci_check_state(&b->vp, &s.v)) ||
	    (st = pci_fn_restore(&b->vp.fn, &s.pci)))
		return st;
	b->vp.s = s.v;
	/* the pending request belonged to the machine state just replaced */
	b->stalled = false;
	b->kick = true;
	return ST_OK;
}

static void vblk_reset(struct device *dev)
{
	struct vblk *b = (struct vblk *)dev;
	vpci_reset(&b->vp);
	pci_fn_reset(&b->vp.fn);
	b->stalled = b->kick = false;
}

static const struct vpci_ops vblk_ops;

struct vhd_chain *virtio_blk_disk(struct device *dev)
{
	struct vblk *b = (struct vblk *)dev;
	return dev->access == vpci_access && b->vp.ops == &vblk_ops ? b->disk
								     : NULL;
}

void virtio_blk_set_disk(struct device *dev, struct vhd_chain *disk)
{
	((struct vblk *)dev)->disk = disk;
}

static const struct vpci_ops vblk_ops = {
	.notify = vblk_notify, .cfg_byte = cfg_byte, .cfg_len = 24,
};

struct device *virtio_blk_create(struct vm *vm, struct pci_host *host,
				 unsigned slot, struct vhd_chain *disk)
{
	struct vblk *b = calloc(1, sizeof *b);
	if (!b || !disk)
		goto fail;
	b->disk = disk;
	b->sectors = disk->size / SECTOR;
	b->vp.dev = (struct device){
		.name = "virtio-blk", .vm = vm, .access = vpci_access,
		.poll = vblk_poll,
		.state_size = sizeof(struct vblk_state), .save = vblk_save,
		.restore = vblk_restore, .reset = vblk_reset,
		.destroy = virtio_blk_destroy,
	};
	b->vp.ops = &vblk_ops;
	b->vp.qmax = QUEUE_SIZE;
	b->vp.host_features = VIRTIO_F_VERSION_1 | VIRTIO_F_INDIRECT_DESC |
			      F_SEG_MAX | F_BLK_SIZE | F_FLUSH;
	if (!disk->layer[0]->writable)
		b->vp.host_features |= F_RO;
	if (vpci_init(&b->vp, 0x1001, 2) || pci_register(host, slot, &b->vp.fn))
		goto fail;
	return &b->vp.dev;
fail:
	free(b);
	return NULL;
}

void virtio_blk_destroy(struct device *dev)
{
	struct vblk *b = (struct vblk *)dev;
	if (!b)
		return;
	pci_unregister(&b->vp.fn);
	free(b);
}
