/* snap_manifest.c: the snapshot tree (snapshot/manifest.h): names, add,
 * remove, lookups, the text form's round trip and every refusal of the
 * parser (store and load: snap_manifest_store.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "snapshot/crc32.h"
#include "snapshot/manifest.h"

static char text[MANIFEST_TEXT_MAX];
static char err[256];

/* A small tree: 1 <- 2 <- 3, 1 <- 4; current 3. */
static void sample(struct manifest *m)
{
	struct snap_node *n;

	manifest_init(m);
	strcpy(m->base_disk, "disk.vhd");
	strcpy(m->leaf, "snapshots/leaf-4.avhd");
	m->next_leaf = 5;
	assert_int_equal(manifest_add(m, 0, "first", "disk.vhd", 1790000000,
				      &n), ST_OK);
	n->state = SNAP_COMPLETE;
	n->pause_us = 812;
	n->bytes = 123456;
	assert_int_equal(manifest_add(m, 1, "", "snapshots/leaf-1.avhd", 5,
				      NULL), ST_OK);
	assert_int_equal(manifest_add(m, 2, "third", "snapshots/leaf-2.avhd",
				      6, NULL), ST_OK);
	assert_int_equal(manifest_add(m, 1, "side.branch_1", "", 7, NULL),
			 ST_OK);
	m->current = 3;
}

static size_t format(const struct manifest *m)
{
	size_t len;

	assert_int_equal(manifest_format(m, text, sizeof(text), &len), ST_OK);
	text[len] = 0;
	return len;
}

/* Replaces the crc32 line of text so it matches again. */
static size_t reseal(void)
{
	char *crc = strstr(text, "crc32 ");
	size_t n;

	assert_non_null(crc);
	n = (size_t)(crc - text);
	return n + (size_t)sprintf(crc, "crc32 %08x\n",
				   crc32_update(0, text, n));
}

/* Replaces the first `from` in text with `to`. */
static void edit(const char *from, const char *to)
{
	char *at = strstr(text, from);
	char rest[MANIFEST_TEXT_MAX];

	assert_non_null(at);
	strcpy(rest, at + strlen(from));
	strcpy(at, to);
	strcat(at, rest);
}

static void test_names(void **s)
{
	(void)s;
	assert_true(snap_name_valid("a"));
	assert_true(snap_name_valid("before-upgrade_2.0"));
	assert_true(snap_name_valid("3a"));
	assert_true(snap_name_valid("a234567890123456789012345678901"));
	assert_false(snap_name_valid("a2345678901234567890123456789012"));
	assert_false(snap_name_valid(""));
	assert_false(snap_name_valid(NULL));
	assert_false(snap_name_valid("42"));
	assert_false(snap_name_valid("a b"));
	assert_false(snap_name_valid("a\"b"));
	assert_false(snap_name_valid("a/b"));
	assert_false(snap_name_valid("\xc3\xa9t\xc3\xa9"));
	assert_true(snap_path_valid(""));
	assert_true(snap_path_valid("C:\\vm\\disk.vhd"));
	assert_false(snap_path_valid("my disk.vhd"));
	assert_false(snap_path_valid("a\"b"));
	assert_false(snap_path_valid("a\nb"));
}

static void test_add_find_lookup(void **s)
{
	struct manifest *m = malloc(sizeof(*m));
	struct snap_node *n;

	(void)s;
	sample(m);
	assert_int_equal(m->count, 4);
	assert_int_equal(m->next_id, 5);
	assert_int_equal(manifest_find(m, 3)->parent, 2);
	assert_null(manifest_find(m, 0));
	assert_null(manifest_find(m, 9));
	assert_ptr_equal(manifest_lookup(m, "3"), manifest_find(m, 3));
	assert_ptr_equal(manifest_lookup(m, "third"), manifest_find(m, 3));
	assert_ptr_equal(manifest_lookup(m, "first"), manifest_find(m, 1));
	assert_null(manifest_lookup(m, "nope"));
	assert_null(manifest_lookup(m, ""));
	assert_null(manifest_lookup(m, "99999999999"));
	assert_int_equal(manifest_children(m, 1), 2);
	assert_int_equal(manifest_children(m, 0), 1);
	assert_int_equal(manifest_children(m, 3), 0);
	assert_int_equal(manifest_find(m, 2)->state, SNAP_CAPTURING);
	/* refusals */
	assert_int_equal(manifest_add(m, 1, "third", "", 0, NULL), ST_EEXIST);
	assert_int_equal(manifest_add(m, 1, "12", "", 0, NULL), ST_EINVAL);
	assert_int_equal(manifest_add(m, 1, "a b", "", 0, NULL), ST_EINVAL);
	assert_int_equal(manifest_add(m, 1, "ok", "a b", 0, NULL), ST_EINVAL);
	assert_int_equal(manifest_add(m, 9, "ok", "", 0, NULL), ST_ENOENT);
	assert_int_equal(m->count, 4);
	/* fill up */
	while (m->count < SNAP_MAX)
		assert_int_equal(manifest_add(m, 0, NULL, NULL, 0, &n), ST_OK);
	assert_int_equal(n->id, SNAP_MAX);
	assert_int_equal(manifest_add(m, 0, "more", "", 0, NULL), ST_ENOSPC);
	assert_int_equal(manifest_check(m, err, sizeof(err)), ST_OK);
	free(m);
}

