/* virtio_ring.c: the split virtqueue as a device sees it (virtio 1.1,
 * 2.6): descriptor table (2.6.5), available ring (2.6.6), used ring
 * (2.6.8), indirect descriptors (2.6.5.3). Chains are bounded by the
 * queue size (or the indirect table's length), so a loop ends in an
 * error rather than a spin. */
#include <string.h>
#include "hv/dev/virtio_ring.h"

struct vdesc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

/* Whether all of [gpa, gpa+len) is guest RAM. */
static bool in_ram(const struct gmem *gm, uint64_t gpa, uint64_t len)
{
	while (len) {
		const struct gmem_region *r = NULL;
		for (unsigned i = 0; i < gm->nregions && !r; i++)
			if (gpa >= gm->region[i].gpa &&
			    gpa - gm->region[i].gpa < gm->region[i].size)
				r = &gm->region[i];
		if (!r)
			return false;
		uint64_t n = r->size - (gpa - r->gpa);
		n = n < len ? n : len;
		gpa += n, len -= n;
	}
	return true;
}

static bool fits(const struct gmem *gm, uint64_t addr, uint64_t len,
		 uint64_t align)
{
	return !(addr & (align - 1)) && addr + len > addr && in_ram(gm, addr, len);
}

bool vring_valid(const struct gmem *gm, const struct vring *vq)
{
	uint64_t n = vq->size;
	if (!n || n > VRING_MAX || (n & (n - 1)))
		return false;
	return fits(gm, vq->desc, 16 * n, 16) && fits(gm, vq->avail, 6 + 2 * n, 2) &&
	       fits(gm, vq->used, 6 + 8 * n, 4);
}

static status_t rd16(const struct gmem *gm, uint64_t gpa, uint16_t *v)
{
	uint8_t b[2];
	status_t st = gmem_read(gm, gpa, b, 2);
	*v = (uint16_t)(b[0] | b[1] << 8);
	return st;
}

static status_t wr16(struct gmem *gm, uint64_t gpa, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
	return gmem_write(gm, gpa, b, 2);
}

int vring_pop(const struct gmem *gm, struct vring *vq, uint16_t *head)
{
	uint16_t idx;
	if (!vq->size || rd16(gm, vq->avail + 2, &idx))
		return -1;
	if (idx == vq->last_avail)
		return 0;
	if ((uint16_t)(idx - vq->last_avail) > vq->size)
		return -1;
	if (rd16(gm, vq->avail + 4 + 2ull * (vq->last_avail % vq->size), head))
		return -1;
	vq->last_avail++;
	return 1;
}

bool vring_no_interrupt(const struct gmem *gm, const struct vring *vq)
{
	uint16_t flags;
	return !rd16(gm, vq->avail, &flags) && (flags & VRING_AVAIL_F_NO_INTERRUPT);
}

/* Descriptor i of the table at base (2.6.5: le64 addr, le32 len,
 * le16 flags, le16 next). */
static status_t read_desc(const struct gmem *gm, uint64_t base, unsigned i,
			  struct vdesc *d)
{
	uint8_t b[16];
	status_t st = gmem_read(gm, base + 16ull * i, b, 16);
	if (st)
		return st;
	memcpy(&d->addr, b, 8); /* x86: little-endian like the ring */
	memcpy(&d->len, b + 8, 4);
	memcpy(&d->flags, b + 12, 2);
	memcpy(&d->next, b + 14, 2);
	return ST_OK;
}

static status_t add_seg(struct vchain *c, const struct vdesc *d)
{
	bool w = d->flags & VRING_DESC_F_WRITE;
	if (!w && c->wlen)
		return ST_EINVAL; /* readable after writable (2.6.4.2) */
	if (c->n == VRING_MAX)
		return ST_EINVAL;
	if (!d->len)
		return ST_OK;
	c->seg[c->n++] = (struct vseg){ d->addr, d->len, w };
	if (w)
		c->wlen += d->len;
	else
		c->rlen += d->len;
	return ST_OK;
}

