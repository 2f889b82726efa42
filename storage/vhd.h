/* vhd.h: one VHD file (a "layer"): open and validate, create, read its
 * BAT and bitmaps, and write sectors into it in crash-safe order. Chains of
 * layers are vhd_chain.h; this level knows nothing about parents' data. */
#ifndef STORAGE_VHD_H
#define STORAGE_VHD_H

#include <stdint.h>
#include "storage/vhd_format.h"

#define VHD_RDWR 1u          /* open for writing (leaf, commit target) */

struct vhd {
	const struct vhd_env *env;
	struct blockfile *bf;
	char *path;
	int writable;
	int nosync;                 /* skip ordering flushes (new files) */
	struct vhd_footer footer;
	uint8_t footer_raw[VHD_FOOTER_SIZE];
	struct vhd_header header;   /* dynamic and differencing only */
	uint64_t size;              /* virtual disk size in bytes */
	uint64_t footer_off;        /* where the end footer is now */
	uint32_t block_size;        /* 0 for fixed disks */
	unsigned block_shift;
	uint32_t bitmap_bytes;
	uint32_t nblocks;           /* BAT entries in use */
	uint32_t *bat;              /* host order */
};

/* Options for vhd_create. A differencing disk takes its size from the
 * parent; parent_path is how the child will name it (locators). */
struct vhd_create_opts {
	uint32_t type;              /* VHD_TYPE_* */
	uint64_t size;
	uint32_t block_size;        /* 0 = 2 MiB */
	const struct vhd *parent;
	const char *parent_path;
};

/* Opens and validates path; every problem found goes to env->diag and a
 * bad file fails with ST_ECORRUPT (or ST_EUNSUPP), the file untouched. */
status_t vhd_open(const struct vhd_env *env, const char *path,
		  unsigned flags, struct vhd **out);
void vhd_close(struct vhd *v);
/* Names parent in the child's header h (unique ID, time stamp, Unicode
 * name) and makes the parent locators' data (UTF-16LE, caller frees):
 * data[0] relative to the child's directory, data[1] the absolute Windows
 * form when the opener knows absolute paths (else NULL). */
status_t vhd_name_parent(const struct vhd_env *env, const char *child_path,
			 const struct vhd *parent, const char *parent_path,
			 struct vhd_header *h, uint8_t *data[2], uint32_t len[2]);
/* Creates a new file (ST_EEXIST if path exists); on failure nothing is
 * left behind. out may be NULL; else the new layer, open read-write. */
status_t vhd_create(const struct vhd_env *env, const char *path,
		    const struct vhd_create_opts *o, struct vhd **out);

static inline int vhd_is_diff(const struct vhd *v)
{
	return v->footer.disk_type == VHD_TYPE_DIFF;
}
static inline int vhd_is_fixed(const struct vhd *v)
{
	return v->footer.disk_type == VHD_TYPE_FIXED;
}
/* File offset of block blk's data, or 0 if the block is absent (and for
 * fixed disks, which have no blocks: their data is at the disk offset). */
uint64_t vhd_block_data(const struct vhd *v, uint32_t blk);
/* The sector bitmap of an allocated block (bitmap_bytes long). */
status_t vhd_read_bitmap(struct vhd *v, uint32_t blk, uint8_t *bm);
/* Writes count sectors at sector: allocates blocks and sets bitmap bits;
 * data and bitmap reach the medium before the BAT entry that names them. */
status_t vhd_write_sectors(struct vhd *v, uint64_t sector, uint64_t count,
			   const void *buf);
/* Batched allocation (a fold's step): vhd_extend moves the footer past n
 * new blocks at the end (flushed: the file ends in a valid footer whatever
 * happens next) and sets *pos where the first begins (the others follow,
 * bitmap_bytes + block_size apart). The caller writes their bitmaps and
 * data, flushes, then names each with vhd_bat_set; until then they are
 * unused space. vhd_extend_undo gives the space back (best effort) when
 * no BAT entry names any of them yet. */
status_t vhd_extend(struct vhd *v, uint32_t n, uint64_t *pos);
void vhd_extend_undo(struct vhd *v, uint64_t old_footer_off);
status_t vhd_bat_set(struct vhd *v, uint32_t blk, uint64_t pos);
/* Marks every block absent (commit empties a child this way) and cuts the
 * file after its metadata. */
status_t vhd_empty(struct vhd *v);
status_t vhd_flush(struct vhd *v);

static inline int bm_test(const uint8_t *bm, uint32_t i)
{
	return bm[i >> 3] >> (7 - (i & 7)) & 1;
}
static inline void bm_set(uint8_t *bm, uint32_t i)
{
	bm[i >> 3] |= (uint8_t)(0x80 >> (i & 7));
}

/* VHD time stamps count seconds from 2000-01-01 00:00:00 UTC. */
#define VHD_EPOCH_UNIX 946684800ull
uint32_t vhd_now(const struct vhd_env *env);

#endif