static void test_remove(void **s)
{
	struct manifest *m = malloc(sizeof(*m));

	(void)s;
	sample(m);
	/* removing 2 hangs 3 (and `current`'s path) from 1 */
	assert_int_equal(manifest_remove(m, 2), ST_OK);
	assert_int_equal(m->count, 3);
	assert_null(manifest_find(m, 2));
	assert_int_equal(manifest_find(m, 3)->parent, 1);
	assert_int_equal(m->current, 3);
	/* removing the current node moves `current` to its parent */
	assert_int_equal(manifest_remove(m, 3), ST_OK);
	assert_int_equal(m->current, 1);
	/* removing a root makes its children roots; ids are not reused */
	assert_int_equal(manifest_remove(m, 1), ST_OK);
	assert_int_equal(m->current, 0);
	assert_int_equal(manifest_find(m, 4)->parent, 0);
	assert_int_equal(manifest_remove(m, 1), ST_ENOENT);
	assert_int_equal(manifest_add(m, 4, "x", "", 0, NULL), ST_OK);
	assert_non_null(manifest_find(m, 5));
	assert_int_equal(manifest_check(m, err, sizeof(err)), ST_OK);
	free(m);
}

static void test_round_trip(void **s)
{
	struct manifest *m = malloc(sizeof(*m)), *p = malloc(sizeof(*p));
	size_t len;

	(void)s;
	sample(m);
	len = format(m);
	assert_string_equal(text,
		"snapvisor-manifest 1\nnext_id 5\nnext_leaf 5\ncurrent 3\n"
		"base_disk \"disk.vhd\"\nleaf \"snapshots/leaf-4.avhd\"\n"
		"snapshot 1 parent 0 state complete pause_us 812 bytes 123456 "
		"created 1790000000 name \"first\" disk \"disk.vhd\"\n"
		"snapshot 2 parent 1 state capturing pause_us 0 bytes 0 "
		"created 5 name \"\" disk \"snapshots/leaf-1.avhd\"\n"
		"snapshot 3 parent 2 state capturing pause_us 0 bytes 0 "
		"created 6 name \"third\" disk \"snapshots/leaf-2.avhd\"\n"
		"snapshot 4 parent 1 state capturing pause_us 0 bytes 0 "
		"created 7 name \"side.branch_1\" disk \"\"\n"
		"crc32 fbf42b2f\n");
	assert_int_equal(manifest_parse(text, len, p, err, sizeof(err)),
			 ST_OK);
	assert_memory_equal(m, p, sizeof(*m));
	/* an empty tree */
	manifest_init(m);
	len = format(m);
	assert_int_equal(manifest_parse(text, len, p, err, sizeof(err)),
			 ST_OK);
	assert_memory_equal(m, p, sizeof(*m));
	/* too small a buffer */
	sample(m);
	assert_int_equal(manifest_format(m, text, 100, &len), ST_ENOSPC);
	assert_int_equal(manifest_format(m, text, 0, &len), ST_ENOSPC);
	/* a broken tree is not formatted */
	m->node[0].parent = 3;
	assert_int_equal(manifest_format(m, text, sizeof(text), &len),
			 ST_EINVAL);
	free(m);
	free(p);
}

/* The longest possible tree fits MANIFEST_TEXT_MAX and parses back. */
static void test_full_tree(void **s)
{
	struct manifest *m = malloc(sizeof(*m)), *p = malloc(sizeof(*p));
	char name[SNAP_NAME_MAX], path[SNAP_PATH_MAX];
	struct snap_node *n;
	size_t len;

	(void)s;
	manifest_init(m);
	memset(path, 'p', SNAP_PATH_MAX - 1);
	path[SNAP_PATH_MAX - 1] = 0;
	memcpy(m->base_disk, path, SNAP_PATH_MAX);
	memcpy(m->leaf, path, SNAP_PATH_MAX);
	m->next_id = UINT32_MAX - SNAP_MAX;
	m->next_leaf = UINT32_MAX;
	for (unsigned i = 0; i < SNAP_MAX; i++) {
		snprintf(name, sizeof(name), "n%030u", i);
		assert_int_equal(manifest_add(m, i ? m->node[i - 1].id : 0,
					      name, path, UINT64_MAX, &n),
				 ST_OK);
		n->pause_us = n->bytes = UINT64_MAX;
	}
	m->current = m->next_id - 1;
	len = format(m);
	assert_true(len < MANIFEST_TEXT_MAX);
	assert_int_equal(manifest_parse(text, len, p, err, sizeof(err)),
			 ST_OK);
	assert_memory_equal(m, p, sizeof(*m));
	free(m);
	free(p);
}

