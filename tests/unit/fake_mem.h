/* fake_mem.h: host stand-ins for the hypervisor's memory, shared by the
 * hv unit tests: a page allocator for npt (pa = the host pointer, live
 * pages counted, failure injection) and a gmem backed by calloc'd
 * regions. Everything is static inline so that each test uses what it
 * needs without unused-function warnings. */
#ifndef TESTS_UNIT_FAKE_MEM_H
#define TESTS_UNIT_FAKE_MEM_H
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "hv/gmem.h"
#include "hv/npt.h"

/* ---- page allocator for npt ------------------------------------------ */

struct fake_pages {
	long live;       /* pages allocated and not yet freed */
	long allocs;     /* successful allocations so far */
	long fail_after; /* allocations that succeed before failures; <0: never */
};

static inline void *fake_alloc_page(void *ctx, uint64_t *pa)
{
	struct fake_pages *fp = ctx;
	if (fp->fail_after >= 0 && fp->allocs >= fp->fail_after)
		return NULL;
	void *p = aligned_alloc(4096, 4096);
	assert_non_null(p);
	memset(p, 0, 4096);
	fp->live++;
	fp->allocs++;
	*pa = (uint64_t)(uintptr_t)p;
	return p;
}

static inline void fake_free_page(void *ctx, void *page)
{
	struct fake_pages *fp = ctx;
	assert_non_null(page);
	fp->live--;
	free(page);
}

static inline void *fake_phys_to_virt(void *ctx, uint64_t pa)
{
	(void)ctx;
	return (void *)(uintptr_t)pa;
}

static inline struct npt_alloc fake_npt_alloc(struct fake_pages *fp)
{
	fp->live = 0;
	fp->allocs = 0;
	fp->fail_after = -1;
	return (struct npt_alloc){ fake_alloc_page, fake_free_page,
				   fake_phys_to_virt, fp };
}

/* ---- guest RAM ------------------------------------------------------- */

struct fake_gmem {
	struct gmem gm;
	uint8_t *block[GMEM_MAX_REGIONS];
	unsigned nblocks;
};

static inline void fake_gmem_init(struct fake_gmem *fg)
{
	memset(fg, 0, sizeof *fg);
}

/* Adds a zeroed RAM region and returns its host memory. */
static inline uint8_t *fake_gmem_add(struct fake_gmem *fg, uint64_t gpa,
				     uint64_t size)
{
	uint8_t *p = calloc(1, size);
	assert_non_null(p);
	assert_int_equal(gmem_add(&fg->gm, gpa, size, p), ST_OK);
	fg->block[fg->nblocks++] = p;
	return p;
}

static inline void fake_gmem_free(struct fake_gmem *fg)
{
	for (unsigned i = 0; i < fg->nblocks; i++)
		free(fg->block[i]);
	fake_gmem_init(fg);
}

/* Host pointer of guest address gpa (which must be RAM), for checks. */
static inline uint8_t *fake_gmem_at(struct fake_gmem *fg, uint64_t gpa)
{
	for (unsigned i = 0; i < fg->gm.nregions; i++) {
		struct gmem_region *r = &fg->gm.region[i];
		if (gpa >= r->gpa && gpa - r->gpa < r->size)
			return r->hva + (gpa - r->gpa);
	}
	fail_msg("gpa 0x%llx is not RAM", (unsigned long long)gpa);
	return NULL;
}

static inline void put32(struct fake_gmem *fg, uint64_t gpa, uint32_t v)
{
	memcpy(fake_gmem_at(fg, gpa), &v, 4);
}

static inline void put64(struct fake_gmem *fg, uint64_t gpa, uint64_t v)
{
	memcpy(fake_gmem_at(fg, gpa), &v, 8);
}

static inline uint32_t get32(struct fake_gmem *fg, uint64_t gpa)
{
	uint32_t v;
	memcpy(&v, fake_gmem_at(fg, gpa), 4);
	return v;
}

static inline uint64_t get64(struct fake_gmem *fg, uint64_t gpa)
{
	uint64_t v;
	memcpy(&v, fake_gmem_at(fg, gpa), 8);
	return v;
}

#endif
