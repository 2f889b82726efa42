/* tree.h: the snapshot tree's files on the volume (DESIGN.md section 6)
 * beyond the manifest: what a boot finds after a power cut and how the
 * tree sheds files it no longer names.
 * - tree_recover (boot, after manifest_load, before any chain opens):
 *   finishes journaled merges (merge_recover), drops snapshots whose
 *   capture never completed or whose files are gone, then collects
 *   garbage.
 * - tree_gc: removes files of snapshots/ the tree does not need: leaves
 *   no layer walk reaches, their fold journals, N.mem/N.state of no node.
 * - tree_delete: the node leaves the tree (stored), then its files go
 *   (on a full volume the files go first, to make room for the store);
 *   its disk layer stays until a merge folds it away.
 * - tree_new_leaf: a new differencing leaf snapshots/leaf-K.avhd under a
 *   layer (the caller names it in the tree and stores).
 * Environment: portable; h->store makes the manifest durable. */
#ifndef SNAPSHOT_TREE_H
#define SNAPSHOT_TREE_H

#include "snapshot/merge.h"

/* snapshots/N.mem or N.state */
void tree_file(char buf[SNAP_PATH_MAX], uint32_t id, const char *ext);
status_t tree_recover(const struct merge_host *h);
status_t tree_gc(const struct merge_host *h, const struct layer_graph *g);
status_t tree_delete(const struct merge_host *h, uint32_t id);
status_t tree_new_leaf(const struct merge_host *h, const char *parent,
		       char leaf[SNAP_PATH_MAX]);

#endif
