/* vm_pause.c: a VM paused by the hypervisor (vm.h), as QEMU's
 * werror=enospc and Hyper-V's "Paused-Critical" pause a VM whose storage
 * is full: the guest is not entered, and the request that could not be
 * stored stays pending in its device until the console's `continue`
 * retries it. The run loop (vm.c) honours vm->pause.
 * Environment: the service loop (exit handlers, console commands). */
#include <stdarg.h>
#include "hv/dev/virtio_blk.h"
#include "hv/lib/fmt.h"
#include "hv/log.h"
#include "hv/vm.h"

/* What the user can do about each reason, on the host console. */
static const char *const advice[] = {
	[VM_PAUSED_DISK_FULL] =
		"make room on the boot volume (e.g. snapshot delete ID at the "
		"hypervisor console, Ctrl-]), then type continue",
};

void vm_pause(struct vm *vm, enum vm_pause why, const char *fmt, ...)
{
	va_list ap;
	if (vm->pause != VM_NOT_PAUSED || why == VM_NOT_PAUSED)
		return;
	vm->pause = why;
	va_start(ap, fmt);
	hv_vsnprintf(vm->pause_msg, sizeof vm->pause_msg, fmt, ap);
	va_end(ap);
	hv_log("%s", vm->pause_msg);
	hv_log("vm paused: %s", advice[why]);
}

/* Retries every virtio-blk disk's pending request. */
static status_t retry_disks(struct vm *vm)
{
	for (unsigned i = 0; i < vm->ndevs; i++) {
		status_t st = virtio_blk_disk(vm->dev[i])
				      ? virtio_blk_retry(vm->dev[i]) : ST_OK;
		if (st)
			return st;
	}
	return ST_OK;
}

status_t vm_continue(struct vm *vm, char *reply, size_t cap)
{
	status_t st;
	if (!vm) {
		hv_snprintf(reply, cap, "no VM is running");
		return ST_ENOENT;
	}
	if (vm->pause == VM_NOT_PAUSED) {
		hv_snprintf(reply, cap, "the VM is not paused");
		return ST_EINVAL;
	}
	if ((st = retry_disks(vm))) {
		hv_snprintf(reply, cap, "%s still: the VM stays paused; %s",
			    st == ST_ENOSPC ? "no space left on the boot volume"
					    : status_str(st),
			    advice[vm->pause]);
		return st;
	}
	vm->pause = VM_NOT_PAUSED;
	vm->pause_msg[0] = 0;
	hv_snprintf(reply, cap, "the VM runs again");
	return ST_OK;
}

void vm_state_text(const struct vm *vm, char *out, size_t cap)
{
	if (vm->pause == VM_NOT_PAUSED)
		hv_snprintf(out, cap, "running");
	else
		hv_snprintf(out, cap, "paused: %s", vm->pause_msg);
}
