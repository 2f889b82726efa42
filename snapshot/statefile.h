/* statefile.h: the machine-state file of a snapshot: vCPU and device state
 * as tagged, versioned, checksummed sections. The capture side builds it
 * in memory with sf_writer and writes the bytes out; apply reads the file
 * into memory and finds sections by tag with sf_reader. Portable.
 *
 * Layout (little-endian):
 *   header, 32 bytes: magic "SVSTATE1", u32 version (1), u32 nsections,
 *     u64 total_len (the whole file), u32 header_crc (crc32 of the header
 *     with this field 0), u32 reserved (0)
 *   nsections times: char tag[24] (1-23 printable characters, NUL-padded),
 *     u32 version, u32 len, u32 data_crc, u32 reserved (0); then the data,
 *     zero-padded to a multiple of 8. data_crc is the crc32 of the tag,
 *     version and len fields (the section's first 32 bytes) followed by
 *     the len data bytes, so a damaged tag or version is caught too. */
#ifndef SNAPSHOT_STATEFILE_H
#define SNAPSHOT_STATEFILE_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define SF_TAG_MAX 24
#define SF_VERSION 1
#define SF_HEADER_SIZE 32
#define SF_SECTION_HEADER_SIZE 40

struct sf_writer { uint8_t *buf; size_t len, cap; unsigned nsections; status_t err; };
void sf_writer_init(struct sf_writer *w);                 /* empty; the buffer grows as sections come */
/* Appends a section (errors are sticky and returned by sf_writer_finish). tag: 1-23 chars.
 * (The buffer grows by malloc, copy and free: the hypervisor has no
 * realloc.) Errors: ST_EINVAL for a bad tag or a len over 4 GiB, ST_ENOMEM.
 * data may be NULL when len is 0. */
void sf_add(struct sf_writer *w, const char *tag, uint32_t version, const void *data, size_t len);
/* Fills in the header; *buf, *len: the file's bytes (owned by w until sf_writer_free). */
status_t sf_writer_finish(struct sf_writer *w, const void **buf, size_t *len);
void sf_writer_free(struct sf_writer *w);

struct sf_section { char tag[SF_TAG_MAX]; uint32_t version; uint32_t len; const uint8_t *data; };
struct sf_reader { const uint8_t *buf; size_t len; unsigned nsections; };
/* Validates everything (magic, version, lengths, crcs, tags NUL-terminated) before returning ST_OK;
 * ST_ECORRUPT with err filled otherwise. buf must stay alive while the reader is used.
 * A newer file version is ST_EUNSUPP. err may be NULL. */
status_t sf_reader_open(struct sf_reader *r, const void *buf, size_t len, char *err, size_t errcap);
/* The section with this tag (first match); ST_ENOENT if none. */
status_t sf_find(const struct sf_reader *r, const char *tag, struct sf_section *out);
/* The i-th section (0-based), for listing; ST_ENOENT past the end. */
status_t sf_section_at(const struct sf_reader *r, unsigned i, struct sf_section *out);

#endif
