/* vm.c: creating, running and stopping a VM (vm.h). The run loop is the
 * bootstrap processor's service loop: it enters vCPU 0, and between
 * entries (at least every 10 ms, when exits come from host timer ticks)
 * polls the devices, which is how console input reaches the guest. A
 * paused VM (hv/vm_pause.c) is not entered; the loop then serves only
 * the host console and the background work.
 * Environment: bootstrap processor, boot services, interrupts on. */
#include <stdarg.h>
#include <string.h>
#include <stdlib.h>
#include "hv/acpi.h"
#include "hv/console.h"
#include "hv/dev/acpi_devices.h"
#include "hv/dev/pc_devices.h"
#include "hv/dev/pci.h"
#include "hv/dev/virtio_blk.h"
#include "hv/disk.h"
#include "hv/hv.h"
#include "hv/intr.h"
#include "hv/ioapic.h"
#include "hv/lapic.h"
#include "hv/pic.h"
#include "hv/snap.h"
#include "hv/lib/fmt.h"
#include "hv/log.h"
#include "hv/plat_storage.h"
#include "hv/platform.h"
#include "hv/vm.h"
#include "hv/x86.h"
#include "storage/vhd_chain.h"

#define POLL_INTERVAL_US 10000

void vm_stop(struct vm *vm, enum vm_stop why, int code, const char *fmt, ...)
{
	va_list ap;
	if (vm->stop != VM_RUNNING)
		return;
	vm->stop = why;
	vm->exit_code = code;
	va_start(ap, fmt);
	hv_vsnprintf(vm->stop_msg, sizeof vm->stop_msg, fmt, ap);
	va_end(ap);
}

status_t vm_add_device(struct vm *vm, struct device *dev)
{
	if (!dev)
		return ST_ENOMEM;
	if (vm->ndevs == VM_MAX_DEVICES)
		return ST_ENOSPC;
	dev->vm = vm;
	vm->dev[vm->ndevs++] = dev;
	return ST_OK;
}

/* The PCI host bridge and, when the configuration names a disk, a
 * virtio-blk device on it (00:01.0) over the disk's VHD chain. */
static status_t add_pci(struct vm *vm)
{
	struct pci_host *ph = pci_host_create(vm);
	status_t st = vm_add_device(vm, ph ? pci_host_dev(ph) : NULL);
	const char *disk = snap_disk_path(vm);
	if (st || !disk[0])
		return st;
	st = vm_disk_open(disk, &vm->disk);
	if (st) {
		hv_log("cannot open disk '%s': %s", disk, status_str(st));
		return st;
	}
	hv_log("disk '%s' on virtio-blk at 00:01.0", disk);
	return vm_add_device(vm, virtio_blk_create(vm, ph, 1, vm->disk));
}

static status_t add_devices(struct vm *vm)
{
	uint64_t low = vm_low_ram(vm);
	uint64_t high = vm->ram_size - low;
	status_t st = vm_add_device(vm, pic_create(vm));
	if (!st)
		st = vm_add_device(vm, ioapic_create(vm));
	if (!st)
		st = vm_add_device(vm, uart16550_create(vm, 0x3f8));
	if (!st)
		st = vm_add_device(vm, debugexit_create(vm, 0xf4));
	if (!st)
		st = vm_add_device(vm, pit8254_create(vm));
	if (!st)
		st = vm_add_device(vm, rtc_create(vm, plat_unix_time(), low, high));
	if (!st)
		st = vm_add_device(vm, hpet_create(vm));
	if (!st)
		st = vm_add_device(vm, acpi_pm_create(vm));
	if (!st)
		st = vm_add_device(vm, i8042_create(vm));
	if (!st)
		st = add_pci(vm);
	return st;
}

/* The ACPI tables in the BIOS area, where a legacy scan finds the RSDP. */
static status_t add_acpi(struct vm *vm)
{
	struct acpi_config cfg = { .nvcpus = vm->nvcpus,
				   .table_base = ACPI_TABLE_BASE,
				   .table_size = ACPI_TABLE_SIZE };
	status_t st = acpi_build(&vm->mem, &cfg, &vm->rsdp);
	if (st)
		hv_log("cannot build the ACPI tables: %s", status_str(st));
	return st;
}

static status_t vcpu_create(struct vm *vm, unsigned id)
{
	struct vcpu *v = &vm->vcpu[id];
	memset(v, 0, sizeof *v);
	v->vm = vm;
	v->id = id;
	v->xcr0 = 1;
	v->deadline = UINT64_MAX;
	msr_init_vcpu(v);
	v->fpu_area = fpu_alloc_area();
	if (!v->fpu_area)
		return ST_ENOMEM;
	vm->nvcpus = id + 1;
	status_t st = lapic_create(v);
	return st ? st : vcpu_ops->vcpu_create(v);
}

