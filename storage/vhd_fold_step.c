/* vhd_fold_step.c: one step of a fold (vhd_fold.h). A step costs two
 * reads per parent block and three flushes, however many blocks it copies
 * (two flushes per new child block and a read per run made the merge half
 * as fast as `qemu-img commit`, bench/README.md):
 *  1. reserve: from the BATs alone, the child blocks absent under the
 *     step's parent blocks; the child's footer is moved past that many
 *     new blocks (flushed), so the file ends in a valid footer throughout;
 *  2. copy: each parent block's bitmap, then its data from the first to
 *     the last sector it holds in one read; the runs of sectors it holds
 *     and the child lacks now are written into the child: existing blocks
 *     in place, new ones in the reserved space in order of first use,
 *     bitmap bits kept in memory; then the new blocks' bitmaps, the footer
 *     pulled back over reserved blocks no run used (only with unequal
 *     block sizes or empty parent bitmaps), and a flush. No BAT entry
 *     names a new block and no bitmap bit a copied sector yet, so the
 *     chain reads the same;
 *  3. publish: the new blocks' BAT entries and the existing blocks'
 *     bitmaps, then a flush (the finish depends on it).
 * So data reaches the medium before any bitmap bit or BAT entry naming it,
 * as in vhd_write_sectors. The guest's I/O happens between steps only. */
#include <stdlib.h>
#include <string.h>

#include "storage/vhd_fold.h"

static struct vhd *fold_child(struct vhd_fold *f)
{
	return f->c->layer[f->k - 1];
}

static uint8_t *cbm_of(struct vhd_fold *f, uint32_t i)
{
	return f->cbm + (size_t)i * fold_child(f)->bitmap_bytes;
}

/* Doubles cblk[] and cbm together (the hypervisor has no realloc). */
static status_t cblk_grow(struct vhd_fold *f)
{
	size_t bmb = fold_child(f)->bitmap_bytes;
	uint32_t cap = f->cblk_cap ? f->cblk_cap * 2 : 16;
	struct vhd_fold_cblk *a = malloc(cap * sizeof(*a));
	uint8_t *b = malloc(cap * bmb);

	if (!a || !b) {
		free(a);
		free(b);
		return ST_ENOMEM;
	}
	if (f->ncblk) {
		memcpy(a, f->cblk, f->ncblk * sizeof(*a));
		memcpy(b, f->cbm, f->ncblk * bmb);
	}
	free(f->cblk);
	free(f->cbm);
	f->cblk = a;
	f->cbm = b;
	f->cblk_cap = cap;
	return ST_OK;
}

/* Appends child block blk with its bitmap; a new block takes the next
 * reserved place. */
static status_t cblk_add(struct vhd_fold *f, uint32_t blk)
{
	struct vhd *child = fold_child(f);
	uint64_t span = (uint64_t)child->bitmap_bytes + child->block_size;
	struct vhd_fold_cblk *cb;
	status_t st;

	if (f->ncblk == f->cblk_cap && (st = cblk_grow(f)))
		return st;
	cb = &f->cblk[f->ncblk];
	cb->blk = blk;
	cb->fresh = !vhd_block_data(child, blk);
	cb->dirty = false;
	if (cb->fresh) {
		if (f->nused == f->nres)
			return ST_EINVAL;   /* reserve() missed it: a bug */
		cb->pos = f->res_pos + f->nused++ * span;
		memset(cbm_of(f, f->ncblk), 0, child->bitmap_bytes);
	} else {
		cb->pos = vhd_block_data(child, blk) - child->bitmap_bytes;
		if ((st = vhd_read_bitmap(child, blk, cbm_of(f, f->ncblk))))
			return st;
	}
	f->ncblk++;
	return ST_OK;
}

/* Sectors only grow within a step: a block's entry, if any, is last. */
static bool cblk_last_is(struct vhd_fold *f, uint32_t blk)
{
	return f->ncblk && f->cblk[f->ncblk - 1].blk == blk;
}

