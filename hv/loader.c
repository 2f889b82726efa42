/* loader.c: puts the configured guest into a new VM: reads the kernel
 * and initrd from the boot volume and loads them like `qemu-system-x86_64
 * -kernel -initrd -append`: a Linux bzImage through the boot protocol
 * (linux_boot.h), or a multiboot v1 kernel with the initrd as module 1
 * and the command line "<kernel> <cmdline>", as QEMU makes it.
 * Environment: service loop, boot services (file reads). */
#include <string.h>
#include "hv/hv.h"
#include "hv/lib/fmt.h"
#include "hv/linux_boot.h"
#include "hv/log.h"
#include "hv/multiboot.h"
#include "hv/platform.h"
#include "hv/vclock.h"
#include "hv/vm.h"

struct file {
	void *data;
	size_t size;
};

static status_t read_file(const char *what, const char *path, struct file *f)
{
	status_t st = plat_read_file(path, &f->data, &f->size);
	if (st)
		hv_log("cannot read %s '%s' from the boot volume: %s", what, path,
		       status_str(st));
	return st;
}

static void drop_file(struct file *f)
{
	if (f->data)
		plat_free_pages(f->data, f->size / PAGE_SIZE + 1);
	f->data = NULL;
}

static status_t load_multiboot(struct vm *vm, struct file *kernel,
			       struct file *initrd, struct cpu_state *cs,
			       char *err, size_t errlen)
{
	static char cmdline[CONFIG_CMDLINE_MAX + CONFIG_PATH_MAX + 2];
	hv_snprintf(cmdline, sizeof cmdline, "%s %s", vm->cfg.kernel,
		    vm->cfg.cmdline);
	struct mb_module mod = { initrd->data, initrd->size, vm->cfg.initrd };
	struct mb_image img = { kernel->data, kernel->size, cmdline, &mod,
				initrd->data ? 1 : 0, vm->map, vm->nmap,
				VM_BOOT_GDT };
	return mb_load(&vm->mem, &img, cs, err, errlen);
}

/* Linux learns the TSC's rate from the command line: an unmodified
 * kernel has no other way to ask this hypervisor (KVM and Hyper-V have
 * their own interfaces), and calibrating against emulated timers whose
 * every read is an exit fails under load; the kernel then falls back to
 * the ACPI PM timer, which costs an exit per clock read. The TSC is the
 * host's, unmodified and invariant, hence "reliable". The options go
 * first, so that the user's own come later (and win) and none lands
 * after a "--" (which hands the rest to init). A command line that
 * already says something about the TSC is left alone. */
static bool says_tsc(const char *c)
{
	for (const char *w = c; *w; w++)
		if ((w == c || w[-1] == ' ') && !strncmp(w, "tsc", 3) &&
		    (w[3] == '=' || w[3] == '_'))
			return true;
	return false;
}

static const char *linux_cmdline(struct vm *vm)
{
	static char line[CONFIG_CMDLINE_MAX + 64];
	const char *c = vm->cfg.cmdline;
	if (says_tsc(c))
		return c;
	hv_snprintf(line, sizeof line, "tsc_early_khz=%llu tsc=reliable%s%s",
		    (unsigned long long)(vclock_hz(vm) / 1000), c[0] ? " " : "", c);
	return line;
}

static status_t load_linux(struct vm *vm, struct file *kernel,
			   struct file *initrd, struct cpu_state *cs,
			   char *err, size_t errlen)
{
	struct linux_image img = { kernel->data, kernel->size, initrd->data,
				   initrd->size, linux_cmdline(vm), vm->map,
				   vm->nmap, vm->rsdp };
	return linux_load(&vm->mem, &img, cs, err, errlen);
}

/* A Linux bzImage (the boot protocol's header) or a multiboot v1 kernel. */
status_t vm_load_guest(struct vm *vm)
{
	struct file kernel = { 0 }, initrd = { 0 };
	struct cpu_state cs;
	const char *kind;
	char err[160];
	status_t st;
	if ((st = read_file("kernel", vm->cfg.kernel, &kernel)))
		goto out;
	if (vm->cfg.initrd[0] && (st = read_file("initrd", vm->cfg.initrd, &initrd)))
		goto out;
	if (linux_detect(kernel.data, kernel.size)) {
		kind = "linux";
		st = load_linux(vm, &kernel, &initrd, &cs, err, sizeof err);
	} else if (mb_detect(kernel.data, kernel.size)) {
		kind = "multiboot";
		st = load_multiboot(vm, &kernel, &initrd, &cs, err, sizeof err);
	} else {
		hv_log("kernel '%s' is neither a Linux bzImage nor a multiboot v1 "
		       "kernel", vm->cfg.kernel);
		st = ST_EUNSUPP;
		goto out;
	}
	if (st) {
		hv_log("cannot load '%s': %s", vm->cfg.kernel, err);
		goto out;
	}
	vcpu_ops->set_state(&vm->vcpu[0], &cs);
	hv_log("loaded %s kernel '%s', entry 0x%llx", kind, vm->cfg.kernel,
	       (unsigned long long)cs.rip);
out:
	drop_file(&initrd);
	drop_file(&kernel);
	return st;
}
