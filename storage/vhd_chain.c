/* vhd_chain.c: opening a chain (leaf to base) and reading and writing
 * through it. The map (vhd_chain_map.c) says which layer holds each
 * sector; this file only walks units and moves bytes. */
#include <stdlib.h>
#include <string.h>

#include "storage/vhd_chain.h"

void vhd_chain_close(struct vhd_chain *c)
{
	if (!c)
		return;
	vhd_chain_map_free(c);
	for (unsigned i = 0; i < c->depth; i++)
		vhd_close(c->layer[i]);
	free(c);
}

static status_t add_parents(struct vhd_chain *c)
{
	struct vhd_rep r;
	status_t st;

	while (vhd_is_diff(c->layer[c->depth - 1])) {
		struct vhd *child = c->layer[c->depth - 1], *p;
		vhd_rep_init(&r, c->env, child->path);
		if (c->depth == VHD_MAX_DEPTH) {
			vhd_rep_v(&r, VHD_ERROR, "chain", "is deeper than "
				  "supported", VHD_MAX_DEPTH);
			return ST_EUNSUPP;
		}
		for (unsigned i = 0; i < c->depth; i++) {
			if (!memcmp(c->layer[i]->footer.uid,
				    child->header.parent_uid, 16)) {
				vhd_rep(&r, VHD_ERROR, "header.parent_uid",
					"names a disk already in the chain "
					"(loop)");
				return ST_ECORRUPT;
			}
		}
		if ((st = vhd_find_parent(c->env, child, &p)))
			return st;
		c->layer[c->depth++] = p;
		if (p->size != child->size) {
			vhd_rep_ve(&r, VHD_ERROR, "footer.current_size",
				   "differs from the parent's size",
				   child->size, p->size);
			return ST_EUNSUPP;
		}
	}
	return ST_OK;
}

status_t vhd_chain_open(const struct vhd_env *env, const char *path,
			unsigned flags, struct vhd_chain **out)
{
	struct vhd_chain *c = calloc(1, sizeof(*c));
	status_t st;

	*out = NULL;
	if (!c)
		return ST_ENOMEM;
	c->env = env;
	st = vhd_open(env, path, flags & VHD_RDWR, &c->layer[0]);
	if (st)
		goto fail;
	c->depth = 1;
	c->size = c->layer[0]->size;
	if ((st = add_parents(c)) || (st = vhd_chain_map_init(c)))
		goto fail;
	*out = c;
	return ST_OK;
fail:
	vhd_chain_close(c);
	return st;
}

static status_t read_unit(struct vhd_chain *c, uint32_t u, uint32_t in,
			  uint8_t *buf, uint32_t n)
{
	struct vhd_unit *e = &c->map[u];
	status_t st;

	if (e->kind == VHD_U_UNRESOLVED && (st = vhd_chain_resolve(c, u)))
		return st;
	if (e->kind == VHD_U_ZERO) {
		memset(buf, 0, n);
		return ST_OK;
	}
	if (e->kind == VHD_U_FULL)
		return bf_read(c->layer[e->layer]->bf, e->u.off + in, buf, n);
	/* mixed: find the run holding byte in, then walk runs */
	uint32_t lo = 0, hi = e->nruns, sec = in / VHD_SECTOR;
	while (hi - lo > 1) {
		uint32_t mid = (lo + hi) / 2;
		if (e->u.runs[mid].start <= sec)
			lo = mid;
		else
			hi = mid;
	}
	for (uint32_t r = lo; n; r++) {
		uint32_t end = r + 1 < e->nruns ? e->u.runs[r + 1].start *
						  VHD_SECTOR : c->unit;
		uint32_t k = e->u.runs[r].layer, len = end - in;
		if (len > n)
			len = n;
		if (k == VHD_LAYER_NONE)
			memset(buf, 0, len);
		else if ((st = bf_read(c->layer[k]->bf,
				       vhd_chain_layer_off(c, k, u) + in,
				       buf, len)))
			return st;
		buf += len;
		in += len;
		n -= len;
	}
	return ST_OK;
}

status_t vhd_chain_read(struct vhd_chain *c, uint64_t off, void *buf,
			size_t len)
{
	uint8_t *p = buf;

	if (off > c->size || len > c->size - off)
		return ST_ERANGE;
	while (len) {
		uint32_t u = (uint32_t)(off >> c->unit_shift);
		uint32_t in = (uint32_t)(off & (c->unit - 1));
		uint32_t n = c->unit - in < len ? c->unit - in : (uint32_t)len;
		status_t st = read_unit(c, u, in, p, n);
		if (st)
			return st;
		p += n;
		off += n;
		len -= n;
	}
	return ST_OK;
}

/* Whole sectors, split at unit boundaries so the map follows. */
static status_t write_sectors(struct vhd_chain *c, uint64_t sector,
			      uint64_t count, const uint8_t *p)
{
	while (count) {
		uint32_t u = (uint32_t)(sector / c->spu);
		uint32_t first = (uint32_t)(sector % c->spu);
		uint32_t n = c->spu - first < count ? c->spu - first
						    : (uint32_t)count;
		status_t st = vhd_write_sectors(c->layer[0], sector, n, p);
		if (st)
			return st;
		vhd_chain_map_wrote(c, u, first, n);
		if (c->mirror && !c->mirror_err)
			c->mirror_err = vhd_write_sectors(c->mirror, sector, n, p);
		sector += n;
		count -= n;
		p += (size_t)n * VHD_SECTOR;
	}
	return ST_OK;
}

/* A partial sector: read it through the chain, patch, write it back. */
static status_t write_partial(struct vhd_chain *c, uint64_t off,
			      const uint8_t *p, size_t n)
{
	uint64_t sec = off / VHD_SECTOR;
	uint8_t s[VHD_SECTOR];
	status_t st;

	st = vhd_chain_read(c, sec * VHD_SECTOR, s, VHD_SECTOR);
	if (st)
		return st;
	memcpy(s + off % VHD_SECTOR, p, n);
	return write_sectors(c, sec, 1, s);
}

status_t vhd_chain_write(struct vhd_chain *c, uint64_t off, const void *buf,
			 size_t len)
{
	const uint8_t *p = buf;
	status_t st;

	if (!c->layer[0]->writable)
		return ST_EPERM;
	if (off > c->size || len > c->size - off)
		return ST_ERANGE;
	if (off % VHD_SECTOR && len) {
		size_t n = VHD_SECTOR - off % VHD_SECTOR;
		if (n > len)
			n = len;
		if ((st = write_partial(c, off, p, n)))
			return st;
		off += n;
		p += n;
		len -= n;
	}
	if (len >= VHD_SECTOR) {
		uint64_t whole = len / VHD_SECTOR;
		if ((st = write_sectors(c, off / VHD_SECTOR, whole, p)))
			return st;
		off += whole * VHD_SECTOR;
		p += whole * VHD_SECTOR;
		len -= whole * VHD_SECTOR;
	}
	return len ? write_partial(c, off, p, len) : ST_OK;
}

status_t vhd_chain_flush(struct vhd_chain *c)
{
	return c->layer[0]->writable ? vhd_flush(c->layer[0]) : ST_OK;
}
