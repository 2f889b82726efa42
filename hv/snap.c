/* snap.c: the snapshot tree of a VM and its create, apply, delete and
 * list (snap.h). Files on the boot volume: snapshots/manifest (the tree,
 * replaced atomically), snapshots/N.mem (memory image), snapshots/N.state
 * (vCPUs and devices) and snapshots/leaf-K.avhd (disk leaves). One
 * capture runs at a time; a snapshot is complete when both its files are
 * on disk and the manifest says so. */
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

#define MANIFEST SNAP_DIR "/manifest"

status_t snap_store(struct snapshots *s)
{
	status_t st = manifest_store(&s->op, MANIFEST, &s->m);
	if (st)
		hv_log("snapshot: cannot write %s: %s", MANIFEST, status_str(st));
	return st;
}

void snap_remove_file(struct snapshots *s, const char *path)
{
	status_t st = s->op.remove(s->op.ctx, path);
	if (st && st != ST_ENOENT)
		hv_log("snapshot: cannot remove %s: %s", path, status_str(st));
}

status_t snap_open(struct vm *vm)
{
	struct snapshots *s = calloc(1, sizeof *s);
	char err[160];
	if (!s)
		return ST_ENOMEM;
	vm->snap = s;
	plat_bf_opener(&s->op);
	/* Made here, not in a snapshot's pause (it costs milliseconds). */
	plat_mkdir(SNAP_DIR);
	struct memimg_region reg[MEMIMG_MAX_REGIONS];
	if (memimg_writer_alloc(reg, capture_layout(&vm->mem, reg), &s->writer))
		hv_log("snapshot: no memory for the image writer: snapshots "
		       "will fail");
	status_t st = manifest_load(&s->op, MANIFEST, &s->m, err, sizeof err);
	if (st == ST_ENOENT) {
		manifest_init(&s->m);
		hv_snprintf(s->m.base_disk, SNAP_PATH_MAX, "%s", vm->cfg.disk);
		hv_snprintf(s->m.leaf, SNAP_PATH_MAX, "%s", vm->cfg.disk);
	} else if (st) {
		s->broken = true;
		hv_snprintf(s->broken_why, sizeof s->broken_why,
			    "the snapshot tree %s is damaged (%s): snapshot "
			    "commands are off; its files are left as they are",
			    MANIFEST, err);
		hv_log("%s", s->broken_why);
	} else {
		hv_log("snapshot tree: %u snapshot%s", s->m.count,
		       s->m.count == 1 ? "" : "s");
	}
	snap_merge_host(vm, &s->merge.host);
	/* after a power cut: journaled merges, unfinished snapshots */
	if (!s->broken && (st = tree_recover(&s->merge.host)))
		hv_log("snapshot tree: recovery after the last stop failed: %s",
		       status_str(st));
	snap_merge_plan(vm); /* the file system work before the guest runs */
	return ST_OK;
}

const char *snap_disk_path(const struct vm *vm)
{
	const struct snapshots *s = vm->snap;
	if (s && !s->broken && s->m.leaf[0] &&
	    !strcmp(s->m.base_disk, vm->cfg.disk))
		return s->m.leaf;
	if (s && !s->broken && strcmp(s->m.base_disk, vm->cfg.disk))
		hv_log("snapshot tree: it began on disk '%s', hv.cfg names '%s': "
		       "the VM runs on hv.cfg's", s->m.base_disk, vm->cfg.disk);
	return vm->cfg.disk;
}

void snap_close(struct vm *vm)
{
	if (!vm->snap)
		return;
	snap_finish(vm);
	snap_merge_free(vm);
	memimg_writer_free(vm->snap->writer);
	free(vm->snap);
	vm->snap = NULL;
}

/* The commands refuse when the tree could not be read. */
status_t snap_usable(struct vm *vm, char *reply, size_t cap)
{
	if (!vm || !vm->snap) {
		hv_snprintf(reply, cap, "no VM is running");
		return ST_ENOENT;
	}
	if (vm->snap->broken) {
		hv_snprintf(reply, cap, "%s", vm->snap->broken_why);
		return ST_ECORRUPT;
	}
	return ST_OK;
}

/* "3" or a name; NULL with the reply saying why (an empty `which`
 * is a malformed command, else no such snapshot). */
struct snap_node *snap_find(struct snapshots *s, const char *which,
			    char *reply, size_t cap)
{
	struct snap_node *n = which[0] ? manifest_lookup(&s->m, which) : NULL;
	if (!n)
		hv_snprintf(reply, cap, which[0] ? "no snapshot '%s'"
						 : "which snapshot? give an id or "
						   "a name", which);
	return n;
}

static uint64_t used_bytes(const struct snap_node *n)
{
	return n->state == SNAP_COMPLETE ? n->bytes : 0;
}

status_t snap_list(struct vm *vm, char *reply, size_t cap)
{
	status_t st = snap_usable(vm, reply, cap);
	if (st)
		return st;
	const struct manifest *m = &vm->snap->m;
	size_t len = (size_t)hv_snprintf(reply, cap,
					 "ID PARENT NAME STATE PAUSE_US BYTES");
	for (unsigned i = 0; i < m->count && len < cap; i++) {
		const struct snap_node *n = &m->node[i];
		char parent[12];
		hv_snprintf(parent, sizeof parent, "%u", n->parent);
		len += (size_t)hv_snprintf(
			reply + len, cap - len, "\n%u %s %s %s %llu %llu%s", n->id,
			n->parent ? parent : "-", n->name[0] ? n->name : "-",
			n->state == SNAP_COMPLETE ? "complete" : "capturing",
			(unsigned long long)n->pause_us,
			(unsigned long long)used_bytes(n),
			n->id == m->current ? " *" : "");
	}
	return ST_OK;
}

status_t snap_delete(struct vm *vm, const char *which, char *reply,
		     size_t cap)
{
	status_t st = snap_usable(vm, reply, cap);
	struct snapshots *s = vm ? vm->snap : NULL;
	struct snap_node *n = st ? NULL : snap_find(s, which, reply, cap);
	if (st || !n)
		return st ? st : which[0] ? ST_ENOENT : ST_EINVAL;
	uint32_t id = n->id;
	if (s->job.active && s->job.id == id)
		snap_finish(vm);
	/* Its memory and state go now; its disk layer stays in the chain
	 * below its children until a merge folds it away. */
	snap_merge_changed(vm);
	if (manifest_find(&s->m, id) && (st = tree_delete(&s->merge.host, id))) {
		hv_snprintf(reply, cap, "cannot write the snapshot tree: %s",
			    status_str(st));
		return st;
	}
	hv_snprintf(reply, cap, "deleted snapshot %u", id);
	return ST_OK;
}
