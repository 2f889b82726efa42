/* vhd_chain_map.c: the chain's block map. The disk is cut into units (the
 * smallest block size in the chain); a unit is resolved once, reading the
 * bitmaps of the layers that hold its block, into ZERO, FULL (one layer,
 * one file offset) or MIXED (runs of sectors per layer). Leaf writes update
 * resolved units in place, so later reads never look at the layers again. */
#include <stdlib.h>
#include <string.h>

#include "storage/vhd_chain.h"

static unsigned log2u(uint32_t x)
{
	unsigned s = 0;

	while ((1u << s) < x)
		s++;
	return s;
}

status_t vhd_chain_map_init(struct vhd_chain *c)
{
	uint32_t unit = 0, bmax = 0;

	for (unsigned i = 0; i < c->depth; i++) {
		struct vhd *v = c->layer[i];
		if (vhd_is_fixed(v))
			continue;
		if (!unit || v->block_size < unit)
			unit = v->block_size;
		if (v->bitmap_bytes > bmax)
			bmax = v->bitmap_bytes;
	}
	c->unit = unit ? unit : VHD_DEFAULT_BLOCK;
	c->unit_shift = log2u(c->unit);
	c->spu = c->unit / VHD_SECTOR;
	c->nunits = (uint32_t)vhd_blocks_needed(c->size, c->unit);
	c->map = calloc(c->nunits ? c->nunits : 1, sizeof(*c->map));
	c->bm = malloc(bmax ? bmax : 1);
	c->sect = malloc(c->spu);
	return c->map && c->bm && c->sect ? ST_OK : ST_ENOMEM;
}

void vhd_chain_map_free(struct vhd_chain *c)
{
	for (uint32_t u = 0; c->map && u < c->nunits; u++)
		if (c->map[u].kind == VHD_U_MIXED)
			free(c->map[u].u.runs);
	free(c->map);
	free(c->bm);
	free(c->sect);
	c->map = NULL;
}

/* Layer k's block holding unit u, and the unit's first sector in it. */
static uint32_t layer_block(struct vhd_chain *c, struct vhd *v, uint32_t u,
			    uint32_t *first)
{
	uint64_t off = (uint64_t)u << c->unit_shift;

	*first = (uint32_t)((off & (v->block_size - 1)) / VHD_SECTOR);
	return (uint32_t)(off >> v->block_shift);
}

uint64_t vhd_chain_layer_off(struct vhd_chain *c, unsigned k, uint32_t u)
{
	struct vhd *v = c->layer[k];
	uint32_t first, blk;

	if (vhd_is_fixed(v))
		return (uint64_t)u << c->unit_shift;
	blk = layer_block(c, v, u, &first);
	return vhd_block_data(v, blk) + (uint64_t)first * VHD_SECTOR;
}

/* Turns c->sect (one layer index per sector) into map entry u. */
static status_t compress(struct vhd_chain *c, uint32_t u)
{
	struct vhd_unit *e = &c->map[u];
	uint32_t nruns = 1;
	struct vhd_run *runs;

	for (uint32_t i = 1; i < c->spu; i++)
		nruns += c->sect[i] != c->sect[i - 1];
	if (e->kind == VHD_U_MIXED)
		free(e->u.runs);
	e->kind = VHD_U_UNRESOLVED;
	if (nruns == 1) {
		e->layer = c->sect[0];
		e->nruns = 0;
		if (e->layer == VHD_LAYER_NONE) {
			e->kind = VHD_U_ZERO;
		} else {
			e->kind = VHD_U_FULL;
			e->u.off = vhd_chain_layer_off(c, e->layer, u);
		}
		return ST_OK;
	}
	runs = malloc(nruns * sizeof(*runs));
	if (!runs)
		return ST_ENOMEM;
	nruns = 0;
	for (uint32_t i = 0; i < c->spu; i++) {
		if (i && c->sect[i] == c->sect[i - 1])
			continue;
		runs[nruns].start = i;
		runs[nruns++].layer = c->sect[i];
	}
	e->kind = VHD_U_MIXED;
	e->nruns = nruns;
	e->u.runs = runs;
	return ST_OK;
}

/* Fills the still-empty sectors of c->sect that layer k holds; returns
 * how many sectors remain empty. */
static status_t take_layer(struct vhd_chain *c, unsigned k, uint32_t u,
			   uint32_t *left)
{
	struct vhd *v = c->layer[k];
	uint32_t first = 0, blk = 0;
	status_t st;

	if (!vhd_is_fixed(v)) {
		blk = layer_block(c, v, u, &first);
		if (!vhd_block_data(v, blk))
			return ST_OK;
	}
	if (vhd_is_fixed(v) || !vhd_is_diff(v)) {
		for (uint32_t i = 0; i < c->spu; i++)
			if (c->sect[i] == VHD_LAYER_NONE)
				c->sect[i] = (uint8_t)k;
		*left = 0;
		return ST_OK;
	}
	if ((st = vhd_read_bitmap(v, blk, c->bm)))
		return st;
	for (uint32_t i = 0; i < c->spu; i++) {
		if (c->sect[i] == VHD_LAYER_NONE && bm_test(c->bm, first + i)) {
			c->sect[i] = (uint8_t)k;
			(*left)--;
		}
	}
	return ST_OK;
}

status_t vhd_chain_resolve(struct vhd_chain *c, uint32_t u)
{
	uint32_t left = c->spu;
	status_t st;

	memset(c->sect, VHD_LAYER_NONE, c->spu);
	for (unsigned k = 0; k < c->depth && left; k++)
		if ((st = take_layer(c, k, u, &left)))
			return st;
	return compress(c, u);
}

status_t vhd_chain_resolve_all(struct vhd_chain *c)
{
	status_t st;

	for (uint32_t u = 0; u < c->nunits; u++)
		if (c->map[u].kind == VHD_U_UNRESOLVED &&
		    (st = vhd_chain_resolve(c, u)))
			return st;
	return ST_OK;
}

/* Expands entry u into c->sect. */
static void expand(struct vhd_chain *c, uint32_t u)
{
	struct vhd_unit *e = &c->map[u];

	if (e->kind != VHD_U_MIXED) {
		memset(c->sect, e->kind == VHD_U_FULL ? e->layer :
		       VHD_LAYER_NONE, c->spu);
		return;
	}
	for (uint32_t r = 0; r < e->nruns; r++) {
		uint32_t end = r + 1 < e->nruns ? e->u.runs[r + 1].start
						: c->spu;
		memset(c->sect + e->u.runs[r].start, (int)e->u.runs[r].layer,
		       end - e->u.runs[r].start);
	}
}

void vhd_chain_map_wrote(struct vhd_chain *c, uint32_t u, uint32_t first,
			 uint32_t count)
{
	struct vhd_unit *e = &c->map[u];

	if (e->kind == VHD_U_UNRESOLVED)
		return;                 /* resolved from disk when read */
	if (e->kind == VHD_U_FULL && e->layer == 0)
		return;
	if (!vhd_is_diff(c->layer[0])) {
		memset(c->sect, 0, c->spu);   /* dynamic/fixed: whole unit */
	} else {
		expand(c, u);
		memset(c->sect + first, 0, count);
	}
	if (compress(c, u) != ST_OK) {
		e->kind = VHD_U_UNRESOLVED;   /* out of memory: re-resolve */
		e->nruns = 0;
	}
}
