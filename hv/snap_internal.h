/* snap_internal.h: what the snapshot files of hv/ share: the VM's tree
 * and the capture in progress (hv/snap.c, snap_create.c, snap_apply.c). */
#ifndef HV_SNAP_INTERNAL_H
#define HV_SNAP_INTERNAL_H
#include "snapshot/capture.h"
#include "snapshot/manifest.h"
#include "snapshot/merge.h"
#include "storage/blockfile.h"

/* The capture of one snapshot: its memory image being written, and its
 * state file's bytes, kept until the image is done. */
struct snap_job {
	bool active;
	uint32_t id;
	struct blockfile *mem_file;
	struct memimg_writer *writer; /* snapshots.writer while active */
	struct capture cap;
	void *state;
	size_t state_len;
};

#define MERGE_PLAN_MAX 16

/* The merge thread (hv/snap_merge.c): the plan made from the layer graph
 * when the tree last changed, and the merge of plan[0] in progress. */
struct snap_merger {
	struct merge_host host;
	struct merge *active;
	struct layer_graph *graph;
	struct merge_task plan[MERGE_PLAN_MAX];
	unsigned nplan;
	bool stale;             /* the tree or its layers changed */
	status_t err;           /* why the last attempt stopped */
	uint64_t retry_tsc;     /* not before this TSC after a failure */
	uint64_t last_tsc;      /* last busy service call */
	int64_t credit;         /* TSC ticks of share not used yet */
};

struct snapshots {
	struct manifest m;
	struct bf_opener op;
	struct snap_job job;
	/* One image writer for all captures, allocated with the VM: its
	 * index grows with guest memory and must not cost pause time. */
	struct memimg_writer *writer;
	struct snap_merger merge;
	bool broken;
	char broken_why[224];
};

status_t snap_store(struct snapshots *s);
void snap_remove_file(struct snapshots *s, const char *path);
status_t snap_usable(struct vm *vm, char *reply, size_t cap);
struct snap_node *snap_find(struct snapshots *s, const char *which,
			    char *reply, size_t cap);

#endif
