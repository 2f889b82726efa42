/* virtio_ring.h: the device side of a split virtqueue (virtio 1.1,
 * 2.6): taking available heads, walking a descriptor chain (direct or
 * indirect, 2.6.5.3) into a list of guest buffers, and returning used
 * elements. Every guest value is checked; all guest-memory writes go
 * through gmem_write. Portable. */
#ifndef HV_DEV_VIRTIO_RING_H
#define HV_DEV_VIRTIO_RING_H
#include <stdbool.h>
#include <stdint.h>
#include "hv/gmem.h"

#define VRING_MAX 256

/* Descriptor flags (2.6.5) and the avail ring's flag (2.6.7). */
enum { VRING_DESC_F_NEXT = 1, VRING_DESC_F_WRITE = 2,
       VRING_DESC_F_INDIRECT = 4 };
enum { VRING_AVAIL_F_NO_INTERRUPT = 1 };

struct vring {
	uint16_t size;            /* 0: not set up */
	uint16_t last_avail;      /* next avail ring slot to take */
	uint16_t used_idx;        /* next used ring slot to fill */
	bool indirect;            /* VIRTIO_RING_F_INDIRECT_DESC negotiated */
	uint64_t desc, avail, used;
};

/* One guest buffer of a chain. */
struct vseg {
	uint64_t addr;
	uint32_t len;
	bool write;               /* device-writable */
};

struct vchain {
	uint16_t head;
	unsigned n;
	uint64_t rlen, wlen;      /* total readable / writable bytes */
	struct vseg seg[VRING_MAX];
};

/* Whether a ring of size at these addresses is well-formed: size a power
 * of two up to VRING_MAX, parts aligned (2.6) and inside guest RAM. */
bool vring_valid(const struct gmem *gm, const struct vring *vq);
/* Takes the next available head. 1: got one; 0: none; negative: the
 * ring is broken (avail index beyond the ring or unreadable). */
int vring_pop(const struct gmem *gm, struct vring *vq, uint16_t *head);
/* Walks the chain at head. ST_EINVAL on a bad index, a loop, a chain
 * longer than the queue, a readable buffer after a writable one, nested
 * or malformed indirect tables; ST_EFAULT when the table is not RAM. */
status_t vring_chain(const struct gmem *gm, const struct vring *vq,
		     uint16_t head, struct vchain *c);
/* Copies len bytes at offset off of the chain's readable (write=false)
 * or writable (write=true) part from or into buf. */
status_t vchain_read(const struct gmem *gm, const struct vchain *c,
		     uint64_t off, void *buf, uint64_t len);
status_t vchain_write(struct gmem *gm, const struct vchain *c, uint64_t off,
		      const void *buf, uint64_t len);
/* Adds a used element; then the used index. */
status_t vring_push(struct gmem *gm, struct vring *vq, uint16_t head,
		    uint32_t len);
/* Whether the driver asked for no interrupt (avail flags). */
bool vring_no_interrupt(const struct gmem *gm, const struct vring *vq);

#endif
