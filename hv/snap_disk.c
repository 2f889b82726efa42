/* snap_disk.c: a snapshot's disk side (DESIGN.md sections 5 and 6): a
 * new differencing leaf is created under a layer that stays read-only
 * from then on (the running leaf when a snapshot is taken, the
 * snapshot's layer when one is applied), and the VM's virtio-blk moves
 * onto the chain that ends in it. The old chain stays open until the new
 * one works, so a failure changes nothing. */
#include "hv/dev/virtio_blk.h"
#include "hv/disk.h"
#include "hv/log.h"
#include "hv/snap.h"
#include "hv/snap_internal.h"
#include "hv/vm.h"
#include "snapshot/tree.h"
#include "storage/vhd_chain.h"

/* The virtio-blk device of the VM (its disk's user). */
static struct device *disk_device(struct vm *vm)
{
	for (unsigned i = 0; i < vm->ndevs; i++)
		if (virtio_blk_disk(vm->dev[i]))
			return vm->dev[i];
	return NULL;
}

status_t snap_disk_swap(struct vm *vm, const char *leaf)
{
	struct device *dev = disk_device(vm);
	struct vhd_chain *chain;
	status_t st;
	if (!dev || !vm->disk)
		return ST_ENODEV;
	if ((st = vhd_chain_flush(vm->disk)) || (st = vm_disk_open(leaf, &chain)))
		return st;
	if (chain->size != vm->disk->size) {
		hv_log("snapshot: disk %s is not the size of the VM's disk", leaf);
		vm_disk_close(chain);
		return ST_EMISMATCH;
	}
	virtio_blk_set_disk(dev, chain);
	vm_disk_close(vm->disk);
	vm->disk = chain;
	return ST_OK;
}

status_t snap_disk_use(struct vm *vm, const char *leaf)
{
	snap_merge_changed(vm);
	return snap_disk_swap(vm, leaf);
}

status_t snap_disk_new_leaf(struct vm *vm, const char *parent, char *leaf)
{
	const struct bf_opener *op = hv_vhd_env()->opener;
	struct merge_host h;
	status_t st;
	if (!disk_device(vm) || !vm->disk)
		return ST_ENODEV;
	snap_merge_host(vm, &h);
	if ((st = tree_new_leaf(&h, parent, leaf))) {
		hv_log("snapshot: cannot create a disk layer under %s: %s",
		       parent, status_str(st));
		return st;
	}
	if ((st = snap_disk_use(vm, leaf)))
		op->remove(op->ctx, leaf);
	return st;
}
