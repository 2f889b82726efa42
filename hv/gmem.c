/* gmem.c: guest RAM regions and the accessors of gmem.h. */
#include <string.h>
#include "hv/gmem.h"

status_t gmem_add(struct gmem *gm, uint64_t gpa, uint64_t size, void *hva)
{
	if (gm->nregions == GMEM_MAX_REGIONS || !size || gpa + size < gpa)
		return ST_EINVAL;
	for (unsigned i = 0; i < gm->nregions; i++) {
		const struct gmem_region *r = &gm->region[i];
		if (gpa < r->gpa + r->size && r->gpa < gpa + size)
			return ST_EEXIST;
	}
	gm->region[gm->nregions++] = (struct gmem_region){ gpa, size, hva };
	return ST_OK;
}

static const struct gmem_region *find(const struct gmem *gm, uint64_t gpa)
{
	for (unsigned i = 0; i < gm->nregions; i++)
		if (gpa >= gm->region[i].gpa &&
		    gpa - gm->region[i].gpa < gm->region[i].size)
			return &gm->region[i];
	return NULL;
}

const void *gmem_peek(const struct gmem *gm, uint64_t gpa, uint64_t len)
{
	const struct gmem_region *r = find(gm, gpa);
	if (!r || len > r->size - (gpa - r->gpa))
		return NULL;
	return r->hva + (gpa - r->gpa);
}

/* ST_OK when all of [gpa, gpa+len) is RAM, so that a copy either
 * happens whole or not at all. */
static status_t check_range(const struct gmem *gm, uint64_t gpa, uint64_t len)
{
	while (len) {
		const struct gmem_region *r = find(gm, gpa);
		if (!r)
			return ST_EFAULT;
		uint64_t n = r->size - (gpa - r->gpa);
		n = n < len ? n : len;
		gpa += n, len -= n;
	}
	return ST_OK;
}

status_t gmem_read(const struct gmem *gm, uint64_t gpa, void *buf,
		   uint64_t len)
{
	uint8_t *out = buf;
	status_t st = check_range(gm, gpa, len);
	while (!st && len) {
		const struct gmem_region *r = find(gm, gpa);
		uint64_t off = gpa - r->gpa, n = r->size - off;
		n = n < len ? n : len;
		memcpy(out, r->hva + off, n);
		out += n, gpa += n, len -= n;
	}
	return st;
}

static status_t write_or_fill(struct gmem *gm, uint64_t gpa, const void *buf,
			      uint8_t byte, uint64_t len)
{
	const uint8_t *in = buf;
	status_t st = check_range(gm, gpa, len);
	if (st)
		return st;
	if (gm->before_write && len)
		gm->before_write(gm->before_write_ctx, gpa, len);
	while (len) {
		const struct gmem_region *r = find(gm, gpa);
		uint64_t off = gpa - r->gpa, n = r->size - off;
		n = n < len ? n : len;
		if (in)
			memcpy(r->hva + off, in, n), in += n;
		else
			memset(r->hva + off, byte, n);
		gpa += n, len -= n;
	}
	return ST_OK;
}

status_t gmem_write(struct gmem *gm, uint64_t gpa, const void *buf,
		    uint64_t len)
{
	return write_or_fill(gm, gpa, buf, 0, len);
}

status_t gmem_fill(struct gmem *gm, uint64_t gpa, uint8_t byte, uint64_t len)
{
	return write_or_fill(gm, gpa, NULL, byte, len);
}

uint64_t gmem_size(const struct gmem *gm)
{
	uint64_t total = 0;
	for (unsigned i = 0; i < gm->nregions; i++)
		total += gm->region[i].size;
	return total;
}