/* Follows next links from index first of a table of count entries. */
static status_t walk(const struct gmem *gm, uint64_t table, unsigned count,
		     unsigned first, struct vchain *c)
{
	struct vdesc d;
	unsigned i = first, seen = 0;
	status_t st;
	for (;;) {
		if (i >= count || ++seen > count)
			return ST_EINVAL; /* bad index, or a loop */
		if ((st = read_desc(gm, table, i, &d)))
			return st;
		/* Indirect only as a chain's head, never nested (2.6.5.3.1). */
		if (d.flags & VRING_DESC_F_INDIRECT)
			return ST_EINVAL;
		if ((st = add_seg(c, &d)))
			return st;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return ST_OK;
		i = d.next;
	}
}

status_t vring_chain(const struct gmem *gm, const struct vring *vq,
		     uint16_t head, struct vchain *c)
{
	struct vdesc d;
	status_t st;
	c->head = head;
	c->n = 0;
	c->rlen = c->wlen = 0;
	if (head >= vq->size)
		return ST_EINVAL;
	if ((st = read_desc(gm, vq->desc, head, &d)))
		return st;
	if (!(d.flags & VRING_DESC_F_INDIRECT))
		return walk(gm, vq->desc, vq->size, head, c);
	/* An indirect table (2.6.5.3.1): the head's only buffer. */
	if (!vq->indirect || (d.flags & VRING_DESC_F_NEXT) || !d.len ||
	    d.len % 16 || d.len / 16 > VRING_MAX || (d.addr & 15))
		return ST_EINVAL;
	if (!in_ram(gm, d.addr, d.len))
		return ST_EFAULT;
	return walk(gm, d.addr, d.len / 16, 0, c);
}

/* Calls fn on the pieces of [off, off+len) of one direction's buffers. */
static status_t span(const struct vchain *c, bool w, uint64_t off,
		     uint64_t len, status_t (*fn)(void *ctx, uint64_t gpa,
						  uint64_t pos, uint64_t n),
		     void *ctx)
{
	uint64_t pos = 0;
	for (unsigned i = 0; i < c->n && len; i++) {
		const struct vseg *s = &c->seg[i];
		if (s->write != w)
			continue;
		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		uint64_t n = s->len - off < len ? s->len - off : len;
		status_t st = fn(ctx, s->addr + off, pos, n);
		if (st)
			return st;
		pos += n, len -= n, off = 0;
	}
	return len ? ST_ERANGE : ST_OK;
}

struct copy_ctx {
	struct gmem *gm;
	uint8_t *buf;
};

static status_t copy_in(void *ctx, uint64_t gpa, uint64_t pos, uint64_t n)
{
	struct copy_ctx *x = ctx;
	return gmem_read(x->gm, gpa, x->buf + pos, n);
}

static status_t copy_out(void *ctx, uint64_t gpa, uint64_t pos, uint64_t n)
{
	struct copy_ctx *x = ctx;
	return gmem_write(x->gm, gpa, x->buf + pos, n);
}

status_t vchain_read(const struct gmem *gm, const struct vchain *c,
		     uint64_t off, void *buf, uint64_t len)
{
	struct copy_ctx x = { (struct gmem *)gm, buf };
	return span(c, false, off, len, copy_in, &x);
}

status_t vchain_write(struct gmem *gm, const struct vchain *c, uint64_t off,
		      const void *buf, uint64_t len)
{
	struct copy_ctx x = { gm, (uint8_t *)buf };
	return span(c, true, off, len, copy_out, &x);
}

status_t vring_push(struct gmem *gm, struct vring *vq, uint16_t head,
		    uint32_t len)
{
	uint8_t e[8];
	uint32_t id = head;
	memcpy(e, &id, 4);
	memcpy(e + 4, &len, 4);
	status_t st = gmem_write(gm, vq->used + 4 + 8ull * (vq->used_idx % vq->size),
				 e, 8);
	if (st)
		return st;
	vq->used_idx++;
	return wr16(gm, vq->used + 2, vq->used_idx);
}
