/* vhd_write.c: writing sectors into one layer in crash-safe order (VHD spec
 * "Block Allocation Table and Data Blocks"). A new block goes where the
 * footer was: the footer is first written at the new end (so the file ends
 * in a valid footer at every moment), then the bitmap and data, and only
 * then the BAT entry, with a flush between dependent steps. The footer's
 * contents never change after creation, so its copy at offset 0 stays
 * identical. */
#include <stdlib.h>
#include <string.h>

#include "storage/vhd.h"

static status_t sync_point(struct vhd *v)
{
	return v->nosync ? ST_OK : bf_flush(v->bf);
}

status_t vhd_flush(struct vhd *v)
{
	return bf_flush(v->bf);
}

static void bits_set(uint8_t *bm, uint32_t first, uint32_t count)
{
	for (uint32_t i = first; i < first + count; i++)
		bm_set(bm, i);
}

static status_t alloc_block(struct vhd *v, uint32_t blk, uint32_t first,
			    uint32_t count, const uint8_t *buf)
{
	uint64_t pos = (v->footer_off + VHD_SECTOR - 1) & ~(uint64_t)511;
	uint64_t new_footer = pos + v->bitmap_bytes + v->block_size;
	uint8_t *bm, entry[4];
	status_t st;

	if (pos / VHD_SECTOR >= VHD_UNUSED)
		return ST_ENOSPC;      /* past what a BAT entry can address */
	bm = calloc(1, v->bitmap_bytes);
	if (!bm)
		return ST_ENOMEM;
	if (vhd_is_diff(v))
		bits_set(bm, first, count);
	else
		memset(bm, 0xFF, v->bitmap_bytes);
	st = bf_write(v->bf, new_footer, v->footer_raw, VHD_FOOTER_SIZE);
	if (!st)
		st = sync_point(v);
	if (!st)
		st = bf_write(v->bf, pos, bm, v->bitmap_bytes);
	if (!st)
		st = bf_write(v->bf, pos + v->bitmap_bytes +
			      (uint64_t)first * VHD_SECTOR, buf,
			      (size_t)count * VHD_SECTOR);
	if (!st)
		st = sync_point(v);
	free(bm);
	if (st) {
		/* best effort: the bitmap may have overwritten the old footer,
		 * so it goes back first (flushed, so the file ends in a footer
		 * at every moment); then the half-written extension is cut off
		 * and flushed so that the file system frees its space now (a
		 * full volume needs it back for the next write). A full volume
		 * fails the first write, which takes no space it cannot undo. */
		if (!bf_write(v->bf, v->footer_off, v->footer_raw,
			      VHD_FOOTER_SIZE) && !sync_point(v) &&
		    !bf_resize(v->bf, v->footer_off + VHD_FOOTER_SIZE))
			bf_flush(v->bf);
		return st;
	}
	v->footer_off = new_footer;
	put32(entry, (uint32_t)(pos / VHD_SECTOR));
	st = bf_write(v->bf, v->header.table_offset + 4ull * blk, entry, 4);
	if (!st)
		v->bat[blk] = (uint32_t)(pos / VHD_SECTOR);
	return st;
}

status_t vhd_extend(struct vhd *v, uint32_t n, uint64_t *pos)
{
	uint64_t first = (v->footer_off + VHD_SECTOR - 1) & ~(uint64_t)511;
	uint64_t span = (uint64_t)v->bitmap_bytes + v->block_size;
	uint64_t end = first + n * span;
	status_t st;

	*pos = first;
	if (!n)
		return ST_OK;
	if ((end - span) / VHD_SECTOR >= VHD_UNUSED)
		return ST_ENOSPC;      /* past what a BAT entry can address */
	st = bf_write(v->bf, end, v->footer_raw, VHD_FOOTER_SIZE);
	if (!st)
		st = sync_point(v);
	if (st) {
		bf_resize(v->bf, v->footer_off + VHD_FOOTER_SIZE);
		return st;
	}
	v->footer_off = end;
	return ST_OK;
}

/* The old footer's place may hold a new block's bitmap by now: the footer
 * is written back there (flushed) before the cut, so the file ends in a
 * footer at every moment. */
void vhd_extend_undo(struct vhd *v, uint64_t old_footer_off)
{
	if (old_footer_off >= v->footer_off ||
	    bf_write(v->bf, old_footer_off, v->footer_raw, VHD_FOOTER_SIZE) ||
	    sync_point(v) ||
	    bf_resize(v->bf, old_footer_off + VHD_FOOTER_SIZE))
		return;
	v->footer_off = old_footer_off;
}

