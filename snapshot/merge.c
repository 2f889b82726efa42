/* merge.c: the merge plan and the STREAM merge (merge.h): a fold of a
 * middle layer into its child, on the VM's open chain when the layer is
 * in it (so the VM's reads see the switch), else on a chain of its own
 * opened read-write at the child. COMMIT is merge_commit.c. */
#include <stdlib.h>
#include <string.h>
#include "snapshot/merge.h"
#include "storage/vhd_fold.h"

bool merge_same(const char *a, const char *b)
{
	char na[SNAP_PATH_MAX], nb[SNAP_PATH_MAX];
	return layers_norm(a, na) && layers_norm(b, nb) && !strcmp(na, nb);
}

/* The only child of layer i. */
static int only_child(const struct layer_graph *g, unsigned i)
{
	for (unsigned j = 0; j < g->n; j++)
		if (g->l[j].parent == (int)i)
			return (int)j;
	return -1;
}

/* The task for unneeded layer l with only child k, if any: a layer of
 * the tree streams into its child; a disk of the user's (the tree's
 * base, or anything under it) is never removed, but the top one takes
 * its child's data when that child is the tree's. */
static bool task_for(const struct layer *l, const struct layer *k,
		     struct merge_task *t)
{
	const struct layer *gone = l->tree ? l : k, *stays = l->tree ? k : l;
	if (l->tree ? l->parent < 0 : !k->tree)
		return false;
	t->kind = l->tree ? MERGE_STREAM : MERGE_COMMIT;
	memcpy(t->layer, gone->path, SNAP_PATH_MAX);
	memcpy(t->into, stays->path, SNAP_PATH_MAX);
	t->bytes = gone->bytes;
	return true;
}

/* Is path the layer or the target of one of the n tasks? */
static bool planned(const struct merge_task *t, unsigned n, const char *path)
{
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(t[i].layer, path) || !strcmp(t[i].into, path))
			return true;
	return false;
}

unsigned merge_plan(const struct layer_graph *g, struct merge_task *out,
		    unsigned cap, unsigned *branches)
{
	unsigned n = 0;
	*branches = 0;
	/* commits into the base first: a layer then moves once, not into
	 * its child and again into the base; a layer in two tasks waits */
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < g->n; i++) {
			const struct layer *l = &g->l[i];
			struct merge_task t;
			if (l->owner || l->tree != pass)
				continue;
			if (l->children > 1) {
				(*branches)++;
				continue;
			}
			int c = only_child(g, i);
			if (c < 0 || n == cap || !task_for(l, &g->l[c], &t) ||
			    planned(out, n, t.layer) || planned(out, n, t.into))
				continue;
			out[n++] = t;
		}
	}
	return n;
}

/* Index of the layer named path in chain c, or -1. */
static int chain_index(struct vhd_chain *c, const char *path)
{
	for (unsigned i = 0; c && i < c->depth; i++)
		if (merge_same(c->layer[i]->path, path))
			return (int)i;
	return -1;
}

static status_t stream_begin(struct merge *mg)
{
	struct vhd_chain *c = mg->h->running ? mg->h->running(mg->h->ctx) : NULL;
	int k = chain_index(c, mg->t.layer);
	status_t st;
	if (k < 0) {
		if ((st = vhd_chain_open(mg->h->env, mg->t.into, VHD_RDWR,
					 &mg->own)))
			return st;
		c = mg->own;
		k = chain_index(c, mg->t.layer);
	}
	if (k != chain_index(c, mg->t.into) + 1)
		return ST_EMISMATCH;  /* the graph is stale */
	return vhd_fold_begin(c, (unsigned)k, &mg->fold);
}

status_t merge_begin(const struct merge_host *h, const struct layer_graph *g,
		     const struct merge_task *t, struct merge **out)
{
	struct merge *mg = calloc(1, sizeof *mg);
	status_t st;
	*out = NULL;
	if (!mg)
		return ST_ENOMEM;
	mg->h = h;
	mg->t = *t;
	st = t->kind == MERGE_STREAM ? stream_begin(mg)
				     : merge_commit_begin(mg, g);
	if (st) {
		merge_free(mg);
		return st;
	}
	*out = mg;
	return ST_OK;
}

status_t merge_step(struct merge *mg, uint64_t max_bytes, bool *done)
{
	status_t st;
	*done = false;
	if (mg->t.kind == MERGE_COMMIT)
		return merge_commit_step(mg, max_bytes, done);
	if ((st = vhd_fold_step(mg->fold, max_bytes, done)) || !*done)
		return st;
	if ((st = vhd_fold_finish(mg->fold)))
		*done = false;
	return st;
}

void merge_progress(const struct merge *mg, uint64_t *done, uint64_t *total)
{
	if (mg->fold) {
		vhd_fold_progress(mg->fold, done, total);
		return;
	}
	*done = mg->done;
	*total = mg->total;
}

void merge_free(struct merge *mg)
{
	if (!mg)
		return;
	vhd_fold_free(mg->fold);
	vhd_chain_close(mg->own);
	merge_commit_free(mg);
	free(mg);
}