/* Does the child hold sector s? Existing child blocks join the step. */
static status_t child_has(struct vhd_fold *f, uint64_t s, bool *has)
{
	uint32_t spb = fold_child(f)->block_size / VHD_SECTOR;
	uint32_t blk = (uint32_t)(s / spb);
	status_t st;

	*has = false;
	if (!cblk_last_is(f, blk)) {
		if (!vhd_block_data(fold_child(f), blk))
			return ST_OK;
		if ((st = cblk_add(f, blk)))
			return st;
	}
	*has = bm_test(cbm_of(f, f->ncblk - 1), (uint32_t)(s % spb));
	return ST_OK;
}

/* Writes sectors [s, s+n) (inside one child block) from src into the
 * child; their bitmap bits are set in memory only. */
static status_t put_run(struct vhd_fold *f, uint64_t s, uint32_t n,
			const uint8_t *src)
{
	struct vhd *child = fold_child(f);
	uint32_t spb = child->block_size / VHD_SECTOR;
	uint32_t blk = (uint32_t)(s / spb), first = (uint32_t)(s % spb);
	struct vhd_fold_cblk *cb;
	status_t st;

	if (!cblk_last_is(f, blk) && (st = cblk_add(f, blk)))
		return st;
	cb = &f->cblk[f->ncblk - 1];
	st = bf_write(child->bf, cb->pos + child->bitmap_bytes +
		      (uint64_t)first * VHD_SECTOR, src,
		      (size_t)n * VHD_SECTOR);
	if (st)
		return st;
	for (uint32_t i = first; i < first + n; i++)
		bm_set(cbm_of(f, f->ncblk - 1), i);
	cb->dirty = true;
	return ST_OK;
}

/* Copies the sectors of parent block blk that the child lacks now; pb
 * holds the block as it lies in the parent's file: bitmap, then data. */
static status_t copy_block(struct vhd_fold *f, uint32_t blk,
			   const uint8_t *pb)
{
	struct vhd *par = f->c->layer[f->k];
	uint32_t pspb = par->block_size / VHD_SECTOR, run = 0;
	uint32_t cspb = fold_child(f)->block_size / VHD_SECTOR;
	uint64_t base = (uint64_t)blk * pspb, total = par->size / VHD_SECTOR;
	const uint8_t *data = pb + par->bitmap_bytes;
	status_t st = ST_OK;

	for (uint32_t i = 0; !st && i <= pspb; i++) {
		uint64_t s = base + i;
		bool has = true;
		/* a run ends at a child block's edge, before the next
		 * block joins the step */
		if (run && (i == pspb || s % cspb == 0)) {
			st = put_run(f, s - run, run,
				     data + (size_t)(i - run) * VHD_SECTOR);
			run = 0;
		}
		if (!st && i < pspb && s < total && bm_test(pb, i))
			st = child_has(f, s, &has);
		if (st || has) {
			if (!st && run)
				st = put_run(f, s - run, run, data +
					     (size_t)(i - run) * VHD_SECTOR);
			run = 0;
		} else {
			run++;
		}
	}
	return st;
}

/* How many blocks of order[0..n) lie back to back in the parent's file
 * from order[0] on, at most what the read buffer holds. */
static uint32_t adjacent_blocks(struct vhd_fold *f, const uint32_t *order,
				uint32_t n)
{
	struct vhd *par = f->c->layer[f->k];
	uint64_t span = (uint64_t)par->bitmap_bytes + par->block_size;
	uint32_t g = 1;

	while (g < n && g < f->buf_blocks &&
	       vhd_block_data(par, order[g]) ==
	       vhd_block_data(par, order[g - 1]) + span)
		g++;
	return g;
}

/* Gaps between what a step must read of the parent (its blocks' bitmaps
 * and the sectors they hold) shorter than this are read through: one
 * read costs less than two there. Longer ones are skipped: on the boot
 * volume a block's unwritten sectors are zeros on the medium, and reading
 * them costs as much as data. */
#ifndef READ_GAP
#define READ_GAP (256u << 10)
#endif

/* The reads of a run of back-to-back parent blocks into f->buf, whose
 * first byte is the file's byte base; [lo, hi) is the read being grown
 * (hi == 0: none). */
