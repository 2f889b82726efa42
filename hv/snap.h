/* snap.h: the VM's snapshots (DESIGN.md section 6): the tree on the boot
 * volume (snapshots/manifest), create with copy-on-write memory capture,
 * apply, delete and list; the console commands call these.
 * Environment: the service loop at a safe point: every vCPU is outside
 * the guest (in its exit handler or between runs). */
#ifndef HV_SNAP_H
#define HV_SNAP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "snapshot/manifest.h"
#include "status.h"

struct vm;
struct vcpu;
struct sf_writer;
struct sf_reader;


/* Who runs a command: the host console (vcpu NULL) or a vCPU's
 * hypercall, whose instruction has already been skipped. */
struct cmd_caller {
	struct vcpu *vcpu;
	/* Writes reply into the caller's buffer now (a snapshot taken by
	 * the call includes it); *len is what RDX will say. */
	status_t (*deliver)(struct cmd_caller *c, const char *reply,
			    uint64_t *len);
	void *ctx;
	bool applied; /* set by apply: the machine changed under the call */
};

/* Loads the tree from the volume (a damaged one is reported and left
 * alone; snapshot commands then refuse) and finishes or drops what a
 * power cut interrupted. Before the disk is opened. */
status_t snap_open(struct vm *vm);
/* The disk the VM runs on: the tree's leaf when the tree belongs to the
 * configured disk, else the configured disk ("" for none). */
const char *snap_disk_path(const struct vm *vm);
/* Finishes a capture in progress, then frees everything. */
void snap_close(struct vm *vm);

status_t snap_create(struct vm *vm, const char *name, struct cmd_caller *c,
		     char *reply, size_t cap);
status_t snap_apply(struct vm *vm, const char *which, struct cmd_caller *c,
		    char *reply, size_t cap);
status_t snap_delete(struct vm *vm, const char *which, char *reply,
		     size_t cap);
status_t snap_list(struct vm *vm, char *reply, size_t cap);

/* Service loop: true while a capture has pages left to write. */
bool snap_busy(const struct vm *vm);
/* Writes some more of the capture: more when the vCPUs are idle. */
void snap_service(struct vm *vm, bool idle);
/* Writes the rest of a capture in progress now (VM stop, apply). */
void snap_finish(struct vm *vm);
/* A nested-paging fault at gpa: true when it was the capture's write
 * protection (the page is copied and writable again). */
bool snap_fault(struct vm *vm, uint64_t gpa);

/* Machine state (hv/snap_state.c): every vCPU and device. */
status_t snap_state_save(struct vm *vm, struct sf_writer *w,
			 const struct cmd_caller *c, uint64_t reply_len);
/* Checks that the saved machine fits this VM; nothing changes. */
status_t snap_state_check(struct vm *vm, const struct sf_reader *r,
			  char *why, size_t cap);
status_t snap_state_restore(struct vm *vm, const struct sf_reader *r);

/* Disk layers (hv/snap_disk.c): creates a new differencing file under
 * the layer `parent` (its name into leaf, SNAP_PATH_MAX) and moves the
 * VM's disk onto it; the old chain is closed (its leaf is now read-only
 * history or garbage). The tree's next_leaf changes: store it. */
status_t snap_disk_new_leaf(struct vm *vm, const char *parent, char *leaf);
/* Moves the VM's disk onto the chain that ends in `leaf`; a merge in
 * progress is abandoned first (it begins again on the new chain). */
status_t snap_disk_use(struct vm *vm, const char *leaf);
/* The same without touching merges (a merge reopening the chain). */
status_t snap_disk_swap(struct vm *vm, const char *leaf);

/* Merges of deleted snapshots' layers (hv/snap_merge.c). */
struct merge_host;
void snap_merge_host(struct vm *vm, struct merge_host *h);
/* Plans the merges now (the VM's start: not in the guest's time). */
void snap_merge_plan(struct vm *vm);
/* The tree changed: abandon the merge in progress, plan again. */
void snap_merge_changed(struct vm *vm);
/* Something to merge now (not waiting to retry after a failure). */
bool snap_merge_pending(const struct vm *vm);
/* Merges while the vCPU is halted, until TSC `until`. */
void snap_merge_idle(struct vm *vm, uint64_t until);
/* The share of a guest that never halts (every poll). */
void snap_merge_busy(struct vm *vm);
status_t snap_merge_now(struct vm *vm, char *reply, size_t cap);
status_t snap_merge_status(struct vm *vm, char *reply, size_t cap);
void snap_merge_free(struct vm *vm);
/* `snapshot export ID|NAME PATH` (hv/snap_export.c). */
status_t snap_export(struct vm *vm, const char *arg, char *reply,
		     size_t cap);

#endif
