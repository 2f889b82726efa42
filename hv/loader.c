/* loader.c: puts the configured guest into a new VM: reads the kernel
 * (and initrd, as multiboot module 1) from the boot volume and loads it
 * like `qemu-system-x86_64 -kernel`. The multiboot command line is
 * "<kernel> <cmdline>", as QEMU makes it.
 * Environment: service loop, boot services (file reads). */
#include <string.h>
#include "hv/hv.h"
#include "hv/lib/fmt.h"
#include "hv/log.h"
#include "hv/multiboot.h"
#include "hv/platform.h"
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

status_t vm_load_guest(struct vm *vm)
{
	static char cmdline[CONFIG_CMDLINE_MAX + CONFIG_PATH_MAX + 2];
	struct file kernel = { 0 }, initrd = { 0 };
	struct mb_module mod = { 0 };
	struct cpu_state cs;
	char err[160];
	status_t st;
	if ((st = read_file("kernel", vm->cfg.kernel, &kernel)))
		goto out;
	if (vm->cfg.initrd[0] && (st = read_file("initrd", vm->cfg.initrd, &initrd)))
		goto out;
	st = ST_EUNSUPP;
	if (!mb_detect(kernel.data, kernel.size)) {
		hv_log("kernel '%s' has no multiboot header: only multiboot v1 "
		       "kernels can be loaded", vm->cfg.kernel);
		goto out;
	}
	hv_snprintf(cmdline, sizeof cmdline, "%s %s", vm->cfg.kernel,
		    vm->cfg.cmdline);
	mod = (struct mb_module){ initrd.data, initrd.size, vm->cfg.initrd };
	struct mb_image img = { kernel.data, kernel.size, cmdline, &mod,
				initrd.data ? 1 : 0, vm->map, vm->nmap };
	if ((st = mb_load(&vm->mem, &img, &cs, err, sizeof err))) {
		hv_log("cannot load '%s': %s", vm->cfg.kernel, err);
		goto out;
	}
	vcpu_ops->set_state(&vm->vcpu[0], &cs);
	hv_log("loaded multiboot kernel '%s', entry 0x%llx", vm->cfg.kernel,
	       (unsigned long long)cs.rip);
out:
	drop_file(&initrd);
	drop_file(&kernel);
	return st;
}
