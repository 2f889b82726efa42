/* vhd_ops.h: offline operations on whole disks: writing an image (dynamic
 * VHD or raw) from a source (a chain or a raw file), export, commit and
 * check. Long operations report through env->progress. */
#ifndef STORAGE_VHD_OPS_H
#define STORAGE_VHD_OPS_H

#include "storage/vhd_chain.h"

/* Bytes of a virtual disk, read in order. */
struct vhd_source {
	uint64_t size;
	void *ctx;
	status_t (*read)(void *ctx, uint64_t off, void *buf, size_t len);
	/* optional: nonzero if [off, off+len) surely reads as zeros */
	int (*is_hole)(void *ctx, uint64_t off, uint64_t len);
};

void vhd_source_chain(struct vhd_chain *c, struct vhd_source *s);
/* A raw image; size rounded up to whole sectors (the tail reads zero). */
status_t vhd_source_raw(struct blockfile *bf, struct vhd_source *s);

/* New dynamic VHD at out (ST_EEXIST if it exists) with the source's
 * contents; all-zero blocks stay unallocated. Removed again on failure. */
status_t vhd_write_dynamic(const struct vhd_env *env,
			   const struct vhd_source *src, const char *out,
			   uint32_t block_size);
/* New raw image at out, sparse where the source is zero. */
status_t vhd_write_raw(const struct vhd_env *env,
		       const struct vhd_source *src, const char *out);
/* Flattens the chain ending at path into a standalone dynamic VHD at out,
 * crash-safe: ST_EEXIST if out exists (checked before any write); else a
 * stale out.part is removed, the new disk is written to out.part, flushed
 * and renamed to out with env->opener->rename (ST_EUNSUPP if it has none).
 * On failure out.part is removed (best effort). So after a power cut at
 * any moment out is either absent (out.part may be left) or complete. */
status_t vhd_export(const struct vhd_env *env, const char *path,
		    const char *out);

#define VHD_COMMIT_FORCE 1u   /* even if the parent has other children */
/* Merges the differencing disk at path into its parent, then empties it
 * (it stays a valid child reading the same data). Refuses (ST_EBUSY) when
 * another differencing disk in the parent's or the child's directory names
 * the same parent, unless VHD_COMMIT_FORCE. */
status_t vhd_commit(const struct vhd_env *env, const char *path,
		    unsigned flags);
/* Another differencing disk than child naming parent, in the parent's or
 * the child's directory? ST_EBUSY and *found (malloc'd) if so. */
status_t vhd_find_sibling(const struct vhd_env *env, struct vhd *child,
			  struct vhd *parent, char **found);
/* Copies the sectors block blk of child holds into parent (bm: bitmap
 * scratch, buf: one block of scratch). */
status_t vhd_commit_block(struct vhd *child, struct vhd *parent,
			  uint32_t blk, uint8_t *bm, uint8_t *buf);

/* Verifies every structure of path and of its parents, reporting each
 * problem through env->diag; ST_ECORRUPT if any error was found. */
status_t vhd_check(const struct vhd_env *env, const char *path);

#endif
