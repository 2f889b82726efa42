/* memimg_write.c: the memory-image writer. Pages come in any order; each
 * becomes a record in a 1 MiB buffer (lz4 straight into the buffer, raw
 * when lz4 does not shrink it, nothing for a zero page) written out when
 * full. The index of record offsets stays in memory (8 bytes a page) until
 * finish writes it and the footer. */
#include <lz4.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot/crc32.h"
#include "snapshot/le.h"
#include "snapshot/memimg_int.h"

struct memimg_writer {
	struct blockfile *bf;
	struct memimg_region region[MEMIMG_MAX_REGIONS];
	unsigned nregions;
	uint64_t npages, nput;
	uint64_t *index;        /* record offset of each page, 0 = zero page */
	uint8_t *seen;          /* bitmap: pages put so far */
	uint8_t *buf;           /* records not yet written */
	size_t buf_len;
	uint64_t buf_off;       /* file offset of buf[0] */
	status_t err;           /* sticky medium error */
	bool finished;
};

uint64_t memimg_npages(const struct memimg_region *regions, unsigned n)
{
	uint64_t pages = 0, end = 0;

	if (!n || n > MEMIMG_MAX_REGIONS)
		return 0;
	for (unsigned i = 0; i < n; i++) {
		uint64_t gpa = regions[i].gpa, size = regions[i].size;
		if (!size || (gpa | size) % MEMIMG_PAGE ||
		    gpa + size < gpa || (i && gpa < end))
			return 0;
		end = gpa + size;
		pages += size / MEMIMG_PAGE;
	}
	return pages;
}

static void build_header(uint8_t *h, const struct memimg_region *regions,
			 unsigned n, uint64_t npages)
{
	memset(h, 0, MI_HEADER_SIZE);
	memcpy(h, mi_magic, 8);
	put_le32(h + 8, MI_VERSION);
	put_le32(h + 12, MEMIMG_PAGE);
	put_le64(h + 16, npages);
	put_le32(h + 24, n);
	for (unsigned i = 0; i < n; i++) {
		put_le64(h + MI_REGIONS_AT + 16 * i, regions[i].gpa);
		put_le64(h + MI_REGIONS_AT + 16 * i + 8, regions[i].size);
	}
	put_le32(h + MI_HEADER_CRC_AT, crc32_update(0, h, MI_HEADER_CRC_AT));
}

status_t memimg_writer_alloc(const struct memimg_region *regions,
			     unsigned nregions, struct memimg_writer **out)
{
	uint64_t npages = memimg_npages(regions, nregions);
	struct memimg_writer *w;

	if (!npages || npages > SIZE_MAX / 16)
		return ST_EINVAL;
	if (!(w = calloc(1, sizeof(*w))))
		return ST_ENOMEM;
	memcpy(w->region, regions, nregions * sizeof(regions[0]));
	w->nregions = nregions;
	w->npages = npages;
	/* The index is not zeroed: every entry is written when its page is
	 * put (zeroing 8 bytes a page would cost time that grows with
	 * guest memory, in a snapshot's pause). */
	if (!(w->index = malloc((size_t)npages * sizeof(uint64_t))) ||
	    !(w->seen = malloc((size_t)(npages + 7) / 8)) ||
	    !(w->buf = malloc(MI_BUF_SIZE))) {
		memimg_writer_free(w);
		return ST_ENOMEM;
	}
	*out = w;
	return ST_OK;
}

status_t memimg_writer_start(struct memimg_writer *w, struct blockfile *bf)
{
	uint64_t size;
	status_t st;

	w->bf = bf;
	w->nput = 0;
	w->buf_len = 0;
	w->buf_off = MI_HEADER_SIZE;
	w->err = ST_OK;
	w->finished = false;
	memset(w->seen, 0, (size_t)(w->npages + 7) / 8);
	build_header(w->buf, w->region, w->nregions, w->npages);
	if ((st = bf_size(bf, &size)) || (size && (st = bf_resize(bf, 0))) ||
	    (st = bf_write(bf, 0, w->buf, MI_HEADER_SIZE)))
		return w->err = st;
	return ST_OK;
}

status_t memimg_writer_open(struct blockfile *bf,
			    const struct memimg_region *regions,
			    unsigned nregions, struct memimg_writer **out)
{
	struct memimg_writer *w;
	status_t st = memimg_writer_alloc(regions, nregions, &w);

	if (st)
		return st;
	if ((st = memimg_writer_start(w, bf))) {
		memimg_writer_free(w);
		return st;
	}
	*out = w;
	return ST_OK;
}

