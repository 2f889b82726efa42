/* bus.c: claimed ranges and access dispatch (bus.h). A linear table:
 * a PC has a few dozen ranges, and the hottest ones are claimed first. */
#include "hv/bus.h"
#include "hv/dev/device.h"

static bool overlaps(const struct bus_range *r, enum bus_space space,
		     uint64_t base, uint64_t size)
{
	return r->space == space && base < r->base + r->size &&
	       r->base < base + size;
}

status_t bus_claim(struct bus *bus, enum bus_space space, uint64_t base,
		   uint64_t size, struct device *dev, int region)
{
	if (!size || base + size < base || !dev)
		return ST_EINVAL;
	for (unsigned i = 0; i < bus->nranges; i++)
		if (overlaps(&bus->range[i], space, base, size))
			return ST_EEXIST;
	if (bus->nranges == BUS_MAX_RANGES)
		return ST_ENOSPC;
	bus->range[bus->nranges++] = (struct bus_range){ space, base, size, dev,
							 region };
	return ST_OK;
}

void bus_release(struct bus *bus, struct device *dev, int region)
{
	for (unsigned i = 0; i < bus->nranges; i++) {
		if (bus->range[i].dev != dev || bus->range[i].region != region)
			continue;
		bus->range[i] = bus->range[--bus->nranges];
		return;
	}
}

bool bus_access(struct bus *bus, enum bus_space space, uint64_t addr,
		unsigned size, bool write, uint64_t *val)
{
	for (unsigned i = 0; i < bus->nranges; i++) {
		struct bus_range *r = &bus->range[i];
		if (r->space != space || addr < r->base || addr - r->base >= r->size)
			continue;
		r->dev->access(r->dev, r->region, addr - r->base, size, write, val);
		return true;
	}
	return false;
}
