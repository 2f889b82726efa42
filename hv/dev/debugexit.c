/* debugexit.c: the debug-exit port (QEMU's isa-debug-exit at 0xf4,
 * 4 bytes wide): a guest writes its exit code there and the VM stops
 * with it. Reads return all ones. It holds no state, but takes part in
 * save and restore like every model (a zero-length state). */
#include <stdlib.h>
#include "hv/dev/device.h"
#include "hv/vm.h"

static void debugexit_access(struct device *dev, int region, uint64_t offset,
			     unsigned size, bool write, uint64_t *val)
{
	(void)region, (void)offset, (void)size;
	if (write)
		vm_stop(dev->vm, VM_EXIT_CODE, (int)(uint32_t)*val,
			"guest wrote %u to the debug-exit port", (uint32_t)*val);
}

static void debugexit_save(const struct device *dev, void *buf)
{
	(void)dev;
	(void)buf;
}

static status_t debugexit_restore(struct device *dev, const void *buf,
				  size_t len)
{
	(void)dev;
	(void)buf;
	return len == 0 ? ST_OK : ST_ECORRUPT;
}

struct device *debugexit_create(struct vm *vm, uint16_t base)
{
	struct device *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	*d = (struct device){
		.name = "debug-exit", .vm = vm, .access = debugexit_access,
		.state_size = 0, .save = debugexit_save, .restore = debugexit_restore,
	};
	if (bus_claim(&vm->bus, BUS_PIO, base, 4, d, 0)) {
		free(d);
		return NULL;
	}
	return d;
}
