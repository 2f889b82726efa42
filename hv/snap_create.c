/* snap_create.c: taking a snapshot (DESIGN.md section 6) and the
 * background capture that completes it. The pause covers only: the
 * state into memory, the disk's new leaf, the manifest, and write-
 * protecting guest RAM; the memory image is written afterwards, a page
 * at a time, by snap_service() and by the faults of guest writes. In
 * `snapshot_capture = stop-and-copy` mode the copy happens in the pause
 * (kept to measure the difference: bench/). */
#include <stdlib.h>
#include <string.h>
#include "hv/hv.h"
#include "hv/lib/fmt.h"
#include "hv/log.h"
#include "hv/plat_storage.h"
#include "hv/platform.h"
#include "hv/snap.h"
#include "hv/snap_internal.h"
#include "hv/vm.h"
#include "hv/x86.h"
#include "snapshot/statefile.h"
#include "snapshot/tree.h"

#define STEP_BUSY 32   /* pages per service call while the guest runs */
#define STEP_IDLE 256  /* ... and while it is halted */

static uint64_t elapsed_us(uint64_t since)
{
	uint64_t per_us = plat_tsc_hz() / 1000000;
	return (rdtsc() - since) / (per_us ? per_us : 1);
}

static void unprotect(void *ctx, uint64_t gpa, uint64_t size)
{
	vm_mem_unprotect(ctx, gpa, size);
}

static void before_write(void *ctx, uint64_t gpa, uint64_t len)
{
	struct vm *vm = ctx;
	if (vm->snap && vm->snap->job.active)
		capture_before_write(&vm->snap->job.cap, gpa, len);
}

/* Frees the job; `keep` false also deletes its files (abandoned). */
static void end_job(struct vm *vm, bool keep)
{
	struct snapshots *s = vm->snap;
	struct snap_job *j = &s->job;
	char path[SNAP_PATH_MAX];
	vm->mem.before_write = NULL;
	if (!capture_complete(&j->cap))
		capture_abandon(&j->cap);
	capture_free(&j->cap);
	bf_close(j->mem_file);
	free(j->state);
	if (!keep) {
		tree_file(path, j->id, "mem");
		snap_remove_file(s, path);
		tree_file(path, j->id, "state");
		snap_remove_file(s, path);
	}
	memset(j, 0, sizeof *j);
}

static status_t write_state_file(struct snapshots *s, uint32_t id,
				 const void *buf, size_t len)
{
	char path[SNAP_PATH_MAX];
	tree_file(path, id, "state");
	return snap_write_file(&s->op, path, buf, len);
}

/* The image is all copied (or the capture failed): write the rest and
 * mark the snapshot complete, or drop it saying why. */
static void complete_job(struct vm *vm)
{
	struct snapshots *s = vm->snap;
	struct snap_job *j = &s->job;
	status_t st = j->cap.err;
	if (!st)
		st = memimg_writer_finish(j->writer);
	if (!st)
		st = write_state_file(s, j->id, j->state, j->state_len);
	struct snap_node *n = manifest_find(&s->m, j->id);
	if (!st && n) {
		n->state = SNAP_COMPLETE;
		n->bytes = memimg_writer_bytes(j->writer) + j->state_len;
		st = snap_store(s);
	}
	if (st) {
		hv_log("snapshot %u abandoned: %s%s", j->id, status_str(st),
		       st == ST_ENOSPC ? " (the boot volume is full)" : "");
		if (n) {
			manifest_remove(&s->m, j->id);
			snap_store(s);
		}
	}
	end_job(vm, st == ST_OK);
}

bool snap_busy(const struct vm *vm)
{
	return vm->snap && vm->snap->job.active;
}

void snap_service(struct vm *vm, bool idle)
{
	struct snap_job *j = &vm->snap->job;
	if (!j->active)
		return;
	if (j->cap.err) {
		capture_abandon(&j->cap);
		complete_job(vm);
		return;
	}
	if (capture_step(&j->cap, idle ? STEP_IDLE : STEP_BUSY))
		complete_job(vm);
}

void snap_finish(struct vm *vm)
{
	if (!snap_busy(vm))
		return;
	capture_step(&vm->snap->job.cap, UINT64_MAX);
	complete_job(vm);
}

bool snap_fault(struct vm *vm, uint64_t gpa)
{
	return snap_busy(vm) && capture_fault(&vm->snap->job.cap, gpa);
}

/* The machine's state as a state file's bytes, into the job. */
static status_t save_state(struct vm *vm, struct cmd_caller *c,
			   uint64_t reply_len)
{
	struct snap_job *j = &vm->snap->job;
	struct sf_writer w;
	const void *buf;
	size_t len;
	sf_writer_init(&w);
	status_t st = snap_state_save(vm, &w, c, reply_len);
	if (!st)
		st = sf_writer_finish(&w, &buf, &len);
	if (!st && !(j->state = malloc(len)))
		st = ST_ENOMEM;
	if (!st) {
		memcpy(j->state, buf, len);
		j->state_len = len;
	}
	sf_writer_free(&w);
	return st;
}

