/* capture.c: the copy-on-write capture engine (capture.h). A bitmap
 * says which pages are in the image; the writer walks pages in address
 * order with a cursor, faults copy single pages out of order. */
#include <stdlib.h>
#include <string.h>
#include "snapshot/capture.h"

#define PAGE MEMIMG_PAGE
#define RUN_PAGES 512u /* 2 MiB: a nested large page */

unsigned capture_layout(const struct gmem *gm, struct memimg_region *out)
{
	unsigned n = 0;
	for (unsigned i = 0; i < gm->nregions && n < MEMIMG_MAX_REGIONS; i++)
		out[n++] = (struct memimg_region){ gm->region[i].gpa,
						   gm->region[i].size };
	return n;
}

static bool is_done(const struct capture *c, uint64_t page)
{
	return (c->done[page / 64] >> (page % 64)) & 1;
}

/* Image index of gpa's page, or false when gpa is not captured RAM. */
static bool page_of(const struct capture *c, uint64_t gpa, uint64_t *page,
		    unsigned *reg)
{
	for (unsigned i = 0; i < c->nregions; i++) {
		const struct memimg_region *r = &c->region[i];
		if (gpa >= r->gpa && gpa - r->gpa < r->size) {
			*page = c->first_page[i] + (gpa - r->gpa) / PAGE;
			*reg = i;
			return true;
		}
	}
	return false;
}

static uint64_t gpa_of(const struct capture *c, uint64_t page, unsigned *reg)
{
	unsigned i = 0;
	while (i + 1 < c->nregions && page >= c->first_page[i + 1])
		i++;
	*reg = i;
	return c->region[i].gpa + (page - c->first_page[i]) * PAGE;
}

/* Puts one page into the image. A write error fails the capture but the
 * page still counts as handled: the guest must be able to go on. */
static void copy_page(struct capture *c, uint64_t page, unsigned reg)
{
	uint64_t off = (page - c->first_page[reg]) * PAGE;
	if (!c->err)
		c->err = memimg_put_page(c->w, page, c->hva[reg] + off);
	c->done[page / 64] |= 1ull << (page % 64);
	c->copied++;
}

status_t capture_start(struct capture *c, const struct gmem *gm,
		       struct memimg_writer *w, const struct capture_ops *ops)
{
	memset(c, 0, sizeof *c);
	c->nregions = capture_layout(gm, c->region);
	for (unsigned i = 0; i < c->nregions; i++) {
		if ((c->region[i].gpa | c->region[i].size) % PAGE)
			return ST_EINVAL;
		c->hva[i] = gm->region[i].hva;
		c->first_page[i] = c->npages;
		c->npages += c->region[i].size / PAGE;
	}
	c->done = calloc((c->npages + 63) / 64, sizeof *c->done);
	if (!c->done)
		return ST_ENOMEM;
	c->w = w;
	c->ops = *ops;
	return ST_OK;
}

void capture_before_write(struct capture *c, uint64_t gpa, uint64_t len)
{
	uint64_t end = gpa + len;
	uint64_t page;
	unsigned reg;
	for (gpa &= ~(uint64_t)(PAGE - 1); gpa < end; gpa += PAGE)
		if (page_of(c, gpa, &page, &reg) && !is_done(c, page)) {
			copy_page(c, page, reg);
			c->ops.unprotect(c->ops.ctx, gpa, PAGE);
		}
}

bool capture_fault(struct capture *c, uint64_t gpa)
{
	uint64_t page;
	unsigned reg;
	if (!page_of(c, gpa, &page, &reg))
		return false;
	if (!is_done(c, page))
		copy_page(c, page, reg);
	c->ops.unprotect(c->ops.ctx, gpa & ~(uint64_t)(PAGE - 1), PAGE);
	return true;
}

/* Hands back the 2 MiB run that ends before `page` (or the region's
 * tail) once the cursor has passed it: every page in it is copied. */
static void release_run(struct capture *c, uint64_t page)
{
	unsigned reg;
	uint64_t last = gpa_of(c, page - 1, &reg);
	const struct memimg_region *r = &c->region[reg];
	uint64_t start = last & ~(uint64_t)(RUN_PAGES * PAGE - 1);
	if (start < r->gpa)
		start = r->gpa;
	c->ops.unprotect(c->ops.ctx, start, last + PAGE - start);
}

static bool run_ends_at(const struct capture *c, uint64_t page)
{
	unsigned reg, prev;
	if (page == c->npages)
		return true;
	uint64_t gpa = gpa_of(c, page, &reg);
	gpa_of(c, page - 1, &prev);
	return reg != prev || (gpa % (RUN_PAGES * PAGE)) == 0;
}

bool capture_step(struct capture *c, uint64_t max_pages)
{
	while (max_pages && c->cursor < c->npages) {
		uint64_t page = c->cursor++;
		if (!is_done(c, page)) {
			unsigned reg;
			gpa_of(c, page, &reg);
			copy_page(c, page, reg);
			max_pages--;
		}
		if (run_ends_at(c, c->cursor))
			release_run(c, c->cursor);
	}
	return capture_complete(c);
}

void capture_abandon(struct capture *c)
{
	for (unsigned i = 0; i < c->nregions; i++)
		c->ops.unprotect(c->ops.ctx, c->region[i].gpa, c->region[i].size);
	capture_free(c);
}

void capture_free(struct capture *c)
{
	free(c->done);
	c->done = NULL;
}