struct bad_case {
	const char *from, *to;   /* edit applied to the sample's text */
	const char *says;        /* in the error message */
};

static const struct bad_case bad_cases[] = {
	{ "snapvisor-manifest 1", "snapvisor-manifest 0", "line 1" },
	{ "snapvisor-manifest 1", "snapvisor-manifest 01", "line 1" },
	{ "snapvisor-manifest 1", "snapvisor-manifest 1 x", "line 1" },
	{ "snapvisor-manifest", "snapvisor-manifesto", "line 1" },
	{ "next_id 5", "next_id 3", "line 9: snapshot id 3" },
	{ "next_id 5", "next_id 0", "line 2: next_id is 0" },
	{ "next_id 5", "next_id  5", "line 2: empty field" },
	{ "next_id 5", "next_id 5 ", "line 2: space at the end" },
	{ "next_id 5", "next_id -5", "line 2: 'next_id' needs a decimal" },
	{ "next_id 5", "next_id 05", "line 2: 'next_id' needs a decimal" },
	{ "next_id 5", "next_id 4294967296", "line 2: 'next_id' is too large" },
	{ "next_id 5", "next_id", "line 2: missing the value" },
	{ "next_leaf 5", "next_leaf 0", "line 3: next_leaf is 0" },
	{ "next_leaf 5\n", "", "line 3: expected 'next_leaf', found 'current'" },
	{ "next_leaf 5\n", "next_leaf 5\ncolour 5\n", "line 4: expected "
	  "'current', found 'colour'" },
	{ "current 3", "current 9", "line 4: current snapshot 9" },
	{ "base_disk \"disk.vhd\"", "base_disk disk.vhd", "line 5: "
	  "'base_disk' needs a quoted string" },
	{ "base_disk \"disk.vhd\"", "base_disk \"disk vhd\"", "line 5: "
	  "unterminated string" },
	{ "base_disk \"disk.vhd\"", "base_disk \"disk.vhd", "line 5: "
	  "unterminated string" },
	{ "base_disk \"disk.vhd\"", "base_disk \"disk\"x", "line 5: junk" },
	{ "leaf \"snapshots/leaf-4.avhd\"\n", "", "line 6: expected 'leaf'" },
	{ "leaf \"", "leaf \"\x01", "line 6: a control or non-ASCII" },
	{ "leaf \"", "leaf \"\xc3\xa9", "line 6: a control or non-ASCII" },
	{ "avhd\"\n", "avhd\"\r\n", "line 6: a control" },
	{ "snapshot 1 parent 0", "snapshot 2 parent 0", "line 8: snapshot "
	  "id 2 appears twice" },
	{ "snapshot 1 parent 0", "snapshot 0 parent 0", "line 7: snapshot "
	  "id 0" },
	{ "snapshot 1 parent 0", "snapshot 1 parent 9", "line 7: snapshot 1:"
	  " parent 9 does not exist" },
	{ "snapshot 1 parent 0", "snapshot 1 parent 1", "line 7: snapshot 1 "
	  "is its own parent" },
	{ "snapshot 1 parent 0", "snapshot 1 parent 3", "line 7: snapshot 1:"
	  " its parents form a cycle" },
	{ "snapshot 1 parent 0", "snapshot 1 parent 0 colour red",
	  "line 7: expected 'state', found 'colour'" },
	{ "state complete", "state done", "line 7: state must be" },
	{ "state complete", "state Complete", "line 7: state must be" },
	{ "pause_us 812", "pause_us 18446744073709551616", "line 7: "
	  "'pause_us' is too large" },
	{ "bytes 123456", "bytes 12x", "'bytes' needs a decimal" },
	{ "created 1790000000", "created \"1\"", "'created' needs a decimal" },
	{ "name \"first\"", "name \"1234\"", "line 7: bad name" },
	{ "name \"first\"", "name \"third\"", "line 9: snapshot 3: name "
	  "\"third\" is taken by snapshot 1" },
	{ "name \"first\"", "name \"f/irst\"", "line 7: bad name" },
	{ "name \"first\"", "name \"n1234567890123456789012345678901\"",
	  "line 7: 'name' is longer than 31" },
	{ "\" disk \"disk.vhd\"\n", "\" disk \"disk.vhd\" extra \"x\"\n",
	  "line 7: unexpected field 'extra'" },
	{ "\" disk \"disk.vhd\"\n", "\"\n", "line 7: missing 'disk'" },
	{ "\" disk \"disk.vhd\"\n", "\" disk\n", "line 7: missing the "
	  "value of 'disk'" },
	{ "\" disk \"disk.vhd\"\n", "\" disk \"disk.vhd\" a b c d e f g h i j "
	  "k\n", "line 7: unexpected field 'a'" },
	{ "\"side.branch_1\" disk \"\"\n", "\"side.branch_1\" disk \"\"\n\n",
	  "line 11: empty line" },
};

