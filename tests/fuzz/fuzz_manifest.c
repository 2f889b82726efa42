/* fuzz_manifest.c: libFuzzer target: arbitrary bytes parsed as a manifest.
 * A parse that succeeds must format back to the same bytes (the text form
 * is canonical), survive edits (add, remove) as a valid tree, and win a
 * load as `m.new` over a valid `m`; a parse that fails must say why, and
 * lose such a load. With SNAP_FUZZ_EXPECT_VALID set every input must
 * parse (the seeds check of tests/snapshot/test_fuzz.py). Each input runs
 * twice: as given, and with its crc32 line recomputed, so mutations get
 * past the checksum to the parser behind it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot/crc32.h"
#include "snapshot/manifest.h"
#include "storage/blockfile_mem.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static struct manifest m, m2;
static char text[MANIFEST_TEXT_MAX];

static void edit(struct manifest *t)
{
	struct snap_node *n;
	size_t len;

	for (unsigned i = 0; i < t->count; i++) {
		CHECK(manifest_lookup(t, t->node[i].name[0] ? t->node[i].name
					 : "0") == (t->node[i].name[0] ?
						    &t->node[i] : NULL));
		(void)manifest_children(t, t->node[i].id);
	}
	if (t->count && t->next_id < UINT32_MAX - 2) {
		uint32_t parent = t->node[t->count / 2].id;
		if (manifest_add(t, parent, "fuzz-new", "x.avhd", 1, &n) ==
		    ST_OK)
			t->current = n->id;
		CHECK(manifest_remove(t, t->node[0].id) == ST_OK);
		CHECK(manifest_check(t, NULL, 0) == ST_OK);
	}
	CHECK(manifest_format(t, text, sizeof(text), &len) == ST_OK);
	CHECK(manifest_parse(text, len, &m2, NULL, 0) == ST_OK);
}

/* `m` holds a valid one-node tree, `m.new` the input. */
static void load_race(const uint8_t *data, size_t size, int valid)
{
	struct manifest base, got;
	struct bf_opener op;
	struct memfs fs;
	char err[200];
	status_t st;

	memfs_init(&fs, 1u << 20);
	memfs_opener(&fs, &op);
	manifest_init(&base);
	CHECK(manifest_add(&base, 0, "base", "", 7, NULL) == ST_OK);
	CHECK(manifest_store(&op, "m", &base) == ST_OK);
	CHECK(memfs_put(&fs, "m.new", data, size) == ST_OK);
	st = manifest_load(&op, "m", &got, err, sizeof(err));
	if (valid) {
		CHECK(st == ST_OK && !memcmp(&got, &m, sizeof(m)));
		CHECK(!memfs_find(&fs, "m.new"));
	} else if (st != ST_EUNSUPP) {
		CHECK(st == ST_OK && !memcmp(&got, &base, sizeof(base)));
		CHECK(!memfs_find(&fs, "m.new"));
	}
	memfs_free(&fs);
}

/* A copy whose last line, if it looks like "crc32 xxxxxxxx", is right. */
static uint8_t *fix_crc(const uint8_t *data, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t *copy;
	uint32_t crc;

	if (size < 15 || memcmp(data + size - 15, "crc32 ", 6))
		return NULL;
	copy = malloc(size);
	memcpy(copy, data, size);
	crc = crc32_update(0, copy, size - 15);
	for (int i = 0; i < 8; i++)
		copy[size - 9 + i] = (uint8_t)hex[(crc >> (28 - 4 * i)) & 15];
	return copy;
}

static void one_input(const uint8_t *data, size_t size, int expect_valid)
{
	char err[160];
	size_t len;
	status_t st;

	memset(err, 'x', sizeof(err));
	st = manifest_parse(data, size, &m, err, sizeof(err));
	if (st) {
		CHECK(!expect_valid);
		CHECK(st == ST_ECORRUPT || st == ST_EUNSUPP);
		CHECK(err[0] && memchr(err, 0, sizeof(err)));
	} else {
		CHECK(manifest_format(&m, text, sizeof(text), &len) == ST_OK);
		CHECK(len == size && !memcmp(text, data, size));
		CHECK(manifest_parse(text, len, &m2, NULL, 0) == ST_OK);
		CHECK(!memcmp(&m, &m2, sizeof(m)));
	}
	if (size <= MANIFEST_TEXT_MAX)
		load_race(data, size, st == ST_OK);
	if (!st) {
		m2 = m;
		edit(&m2);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int expect_valid = -1;
	uint8_t *fixed;

	if (expect_valid < 0)
		expect_valid = getenv("SNAP_FUZZ_EXPECT_VALID") != NULL;
	one_input(data, size, expect_valid);
	if ((fixed = fix_crc(data, size))) {
		if (memcmp(fixed, data, size))
			one_input(fixed, size, 0);
		free(fixed);
	}
	return 0;
}
