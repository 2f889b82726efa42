/* layers.c: the layer graph of a tree (layers.h): a walk from each
 * owned layer and the running leaf up its parent locators, stopping at
 * a layer already seen. */
#include <string.h>
#include "hv/lib/fmt.h"
#include "snapshot/layers.h"
#include "storage/vhd_chain.h"

bool layers_norm(const char *path, char out[SNAP_PATH_MAX])
{
	size_t len = 0;
	while (*path) {
		const char *seg = path;
		while (*path && *path != '/' && *path != '\\')
			path++;
		size_t n = (size_t)(path - seg);
		if (*path)
			path++;
		if (!n || (n == 1 && seg[0] == '.'))
			continue;
		if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			if (!len)
				return false;
			while (len && out[len - 1] != '/')
				len--;
			len -= len ? 1 : 0;
			continue;
		}
		if (len + (len ? 1 : 0) + n >= SNAP_PATH_MAX)
			return false;
		if (len)
			out[len++] = '/';
		memcpy(out + len, seg, n);
		len += n;
	}
	out[len] = 0;
	return len > 0;
}

int layers_find(const struct layer_graph *g, const char *path)
{
	for (unsigned i = 0; i < g->n; i++)
		if (!strcmp(g->l[i].path, path))
			return (int)i;
	return -1;
}

static uint64_t allocated(const struct vhd *v)
{
	uint64_t bytes = 0;
	if (vhd_is_fixed(v))
		return v->size;
	for (uint32_t b = 0; b < v->nblocks; b++)
		if (vhd_block_data(v, b))
			bytes += v->block_size;
	return bytes;
}

/* Adds the layer at path (if new) and returns its index in *idx; *fresh
 * says whether its parents still need walking. */
static status_t add(struct layer_graph *g, const char *path, uint32_t owner,
		    int *idx, bool *fresh, char *err, size_t cap)
{
	char norm[SNAP_PATH_MAX];
	if (!layers_norm(path, norm)) {
		hv_snprintf(err, cap, "disk layer path '%s' is not usable", path);
		return ST_EINVAL;
	}
	int i = layers_find(g, norm);
	*fresh = i < 0;
	if (i < 0) {
		if (g->n == LAYERS_MAX) {
			hv_snprintf(err, cap, "more than %u disk layers", LAYERS_MAX);
			return ST_ENOSPC;
		}
		i = (int)g->n++;
		memset(&g->l[i], 0, sizeof g->l[i]);
		memcpy(g->l[i].path, norm, SNAP_PATH_MAX);
		g->l[i].parent = -1;
		g->l[i].tree = !strncmp(norm, SNAP_DIR "/", sizeof SNAP_DIR);
	}
	if (owner && (!g->l[i].owner || owner == LAYER_LEAF))
		g->l[i].owner = owner;
	*idx = i;
	return ST_OK;
}

/* Walks from the layer at path to the base, adding what is new. */
static status_t walk(const struct vhd_env *env, struct layer_graph *g,
		     const char *path, uint32_t owner, char *err, size_t cap)
{
	struct vhd *v = NULL, *p;
	int i, pi;
	bool fresh;
	status_t st = add(g, path, owner, &i, &fresh, err, cap);
	if (st || !fresh)
		return st;
	if ((st = vhd_open(env, path, 0, &v))) {
		hv_snprintf(err, cap, "cannot open disk layer %s: %s", path,
			    status_str(st));
		return st;
	}
	while (!st) {
		g->l[i].bytes = allocated(v);
		if (!vhd_is_diff(v))
			break;
		if ((st = vhd_find_parent(env, v, &p))) {
			hv_snprintf(err, cap, "the parent of disk layer %s is "
				    "missing: %s", v->path, status_str(st));
			break;
		}
		vhd_close(v);
		v = p;
		if ((st = add(g, v->path, 0, &pi, &fresh, err, cap)))
			break;
		g->l[i].parent = pi;
		g->l[pi].children++;
		if (!fresh)
			break;
		i = pi;
	}
	vhd_close(v);
	return st;
}

status_t layers_build(const struct vhd_env *env, const struct manifest *m,
		      struct layer_graph *g, char *err, size_t cap)
{
	status_t st = ST_OK;
	g->n = 0;
	err[0] = 0;
	if (m->leaf[0])
		st = walk(env, g, m->leaf, LAYER_LEAF, err, cap);
	for (unsigned i = 0; i < m->count && !st; i++)
		if (m->node[i].disk[0])
			st = walk(env, g, m->node[i].disk, m->node[i].id, err,
				  cap);
	return st;
}
