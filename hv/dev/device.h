/* device.h: what every device model offers the VM. A device claims
 * ranges of I/O ports or guest-physical memory on the VM's buses
 * (hv/bus.h); accesses there reach its `access` callback. It may want a
 * periodic poll from the service loop, and it saves and restores its
 * whole state as bytes (snapshots). One file per model in hv/dev/.
 * Environment: the service loop (exit handlers and polls), one at a
 * time: models need no locking. */
#ifndef HV_DEV_DEVICE_H
#define HV_DEV_DEVICE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "status.h"

struct vm;

struct device {
	const char *name;
	struct vm *vm;
	/* An access to one of the device's claimed ranges. `region` is the
	 * number the device gave when it claimed the range and `offset` the
	 * distance from its start; size is 1, 2, 4 or 8. A write passes *val
	 * in; a read returns it (pre-set to all ones). */
	void (*access)(struct device *dev, int region, uint64_t offset,
		       unsigned size, bool write, uint64_t *val);
	/* Called by the service loop every few milliseconds (may be NULL). */
	void (*poll)(struct device *dev);
	/* Serialized state: state_size bytes, versioned by the model;
	 * restore refuses a buffer of another size or version. */
	size_t state_size;
	void (*save)(const struct device *dev, void *buf);
	status_t (*restore)(struct device *dev, const void *buf, size_t len);
	/* Back to the power-on state (a machine reset). */
	void (*reset)(struct device *dev);
	/* Releases the model when the VM goes; NULL means free(dev). */
	void (*destroy)(struct device *dev);
};

/* The models of this build (one file each under hv/dev/). Each claims
 * its ranges on vm's buses; NULL when out of memory or a range is taken. */
struct device *uart16550_create(struct vm *vm, uint16_t base);
struct device *debugexit_create(struct vm *vm, uint16_t base);

#endif
