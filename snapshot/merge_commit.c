/* merge_commit.c: the COMMIT merge (merge.h): the base layer takes every
 * sector its only child holds (hidden below that child, so no chain
 * reads differently), flushed; then the switch: the child's children get
 * headers naming the base (all in one journal first, then in place),
 * the manifest moves the child's owner to the base, the VM's chain is
 * reopened, and the child file and the journal are removed. */
#include <stdlib.h>
#include <string.h>
#include "hv/lib/fmt.h"
#include "snapshot/merge.h"
#include "storage/vhd_fold.h"
#include "storage/vhd_ops.h"

void merge_commit_free(struct merge *mg)
{
	if (mg->mirrored) {          /* the leaf is the VM's, not ours */
		mg->mirrored->mirror = NULL;
		mg->mirrored = NULL;
		mg->child = NULL;
	}
	vhd_close(mg->base);
	vhd_close(mg->child);
	free(mg->kids);
	free(mg->bm);
	free(mg->buf);
	mg->base = mg->child = NULL;
	mg->kids = NULL;
	mg->bm = mg->buf = NULL;
}

status_t merge_commit_begin(struct merge *mg, const struct layer_graph *g)
{
	const struct vhd_env *env = mg->h->env;
	int ci = layers_find(g, mg->t.layer);
	status_t st;
	if (ci < 0)
		return ST_ENOENT;
	mg->kids = calloc(g->l[ci].children + 1, SNAP_PATH_MAX);
	if (!mg->kids)
		return ST_ENOMEM;
	for (unsigned j = 0; j < g->n; j++)
		if (g->l[j].parent == ci)
			memcpy(mg->kids[mg->nkids++], g->l[j].path, SNAP_PATH_MAX);
	if ((st = vhd_open(env, mg->t.into, VHD_RDWR, &mg->base)))
		return st;
	if (merge_same(mg->h->m->leaf, mg->t.layer)) {
		/* the running leaf: from now on its writes reach the base too */
		struct vhd_chain *c = mg->h->running ?
				      mg->h->running(mg->h->ctx) : NULL;
		if (!c || !merge_same(c->layer[0]->path, mg->t.layer))
			return ST_EUNSUPP;
		mg->mirrored = c;
		mg->child = c->layer[0];
		c->mirror = mg->base;
		c->mirror_err = ST_OK;
	} else if ((st = vhd_open(env, mg->t.layer, 0, &mg->child))) {
		return st;
	}
	if (!vhd_is_diff(mg->child) || mg->base->size != mg->child->size)
		return ST_EMISMATCH;
	/* a disk of the user's own that the tree does not know may hang
	 * from the base: its content would change under it */
	char *other = NULL;
	if ((st = vhd_find_sibling(env, mg->child, mg->base, &other))) {
		if (other && mg->h->note) {
			char msg[SNAP_PATH_MAX * 2 + 64];
			hv_snprintf(msg, sizeof msg, "%s cannot take %s: %s also "
				    "hangs from it", mg->t.into, mg->t.layer, other);
			mg->h->note(mg->h->ctx, msg);
		}
		free(other);
		return st;
	}
	mg->bm = malloc(mg->child->bitmap_bytes);
	mg->buf = malloc(mg->child->block_size);
	if (!mg->bm || !mg->buf)
		return ST_ENOMEM;
	for (uint32_t b = 0; b < mg->child->nblocks; b++)
		if (vhd_block_data(mg->child, b))
			mg->total += mg->child->block_size;
	return ST_OK;
}

/* A writable handle on layer path: the running chain's own (its leaf
 * appends blocks where the locators would go), else a new one (*mine). */
static status_t writable(struct merge *mg, const char *path, struct vhd **v,
			 bool *mine)
{
	struct vhd_chain *c = mg->h->running ? mg->h->running(mg->h->ctx) : NULL;
	status_t st;
	for (unsigned i = 0; c && i < c->depth; i++) {
		if (!merge_same(c->layer[i]->path, path))
			continue;
		if ((st = vhd_chain_writable(c, i)))
			return st;
		*v = c->layer[i];
		*mine = false;
		return ST_OK;
	}
	*mine = true;
	return vhd_open(mg->h->env, path, VHD_RDWR, v);
}

