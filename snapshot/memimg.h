/* memimg.h: a snapshot's guest-RAM image: lz4-compressed pages, all-zero
 * pages stored as nothing, written in whatever order the copy-on-write
 * capture delivers pages and read back one page at a time or all in file
 * order (apply). Portable: a struct blockfile, malloc/free and liblz4.
 *
 * Layout (little-endian), pages numbered 0..npages-1 across the regions:
 *   header, 4096 bytes: magic "SVMEMIM1", u32 version (1), u32 page_size
 *     (4096), u64 npages, u32 nregions (1-8), u32 reserved (0), then at 32
 *     8 region slots {u64 gpa, u64 size} (unused slots zero), then at 160
 *     u32 header_crc (crc32 of bytes 0-159); the rest zero.
 *   page records from 4096 on, in arrival order, unaligned: u32 magic
 *     0x45474150 ("PAGE"), u32 kind (1 lz4, 2 raw), u64 page_index,
 *     u32 stored_len (lz4: 1-4095, raw: 4096), u32 crc32 of the 4096
 *     uncompressed bytes, then stored_len bytes.
 *   at finish: the index, npages u64 record offsets (0 = a zero page),
 *     then a 64-byte footer: magic "SVMEMEND", u64 index_offset, u64
 *     npages, u64 data_bytes (of the records: index_offset - 4096), u32
 *     index_crc, u32 footer_crc (crc32 of the footer with this field 0),
 *     24 zero bytes. The footer ends the file. */
#ifndef SNAPSHOT_MEMIMG_H
#define SNAPSHOT_MEMIMG_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"
#include "storage/blockfile.h"

#define MEMIMG_PAGE 4096
#define MEMIMG_MAX_REGIONS 8

/* gpa and size 4 KiB multiples, size > 0, ascending, not overlapping. */
struct memimg_region { uint64_t gpa, size; };
struct memimg_writer;   /* opaque */

/* Takes ownership of nothing: bf stays the caller's (the caller closes it after finish/abort).
 * Writes the header. Page records are buffered (1 MiB) and written in large writes.
 * bf should be a new empty file (a longer one is truncated). ST_EINVAL for
 * regions that break the rules above. */
status_t memimg_writer_open(struct blockfile *bf, const struct memimg_region *regions,
			    unsigned nregions, struct memimg_writer **out);
/* The same in two steps, so that one writer serves image after image
 * (the hypervisor keeps one per VM: a snapshot's pause then allocates
 * nothing that grows with guest memory). alloc: buffers for images of
 * this layout, no file yet. start: begins a new image in bf (truncated),
 * whatever the writer wrote before. */
status_t memimg_writer_alloc(const struct memimg_region *regions,
			     unsigned nregions, struct memimg_writer **out);
status_t memimg_writer_start(struct memimg_writer *w, struct blockfile *bf);
/* Stores page `index` (4096 bytes at `page`): an all-zero page costs nothing on disk; else
 * LZ4_compress_default into the buffer, raw if it does not shrink. ST_EINVAL for an index out of
 * range or given twice. Errors (ST_ENOSPC from a full volume, ST_EIO) are sticky. */
status_t memimg_put_page(struct memimg_writer *w, uint64_t index, const void *page);
/* All pages must have been put (else ST_EINVAL); writes the buffer, index, footer; flushes bf. */
status_t memimg_writer_finish(struct memimg_writer *w);
/* Frees the writer (after finish, or to abandon: then the file is garbage the caller removes). */
void memimg_writer_free(struct memimg_writer *w);
uint64_t memimg_writer_bytes(const struct memimg_writer *w);   /* bytes in the file so far */
/* Pages the regions cover; 0 if they break the rules above. */
uint64_t memimg_npages(const struct memimg_region *regions, unsigned nregions);

struct memimg_reader;   /* opaque */
/* Validates header, footer and index (every offset inside the data area, in range) up front.
 * ST_ECORRUPT (err says why; "incomplete image" for a capture that never
 * finished), ST_EUNSUPP for a newer version. bf stays the caller's and
 * must outlive the reader. err may be NULL. */
status_t memimg_reader_open(struct blockfile *bf, struct memimg_reader **out, char *err, size_t errcap);
unsigned memimg_reader_regions(const struct memimg_reader *r, struct memimg_region *out); /* count */
uint64_t memimg_reader_npages(const struct memimg_reader *r);
/* Reads page `index` into page (4096 bytes), checks its crc: ST_ECORRUPT on any mismatch.
 * ST_EINVAL for an index out of range. */
status_t memimg_read_page(struct memimg_reader *r, uint64_t index, void *page);
/* Reads every page in file order with large reads (fast path for apply); calls cb(ctx, index, page)
 * for each page including zero pages (page = a zeroed buffer). Stops at the first non-OK status.
 * The stored pages come first, then the zero pages in index order. */
status_t memimg_read_all(struct memimg_reader *r,
			 status_t (*cb)(void *ctx, uint64_t index, const void *page), void *ctx);
void memimg_reader_free(struct memimg_reader *r);

#endif
