/* vhd.c: opening and validating one VHD file (footer, footer copy, dynamic
 * header, BAT) and reading its BAT and bitmaps. Writing is vhd_write.c,
 * creation vhd_create.c. */
#include <stdlib.h>
#include <string.h>

#include "storage/vhd.h"

uint32_t vhd_now(const struct vhd_env *env)
{
	uint64_t t = env->now ? env->now(env->ctx) : VHD_EPOCH_UNIX;

	return t > VHD_EPOCH_UNIX ? (uint32_t)(t - VHD_EPOCH_UNIX) : 0;
}

void vhd_close(struct vhd *v)
{
	if (!v)
		return;
	bf_close(v->bf);
	free(v->bat);
	free(v->path);
	free(v);
}

uint64_t vhd_block_data(const struct vhd *v, uint32_t blk)
{
	if (vhd_is_fixed(v) || blk >= v->nblocks || v->bat[blk] == VHD_UNUSED)
		return 0;
	return (uint64_t)v->bat[blk] * VHD_SECTOR + v->bitmap_bytes;
}

status_t vhd_read_bitmap(struct vhd *v, uint32_t blk, uint8_t *bm)
{
	uint64_t data = vhd_block_data(v, blk);

	if (!data || vhd_is_fixed(v))
		return ST_EINVAL;
	return bf_read(v->bf, data - v->bitmap_bytes, bm, v->bitmap_bytes);
}

static status_t open_footer(struct vhd *v, struct vhd_rep *r, uint64_t fsize)
{
	uint8_t copy[VHD_FOOTER_SIZE];
	status_t st;

	if (fsize < VHD_FOOTER_SIZE) {
		vhd_rep_v(r, VHD_ERROR, "file", "is too small to hold a VHD "
			  "footer", fsize);
		return ST_ECORRUPT;
	}
	v->footer_off = fsize - VHD_FOOTER_SIZE;
	st = bf_read(v->bf, v->footer_off, v->footer_raw, VHD_FOOTER_SIZE);
	if (st)
		return st;
	vhd_footer_decode(v->footer_raw, &v->footer);
	if (vhd_footer_check(r, "footer", v->footer_raw, &v->footer))
		return ST_ECORRUPT;
	v->size = v->footer.current_size;
	if (vhd_is_fixed(v)) {
		if (v->footer_off < v->size) {
			vhd_rep_ve(r, VHD_ERROR, "footer.current_size",
				   "exceeds the data in the file", v->size,
				   v->footer_off);
			return ST_ECORRUPT;
		}
		return ST_OK;
	}
	if ((st = bf_read(v->bf, 0, copy, VHD_FOOTER_SIZE)))
		return st;
	if (memcmp(copy, v->footer_raw, VHD_FOOTER_SIZE)) {
		struct vhd_footer cf;
		vhd_footer_decode(copy, &cf);
		if (!vhd_footer_check(r, "footer_copy", copy, &cf))
			vhd_rep(r, VHD_ERROR, "footer_copy",
				"differs from the footer at the end");
		return ST_ECORRUPT;
	}
	return ST_OK;
}

static status_t open_header(struct vhd *v, struct vhd_rep *r)
{
	uint8_t raw[VHD_HEADER_SIZE];
	uint64_t off = v->footer.data_offset;
	status_t st;

	if (off > v->footer_off || v->footer_off - off < VHD_HEADER_SIZE) {
		vhd_rep_v(r, VHD_ERROR, "footer.data_offset",
			  "dynamic header lies outside the file", off);
		return ST_ECORRUPT;
	}
	if ((st = bf_read(v->bf, off, raw, VHD_HEADER_SIZE)))
		return st;
	vhd_header_decode(raw, &v->header);
	if (vhd_header_check(r, raw, &v->header, &v->footer, v->footer_off))
		return ST_ECORRUPT;
	v->block_size = v->header.block_size;
	v->bitmap_bytes = vhd_bitmap_bytes(v->block_size);
	v->nblocks = (uint32_t)vhd_blocks_needed(v->size, v->block_size);
	return ST_OK;
}

/* Loads the BAT; every entry must name a block inside the file. */
static status_t open_bat(struct vhd *v, struct vhd_rep *r)
{
	uint64_t span = (uint64_t)v->bitmap_bytes + v->block_size;
	size_t bytes = (size_t)v->nblocks * 4;
	uint8_t *raw = malloc(bytes ? bytes : 1);
	status_t st = ST_OK;
	char f[48];

	v->bat = malloc(bytes ? bytes : 1);
	if (!raw || !v->bat) {
		free(raw);
		return ST_ENOMEM;
	}
	if (bytes)
		st = bf_read(v->bf, v->header.table_offset, raw, bytes);
	for (uint32_t i = 0; i < v->nblocks && (!st || st == ST_ECORRUPT);
	     i++) {
		uint32_t e = be32(raw + 4 * i);
		uint64_t off = (uint64_t)e * VHD_SECTOR;
		v->bat[i] = e;
		if (e == VHD_UNUSED)
			continue;
		if (off < VHD_SECTOR || off > v->footer_off ||
		    span > v->footer_off - off) {
			vhd_rep_v(r, VHD_ERROR, vhd_field_idx(f, "bat", i),
				  "block lies outside the file", e);
			st = ST_ECORRUPT;
		}
	}
	free(raw);
	return st;
}

static unsigned log2u(uint32_t x)
{
	unsigned s = 0;

	while ((1u << s) < x)
		s++;
	return s;
}

status_t vhd_open(const struct vhd_env *env, const char *path,
		  unsigned flags, struct vhd **out)
{
	struct vhd *v = calloc(1, sizeof(*v));
	struct vhd_rep r;
	uint64_t fsize;
	status_t st;

	*out = NULL;
	if (!v)
		return ST_ENOMEM;
	v->env = env;
	v->writable = !!(flags & VHD_RDWR);
	v->path = malloc(strlen(path) + 1);
	if (!v->path) {
		st = ST_ENOMEM;
		goto fail;
	}
	memcpy(v->path, path, strlen(path) + 1);
	vhd_rep_init(&r, env, v->path);
	st = env->opener->open(env->opener->ctx, path,
			       v->writable ? BF_RDWR : BF_RDONLY, &v->bf);
	if (st)
		goto fail;
	if ((st = bf_size(v->bf, &fsize)) || (st = open_footer(v, &r, fsize)))
		goto fail;
	if (vhd_is_fixed(v)) {
		v->block_size = VHD_DEFAULT_BLOCK;
		v->block_shift = log2u(v->block_size);
		v->nblocks = (uint32_t)vhd_blocks_needed(v->size,
							 v->block_size);
		*out = v;
		return ST_OK;
	}
	if ((st = open_header(v, &r)) || (st = open_bat(v, &r)))
		goto fail;
	v->block_shift = log2u(v->block_size);
	*out = v;
	return ST_OK;
fail:
	vhd_close(v);
	return st;
}
