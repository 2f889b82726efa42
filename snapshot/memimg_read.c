/* memimg_read.c: the memory-image reader. Open checks the header, the
 * footer (its absence means the capture never finished) and the index, so
 * later reads only check the records they touch: magic, page number,
 * length, lz4 and the page's crc. */
#include <lz4.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "hv/lib/fmt.h"
#include "snapshot/crc32.h"
#include "snapshot/le.h"
#include "snapshot/memimg_int.h"

static status_t bad(char *err, size_t errcap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static status_t bad(char *err, size_t errcap, const char *fmt, ...)
{
	va_list ap;

	if (err && errcap) {
		va_start(ap, fmt);
		hv_vsnprintf(err, errcap, fmt, ap);
		va_end(ap);
	}
	return ST_ECORRUPT;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

static status_t check_header(struct memimg_reader *r, const uint8_t *h,
			     char *err, size_t errcap)
{
	uint32_t version = get_le32(h + 8);

	if (memcmp(h, mi_magic, 8))
		return bad(err, errcap, "not a memory image (bad magic)");
	if (version > MI_VERSION) {
		bad(err, errcap, "memory image version %u is newer than this "
		    "build's (%u)", version, MI_VERSION);
		return ST_EUNSUPP;
	}
	if (crc32_update(0, h, MI_HEADER_CRC_AT) !=
	    get_le32(h + MI_HEADER_CRC_AT))
		return bad(err, errcap, "memory image: header crc mismatch");
	r->nregions = get_le32(h + 24);
	if (version != MI_VERSION || get_le32(h + 12) != MEMIMG_PAGE ||
	    get_le32(h + 28) || !r->nregions ||
	    r->nregions > MEMIMG_MAX_REGIONS)
		return bad(err, errcap, "memory image: bad version, page size "
			   "or region count");
	for (unsigned i = 0; i < r->nregions; i++) {
		r->regions[i].gpa = get_le64(h + MI_REGIONS_AT + 16 * i);
		r->regions[i].size = get_le64(h + MI_REGIONS_AT + 16 * i + 8);
	}
	r->npages = get_le64(h + 16);
	if (memimg_npages(r->regions, r->nregions) != r->npages || !r->npages)
		return bad(err, errcap, "memory image: bad regions");
	if (!all_zero(h + MI_REGIONS_AT + 16 * r->nregions,
		      MI_HEADER_CRC_AT - MI_REGIONS_AT - 16 * r->nregions) ||
	    !all_zero(h + MI_HEADER_CRC_AT + 4,
		      MI_HEADER_SIZE - MI_HEADER_CRC_AT - 4))
		return bad(err, errcap, "memory image: junk in the header");
	return ST_OK;
}

static status_t check_footer(struct memimg_reader *r, const uint8_t *f,
			     uint64_t size, char *err, size_t errcap)
{
	uint8_t copy[MI_FOOTER_SIZE];

	if (memcmp(f, mi_end_magic, 8))
		return bad(err, errcap, "incomplete image: no footer (the "
			   "capture did not finish)");
	memcpy(copy, f, sizeof(copy));
	put_le32(copy + 36, 0);
	if (crc32_update(0, copy, sizeof(copy)) != get_le32(f + 36) ||
	    !all_zero(f + 40, MI_FOOTER_SIZE - 40))
		return bad(err, errcap, "incomplete image: footer crc "
			   "mismatch");
	r->index_off = get_le64(f + 8);
	if (get_le64(f + 16) != r->npages ||
	    r->npages > (size - MI_HEADER_SIZE - MI_FOOTER_SIZE) / 8 ||
	    r->index_off != size - MI_FOOTER_SIZE - 8 * r->npages ||
	    get_le64(f + 24) != r->index_off - MI_HEADER_SIZE)
		return bad(err, errcap, "memory image: footer does not match "
			   "the header or the file size");
	return ST_OK;
}

static status_t load_index(struct memimg_reader *r, uint32_t want_crc,
			   char *err, size_t errcap)
{
	size_t n = (size_t)r->npages * 8;
	uint8_t *raw = (uint8_t *)r->index;   /* decoded in place */
	status_t st;

	if ((st = bf_read(r->bf, r->index_off, raw, n)))
		return st;
	if (crc32_update(0, raw, n) != want_crc)
		return bad(err, errcap, "memory image: index crc mismatch");
	for (uint64_t i = 0; i < r->npages; i++) {
		uint64_t off = get_le64(raw + 8 * i);
		if (off && (off < MI_HEADER_SIZE ||
			    off > r->index_off - MI_REC_SIZE))
			return bad(err, errcap, "memory image: page %llu "
				   "points outside the records",
				   (unsigned long long)i);
		r->index[i] = off;
		r->stored += off != 0;
	}
	return ST_OK;
}

/* Reads and checks everything but the records. */
static status_t open_checked(struct memimg_reader *r, char *err,
			     size_t errcap)
{
	uint8_t *h = r->rec;    /* big enough for the header */
	uint64_t size;
	status_t st;

	if ((st = bf_size(r->bf, &size)))
		return st;
	if (size < MI_HEADER_SIZE + MI_FOOTER_SIZE)
		return bad(err, errcap, "incomplete image: %llu bytes",
			   (unsigned long long)size);
	if ((st = bf_read(r->bf, 0, h, MI_HEADER_SIZE)) ||
	    (st = check_header(r, h, err, errcap)))
		return st;
	if ((st = bf_read(r->bf, size - MI_FOOTER_SIZE, h, MI_FOOTER_SIZE)) ||
	    (st = check_footer(r, h, size, err, errcap)))
		return st;
	if (!(r->index = malloc((size_t)r->npages * 8)))
		return ST_ENOMEM;
	return load_index(r, get_le32(h + 32), err, errcap);
}

status_t memimg_reader_open(struct blockfile *bf, struct memimg_reader **out,
			    char *err, size_t errcap)
{
	struct memimg_reader *r = calloc(1, sizeof(*r));
	status_t st = ST_ENOMEM;

	if (err && errcap)
		err[0] = 0;
	if (!r || !(r->rec = malloc(MI_REC_SIZE + MEMIMG_PAGE)))
		goto fail;
	r->bf = bf;
	if ((st = open_checked(r, err, errcap)))
		goto fail;
	*out = r;
	return ST_OK;
fail:
	memimg_reader_free(r);
	return st;
}

unsigned memimg_reader_regions(const struct memimg_reader *r,
			       struct memimg_region *out)
{
	memcpy(out, r->regions, r->nregions * sizeof(*out));
	return r->nregions;
}

uint64_t memimg_reader_npages(const struct memimg_reader *r)
{
	return r->npages;
}

status_t memimg_decode_record(const uint8_t *rec, uint64_t avail,
			      void *page, uint64_t *index, size_t *len)
{
	uint32_t kind, stored;

	if (avail < MI_REC_SIZE || get_le32(rec) != MI_REC_MAGIC)
		return ST_ECORRUPT;
	kind = get_le32(rec + 4);
	stored = get_le32(rec + 16);
	*index = get_le64(rec + 8);
	*len = MI_REC_SIZE + stored;
	if ((kind == MI_KIND_RAW && stored != MEMIMG_PAGE) ||
	    (kind == MI_KIND_LZ4 && (!stored || stored >= MEMIMG_PAGE)) ||
	    (kind != MI_KIND_RAW && kind != MI_KIND_LZ4) || *len > avail)
		return ST_ECORRUPT;
	if (kind == MI_KIND_RAW)
		memcpy(page, rec + MI_REC_SIZE, MEMIMG_PAGE);
	else if (LZ4_decompress_safe((const char *)rec + MI_REC_SIZE, page,
				     (int)stored, MEMIMG_PAGE) != MEMIMG_PAGE)
		return ST_ECORRUPT;
	if (crc32_update(0, page, MEMIMG_PAGE) != get_le32(rec + 20))
		return ST_ECORRUPT;
	return ST_OK;
}

status_t memimg_read_page(struct memimg_reader *r, uint64_t index, void *page)
{
	uint64_t off, avail, got;
	size_t len;
	status_t st;

	if (index >= r->npages)
		return ST_EINVAL;
	off = r->index[index];
	if (!off) {
		memset(page, 0, MEMIMG_PAGE);
		return ST_OK;
	}
	avail = r->index_off - off;
	if (avail > MI_REC_SIZE + MEMIMG_PAGE)
		avail = MI_REC_SIZE + MEMIMG_PAGE;
	if ((st = bf_read(r->bf, off, r->rec, (size_t)avail)))
		return st;
	if ((st = memimg_decode_record(r->rec, avail, page, &got, &len)))
		return st;
	return got == index ? ST_OK : ST_ECORRUPT;
}

void memimg_reader_free(struct memimg_reader *r)
{
	if (!r)
		return;
	free(r->index);
	free(r->rec);
	free(r);
}
