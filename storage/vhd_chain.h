/* vhd_chain.h: a leaf VHD and its parents as one disk. Opening finds each
 * parent (relative locator, absolute locator, header name), checks its
 * unique ID (mismatch: error) and time stamp (mismatch: warning). Reads go
 * through a cached per-unit map of which layer holds which sectors, so a
 * read costs one lookup whatever the depth; writes go to the leaf only. */
#ifndef STORAGE_VHD_CHAIN_H
#define STORAGE_VHD_CHAIN_H

#include "storage/vhd.h"

#define VHD_MAX_DEPTH 128
#define VHD_LAYER_NONE 0xFFu    /* no layer holds it: reads as zeros */

/* A run of sectors within a unit held by one layer. */
struct vhd_run {
	uint32_t start;             /* first sector of the run in the unit */
	uint32_t layer;
};

enum { VHD_U_UNRESOLVED, VHD_U_ZERO, VHD_U_FULL, VHD_U_MIXED };

/* One map unit: resolved lazily on first access, kept up to date on
 * writes. FULL: one layer holds it all, at file offset off. */
struct vhd_unit {
	uint8_t kind;
	uint8_t layer;
	uint32_t nruns;
	union {
		uint64_t off;
		struct vhd_run *runs;
	} u;
};

struct vhd_chain {
	const struct vhd_env *env;
	unsigned depth;
	struct vhd *layer[VHD_MAX_DEPTH];   /* [0] leaf ... [depth-1] base */
	uint64_t size;
	uint32_t unit;                      /* smallest block size in chain */
	unsigned unit_shift;
	uint32_t spu;                       /* sectors per unit */
	uint32_t nunits;
	struct vhd_unit *map;
	uint8_t *bm;                        /* scratch: one bitmap */
	uint8_t *sect;                      /* scratch: spu layer indices */
	/* Also receives every sector written to the leaf (an online commit
	 * of the leaf into its parent); a failure stops the mirroring and
	 * is kept in mirror_err, the guest's write stands. Not owned. */
	struct vhd *mirror;
	status_t mirror_err;
};

/* flags: VHD_RDWR opens the leaf for writing; parents are always
 * read-only. Problems go to env->diag. */
status_t vhd_chain_open(const struct vhd_env *env, const char *path,
			unsigned flags, struct vhd_chain **out);
void vhd_chain_close(struct vhd_chain *c);
status_t vhd_chain_read(struct vhd_chain *c, uint64_t off, void *buf,
			size_t len);
status_t vhd_chain_write(struct vhd_chain *c, uint64_t off, const void *buf,
			 size_t len);
status_t vhd_chain_flush(struct vhd_chain *c);
/* Resolves map unit u now (reads bitmaps); then c->map[u] is current. */
status_t vhd_chain_resolve(struct vhd_chain *c, uint32_t u);
status_t vhd_chain_resolve_all(struct vhd_chain *c);
/* Finds the parent of child (locators, then header name) and opens it
 * read-only; used by the chain and by commit. */
status_t vhd_find_parent(const struct vhd_env *env, struct vhd *child,
			 struct vhd **out);
/* The paths vhd_find_parent would try (relative locator, absolute
 * locator, header name; each malloc'd or NULL), without opening them:
 * fold recovery repairs a parent's header before it is opened. */
status_t vhd_parent_paths(struct vhd *child, char *out[3]);

/* Internal to the chain (vhd_chain_map.c). */
status_t vhd_chain_map_init(struct vhd_chain *c);
void vhd_chain_map_free(struct vhd_chain *c);
/* File offset in layer k of the start of unit u (the block must exist). */
uint64_t vhd_chain_layer_off(struct vhd_chain *c, unsigned k, uint32_t u);
/* The leaf now holds sectors [first, first+count) of unit u. */
void vhd_chain_map_wrote(struct vhd_chain *c, uint32_t u, uint32_t first,
			 uint32_t count);

#endif
