/* capture.h: copy-on-write capture of guest RAM into a memory image
 * (DESIGN.md section 6). The owner write-protects all guest RAM, then
 * starts a capture; pages are copied out when the background writer
 * reaches them (capture_step), when the guest is about to write one (its
 * write fault: capture_fault) or when the hypervisor is (gmem_write's
 * hook: capture_before_write). Each copied page is handed back writable
 * through ops->unprotect, in whole 2 MiB runs where the writer finishes
 * them. Portable: RAM is given as the regions of a struct gmem. */
#ifndef SNAPSHOT_CAPTURE_H
#define SNAPSHOT_CAPTURE_H
#include <stdbool.h>
#include <stdint.h>
#include "status.h"
#include "hv/gmem.h"
#include "snapshot/memimg.h"

struct capture_ops {
	void *ctx;
	/* [gpa, gpa+size) has been copied: it may be writable again. */
	void (*unprotect)(void *ctx, uint64_t gpa, uint64_t size);
};

struct capture {
	struct memimg_region region[MEMIMG_MAX_REGIONS];
	const uint8_t *hva[MEMIMG_MAX_REGIONS];
	uint64_t first_page[MEMIMG_MAX_REGIONS]; /* image index of page 0 */
	unsigned nregions;
	uint64_t npages, copied, cursor;
	uint64_t *done;              /* bitmap of copied pages */
	struct memimg_writer *w;
	struct capture_ops ops;
	status_t err;                /* first write error: the capture failed */
};

/* Describes gm's regions as an image layout (for memimg_writer_open). */
unsigned capture_layout(const struct gmem *gm, struct memimg_region *out);
/* Starts capturing gm into w. Precondition: the owner has just made all
 * of gm read-only to the guest, and gm's contents are the snapshot. */
status_t capture_start(struct capture *c, const struct gmem *gm,
		       struct memimg_writer *w, const struct capture_ops *ops);
/* The hypervisor is about to write [gpa, gpa+len): copies those pages
 * first. Addresses outside the capture are ignored. */
void capture_before_write(struct capture *c, uint64_t gpa, uint64_t len);
/* A guest write to gpa faulted. True when gpa is RAM of this capture:
 * the page is copied (if it was not yet) and writable again. */
bool capture_fault(struct capture *c, uint64_t gpa);
/* Copies up to max_pages more in address order; true once all are. */
bool capture_step(struct capture *c, uint64_t max_pages);
static inline bool capture_complete(const struct capture *c)
{
	return c->copied == c->npages;
}
/* Makes every page not yet copied writable again without copying it
 * (abandoning a failed capture), then frees the engine's memory. The
 * writer stays the caller's. */
void capture_abandon(struct capture *c);
void capture_free(struct capture *c);

#endif