struct group_read {
	struct vhd_fold *f;
	uint64_t base, lo, hi;
};

static status_t gr_issue(struct group_read *r)
{
	struct vhd *par = r->f->c->layer[r->f->k];
	status_t st = ST_OK;

	if (r->hi)
		st = bf_read(par->bf, r->lo, r->f->buf + (r->lo - r->base),
			     (size_t)(r->hi - r->lo));
	r->hi = 0;
	return st;
}

/* Bytes [a, b) of the file are needed (a at or past the last need). */
static status_t gr_need(struct group_read *r, uint64_t a, uint64_t b)
{
	status_t st;

	if (r->hi && a - r->hi >= READ_GAP && (st = gr_issue(r)))
		return st;
	if (!r->hi)
		r->lo = a;
	r->hi = b;
	return ST_OK;
}

/* Reads the bitmaps of blocks order[0..g) (back to back in the file) and
 * the sectors they hold into f->buf, each block at its place. A bitmap is
 * read, with what precedes it, before its bits are looked at. */
static status_t read_group(struct vhd_fold *f, const uint32_t *order,
			   uint32_t g)
{
	struct vhd *par = f->c->layer[f->k];
	uint32_t pspb = par->block_size / VHD_SECTOR;
	uint64_t span = (uint64_t)par->bitmap_bytes + par->block_size;
	struct group_read r = { f, 0, 0, 0 };
	status_t st = ST_OK;

	r.base = vhd_block_data(par, order[0]) - par->bitmap_bytes;
	for (uint32_t j = 0; !st && j < g; j++) {
		uint64_t bm_off = r.base + j * span;
		uint64_t data = bm_off + par->bitmap_bytes;
		const uint8_t *bm = f->buf + j * span;

		if ((st = gr_need(&r, bm_off, data)) || (st = gr_issue(&r)))
			break;
		for (uint32_t i = 0, e; !st && i < pspb; i = e) {
			for (e = i + 1; e < pspb && bm_test(bm, e) ==
			     bm_test(bm, i); e++)
				;
			if (bm_test(bm, i))
				st = gr_need(&r, data + (uint64_t)i * VHD_SECTOR,
					     data + (uint64_t)e * VHD_SECTOR);
		}
	}
	return st ? st : gr_issue(&r);
}

/* Phase 2's reads and copies, a run of parent blocks that lie back to
 * back in the file at a time (their reads stream). */
static status_t copy_blocks(struct vhd_fold *f, const uint32_t *order,
			    uint32_t n)
{
	struct vhd *par = f->c->layer[f->k];
	size_t span = (size_t)par->bitmap_bytes + par->block_size;
	status_t st = ST_OK;

	for (uint32_t i = 0, g; !st && i < n; i += g) {
		g = adjacent_blocks(f, order + i, n - i);
		st = read_group(f, order + i, g);
		for (uint32_t j = 0; !st && j < g; j++)
			st = copy_block(f, order[i + j], f->buf + j * span);
	}
	return st;
}

/* Phase 1: room for every child block absent under parent blocks
 * [from, to) that hold data (counted from the BATs: at most one too many
 * per parent block whose bitmap is empty, or per child block a smaller
 * child block size leaves without sectors). */
static status_t reserve(struct vhd_fold *f, uint32_t from, uint32_t to)
{
	struct vhd *child = fold_child(f), *par = f->c->layer[f->k];
	uint64_t pbs = par->block_size, cbs = child->block_size;
	uint32_t n = 0, last = VHD_UNUSED;

	for (uint32_t b = from; b < to; b++) {
		uint64_t lo = b * pbs, hi = lo + pbs;
		if (!vhd_block_data(par, b))
			continue;
		if (hi > par->size)
			hi = par->size;
		for (uint32_t cb = (uint32_t)(lo / cbs);
		     (uint64_t)cb * cbs < hi; cb++)
			if (cb != last && !vhd_block_data(child, cb)) {
				n++;
				last = cb;
			}
	}
	f->nres = n;
	f->nused = 0;
	return vhd_extend(child, n, &f->res_pos);
}