static void test_parse_refusals(void **s)
{
	struct manifest *m = malloc(sizeof(*m)), *p = malloc(sizeof(*p));

	(void)s;
	sample(m);
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		size_t len;
		status_t st;

		format(m);
		edit(c->from, c->to);
		len = reseal();
		st = manifest_parse(text, len, p, err, sizeof(err));
		if (st != ST_ECORRUPT || !strstr(err, c->says))
			fail_msg("case %zu (%s -> %s): %s, '%s'", i, c->from,
				 c->to, status_str(st), err);
	}
	free(m);
	free(p);
}

static void test_crc_version_and_framing(void **s)
{
	struct manifest *m = malloc(sizeof(*m)), *p = malloc(sizeof(*p));
	size_t len, n;

	(void)s;
	sample(m);
	/* a newer version is unsupported, whatever follows */
	len = format(m);
	text[19] = '2';
	assert_int_equal(manifest_parse(text, len, p, err, sizeof(err)),
			 ST_EUNSUPP);
	assert_non_null(strstr(err, "newer"));
	/* every single bit flip is caught */
	len = format(m);
	for (size_t i = 0; i < len; i++)
		for (int b = 0; b < 8; b++) {
			text[i] ^= (char)(1 << b);
			status_t st = manifest_parse(text, len, p, err,
						     sizeof(err));
			text[i] ^= (char)(1 << b);
			if (st != ST_ECORRUPT && st != ST_EUNSUPP)
				fail_msg("flip of bit %d at %zu: %d", b, i, st);
			assert_true(err[0]);
		}
	/* every truncation is caught */
	for (n = 0; n < len; n++)
		assert_int_equal(manifest_parse(text, n, p, err, sizeof(err)),
				 ST_ECORRUPT);
	/* nothing may follow the crc32 line */
	strcpy(text + len, "x\n");
	assert_int_equal(manifest_parse(text, len + 2, p, err, sizeof(err)),
			 ST_ECORRUPT);
	/* uppercase hex or a short crc */
	len = format(m);
	for (char *c = strstr(text, "crc32 ") + 6; *c != '\n'; c++)
		*c = (char)(*c >= 'a' ? *c - 32 : *c);
	if (strpbrk(strstr(text, "crc32 "), "ABCDEF"))
		assert_int_equal(manifest_parse(text, len, p, err,
						sizeof(err)), ST_ECORRUPT);
	assert_int_equal(manifest_parse("snapvisor-manifest 1\ncrc32 0\n", 29,
					p, err, sizeof(err)), ST_ECORRUPT);
	/* NULL err is fine; a tiny err is cut but terminated */
	assert_int_equal(manifest_parse("x", 1, p, NULL, 0), ST_ECORRUPT);
	assert_int_equal(manifest_parse("x\n", 2, p, err, 5), ST_ECORRUPT);
	assert_int_equal(strlen(err), 4);
	assert_int_equal(manifest_parse("", 0, p, err, sizeof(err)),
			 ST_ECORRUPT);
	assert_string_equal(err, "empty file");
	assert_int_equal(manifest_parse(NULL, 0, p, err, sizeof(err)),
			 ST_ECORRUPT);
	free(m);
	free(p);
}

/* More than SNAP_MAX snapshot lines. */
static void test_too_many(void **s)
{
	struct manifest *m = malloc(sizeof(*m)), *p = malloc(sizeof(*p));
	size_t len;

	(void)s;
	manifest_init(m);
	while (m->count < SNAP_MAX)
		assert_int_equal(manifest_add(m, 0, NULL, NULL, 0, NULL), ST_OK);
	m->next_id = 1000;
	len = format(m);
	len -= 15;
	len += (size_t)sprintf(text + len, "snapshot 999 parent 0 state "
			       "complete pause_us 0 bytes 0 created 0 name "
			       "\"\" disk \"\"\ncrc32 00000000\n") - 15;
	len = reseal();
	assert_int_equal(manifest_parse(text, len, p, err, sizeof(err)),
			 ST_ECORRUPT);
	assert_non_null(strstr(err, "line 135: more than 128"));
	free(m);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_add_find_lookup),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_full_tree),
		cmocka_unit_test(test_parse_refusals),
		cmocka_unit_test(test_crc_version_and_framing),
		cmocka_unit_test(test_too_many),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