status_t vm_create(struct vm *vm, const struct vm_config *cfg)
{
	status_t st;
	memset(vm, 0, sizeof *vm);
	vm->cfg = *cfg;
	if ((st = vm_mem_create(vm, cfg->memory)))
		goto fail;
	if ((st = vcpu_create(vm, 0))) {
		hv_log("cannot create vCPU 0: %s", status_str(st));
		goto fail;
	}
	if ((st = snap_open(vm)))
		goto fail;
	if ((st = add_devices(vm))) {
		hv_log("cannot create the devices: %s", status_str(st));
		goto fail;
	}
	if ((st = add_acpi(vm)))
		goto fail;
	if ((st = vm_load_guest(vm)))
		goto fail;
	return ST_OK;
fail:
	vm_destroy(vm);
	return st;
}

/* The teardown every stop goes through (exit code, power-off, fault,
 * reset, console poweroff; DESIGN.md section 3): the capture in progress
 * is completed, the merge left at its step boundary, and the disk chain
 * flushed and closed, so that the firmware's file cache holds nothing
 * when the machine powers off or the VM starts again. Only a power cut
 * may lose a write the guest was told is done. */
void vm_close_files(struct vm *vm)
{
	snap_close(vm);
	if (!vm->disk)
		return;
	status_t st = vhd_chain_flush(vm->disk);
	if (st)
		hv_log("disk: cannot flush at stop: %s", status_str(st));
	vm_disk_close(vm->disk);
	vm->disk = NULL;
}

void vm_destroy(struct vm *vm)
{
	vm_close_files(vm);
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		vcpu_ops->vcpu_destroy(&vm->vcpu[i]);
		if (vm->vcpu[i].fpu_area)
			plat_free_pages(vm->vcpu[i].fpu_area, FPU_AREA_PAGES);
		free(vm->vcpu[i].lapic);
	}
	vm->nvcpus = 0;
	for (unsigned i = vm->ndevs; i-- > 0;) {
		struct device *d = vm->dev[i];
		if (d->destroy)
			d->destroy(d);
		else
			free(d);
	}
	vm->ndevs = 0;
	vm_mem_destroy(vm);
}

static void poll_devices(struct vm *vm)
{
	for (unsigned i = 0; i < vm->ndevs; i++)
		if (vm->dev[i]->poll)
			vm->dev[i]->poll(vm->dev[i]);
}

/* A halted vCPU waits in the host until its next virtual timer, the
 * next device poll, or an interrupt that wakes it. Waits longer than
 * the firmware's tick sleep in HLT; shorter ones spin on the TSC, so
 * that timers are on time without a host timer of our own. */
static void idle(struct vcpu *v, uint64_t until)
{
	uint64_t tick = plat_tsc_hz() / 100;
	while (v->halted && !intr_wakes_halted(v)) {
		uint64_t now = rdtsc();
		if (now >= until)
			return;
		if (snap_busy(v->vm))
			snap_service(v->vm, true); /* idle time writes snapshots */
		else if (snap_merge_pending(v->vm))
			snap_merge_idle(v->vm, until); /* ... and merges */
		else if (until - now > tick)
			__asm__ volatile("sti; hlt" ::: "memory");
		else
			__asm__ volatile("pause" ::: "memory");
	}
	v->halted = false;
}

/* One turn of a paused VM's loop: no vCPU runs and no virtual timer
 * fires (they catch up when it continues). The host console stays live
 * (its `continue` ends the pause) and the snapshot writer goes on. Merges
 * wait while the pause is for room on the volume: a fold needs room
 * before it frees any, and must not take what was made for the guest's
 * write (`merge now` still runs them on request). */
static void paused_turn(struct vm *vm)
{
	console_poll(vm);
	if (snap_busy(vm))
		snap_service(vm, true);
	else if (vm->pause != VM_PAUSED_DISK_FULL && snap_merge_pending(vm))
		snap_merge_idle(vm, rdtsc() + plat_tsc_hz() / 100);
	else
		__asm__ volatile("sti; hlt" ::: "memory");
}

void vm_run(struct vm *vm)
{
	struct vcpu *v = &vm->vcpu[0];
	uint64_t next_poll = 0, poll_ticks = plat_tsc_hz() / 1000000 *
					     POLL_INTERVAL_US;
	while (vm->stop == VM_RUNNING) {
		if (vm->pause != VM_NOT_PAUSED) {
			paused_turn(vm);
			continue;
		}
		uint64_t now = rdtsc();
		uint64_t next_timer = vtimer_run_due(&vm->timers, now);
		if (now >= next_poll) {
			poll_devices(vm);
			/* A guaranteed share for the capture under any load. */
			snap_service(vm, false);
			snap_merge_busy(vm);
			next_poll = now + poll_ticks;
		}
		v->deadline = next_timer < next_poll ? next_timer : next_poll;
		if (v->halted)
			idle(v, v->deadline);
		else
			vcpu_ops->run(v);
	}
}
