/* merge.h: merging away the disk layers no snapshot needs (DESIGN.md
 * section 6, "Delete"). merge_plan lists them from the layer graph; one
 * merge at a time runs in steps between guest I/O:
 * - STREAM: a middle layer is folded into its only child, whose header
 *   then names the grandparent (storage/vhd_fold.h, journal
 *   "<child>.fold");
 * - COMMIT: the base layer (no parent; the user's disk) takes the data
 *   of its only child, whose children are then re-pointed to the base
 *   and whose owner owns the base (journal snapshots/merge.journal).
 *   When that child is the running leaf, the guest's writes to it are
 *   mirrored into the base while the copy runs, and the switch makes the
 *   base the running leaf (the manifest's store is the commit point).
 * Either way the chain is one layer shorter and reads the same at every
 * moment, also after a power cut and merge_recover.
 * Environment: portable; single-threaded; the host (hv/snap_merge.c or
 * a test) owns the tree, the VM's open chain and the schedule. */
#ifndef SNAPSHOT_MERGE_H
#define SNAPSHOT_MERGE_H

#include "snapshot/layers.h"
#include "storage/vhd_chain.h"

enum merge_kind { MERGE_STREAM = 1, MERGE_COMMIT = 2 };

struct merge_task {
	enum merge_kind kind;
	char layer[SNAP_PATH_MAX];  /* the file that goes away */
	char into[SNAP_PATH_MAX];   /* the file that takes its data */
	uint64_t bytes;             /* data to copy (allocated blocks) */
};

#define MERGE_JOURNAL SNAP_DIR "/merge.journal"

/* Pending merges of g into out (at most cap), in graph order; *branches
 * counts the unneeded layers kept because they have several children. */
unsigned merge_plan(const struct layer_graph *g, struct merge_task *out,
		    unsigned cap, unsigned *branches);

/* What a merge needs from its host. */
struct merge_host {
	const struct vhd_env *env;
	struct manifest *m;
	void *ctx;
	/* Makes m durable (manifest_store). */
	status_t (*store)(void *ctx);
	/* The open chain whose leaf is m->leaf (the VM's disk), or NULL. */
	struct vhd_chain *(*running)(void *ctx);
	/* Reopens the running chain from m->leaf: layers under it changed
	 * files. Called only when running() was not NULL. */
	status_t (*reopen)(void *ctx);
	/* Optional: a line for the log (what recovery or GC did). */
	void (*note)(void *ctx, const char *msg);
};

struct merge;

/* Starts task t of graph g. The host must not change the running chain
 * (snapshot create/apply) while a merge exists: merge_free first. */
status_t merge_begin(const struct merge_host *h, const struct layer_graph *g,
		     const struct merge_task *t, struct merge **out);
/* Copies up to about max_bytes; once all is copied, switches the layers
 * over (*done). On failure the chain still reads the same; the merge
 * may be freed and begun again later (e.g. after a full volume). */
status_t merge_step(struct merge *mg, uint64_t max_bytes, bool *done);
void merge_progress(const struct merge *mg, uint64_t *done, uint64_t *total);
/* Abandons a merge not done (nothing is lost: it is begun again). */
void merge_free(struct merge *mg);

/* Boot, before any chain of the tree is opened: finishes a commit whose
 * switch was journaled (headers, manifest via store, file removals) and
 * every journaled fold below the tree's layers. *changed when m changed
 * and was stored. */
status_t merge_recover(const struct vhd_env *env, struct manifest *m,
		       status_t (*store)(void *ctx), void *ctx);

/* Internal (merge.c, merge_commit.c, merge_journal.c). */
struct merge {
	const struct merge_host *h;
	struct merge_task t;
	struct vhd_chain *own;      /* STREAM on a chain the VM does not use */
	struct vhd_fold *fold;
	/* COMMIT */
	struct vhd *base, *child;   /* base read-write, child read-only */
	struct vhd_chain *mirrored; /* the running chain, child its leaf */
	unsigned nkids;
	char (*kids)[SNAP_PATH_MAX];/* the child's children */
	uint8_t *bm, *buf;
	uint32_t next;
	uint64_t done, total;
};
status_t merge_commit_begin(struct merge *mg, const struct layer_graph *g);
status_t merge_commit_step(struct merge *mg, uint64_t max_bytes, bool *done);
void merge_commit_free(struct merge *mg);
/* One re-pointed child in the commit journal. */
struct merge_repoint {
	const char *path;
	uint64_t hdr_off;
	uint8_t hdr[VHD_HEADER_SIZE];
};
status_t merge_journal_write(const struct vhd_env *env, const char *child,
			     const char *base, const struct merge_repoint *r,
			     unsigned n);
/* The manifest's owners of child own base instead. */
void merge_move_owner(struct manifest *m, const char *child,
		      const char *base);
bool merge_same(const char *a, const char *b);

#endif
