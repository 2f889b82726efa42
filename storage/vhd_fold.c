/* vhd_fold.c: the start of a fold (vhd_fold.h): begin (checks, child made
 * writable, journal "copying"), progress and freeing. The steps, which
 * copy, block by block of the parent, the sectors the parent holds and the
 * child lacks at that moment, are vhd_fold_step.c; each copied sector holds
 * the data the chain already read there, so a step never changes content.
 * The header switch and the cleanup are vhd_fold_finish.c. */
#include <stdlib.h>
#include <string.h>

#include "storage/vhd_fold.h"

void vhd_fold_free(struct vhd_fold *f)
{
	if (!f)
		return;
	free(f->journal);
	free(f->folded);
	free(f->buf);
	free(f->cblk);
	free(f->cbm);
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
	size_t n = strlen(child->path), span;
	struct vhd_fold *f = calloc(1, sizeof(*f));

	*out = f;
	if (!f)
		return ST_ENOMEM;
	f->c = c;
	f->k = k;
	f->journal = malloc(n + 6);
	span = (size_t)par->bitmap_bytes + par->block_size;
	f->buf_blocks = span < VHD_FOLD_READ_MAX ? VHD_FOLD_READ_MAX / span : 1;
	f->buf = malloc(f->buf_blocks * span);
	if (!f->journal || !f->buf)
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
