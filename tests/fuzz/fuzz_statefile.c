/* fuzz_statefile.c: libFuzzer target: arbitrary bytes opened as a machine-
 * state file. An accepted file must list and find all its sections inside
 * the buffer and be rebuilt byte for byte by sf_writer from them (the
 * layout is canonical); a refused one must say why. With
 * SNAP_FUZZ_EXPECT_VALID set every input must be accepted. Each input
 * runs twice: as given, and with every crc it holds recomputed, so
 * mutations get past the checksums to the checks behind them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot/crc32.h"
#include "snapshot/le.h"
#include "snapshot/statefile.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static void rebuild(const struct sf_reader *r, const uint8_t *data,
		    size_t size)
{
	struct sf_writer w;
	struct sf_section s, f;
	const void *out;
	size_t len;

	sf_writer_init(&w);
	for (unsigned i = 0; i < r->nsections; i++) {
		CHECK(sf_section_at(r, i, &s) == ST_OK);
		CHECK(s.data >= data && s.data + s.len <= data + size);
		CHECK(memchr(s.tag, 0, SF_TAG_MAX) && s.tag[0]);
		CHECK(sf_find(r, s.tag, &f) == ST_OK);
		CHECK(!strcmp(f.tag, s.tag) && f.data <= s.data);
		sf_add(&w, s.tag, s.version, s.data, s.len);
	}
	CHECK(sf_section_at(r, r->nsections, &s) == ST_ENOENT);
	CHECK(sf_writer_finish(&w, &out, &len) == ST_OK);
	CHECK(len == size && !memcmp(out, data, size));
	sf_writer_free(&w);
}

/* A copy with the header crc and the data crcs of the sections that fit
 * recomputed; NULL if too short for a header. */
static uint8_t *fix_crcs(const uint8_t *data, size_t size)
{
	size_t off = SF_HEADER_SIZE;
	uint8_t *c;

	if (size < SF_HEADER_SIZE)
		return NULL;
	c = malloc(size);
	memcpy(c, data, size);
	while (size - off >= SF_SECTION_HEADER_SIZE) {
		size_t len = get_le32(c + off + 28), room;
		room = size - off - SF_SECTION_HEADER_SIZE;
		if (len > room)
			break;
		put_le32(c + off + 32, crc32_update(crc32_update(0, c + off,
								 32),
						    c + off + 40, len));
		if (((len + 7) & ~(size_t)7) > room)
			break;
		off += SF_SECTION_HEADER_SIZE + ((len + 7) & ~(size_t)7);
	}
	put_le32(c + 24, 0);
	put_le32(c + 24, crc32_update(0, c, SF_HEADER_SIZE));
	return c;
}

static void one_input(const uint8_t *data, size_t size, int expect_valid)
{
	struct sf_reader r;
	char err[160];
	status_t st;

	memset(err, 'x', sizeof(err));
	st = sf_reader_open(&r, data, size, err, sizeof(err));
	if (st) {
		CHECK(!expect_valid);
		CHECK(st == ST_ECORRUPT || st == ST_EUNSUPP);
		CHECK(err[0] && memchr(err, 0, sizeof(err)));
		return;
	}
	rebuild(&r, data, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int expect_valid = -1;
	uint8_t *fixed;

	if (expect_valid < 0)
		expect_valid = getenv("SNAP_FUZZ_EXPECT_VALID") != NULL;
	one_input(data, size, expect_valid);
	if ((fixed = fix_crcs(data, size))) {
		if (memcmp(fixed, data, size))
			one_input(fixed, size, 0);
		free(fixed);
	}
	return 0;
}
