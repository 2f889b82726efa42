/* device.h: what every device model offers the VM. A device claims a
 * range of I/O ports (the VM's dispatch table routes accesses there),
 * may want a periodic poll from the service loop, and saves and
 * restores its whole state as bytes (snapshots). One file per model. */
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
	uint16_t port_base, port_count;
	/* size is 1, 2 or 4; *val carries what is written or read. */
	void (*io)(struct device *dev, uint16_t port, unsigned size,
		   bool write, uint32_t *val);
	void (*poll)(struct device *dev);
	/* Serialized state: save_size bytes, versioned by the model. */
	size_t state_size;
	void (*save)(const struct device *dev, void *buf);
	status_t (*restore)(struct device *dev, const void *buf, size_t len);
	void (*reset)(struct device *dev);
};

/* The models of this build (one file each under hv/dev/). */
struct device *uart16550_create(struct vm *vm, uint16_t base);
struct device *debugexit_create(struct vm *vm, uint16_t base);

#endif
