/* bus.h: the VM's two address spaces that devices answer in: I/O ports
 * and guest-physical memory (MMIO). A device claims a range with a
 * region number of its choosing; an exit handler's access goes to the
 * one range holding its address. Ranges may be claimed and released at
 * any time (PCI BARs move when the guest programs them). Portable. */
#ifndef HV_BUS_H
#define HV_BUS_H
#include <stdbool.h>
#include <stdint.h>
#include "status.h"

struct vm;
struct device;

enum bus_space { BUS_PIO, BUS_MMIO };

#define BUS_MAX_RANGES 64

struct bus_range {
	enum bus_space space;
	uint64_t base, size;
	struct device *dev;
	int region;
};

struct bus {
	struct bus_range range[BUS_MAX_RANGES];
	unsigned nranges;
};

/* ST_EEXIST when the range overlaps one already claimed; ST_ENOSPC when
 * the table is full; ST_EINVAL for an empty or wrapping range. */
status_t bus_claim(struct bus *bus, enum bus_space space, uint64_t base,
		   uint64_t size, struct device *dev, int region);
/* Drops the device's claim of `region` (no-op when it holds none). */
void bus_release(struct bus *bus, struct device *dev, int region);
/* Performs the access; false when no device claims the address (the
 * caller then treats it as open bus: reads all ones, writes dropped). */
bool bus_access(struct bus *bus, enum bus_space space, uint64_t addr,
		unsigned size, bool write, uint64_t *val);

#endif
