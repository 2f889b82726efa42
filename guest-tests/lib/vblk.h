/* vblk.h: the merge guests' disk (guest-tests/merge*.c): the virtio-blk
 * device at 00:01.0 through its legacy interface (virtio 1.x spec 4.1.4.8,
 * split virtqueue 2.7), one request at a time, waiting by spinning on the
 * used ring (never `hlt`, so a guest using it never idles), and the sector
 * patterns the merge tests write and check (the host side computes the
 * same bytes: tests/system/test_merge.py, pattern()). */
#ifndef VBLK_H
#define VBLK_H

#include "guest.h"

#define VBLK_SECTOR	512
#define VBLK_MAX_SECTORS 32	/* per vblk_read/vblk_write call */

/* Finds and starts the device; fails the guest when it is missing. */
void vblk_init(void);
/* The disk's size in sectors (virtio-blk config "capacity"). */
uint64_t vblk_capacity(void);
/* n (1..VBLK_MAX_SECTORS) sectors from `sector` into/from buf; each
 * fails the guest on an error status. */
void vblk_read(uint64_t sector, void *buf, unsigned n);
void vblk_write(uint64_t sector, const void *buf, unsigned n);
void vblk_flush(void);
/* One request of len bytes (a multiple of 512) at data, which must stay
 * put until it returns; the status byte (0 = OK). */
int vblk_io(int write, uint64_t sector, void *data, uint32_t len);
/* A write whose failure the guest expects: the status byte (0 = OK). */
int vblk_try_write(uint64_t sector, const void *src, unsigned n);

/* Sector `sector` as pattern `tag` ('A', 'B', ...) leaves it: a text head
 * "merge TAG SECTOR" for people, then words that depend on tag and sector,
 * so a sector from another place or time never matches. */
void pattern_fill(uint8_t *buf, char tag, uint64_t sector);
/* What sector `sector` holds in buf: the tag whose pattern it matches
 * exactly, 0 for all zeros, '?' for anything else. */
char pattern_which(const uint8_t *buf, uint64_t sector);

/* Writes tag's pattern to sectors [first, first + count), in requests of
 * VBLK_MAX_SECTORS, without a flush (on Bochs a flush of the boot volume
 * takes seconds; a snapshot flushes the disk itself). */
void pattern_write(char tag, uint64_t first, uint64_t count);
/* Fails the guest (naming `when`) unless every sector of [first, first +
 * count) holds what want(sector) returns (a tag, or 0 for zeros). */
void pattern_expect(uint64_t first, uint64_t count, char (*want)(uint64_t),
		    const char *when);

#endif
