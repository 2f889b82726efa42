/* layers.h: the disk layers of a snapshot tree as a graph (DESIGN.md
 * section 6): every layer a snapshot owns, the running leaf, and all
 * their ancestors found through the VHD headers, each with its parent,
 * its number of child layers and its owner. The merge planner
 * (merge.h) reads it; the tree's garbage collection drops files of
 * snapshots/ that are not in it.
 * Environment: portable; opens the layers read-only through env. */
#ifndef SNAPSHOT_LAYERS_H
#define SNAPSHOT_LAYERS_H

#include <stdbool.h>
#include "snapshot/manifest.h"
#include "storage/vhd_env.h"

#define LAYERS_MAX (2 * SNAP_MAX + 2)
#define LAYER_LEAF 0xFFFFFFFFu   /* owner: the running machine's leaf */

struct layer {
	char path[SNAP_PATH_MAX];   /* normalized (layers_norm) */
	int parent;                 /* index into the graph, -1 = base */
	unsigned children;          /* layers whose parent this is */
	uint32_t owner;             /* snapshot id, LAYER_LEAF, 0 = none */
	uint64_t bytes;             /* allocated data blocks, in bytes */
	bool tree;                  /* a file of the tree's (snapshots/) */
};

struct layer_graph {
	unsigned n;
	struct layer l[LAYERS_MAX];
};

/* Volume-relative form of path: '\\' -> '/', no leading '/', "." and
 * "dir/.." segments removed. false when it does not fit or climbs
 * above the root. */
bool layers_norm(const char *path, char out[SNAP_PATH_MAX]);
/* Builds g from the tree: a layer that cannot be opened, or a parent
 * that cannot be found, fails with its status (err says which file). */
status_t layers_build(const struct vhd_env *env, const struct manifest *m,
		      struct layer_graph *g, char *err, size_t cap);
/* Index of the layer with that (normalized) path, or -1. */
int layers_find(const struct layer_graph *g, const char *path);

#endif
