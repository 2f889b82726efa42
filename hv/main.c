/* main.c: hv_main, the hypervisor after the firmware hands over: pick
 * the vendor's ops table, enable it, read hv.cfg, build and run the VM,
 * report why it stopped, then power off or offer the host console.
 * Environment: bootstrap processor, boot services, interrupts on. */
#include <string.h>
#include "hv/console.h"
#include "hv/hv.h"
#include "hv/log.h"
#include "hv/platform.h"
#include "hv/snap.h"
#include "hv/vm.h"
#include "hv/x86.h"

#define HV_VERSION "0.1"
#define CONFIG_FILE "hv.cfg"

const struct vcpu_ops *vcpu_ops;
static struct vm the_vm;

/* CPUID vendor and feature bits: VMX is leaf 1 ECX[5] (SDM vol. 3,
 * 24.6); SVM is 0x80000001 ECX[2] (APM vol. 2, 15.4). */
static const struct vcpu_ops *pick_vendor(void)
{
	uint32_t r[4], e[4];
	char vendor[13] = { 0 };
	cpuid(0, 0, r);
	memcpy(vendor, &r[1], 4);
	memcpy(vendor + 4, &r[3], 4);
	memcpy(vendor + 8, &r[2], 4);
	cpuid(1, 0, r);
	cpuid(0x80000000u, 0, e);
	if (!strcmp(vendor, "GenuineIntel") && (r[2] & (1u << 5)))
		return &vmx_ops;
	if (e[0] >= 0x80000001u) {
		cpuid(0x80000001u, 0, e);
		if (!strcmp(vendor, "AuthenticAMD") && (e[2] & (1u << 2)))
			return &svm_ops;
	}
	hv_log("CPU '%s' has neither VT-x (VMX) nor AMD-V (SVM): cannot run "
	       "guests", vendor);
	return NULL;
}

static status_t load_config(struct vm_config *cfg)
{
	void *text;
	size_t len;
	char err[128];
	status_t st = plat_read_file(CONFIG_FILE, &text, &len);
	if (st) {
		hv_log("cannot read %s from the boot volume: %s", CONFIG_FILE,
		       status_str(st));
		return st;
	}
	st = config_parse(text, len, cfg, err, sizeof err);
	plat_free_pages(text, len / PAGE_SIZE + 1);
	if (st)
		hv_log("%s: %s", CONFIG_FILE, err);
	return st;
}

static void report_stop(const struct vm *vm)
{
	switch (vm->stop) {
	case VM_EXIT_CODE:
		hv_log("vm exit code %d", vm->exit_code);
		break;
	case VM_POWER_OFF:
		hv_log("vm powered off");
		break;
	default:
		hv_log("vm stopped: %s", vm->stop_msg);
	}
}

/* Builds and runs the VM until it stops for good; a guest's reset
 * (port 0xCF9, the keyboard controller) boots it again from its
 * configuration, as a PC's reset reloads its firmware. False when it
 * could not start. */
bool hv_run_vm(const struct vm_config *cfg)
{
	for (;;) {
		if (vm_create(&the_vm, cfg)) {
			hv_log("vm stopped: cannot start the VM");
			return false;
		}
		hv_log("starting VM: %llu MiB RAM, kernel '%s'",
		       (unsigned long long)(cfg->memory >> 20), cfg->kernel);
		vm_run(&the_vm);
		snap_finish(&the_vm); /* a snapshot taken just before is kept */
		if (the_vm.stop != VM_RESET)
			break;
		hv_log("vm reset: %s", the_vm.stop_msg);
		vm_destroy(&the_vm);
	}
	report_stop(&the_vm);
	/* Powering off discards guest RAM with the machine (freeing it costs
	 * seconds under an emulator), but never a file the VM wrote. */
	if (cfg->on_stop == ON_STOP_POWEROFF) {
		vm_close_files(&the_vm);
		plat_power_off();
	}
	vm_destroy(&the_vm);
	return true;
}

void hv_main(void)
{
	struct vm_config cfg;
	hv_log("hypervisor %s starting", HV_VERSION);
	vcpu_ops = pick_vendor();
	if (!vcpu_ops || vcpu_ops->cpu_enable() || fpu_init()) {
		hv_log("vm stopped: virtualization is not available");
		return;
	}
	if (load_config(&cfg)) {
		hv_log("vm stopped: no usable configuration");
		return;
	}
	hv_run_vm(&cfg);
	if (cfg.on_stop == ON_STOP_CONSOLE)
		console_loop(&cfg);
}
