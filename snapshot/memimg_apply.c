/* memimg_apply.c: memimg_read_all, the fast path of apply: the records are
 * read in 1 MiB chunks in file order and each is checked against the index
 * (so every stored page comes exactly once); the zero pages follow. */
#include <stdlib.h>
#include <string.h>

#include "snapshot/memimg_int.h"

/* Walks the records in [MI_HEADER_SIZE, index_off); *count: records. */
static status_t walk_records(struct memimg_reader *r, uint8_t *chunk,
			     uint8_t *page, uint64_t *count,
			     status_t (*cb)(void *, uint64_t, const void *),
			     void *ctx)
{
	uint64_t off = MI_HEADER_SIZE;
	status_t st;

	while (off < r->index_off) {
		uint64_t left = r->index_off - off, pos = 0, index;
		size_t n = left < MI_BUF_SIZE ? (size_t)left : MI_BUF_SIZE, len;
		if ((st = bf_read(r->bf, off, chunk, n)))
			return st;
		/* Whole records in this chunk; a cut one starts the next. */
		while (pos < n) {
			uint64_t avail = n - pos;
			if (avail < MI_REC_SIZE + MEMIMG_PAGE && n < left)
				break;
			if ((st = memimg_decode_record(chunk + pos, avail, page,
						       &index, &len)))
				return st;
			if (index >= r->npages || r->index[index] != off + pos)
				return ST_ECORRUPT;
			if ((st = cb(ctx, index, page)))
				return st;
			(*count)++;
			pos += len;
		}
		off += pos;
	}
	return ST_OK;
}

status_t memimg_read_all(struct memimg_reader *r,
			 status_t (*cb)(void *ctx, uint64_t index,
					const void *page), void *ctx)
{
	uint64_t data = r->index_off - MI_HEADER_SIZE, count = 0;
	/* A small image needs no 1 MiB chunk. */
	size_t cap = data < MI_BUF_SIZE ? (size_t)data + 1 : MI_BUF_SIZE;
	uint8_t *chunk = malloc(cap), *page = malloc(MEMIMG_PAGE);
	status_t st = ST_ENOMEM;

	if (!chunk || !page)
		goto out;
	if ((st = walk_records(r, chunk, page, &count, cb, ctx)))
		goto out;
	/* An index entry no record matched would be a page never given. */
	if (count != r->stored) {
		st = ST_ECORRUPT;
		goto out;
	}
	memset(page, 0, MEMIMG_PAGE);
	for (uint64_t i = 0; i < r->npages && !st; i++)
		if (!r->index[i])
			st = cb(ctx, i, page);
out:
	free(chunk);
	free(page);
	return st;
}
