/* vm.c: creating, running and stopping a VM (vm.h). The run loop is the
 * bootstrap processor's service loop: it enters vCPU 0, and between
 * entries (at least every 10 ms, when exits come from host timer ticks)
 * polls the devices, which is how console input reaches the guest.
 * Environment: bootstrap processor, boot services, interrupts on. */
#include <stdarg.h>
#include <string.h>
#include "hv/hv.h"
#include "hv/lib/fmt.h"
#include "hv/log.h"
#include "hv/platform.h"
#include "hv/vm.h"
#include "hv/x86.h"

#define POLL_INTERVAL_US 10000

void msr_init_vcpu(struct vcpu *v);

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

static status_t add_devices(struct vm *vm)
{
	status_t st = vm_add_device(vm, uart16550_create(vm, 0x3f8));
	if (!st)
		st = vm_add_device(vm, debugexit_create(vm, 0xf4));
	return st;
}

static status_t vcpu_create(struct vm *vm, unsigned id)
{
	struct vcpu *v = &vm->vcpu[id];
	memset(v, 0, sizeof *v);
	v->vm = vm;
	v->id = id;
	v->xcr0 = 1;
	v->fpu_area = fpu_alloc_area();
	if (!v->fpu_area)
		return ST_ENOMEM;
	msr_init_vcpu(v);
	vm->nvcpus = id + 1;
	return vcpu_ops->vcpu_create(v);
}

status_t vm_create(struct vm *vm, const struct vm_config *cfg)
{
	status_t st;
	memset(vm, 0, sizeof *vm);
	vm->cfg = *cfg;
	if ((st = vm_mem_create(vm, cfg->memory)))
		goto fail;
	if ((st = add_devices(vm)))
		goto fail;
	if ((st = vcpu_create(vm, 0))) {
		hv_log("cannot create vCPU 0: %s", status_str(st));
		goto fail;
	}
	if ((st = vm_load_guest(vm)))
		goto fail;
	return ST_OK;
fail:
	vm_destroy(vm);
	return st;
}

void vm_destroy(struct vm *vm)
{
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		vcpu_ops->vcpu_destroy(&vm->vcpu[i]);
		if (vm->vcpu[i].fpu_area)
			plat_free_pages(vm->vcpu[i].fpu_area, 4);
	}
	vm->nvcpus = 0;
	vm_mem_destroy(vm);
}

static void poll_devices(struct vm *vm)
{
	for (unsigned i = 0; i < vm->ndevs; i++)
		if (vm->dev[i]->poll)
			vm->dev[i]->poll(vm->dev[i]);
}

/* A halted vCPU waits in the host for the next host interrupt. */
static void idle(void)
{
	__asm__ volatile("sti; hlt" ::: "memory");
}

void vm_run(struct vm *vm)
{
	struct vcpu *v = &vm->vcpu[0];
	uint64_t next_poll = 0;
	while (vm->stop == VM_RUNNING) {
		if (v->halted)
			idle();
		else
			vcpu_ops->run(v);
		uint64_t now = plat_time_us();
		if (now >= next_poll) {
			poll_devices(vm);
			next_poll = now + POLL_INTERVAL_US;
		}
	}
}
