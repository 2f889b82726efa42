/* npt.h: the one nested-paging engine. Intel's EPT (SDM vol. 3, 29.3.2)
 * and AMD's nested page tables (APM vol. 2, 15.25) are both 4-level
 * radix trees of 512 entries; what differs is the meaning of the bits,
 * which a `struct npt_format` describes as data. Maps guest-physical to
 * host-physical with 2 MiB leaves where alignment allows, splitting them
 * to 4 KiB on demand. Portable: page tables come from an allocator. */
#ifndef HV_NPT_H
#define HV_NPT_H
#include <stdbool.h>
#include <stdint.h>
#include "status.h"

enum { NPT_R = 1, NPT_W = 2, NPT_X = 4, NPT_RWX = 7 };

#define NPT_4K (1ull << 12)
#define NPT_2M (1ull << 21)
#define NPT_1G (1ull << 30)

struct npt_format {
	const char *name;
	uint64_t present; /* any of these bits set: the entry maps something */
	uint64_t r, w, x; /* bits granting each access */
	uint64_t nx;      /* bit denying execution, where that is the sense */
	uint64_t always;  /* bits every present entry carries */
	uint64_t leaf;    /* bits only leaves carry (memory type) */
	uint64_t large;   /* the page-size bit of a 2 MiB leaf */
	uint64_t addr;    /* physical-address bits of an entry */
};

extern const struct npt_format npt_format_ept, npt_format_amd;

struct npt_alloc {
	/* A zeroed 4 KiB page; *pa receives its physical address. */
	void *(*alloc_page)(void *ctx, uint64_t *pa);
	void (*free_page)(void *ctx, void *page);
	void *(*phys_to_virt)(void *ctx, uint64_t pa);
	void *ctx;
};

struct npt {
	const struct npt_format *fmt;
	struct npt_alloc alloc;
	uint64_t *root;
	uint64_t root_pa;
};

status_t npt_init(struct npt *npt, const struct npt_format *fmt,
		  const struct npt_alloc *alloc);
void npt_destroy(struct npt *npt);
/* Maps [gpa, gpa+size) to [hpa, ...) with `perms`; all 4 KiB aligned. */
status_t npt_map(struct npt *npt, uint64_t gpa, uint64_t hpa, uint64_t size,
		 unsigned perms);
/* Changes the permissions of what is mapped in the range (holes stay). */
status_t npt_protect(struct npt *npt, uint64_t gpa, uint64_t size,
		     unsigned perms);
status_t npt_unmap(struct npt *npt, uint64_t gpa, uint64_t size);
/* ST_ENOENT when gpa is not mapped. */
status_t npt_lookup(const struct npt *npt, uint64_t gpa, uint64_t *hpa,
		    unsigned *perms, uint64_t *page_size);

#endif