status_t vhd_bat_set(struct vhd *v, uint32_t blk, uint64_t pos)
{
	uint8_t entry[4];
	status_t st;

	put32(entry, (uint32_t)(pos / VHD_SECTOR));
	st = bf_write(v->bf, v->header.table_offset + 4ull * blk, entry, 4);
	if (!st)
		v->bat[blk] = (uint32_t)(pos / VHD_SECTOR);
	return st;
}

/* Sets the bitmap bits of [first, first+count) once the data is there. */
static status_t mark_sectors(struct vhd *v, uint64_t bm_off, uint32_t first,
			     uint32_t count)
{
	uint32_t b0 = first / 8, b1 = (first + count - 1) / 8;
	uint8_t buf[64], *bm = buf;
	size_t n = b1 - b0 + 1;
	int changed = 0;
	status_t st;

	if (n > sizeof(buf) && !(bm = malloc(n)))
		return ST_ENOMEM;
	st = bf_read(v->bf, bm_off + b0, bm, n);
	for (uint32_t i = first; !st && i < first + count; i++) {
		uint32_t k = i - b0 * 8;
		if (!bm_test(bm, k)) {
			bm_set(bm, k);
			changed = 1;
		}
	}
	if (!st && changed && !(st = sync_point(v)))
		st = bf_write(v->bf, bm_off + b0, bm, n);
	if (bm != buf)
		free(bm);
	return st;
}

static status_t write_in_block(struct vhd *v, uint32_t blk, uint32_t first,
			       uint32_t count, const uint8_t *buf)
{
	uint64_t data = vhd_block_data(v, blk);
	status_t st;

	if (!data)
		return alloc_block(v, blk, first, count, buf);
	st = bf_write(v->bf, data + (uint64_t)first * VHD_SECTOR, buf,
		      (size_t)count * VHD_SECTOR);
	if (st || !vhd_is_diff(v))
		return st;
	return mark_sectors(v, data - v->bitmap_bytes, first, count);
}

status_t vhd_write_sectors(struct vhd *v, uint64_t sector, uint64_t count,
			   const void *buf)
{
	const uint8_t *p = buf;
	uint32_t spb;

	if (!v->writable)
		return ST_EPERM;
	if (sector > v->size / VHD_SECTOR ||
	    count > v->size / VHD_SECTOR - sector)
		return ST_ERANGE;
	if (vhd_is_fixed(v))
		return bf_write(v->bf, sector * VHD_SECTOR, buf,
				(size_t)(count * VHD_SECTOR));
	spb = v->block_size / VHD_SECTOR;
	while (count) {
		uint32_t blk = (uint32_t)(sector / spb);
		uint32_t first = (uint32_t)(sector % spb);
		uint32_t n = spb - first < count ? spb - first
						 : (uint32_t)count;
		status_t st = write_in_block(v, blk, first, n, p);
		if (st)
			return st;
		sector += n;
		count -= n;
		p += (size_t)n * VHD_SECTOR;
	}
	return ST_OK;
}

/* End of the metadata (header, BAT, locator data): where blocks begin. */
static uint64_t meta_end(const struct vhd *v)
{
	uint64_t end = v->footer.data_offset + VHD_HEADER_SIZE;
	uint64_t bat = v->header.table_offset +
		       (((uint64_t)v->header.max_entries * 4 + 511) & ~511ull);

	if (bat > end)
		end = bat;
	for (int i = 0; i < 8; i++) {
		const struct vhd_locator *l = &v->header.loc[i];
		uint64_t e = l->offset + vhd_locator_space(l);
		if (l->code != VHD_PLAT_NONE && e > end && e <= v->footer_off)
			end = e;
	}
	return (end + 511) & ~511ull;
}

/* BAT first (flushed), then the footer at the new end, then the cut: a
 * crash anywhere leaves a file whose end is a valid footer. */
status_t vhd_empty(struct vhd *v)
{
	size_t bytes = (size_t)v->nblocks * 4;
	uint64_t end = meta_end(v);
	uint8_t *raw;
	status_t st;

	if (!v->writable || vhd_is_fixed(v))
		return ST_EPERM;
	raw = malloc(bytes ? bytes : 1);
	if (!raw)
		return ST_ENOMEM;
	memset(raw, 0xFF, bytes);
	st = bytes ? bf_write(v->bf, v->header.table_offset, raw, bytes)
		   : ST_OK;
	free(raw);
	if (st || (st = sync_point(v)))
		return st;
	for (uint32_t i = 0; i < v->nblocks; i++)
		v->bat[i] = VHD_UNUSED;
	if (end >= v->footer_off)
		return ST_OK;
	st = bf_write(v->bf, end, v->footer_raw, VHD_FOOTER_SIZE);
	if (!st)
		st = sync_point(v);
	if (!st)
		st = bf_resize(v->bf, end + VHD_FOOTER_SIZE);
	if (!st)
		v->footer_off = end;
	return st;
}