/* End of phase 2: the new blocks' bitmaps, reserved blocks no run used
 * given back (footer written at the new end before the cut), a flush. */
static status_t close_copy(struct vhd_fold *f)
{
	struct vhd *child = fold_child(f);
	uint64_t span = (uint64_t)child->bitmap_bytes + child->block_size;
	uint64_t end = f->res_pos + f->nused * span;
	bool trim = f->nused < f->nres;
	status_t st = ST_OK;

	for (uint32_t i = 0; !st && i < f->ncblk; i++)
		if (f->cblk[i].fresh)
			st = bf_write(child->bf, f->cblk[i].pos, cbm_of(f, i),
				      child->bitmap_bytes);
	if (!st && trim)
		st = bf_write(child->bf, end, child->footer_raw,
			      VHD_FOOTER_SIZE);
	if (!st)
		st = vhd_flush(child);
	/* best effort: the reserved end still holds a valid footer */
	if (!st && trim && !bf_resize(child->bf, end + VHD_FOOTER_SIZE))
		child->footer_off = end;
	return st;
}

/* Phase 3: the copied sectors named, then flushed. */
static status_t publish(struct vhd_fold *f)
{
	struct vhd *child = fold_child(f);
	status_t st = ST_OK;

	for (uint32_t i = 0; !st && i < f->ncblk; i++) {
		const struct vhd_fold_cblk *cb = &f->cblk[i];
		if (cb->fresh)
			st = vhd_bat_set(child, cb->blk, cb->pos);
		else if (cb->dirty)
			st = bf_write(child->bf, cb->pos, cbm_of(f, i),
				      child->bitmap_bytes);
	}
	return st ? st : vhd_flush(child);
}

/* The parent blocks of [from, to) that hold data, in the order they lie
 * in the parent's file (a layer's blocks lie in the order the guest
 * first wrote them; reading them in file order lets the medium stream).
 * Only when each child block lies within one parent block: a child
 * block's copies must come together (cblk_last_is). */
static status_t visit_order(struct vhd_fold *f, uint32_t from, uint32_t to,
			    uint32_t **out, uint32_t *n)
{
	struct vhd *par = f->c->layer[f->k];
	uint32_t *o = malloc(((size_t)(to - from) + 1) * sizeof(*o)), k = 0;

	if (!o)
		return ST_ENOMEM;
	for (uint32_t b = from; b < to; b++)
		if (vhd_block_data(par, b))
			o[k++] = b;
	if (fold_child(f)->block_size <= par->block_size) {
		/* Shell sort (gaps n/2, n/4, ...): no qsort here */
		for (uint32_t gap = k / 2; gap; gap /= 2)
			for (uint32_t i = gap; i < k; i++)
				for (uint32_t j = i; j >= gap &&
				     par->bat[o[j - gap]] > par->bat[o[j]]; j -= gap) {
					uint32_t t = o[j];
					o[j] = o[j - gap];
					o[j - gap] = t;
				}
	}
	*out = o;
	*n = k;
	return ST_OK;
}

status_t vhd_fold_step(struct vhd_fold *f, uint64_t max_bytes, bool *done)
{
	struct vhd *par = f->c->layer[f->k], *child = fold_child(f);
	uint64_t budget = 0, old = child->footer_off;
	uint32_t end = f->next;
	status_t st;

	while (end < par->nblocks && (!budget || budget < max_bytes))
		budget += vhd_block_data(par, end++) ? par->block_size : 0;
	uint32_t *order = NULL, n = 0;
	f->ncblk = 0;
	if ((st = reserve(f, f->next, end)) ||
	    (st = visit_order(f, f->next, end, &order, &n))) {
		vhd_extend_undo(child, old);
		return st;
	}
	st = copy_blocks(f, order, n);
	free(order);
	if (!st)
		st = close_copy(f);
	if (st) {
		vhd_extend_undo(child, old);
		return st;
	}
	/* flushes even with nothing copied: a failed step before may have
	 * written what the finish depends on */
	if ((st = publish(f)))
		return st;
	f->next = end;
	f->done += budget;
	f->copied = f->next >= par->nblocks;
	*done = f->copied;
	return ST_OK;
}
