/* blockfile_fault.h: fault injection for crash-order tests. Files opened
 * through a fault opener share one "power domain": writes stay pending
 * (visible to reads) until a flush; the Nth write or resize across the
 * domain cuts the power: it fails, every later call fails with ST_EIO, and
 * pending writes are dropped (or, in keep mode, all reach the medium). */
#ifndef STORAGE_BLOCKFILE_FAULT_H
#define STORAGE_BLOCKFILE_FAULT_H

#include "storage/blockfile.h"

struct fault_domain {
	unsigned cut_at;      /* 1-based op that cuts; 0 = never */
	unsigned ops;         /* writes + resizes seen so far */
	int keep_pending;     /* on the cut, apply pending writes instead */
	int cut;              /* set once the power is gone */
	const struct bf_opener *inner;
};

void fault_domain_init(struct fault_domain *d, const struct bf_opener *inner,
		       unsigned cut_at, int keep_pending);
/* An opener whose files go through domain d. */
void fault_opener(struct fault_domain *d, struct bf_opener *op);
/* Wraps an already open file (takes ownership of inner). */
status_t bf_fault_wrap(struct fault_domain *d, struct blockfile *inner,
		       struct blockfile **out);

#endif
