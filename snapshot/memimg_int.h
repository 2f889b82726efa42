/* memimg_int.h: the memory image's on-disk constants and the checks the
 * writer (memimg_write.c) and the reader (memimg_read.c) share. */
#ifndef SNAPSHOT_MEMIMG_INT_H
#define SNAPSHOT_MEMIMG_INT_H

#include <stdint.h>

#include "snapshot/memimg.h"

#define MI_VERSION 1
#define MI_HEADER_SIZE 4096
#define MI_REGIONS_AT 32
#define MI_HEADER_CRC_AT 160
#define MI_REC_SIZE 24          /* record header */
#define MI_REC_MAGIC 0x45474150u
#define MI_KIND_LZ4 1
#define MI_KIND_RAW 2
#define MI_FOOTER_SIZE 64
#define MI_BUF_SIZE (1u << 20)  /* write buffer and read_all chunk */

static const char mi_magic[8] = "SVMEMIM1";
static const char mi_end_magic[8] = "SVMEMEND";

struct memimg_reader {
	struct blockfile *bf;
	struct memimg_region regions[MEMIMG_MAX_REGIONS];
	unsigned nregions;
	uint64_t npages, index_off, stored;   /* stored: nonzero entries */
	uint64_t *index;        /* record offset of each page, 0 = zero */
	uint8_t *rec;           /* one record: MI_REC_SIZE + MEMIMG_PAGE */
};

/* Decodes the record at rec (avail bytes there before the index) into
 * page, checking it whole; *len gets the record's length, *index its page
 * number. ST_ECORRUPT on any mismatch. */
status_t memimg_decode_record(const uint8_t *rec, uint64_t avail,
			      void *page, uint64_t *index, size_t *len);

#endif
