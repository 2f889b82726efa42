/* snap_apply.c: sending the machine back to a snapshot (DESIGN.md
 * section 6). Everything that can fail without harm is checked first
 * (the files, that they fit this VM, the disk's new leaf); then memory,
 * vCPU and device state are loaded. The snapshot itself is only read,
 * so it can be applied again; the running leaf it replaces is deleted. */
#include <stdlib.h>
#include <string.h>
#include "hv/lib/fmt.h"
#include "hv/log.h"
#include "hv/snap.h"
#include "hv/snap_internal.h"
#include "hv/vm.h"
#include "snapshot/statefile.h"
#include "snapshot/tree.h"

struct loaded {
	void *state;
	size_t state_len;
	struct sf_reader sf;
	struct blockfile *mem_file;
	struct memimg_reader *mem;
};

static void unload(struct loaded *l)
{
	memimg_reader_free(l->mem);
	bf_close(l->mem_file);
	free(l->state);
}

static status_t read_whole(struct snapshots *s, const char *path, void **buf,
			   size_t *len)
{
	struct blockfile *bf;
	uint64_t size;
	status_t st = s->op.open(s->op.ctx, path, BF_RDONLY, &bf);
	if (st)
		return st;
	st = bf_size(bf, &size);
	if (!st && (size > (64u << 20) || !(*buf = malloc(size ? size : 1))))
		st = size > (64u << 20) ? ST_ECORRUPT : ST_ENOMEM;
	if (!st && (st = bf_read(bf, 0, *buf, size))) {
		free(*buf);
		*buf = NULL;
	}
	*len = size;
	bf_close(bf);
	return st;
}

static bool same_layout(struct vm *vm, const struct memimg_reader *r)
{
	struct memimg_region a[MEMIMG_MAX_REGIONS], b[MEMIMG_MAX_REGIONS];
	unsigned na = capture_layout(&vm->mem, a);
	unsigned nb = memimg_reader_regions(r, b);
	return na == nb && !memcmp(a, b, na * sizeof a[0]);
}

/* Opens and checks both files of snapshot id; the reply says what is
 * wrong. Nothing of the VM changes. */
static status_t load(struct vm *vm, uint32_t id, struct loaded *l,
		     char *reply, size_t cap)
{
	struct snapshots *s = vm->snap;
	char path[SNAP_PATH_MAX], why[160] = "";
	status_t st;
	tree_file(path, id, "state");
	if ((st = read_whole(s, path, &l->state, &l->state_len)) ||
	    (st = sf_reader_open(&l->sf, l->state, l->state_len, why, sizeof why)) ||
	    (st = snap_state_check(vm, &l->sf, why, sizeof why)))
		goto fail;
	tree_file(path, id, "mem");
	if ((st = s->op.open(s->op.ctx, path, BF_RDONLY, &l->mem_file)) ||
	    (st = memimg_reader_open(l->mem_file, &l->mem, why, sizeof why)))
		goto fail;
	if (!same_layout(vm, l->mem)) {
		hv_snprintf(why, sizeof why, "its memory map is another VM's");
		st = ST_EMISMATCH;
		goto fail;
	}
	return ST_OK;
fail:
	hv_snprintf(reply, cap, "cannot apply snapshot %u: %s: %s%s%s", id, path,
		    status_str(st), why[0] ? ": " : "", why);
	return st;
}

/* Where memimg_read_all's pages go: the layout, worked out once. */
struct ram_target {
	struct gmem *mem;
	struct memimg_region reg[MEMIMG_MAX_REGIONS];
	unsigned n;
};

static status_t put_page(void *ctx, uint64_t index, const void *page)
{
	struct ram_target *t = ctx;
	for (unsigned i = 0; i < t->n; i++) {
		uint64_t pages = t->reg[i].size / MEMIMG_PAGE;
		if (index < pages)
			return gmem_write(t->mem, t->reg[i].gpa + index * MEMIMG_PAGE,
					  page, MEMIMG_PAGE);
		index -= pages;
	}
	return ST_ECORRUPT;
}

/* The new leaf under the snapshot's layer; the old one goes if it was
 * only the running machine's (a leaf of ours no snapshot owns). */
static status_t switch_disk(struct vm *vm, const struct snap_node *n,
			    char *old_leaf, char *reply, size_t cap)
{
	struct snapshots *s = vm->snap;
	char leaf[SNAP_PATH_MAX];
	status_t st;
	old_leaf[0] = 0;
	if (!n->disk[0])
		return ST_OK;
	if (!vm->disk) {
		hv_snprintf(reply, cap, "snapshot %u has a disk (%s) and this VM "
			    "has none", n->id, n->disk);
		return ST_ENODEV;
	}
	if ((st = snap_disk_new_leaf(vm, n->disk, leaf))) {
		hv_snprintf(reply, cap, "cannot start a disk layer under %s: %s",
			    n->disk, status_str(st));
		return st;
	}
	memcpy(old_leaf, s->m.leaf, SNAP_PATH_MAX);
	memcpy(s->m.leaf, leaf, SNAP_PATH_MAX);
	return ST_OK;
}

static bool owned(const struct manifest *m, const char *leaf)
{
	for (unsigned i = 0; i < m->count; i++)
		if (!strcmp(m->node[i].disk, leaf))
			return true;
	return false;
}

status_t snap_apply(struct vm *vm, const char *which, struct cmd_caller *c,
		    char *reply, size_t cap)
{
	status_t st = snap_usable(vm, reply, cap);
	struct snapshots *s = st ? NULL : vm->snap;
	struct snap_node *n = st ? NULL : snap_find(s, which, reply, cap);
	struct loaded l = { 0 };
	char old_leaf[SNAP_PATH_MAX];
	if (st || !n)
		return st ? st : which[0] ? ST_ENOENT : ST_EINVAL;
	uint32_t id = n->id;
	snap_finish(vm); /* the capture in progress completes first */
	if (!(n = manifest_find(&s->m, id)))
		return hv_snprintf(reply, cap, "snapshot %u could not be "
				   "completed", id), ST_ENOENT;
	if ((st = load(vm, id, &l, reply, cap)) ||
	    (st = switch_disk(vm, n, old_leaf, reply, cap)))
		goto out;
	/* From here the machine is the snapshot's or stops: a damaged page
	 * found now cannot be undone. */
	const char *part = "memory image";
	struct ram_target ram = { .mem = &vm->mem };
	ram.n = capture_layout(&vm->mem, ram.reg);
	if (!(st = memimg_read_all(l.mem, put_page, &ram)))
		part = "machine state", st = snap_state_restore(vm, &l.sf);
	if (st) {
		vm_stop(vm, VM_FAULT, 0, "snapshot %u could not be loaded: its %s: "
			"%s", id, part, status_str(st));
		hv_snprintf(reply, cap, "snapshot %u could not be loaded: its %s: %s",
			    id, part, status_str(st));
		goto out;
	}
	for (unsigned i = 0; i < vm->nvcpus; i++)
		vcpu_ops->flush_npt(&vm->vcpu[i]);
	s->m.current = id;
	if (!snap_store(s) && old_leaf[0] && !owned(&s->m, old_leaf) &&
	    !strncmp(old_leaf, SNAP_DIR "/", sizeof SNAP_DIR))
		snap_remove_file(s, old_leaf);
	if (c)
		c->applied = true;
	hv_log("snapshot %u applied", id);
	hv_snprintf(reply, cap, "applied snapshot %u", id);
out:
	unload(&l);
	return st;
}
