/* vhd_fold.c: the copying half of a fold (vhd_fold.h): begin (checks,
 * child made writable, journal "copying") and steps that copy, block by
 * block of the parent, the sectors the parent holds and the child lacks at
 * that moment. Each copied sector holds the data the chain already read
 * there, so a step never changes content; the header switch and the
 * cleanup are vhd_fold_finish.c. */
#include <stdlib.h>
#include <string.h>

#include "storage/vhd_fold.h"

void vhd_fold_free(struct vhd_fold *f)
{
	if (!f)
		return;
	free(f->journal);
	free(f->bm);
	free(f->cbm);
	free(f->buf);
	free(f);
}

void vhd_fold_progress(const struct vhd_fold *f, uint64_t *done,
		       uint64_t *total)
{
	*done = f->done;
	*total = f->total;
}

/* An inner layer is reopened read-write. The file and its offsets are
 * the same, so the chain's map stays right. */
status_t vhd_chain_writable(struct vhd_chain *c, unsigned ci)
{
	struct vhd *old = c->layer[ci], *v;
	status_t st;

	if (old->writable)
		return ST_OK;
	if ((st = vhd_open(c->env, old->path, VHD_RDWR, &v)))
		return st;
	c->layer[ci] = v;
	vhd_close(old);
	return ST_OK;
}

static status_t fold_alloc(struct vhd_chain *c, unsigned k,
			   struct vhd_fold **out)
{
	struct vhd *child = c->layer[k - 1], *par = c->layer[k];
	size_t n = strlen(child->path);
	struct vhd_fold *f = calloc(1, sizeof(*f));

	*out = f;
	if (!f)
		return ST_ENOMEM;
	f->c = c;
	f->k = k;
	f->cbm_blk = VHD_UNUSED;
	f->journal = malloc(n + 6);
	f->bm = malloc(par->bitmap_bytes);
	f->cbm = malloc(child->bitmap_bytes);
	f->buf = malloc(par->block_size);
	if (!f->journal || !f->bm || !f->cbm || !f->buf)
		return ST_ENOMEM;
	memcpy(f->journal, child->path, n);
	memcpy(f->journal + n, ".fold", 6);
	for (uint32_t b = 0; b < par->nblocks; b++)
		if (vhd_block_data(par, b))
			f->total += par->block_size;
	return ST_OK;
}

status_t vhd_fold_begin(struct vhd_chain *c, unsigned k,
			struct vhd_fold **out)
{
	struct vhd_fold *f = NULL;
	status_t st;

	*out = NULL;
	if (k < 1 || k + 1 >= c->depth)
		return k && k < c->depth ? ST_EUNSUPP : ST_EINVAL;
	if (!vhd_is_diff(c->layer[k - 1]) || !vhd_is_diff(c->layer[k]))
		return ST_EUNSUPP;
	if ((st = fold_alloc(c, k, &f)) || (st = vhd_chain_writable(c, k - 1)))
		goto fail;
	st = vhd_fold_journal_write(c->env, f->journal, VHD_FOLD_COPYING,
				    c->layer[k]->path, 0, NULL);
	if (st)
		goto fail;
	*out = f;
	return ST_OK;
fail:
	vhd_fold_free(f);
	return st;
}

/* Does the child hold sector s? Caches one child bitmap. */
static status_t child_has(struct vhd_fold *f, uint64_t s, bool *has)
{
	struct vhd *child = f->c->layer[f->k - 1];
	uint32_t spb = child->block_size / VHD_SECTOR;
	uint32_t blk = (uint32_t)(s / spb);
	status_t st;

	if (!vhd_block_data(child, blk)) {
		*has = false;
		return ST_OK;
	}
	if (blk != f->cbm_blk) {
		f->cbm_blk = VHD_UNUSED;
		if ((st = vhd_read_bitmap(child, blk, f->cbm)))
			return st;
		f->cbm_blk = blk;
	}
	*has = bm_test(f->cbm, (uint32_t)(s % spb));
	return ST_OK;
}

/* Copies sectors [i, i+n) of parent block blk into the child. */
static status_t copy_run(struct vhd_fold *f, uint32_t blk, uint32_t i,
			 uint32_t n)
{
	struct vhd *child = f->c->layer[f->k - 1], *par = f->c->layer[f->k];
	uint64_t data = vhd_block_data(par, blk);
	uint64_t sector = (uint64_t)blk * (par->block_size / VHD_SECTOR) + i;
	status_t st;

	st = bf_read(par->bf, data + (uint64_t)i * VHD_SECTOR, f->buf,
		     (size_t)n * VHD_SECTOR);
	return st ? st : vhd_write_sectors(child, sector, n, f->buf);
}

/* Copies the sectors of parent block blk that the child lacks now. */
static status_t copy_block(struct vhd_fold *f, uint32_t blk)
{
	struct vhd *par = f->c->layer[f->k];
	uint32_t spb = par->block_size / VHD_SECTOR, run = 0;
	uint64_t base = (uint64_t)blk * spb, total = par->size / VHD_SECTOR;
	status_t st;

	f->cbm_blk = VHD_UNUSED;    /* the guest may have written since */
	if ((st = vhd_read_bitmap(par, blk, f->bm)))
		return st;
	for (uint32_t i = 0; i <= spb; i++) {
		bool want = false, has;
		if (i < spb && base + i < total && bm_test(f->bm, i)) {
			if ((st = child_has(f, base + i, &has)))
				return st;
			want = !has;
		}
		if (want) {
			run++;
			continue;
		}
		if (run && (st = copy_run(f, blk, i - run, run)))
			return st;
		run = 0;
	}
	return ST_OK;
}

status_t vhd_fold_step(struct vhd_fold *f, uint64_t max_bytes, bool *done)
{
	struct vhd *par = f->c->layer[f->k];
	uint64_t budget = 0;
	status_t st;

	while (f->next < par->nblocks && (!budget || budget < max_bytes)) {
		if (vhd_block_data(par, f->next)) {
			if ((st = copy_block(f, f->next)))
				return st;
			budget += par->block_size;
			f->done += par->block_size;
		}
		f->next++;
	}
	/* durable before the finish depends on it */
	if (budget && (st = vhd_flush(f->c->layer[f->k - 1])))
		return st;
	f->copied = f->next >= par->nblocks;
	*done = f->copied;
	return ST_OK;
}