static status_t write_buf(struct memimg_writer *w)
{
	status_t st;

	if (!w->buf_len)
		return ST_OK;
	if ((st = bf_write(w->bf, w->buf_off, w->buf, w->buf_len)))
		return w->err = st;
	w->buf_off += w->buf_len;
	w->buf_len = 0;
	return ST_OK;
}

/* memcpy: the page may be unaligned; the compiler makes it plain loads. */
static bool page_is_zero(const void *page)
{
	const uint8_t *p = page;
	uint64_t q[4];

	for (size_t i = 0; i < MEMIMG_PAGE; i += sizeof(q)) {
		memcpy(q, p + i, sizeof(q));
		if (q[0] | q[1] | q[2] | q[3])
			return false;
	}
	return true;
}

/* Precondition: room for a record at buf + buf_len. */
static void append_record(struct memimg_writer *w, uint64_t index,
			  const void *page)
{
	uint8_t *rec = w->buf + w->buf_len;
	int n = LZ4_compress_default(page, (char *)rec + MI_REC_SIZE,
				     MEMIMG_PAGE, MEMIMG_PAGE - 1);
	uint32_t kind = MI_KIND_LZ4;

	/* The limit makes lz4 give up (0) as soon as it cannot shrink. */
	if (n <= 0 || n >= MEMIMG_PAGE) {
		memcpy(rec + MI_REC_SIZE, page, MEMIMG_PAGE);
		n = MEMIMG_PAGE;
		kind = MI_KIND_RAW;
	}
	put_le32(rec, MI_REC_MAGIC);
	put_le32(rec + 4, kind);
	put_le64(rec + 8, index);
	put_le32(rec + 16, (uint32_t)n);
	put_le32(rec + 20, crc32_update(0, page, MEMIMG_PAGE));
	w->index[index] = w->buf_off + w->buf_len;
	w->buf_len += MI_REC_SIZE + (size_t)n;
}

status_t memimg_put_page(struct memimg_writer *w, uint64_t index,
			 const void *page)
{
	if (w->err)
		return w->err;
	if (w->finished || index >= w->npages ||
	    (w->seen[index / 8] & (1u << (index % 8))))
		return ST_EINVAL;
	if (!page_is_zero(page)) {
		if (MI_BUF_SIZE - w->buf_len < MI_REC_SIZE + MEMIMG_PAGE &&
		    write_buf(w))
			return w->err;
		append_record(w, index, page);
	} else {
		w->index[index] = 0;
	}
	w->seen[index / 8] |= (uint8_t)(1u << (index % 8));
	w->nput++;
	return ST_OK;
}

/* The index goes out through the (empty) buffer, a chunk at a time. */
static status_t write_index(struct memimg_writer *w, uint32_t *crc)
{
	const size_t per_chunk = MI_BUF_SIZE / 8;
	status_t st;

	*crc = 0;
	for (uint64_t i = 0; i < w->npages; i += per_chunk) {
		uint64_t n = w->npages - i < per_chunk ? w->npages - i
						       : per_chunk;
		for (uint64_t k = 0; k < n; k++)
			put_le64(w->buf + 8 * k, w->index[i + k]);
		w->buf_len = (size_t)n * 8;
		*crc = crc32_update(*crc, w->buf, w->buf_len);
		if ((st = write_buf(w)))
			return st;
	}
	return ST_OK;
}

status_t memimg_writer_finish(struct memimg_writer *w)
{
	uint64_t index_off;
	uint8_t *f;
	uint32_t crc;
	status_t st;

	if (w->err)
		return w->err;
	if (w->finished || w->nput != w->npages)
		return ST_EINVAL;
	if ((st = write_buf(w)))
		return st;
	index_off = w->buf_off;
	if ((st = write_index(w, &crc)))
		return st;
	f = w->buf;
	memset(f, 0, MI_FOOTER_SIZE);
	memcpy(f, mi_end_magic, 8);
	put_le64(f + 8, index_off);
	put_le64(f + 16, w->npages);
	put_le64(f + 24, index_off - MI_HEADER_SIZE);
	put_le32(f + 32, crc);
	put_le32(f + 36, crc32_update(0, f, MI_FOOTER_SIZE));
	w->buf_len = MI_FOOTER_SIZE;
	if ((st = write_buf(w)))
		return st;
	if ((st = bf_flush(w->bf)))
		return w->err = st;
	w->finished = true;
	return ST_OK;
}

uint64_t memimg_writer_bytes(const struct memimg_writer *w)
{
	return w->buf_off + w->buf_len;
}

void memimg_writer_free(struct memimg_writer *w)
{
	if (!w)
		return;
	free(w->index);
	free(w->seen);
	free(w->buf);
	free(w);
}