static status_t open_image(struct vm *vm, uint32_t id)
{
	struct snapshots *s = vm->snap;
	char path[SNAP_PATH_MAX];
	if (!s->writer)
		return ST_ENOMEM; /* snap_open could not allocate it */
	tree_file(path, id, "mem");
	snap_remove_file(s, path); /* a leftover of an abandoned id */
	status_t st = s->op.open(s->op.ctx, path, BF_CREATE, &s->job.mem_file);
	if (!st && !(st = memimg_writer_start(s->writer, s->job.mem_file)))
		s->job.writer = s->writer;
	return st;
}

/* The running leaf freezes under the new snapshot; a new one follows. */
static status_t freeze_disk(struct vm *vm, char *old_leaf)
{
	struct snapshots *s = vm->snap;
	char leaf[SNAP_PATH_MAX];
	if (!vm->disk)
		return ST_OK;
	status_t st = snap_disk_new_leaf(vm, s->m.leaf, leaf);
	if (!st) {
		memcpy(old_leaf, s->m.leaf, SNAP_PATH_MAX);
		memcpy(s->m.leaf, leaf, SNAP_PATH_MAX);
	}
	return st;
}

/* Undoes freeze_disk: nothing was written to the new leaf yet. */
static void thaw_disk(struct vm *vm, const char *old_leaf)
{
	struct snapshots *s = vm->snap;
	char leaf[SNAP_PATH_MAX];
	if (!vm->disk || !old_leaf[0])
		return;
	memcpy(leaf, s->m.leaf, SNAP_PATH_MAX);
	if (!snap_disk_use(vm, old_leaf)) {
		snap_remove_file(s, leaf);
		memcpy(s->m.leaf, old_leaf, SNAP_PATH_MAX);
	}
}

static void start_capture(struct vm *vm)
{
	struct snap_job *j = &vm->snap->job;
	struct capture_ops ops = { vm, unprotect };
	vm_mem_protect(vm);
	capture_start(&j->cap, &vm->mem, j->writer, &ops);
	vm->mem.before_write = before_write;
	vm->mem.before_write_ctx = vm;
	j->active = true;
}

static status_t check_name(struct snapshots *s, const char *name, char *reply,
			   size_t cap)
{
	if (name[0] && !snap_name_valid(name)) {
		hv_snprintf(reply, cap, "bad name '%s': up to %u of A-Z a-z 0-9 . _ -,"
			    " not only digits", name, SNAP_NAME_MAX - 1);
		return ST_EINVAL;
	}
	if (name[0] && manifest_lookup(&s->m, name)) {
		hv_snprintf(reply, cap, "a snapshot named '%s' exists", name);
		return ST_EEXIST;
	}
	return ST_OK;
}

status_t snap_create(struct vm *vm, const char *name, struct cmd_caller *c,
		     char *reply, size_t cap)
{
	status_t st = snap_usable(vm, reply, cap);
	struct snapshots *s = st ? NULL : vm->snap;
	struct snap_node *n;
	char old_leaf[SNAP_PATH_MAX] = "";
	uint64_t reply_len;
	if (st || (st = check_name(s, name, reply, cap)))
		return st;
	snap_finish(vm); /* one capture at a time */
	uint64_t t0 = rdtsc();
	if ((st = manifest_add(&s->m, s->m.current, name, s->m.leaf,
			       plat_unix_time(), &n)))
		return hv_snprintf(reply, cap, "cannot add a snapshot: %s",
				   status_str(st)), st;
	uint32_t id = s->job.id = n->id;
	if ((st = open_image(vm, id)))
		goto fail;
	hv_snprintf(reply, cap, "created snapshot %u", id);
	reply_len = strlen(reply);
	if (c && c->deliver && (st = c->deliver(c, reply, &reply_len)))
		goto fail;
	if ((st = save_state(vm, c, reply_len)) || (st = freeze_disk(vm, old_leaf)))
		goto fail;
	s->m.current = id;
	/* The tree must name the new disk leaf before the guest writes to
	 * it; without a disk nothing needs to be durable before the capture
	 * completes (an unfinished snapshot is dropped at the next boot). */
	if (vm->disk && (st = snap_store(s)))
		goto fail_disk;
	start_capture(vm);
	n = manifest_find(&s->m, id);
	if (vm->cfg.snapshot_stop_and_copy)
		snap_finish(vm);
	if ((n = manifest_find(&s->m, id)))
		n->pause_us = elapsed_us(t0);
	if (n && n->state == SNAP_COMPLETE)
		snap_store(s);
	hv_log("snapshot %u created (pause %llu us)", id,
	       (unsigned long long)(n ? n->pause_us : 0));
	return ST_OK;
fail_disk:
	thaw_disk(vm, old_leaf);
fail:
	hv_log("snapshot %u not created: %s", id, status_str(st));
	manifest_remove(&s->m, id);
	end_job(vm, false);
	hv_snprintf(reply, cap, "snapshot not created: %s%s", status_str(st),
		    st == ST_ENOSPC ? " (the boot volume is full)" : "");
	return st;
}
