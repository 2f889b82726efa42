/* tree.c: boot recovery, garbage collection, delete and new leaves of
 * the snapshot tree on the volume (tree.h). */
#include <stdlib.h>
#include <string.h>
#include "hv/lib/fmt.h"
#include "snapshot/tree.h"

void tree_file(char buf[SNAP_PATH_MAX], uint32_t id, const char *ext)
{
	hv_snprintf(buf, SNAP_PATH_MAX, SNAP_DIR "/%u.%s", id, ext);
}

static void note(const struct merge_host *h, const char *msg)
{
	if (h->note)
		h->note(h->ctx, msg);
}

static void remove_file(const struct merge_host *h, const char *path)
{
	const struct bf_opener *op = h->env->opener;
	if (op->remove)
		op->remove(op->ctx, path);
}

static void remove_files(const struct merge_host *h, uint32_t id)
{
	char path[SNAP_PATH_MAX];
	tree_file(path, id, "mem");
	remove_file(h, path);
	tree_file(path, id, "state");
	remove_file(h, path);
}

status_t tree_delete(const struct merge_host *h, uint32_t id)
{
	status_t st = manifest_remove(h->m, id);
	if (!st && (st = h->store(h->ctx)) == ST_ENOSPC) {
		/* a full volume has no room for the new manifest: the files
		 * go first (a boot drops a snapshot without them), which
		 * frees the room */
		remove_files(h, id);
		st = h->store(h->ctx);
	}
	if (st)
		return st;
	remove_files(h, id);
	return ST_OK;
}

static bool has_file(const struct merge_host *h, uint32_t id, const char *ext)
{
	const struct bf_opener *op = h->env->opener;
	struct blockfile *bf;
	char path[SNAP_PATH_MAX];
	tree_file(path, id, ext);
	if (op->open(op->ctx, path, BF_RDONLY, &bf))
		return false;
	bf_close(bf);
	return true;
}

/* A capture a power cut interrupted leaves a node still capturing; a
 * delete on a full volume cut after it removed the files, one without
 * them. Neither can be applied. */
static status_t drop_unfinished(const struct merge_host *h)
{
	char msg[96];
	bool changed = false;
	for (unsigned i = 0; i < h->m->count;) {
		uint32_t id = h->m->node[i].id;
		bool done = h->m->node[i].state == SNAP_COMPLETE;
		if (done && has_file(h, id, "mem") && has_file(h, id, "state")) {
			i++;
			continue;
		}
		hv_snprintf(msg, sizeof msg, done ? "snapshot %u lost its files: "
			    "dropped" : "snapshot %u was not finished when the "
			    "machine stopped: dropped", id);
		note(h, msg);
		remove_files(h, id);
		manifest_remove(h->m, id);
		changed = true;
	}
	return changed ? h->store(h->ctx) : ST_OK;
}

struct gc {
	const struct merge_host *h;
	const struct layer_graph *g;
	char (*doomed)[SNAP_PATH_MAX];
	unsigned n;
};

static bool ends_with(const char *s, const char *tail)
{
	size_t a = strlen(s), b = strlen(tail);
	return a >= b && !strcmp(s + a - b, tail);
}

/* Does the tree need snapshots/name? */
static bool needed(const struct gc *gc, const char *name)
{
	char path[SNAP_PATH_MAX];
	if (!strncmp(name, "leaf-", 5) && (ends_with(name, ".avhd") ||
					  ends_with(name, ".avhd.fold"))) {
		hv_snprintf(path, sizeof path, SNAP_DIR "/%s", name);
		if (ends_with(path, ".fold"))
			path[strlen(path) - 5] = 0;
		return layers_find(gc->g, path) >= 0;
	}
	if (ends_with(name, ".mem") || ends_with(name, ".state")) {
		uint32_t id = 0;
		const char *p = name;
		for (; *p >= '0' && *p <= '9' && id < 100000000; p++)
			id = id * 10 + (uint32_t)(*p - '0');
		if (p == name || *p != '.')
			return true;   /* not one of ours */
		return manifest_find(gc->h->m, id) != NULL;
	}
	return true;
}

static status_t gc_entry(void *arg, const char *name)
{
	struct gc *gc = arg;
	if (needed(gc, name) || gc->n == LAYERS_MAX)
		return ST_OK;
	hv_snprintf(gc->doomed[gc->n++], SNAP_PATH_MAX, SNAP_DIR "/%s", name);
	return ST_OK;
}

status_t tree_gc(const struct merge_host *h, const struct layer_graph *g)
{
	const struct bf_opener *op = h->env->opener;
	struct gc gc = { h, g, NULL, 0 };
	char msg[SNAP_PATH_MAX + 40];
	status_t st;
	if (!op->list || !op->remove)
		return ST_OK;
	if (!(gc.doomed = calloc(LAYERS_MAX, SNAP_PATH_MAX)))
		return ST_ENOMEM;
	/* removed after the walk: a directory may not change under it */
	st = op->list(op->ctx, SNAP_DIR, gc_entry, &gc);
	for (unsigned i = 0; i < gc.n && !st; i++) {
		hv_snprintf(msg, sizeof msg, "removed %s: the tree no longer "
			    "needs it", gc.doomed[i]);
		note(h, msg);
		remove_file(h, gc.doomed[i]);
	}
	free(gc.doomed);
	return st == ST_ENOENT ? ST_OK : st;
}

status_t tree_recover(const struct merge_host *h)
{
	struct layer_graph *g = malloc(sizeof *g);
	char err[160];
	status_t st;
	if (!g)
		return ST_ENOMEM;
	if (!(st = merge_recover(h->env, h->m, h->store, h->ctx)) &&
	    !(st = drop_unfinished(h))) {
		st = layers_build(h->env, h->m, g, err, sizeof err);
		if (st)
			note(h, err);
		else
			st = tree_gc(h, g);
	}
	free(g);
	return st;
}

status_t tree_new_leaf(const struct merge_host *h, const char *parent,
		       char leaf[SNAP_PATH_MAX])
{
	const struct vhd_env *env = h->env;
	struct vhd *p;
	status_t st = vhd_open(env, parent, 0, &p);
	if (st)
		return st;
	hv_snprintf(leaf, SNAP_PATH_MAX, SNAP_DIR "/leaf-%u.avhd",
		    h->m->next_leaf++);
	struct vhd_create_opts o = { VHD_TYPE_DIFF, 0, 0, p, parent };
	o.block_size = vhd_is_fixed(p) ? 0 : p->block_size;
	remove_file(h, leaf);   /* a leftover of a cut before the tree named it */
	st = vhd_create(env, leaf, &o, NULL);
	vhd_close(p);
	return st;
}
