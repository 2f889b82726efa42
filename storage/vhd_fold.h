/* vhd_fold.h: folding a layer of an open chain into its only child while
 * the guest keeps using the chain ("stream"): the child gets every sector
 * it lacks from the parent, then its header is switched to the grandparent
 * (journaled in "<child path>.fold"), then the parent is dropped and
 * deleted. The content the chain reads never changes. Used by the merge
 * thread (snapshot delete) and `hvdisk fold`; recovery runs before open. */
#ifndef STORAGE_VHD_FOLD_H
#define STORAGE_VHD_FOLD_H

#include <stdbool.h>
#include "storage/vhd_chain.h"

struct vhd_fold;

/* Starts folding c->layer[k] into c->layer[k-1] (1 <= k < depth-1: the
 * folded layer must itself have a parent, else ST_EUNSUPP). The child is
 * reopened read-write if it is not the leaf. Writes the journal. */
status_t vhd_fold_begin(struct vhd_chain *c, unsigned k,
			struct vhd_fold **out);
/* Copies at least one block and up to about max_bytes more; *done once
 * every block of the parent has been visited. Guest I/O through the chain
 * may happen between calls; sectors the child holds are never touched. */
status_t vhd_fold_step(struct vhd_fold *f, uint64_t max_bytes, bool *done);
/* Precondition: a step reported done. Switches the child's header to the
 * grandparent (journal first, flushed, then in place, flushed) and removes
 * the layer from the open chain (indices above shift down; the map is
 * rebuilt lazily): from then on the fold is complete and durable. Its
 * file and the journal stay until vhd_fold_cleanup (recovery deletes them
 * after a power cut). On failure the chain reads the same and the switch
 * may be retried. */
status_t vhd_fold_switch(struct vhd_fold *f);
/* After a switch: deletes the folded layer's file, then the journal. May
 * wait (deleting a big file costs), but must come before another fold of
 * the same child begins: that one writes the same journal. */
void vhd_fold_cleanup(struct vhd_fold *f);
/* vhd_fold_switch, then at once vhd_fold_cleanup. */
status_t vhd_fold_finish(struct vhd_fold *f);
/* Frees f; a switched fold's pending cleanup is not done (recovery does
 * it when the chain is next opened). */
void vhd_fold_free(struct vhd_fold *f);
/* Bytes of the parent's allocated blocks visited so far, and in all. */
void vhd_fold_progress(const struct vhd_fold *f, uint64_t *done,
		       uint64_t *total);
/* Before opening the chain whose leaf is path: completes every fold whose
 * journal holds a new header (redo the header, delete the parent and the
 * journal); leaves journals of folds still copying (resume with begin);
 * deletes unreadable journals (written before anything else changed). */
status_t vhd_fold_recover(const struct vhd_env *env, const char *path);

/* Reopens layer i of c read-write in place (a no-op if it is). */
status_t vhd_chain_writable(struct vhd_chain *c, unsigned i);
/* child's header naming gp instead of its parent: the new locators are
 * written past child's footer (child writable; its current header stays
 * valid), h and raw (encoded) are filled; nothing else changes. */
status_t vhd_repoint_header(const struct vhd_env *env, struct vhd *child,
			    struct vhd *gp, struct vhd_header *h,
			    uint8_t raw[VHD_HEADER_SIZE]);

/* Internal (vhd_fold.c, vhd_fold_step.c, vhd_fold_finish.c,
 * vhd_fold_journal.c). A step keeps, per child block its copies land in,
 * the block's bitmap with the copied sectors added and where it lies
 * (new blocks get space reserved at the child's end). */
struct vhd_fold_cblk {
	uint32_t blk;               /* child block number */
	bool fresh;                 /* absent in the child: allocated */
	bool dirty;                 /* sectors were copied into it */
	uint64_t pos;               /* its bitmap's file offset */
};
struct vhd_fold {
	struct vhd_chain *c;
	unsigned k;                 /* the layer being folded away */
	char *journal;              /* "<child path>.fold" */
	uint8_t *buf;               /* parent blocks: bitmap, then data */
	uint32_t buf_blocks;        /* how many buf holds */
	uint32_t next;              /* next parent block to copy */
	uint64_t done, total;       /* bytes, for progress */
	bool copied;
	char *folded;               /* switched: the file left to delete */
	/* the current step; arrays kept between steps */
	struct vhd_fold_cblk *cblk;
	uint8_t *cbm;               /* child bitmaps, one per cblk[] */
	uint32_t ncblk, cblk_cap;
	uint32_t nres, nused;       /* new child blocks reserved, used */
	uint64_t res_pos;           /* where the first reserved one lies */
};
#ifndef VHD_FOLD_READ_MAX
#define VHD_FOLD_READ_MAX (8u << 20)   /* bytes per read of the parent */
#endif
#define VHD_FOLD_COPYING 1u
#define VHD_FOLD_SWITCH 2u
/* Writes the journal (state, parent path, for SWITCH the new header and
 * its offset in the child) in one write, then flushes it. */
status_t vhd_fold_journal_write(const struct vhd_env *env, const char *jpath,
				uint32_t state, const char *parent_path,
				uint64_t hdr_off, const uint8_t *hdr);
/* Deletes path if the opener can (best effort: recovery finishes it). */
void vhd_fold_remove(const struct vhd_env *env, const char *path);

#endif
