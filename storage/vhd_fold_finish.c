/* vhd_fold_finish.c: the end of a fold (vhd_fold.h). The switch: the
 * child's new parent locators go to fresh space at its end (the old ones
 * stay valid until the switch); the new header goes to the journal
 * (flushed, vhd_fold_journal.c), then in place (flushed). The cleanup,
 * which may come later, off the merge's critical path: the folded parent
 * is deleted, then the journal. */
#include <stdlib.h>
#include <string.h>

#include "storage/vhd_fold.h"
#include "storage/vhd_text.h"
/* Writes the locator data past the child's footer (footer moved first,
 * so the file always ends in a valid footer) and fills h's locators. */
static status_t append_locators(struct vhd *v, uint8_t *data[2],
				uint32_t len[2], struct vhd_header *h)
{
	static const uint32_t codes[2] = { VHD_PLAT_W2RU, VHD_PLAT_W2KU };
	uint64_t pos = (v->footer_off + VHD_SECTOR - 1) & ~511ull, end = pos;
	status_t st;

	memset(h->loc, 0, sizeof(h->loc));
	for (int i = 0; i < 2; i++) {
		if (!data[i])
			continue;
		h->loc[i].code = codes[i];
		h->loc[i].space = (len[i] + 511) & ~511u;   /* bytes */
		h->loc[i].length = len[i];
		h->loc[i].offset = end;
		end += h->loc[i].space;
	}
	st = bf_write(v->bf, end, v->footer_raw, VHD_FOOTER_SIZE);
	if (!st)
		st = bf_flush(v->bf);
	for (int i = 0; i < 2 && !st; i++)
		if (data[i])
			st = bf_write(v->bf, h->loc[i].offset, data[i], len[i]);
	if (!st)
		st = bf_flush(v->bf);
	if (st) {
		bf_resize(v->bf, v->footer_off + VHD_FOOTER_SIZE);
		return st;
	}
	v->footer_off = end;
	return ST_OK;
}

status_t vhd_repoint_header(const struct vhd_env *env, struct vhd *child,
			   struct vhd *gp, struct vhd_header *h,
			   uint8_t raw[VHD_HEADER_SIZE])
{
	uint8_t *data[2] = { NULL, NULL };
	uint32_t len[2] = { 0, 0 };
	status_t st;

	*h = child->header;
	st = vhd_name_parent(env, child->path, gp, gp->path, h, data, len);
	if (!st)
		st = append_locators(child, data, len, h);
	free(data[0]);
	free(data[1]);
	if (!st)
		vhd_header_encode(h, raw);
	return st;
}

/* Drops layer k from the open chain; the map is rebuilt lazily (the unit
 * may change if the folded layer had the smallest blocks). */
static status_t drop_layer(struct vhd_chain *c, unsigned k)
{
	vhd_close(c->layer[k]);
	memmove(&c->layer[k], &c->layer[k + 1],
		(c->depth - k - 1) * sizeof(c->layer[0]));
	c->depth--;
	vhd_chain_map_free(c);
	return vhd_chain_map_init(c);
}


status_t vhd_fold_switch(struct vhd_fold *f)
{
	struct vhd_chain *c = f->c;
	struct vhd *child = c->layer[f->k - 1], *par = c->layer[f->k];
	uint8_t raw[VHD_HEADER_SIZE];
	struct vhd_header h;
	status_t st;

	if (!f->copied || f->folded)
		return ST_EINVAL;
	if (!c->env->opener->remove)
		return ST_EUNSUPP;
	if ((st = vhd_repoint_header(c->env, child, c->layer[f->k + 1], &h, raw)))
		return st;
	st = vhd_fold_journal_write(c->env, f->journal, VHD_FOLD_SWITCH,
				    par->path, child->footer.data_offset, raw);
	if (st || (st = bf_write(child->bf, child->footer.data_offset, raw,
				 VHD_HEADER_SIZE)) ||
	    (st = bf_flush(child->bf)))
		return st;
	child->header = h;
	f->folded = par->path;        /* kept for vhd_fold_cleanup */
	par->path = NULL;
	return drop_layer(c, f->k);
}

/* The parent first: while the journal stays, recovery deletes it. */
void vhd_fold_cleanup(struct vhd_fold *f)
{
	if (!f->folded)
		return;
	vhd_fold_remove(f->c->env, f->folded);
	vhd_fold_remove(f->c->env, f->journal);
	free(f->folded);
	f->folded = NULL;
}

status_t vhd_fold_finish(struct vhd_fold *f)
{
	status_t st = vhd_fold_switch(f);

	if (f->folded)
		vhd_fold_cleanup(f);
	return st;
}