/* New headers for every child's child, journaled, then written. */
static status_t repoint_kids(struct merge *mg)
{
	unsigned n = mg->nkids;
	struct merge_repoint *r = calloc(n + 1, sizeof *r);
	struct vhd **v = calloc(n + 1, sizeof *v);
	bool *mine = calloc(n + 1, sizeof *mine);
	struct vhd_header h;
	status_t st = r && v && mine ? ST_OK : ST_ENOMEM;
	for (unsigned i = 0; i < n && !st; i++) {
		st = writable(mg, mg->kids[i], &v[i], &mine[i]);
		if (!st)
			st = vhd_repoint_header(mg->h->env, v[i], mg->base, &h,
						r[i].hdr);
		r[i].path = mg->kids[i];
		r[i].hdr_off = st ? 0 : v[i]->footer.data_offset;
	}
	if (!st)
		st = merge_journal_write(mg->h->env, mg->t.layer, mg->t.into,
					 r, n);
	for (unsigned i = 0; i < n && !st; i++) {
		st = bf_write(v[i]->bf, r[i].hdr_off, r[i].hdr, VHD_HEADER_SIZE);
		if (!st)
			st = bf_flush(v[i]->bf);
		if (!st)
			vhd_header_decode(r[i].hdr, &v[i]->header);
	}
	for (unsigned i = 0; v && i < n; i++)
		if (mine && mine[i])
			vhd_close(v[i]);
	free(r);
	free(v);
	free(mine);
	return st;
}

/* After the journal: the tree, the VM's chain, then the files. Once the
 * journal is on disk, merge_recover finishes this at the next boot. */
static status_t switch_over(struct merge *mg)
{
	const struct merge_host *h = mg->h;
	const struct bf_opener *op = h->env->opener;
	status_t st;
	if ((st = repoint_kids(mg)))
		return st;
	merge_move_owner(h->m, mg->t.layer, mg->t.into);
	if ((st = h->store(h->ctx)))
		return st;
	vhd_close(mg->child);
	mg->child = NULL;
	if (h->running && h->running(h->ctx) && (st = h->reopen(h->ctx)))
		return st;
	op->remove(op->ctx, mg->t.layer);
	op->remove(op->ctx, MERGE_JOURNAL);
	return ST_OK;
}

/* The running leaf's switch: the base, holding all of it, becomes the
 * leaf; the manifest naming it is the commit point. */
static status_t switch_leaf(struct merge *mg)
{
	const struct merge_host *h = mg->h;
	const struct bf_opener *op = h->env->opener;
	char old[SNAP_PATH_MAX];
	status_t st = mg->mirrored->mirror_err;
	if (st || (st = vhd_flush(mg->base)))
		return st;
	merge_commit_free(mg);          /* the VM's chain opens the base */
	memcpy(old, h->m->leaf, SNAP_PATH_MAX);
	if (!layers_norm(mg->t.into, h->m->leaf))
		return ST_EINVAL;
	if ((st = h->store(h->ctx))) {
		memcpy(h->m->leaf, old, SNAP_PATH_MAX);
		return st;
	}
	if ((st = h->reopen(h->ctx))) {
		/* the VM stays on the old leaf, unmirrored: name it again */
		memcpy(h->m->leaf, old, SNAP_PATH_MAX);
		h->store(h->ctx);
		return st;
	}
	op->remove(op->ctx, old);
	return ST_OK;
}

status_t merge_commit_step(struct merge *mg, uint64_t max_bytes, bool *done)
{
	struct vhd *c = mg->child;
	uint64_t budget = 0;
	status_t st;
	if (!c)
		return ST_EINVAL;   /* switched already */
	while (mg->next < c->nblocks && (!budget || budget < max_bytes)) {
		if (vhd_block_data(c, mg->next)) {
			if ((st = vhd_commit_block(c, mg->base, mg->next, mg->bm,
						    mg->buf)))
				return st;
			budget += c->block_size;
			mg->done += c->block_size;
		}
		mg->next++;
	}
	if (budget && (st = vhd_flush(mg->base)))
		return st;
	if (mg->mirrored && mg->mirrored->mirror_err)
		return mg->mirrored->mirror_err;
	if (mg->next < c->nblocks)
		return ST_OK;
	if (!(st = mg->mirrored ? switch_leaf(mg) : switch_over(mg)))
		*done = true;
	return st;
}
