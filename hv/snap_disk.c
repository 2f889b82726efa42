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
#include "hv/vm.h"
#include "storage/vhd_chain.h"

/* The virtio-blk device of the VM (its disk's user). */
static struct device *disk_device(struct vm *vm)
{
	for (unsigned i = 0; i < vm->ndevs; i++)
		if (virtio_blk_disk(vm->dev[i]))
			return vm->dev[i];
	return NULL;
}

static status_t create_child(const char *parent, const char *leaf)
{
	const struct vhd_env *env = hv_vhd_env();
	struct vhd *p;
	status_t st = vhd_open(env, parent, 0, &p);
	if (st) {
		hv_log("snapshot: cannot open disk layer %s: %s", parent,
		       status_str(st));
		return st;
	}
	struct vhd_create_opts o = { VHD_TYPE_DIFF, 0, 0, p, parent };
	o.block_size = vhd_is_fixed(p) ? 0 : p->block_size;
	st = vhd_create(env, leaf, &o, NULL);
	vhd_close(p);
	if (st)
		hv_log("snapshot: cannot create disk layer %s: %s", leaf,
		       status_str(st));
	return st;
}

status_t snap_disk_use(struct vm *vm, const char *leaf)
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

status_t snap_disk_new_leaf(struct vm *vm, const char *parent,
			    const char *leaf)
{
	const struct bf_opener *op = hv_vhd_env()->opener;
	status_t st;
	if (!disk_device(vm) || !vm->disk)
		return ST_ENODEV;
	if ((st = create_child(parent, leaf)))
		return st;
	if ((st = snap_disk_use(vm, leaf)))
		op->remove(op->ctx, leaf);
	return st;
}
