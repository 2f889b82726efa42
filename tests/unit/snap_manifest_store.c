/* snap_manifest_store.c: manifest_store/manifest_load on POSIX files in a
 * temporary directory (round trip, interrupted stores leaving a valid or a
 * garbage .new, a fresh volume, no rename op) and on a fault-injecting
 * volume whose power is cut at every write of a store: the load after the
 * cut always gives the old tree or the new one, whole. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "snapshot/manifest.h"
#include "storage/blockfile_fault.h"
#include "storage/blockfile_mem.h"
#include "storage/blockfile_posix.h"

static char dir[64], path[128], newpath[136];
static char err[256];

static int setup(void **s)
{
	(void)s;
	strcpy(dir, "/tmp/snap_manifest_XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/snapshots.txt", dir);
	snprintf(newpath, sizeof(newpath), "%s.new", path);
	return 0;
}

static int teardown(void **s)
{
	(void)s;
	unlink(newpath);
	unlink(path);
	rmdir(dir);
	return 0;
}

/* Trees A and B differ in every part that is written. */
static void tree(struct manifest *m, int which)
{
	manifest_init(m);
	assert_int_equal(manifest_add(m, 0, which ? "bee" : "ay", "d.vhd", 9,
				      NULL), ST_OK);
	if (which) {
		assert_int_equal(manifest_add(m, 1, "child", "l-1.avhd", 10,
					      NULL), ST_OK);
		m->current = 2;
		strcpy(m->leaf, "l-2.avhd");
	}
}

static void write_raw(const char *p, const char *data)
{
	FILE *f = fopen(p, "wb");

	assert_non_null(f);
	fputs(data, f);
	fclose(f);
}

static void test_store_load_posix(void **s)
{
	struct manifest *a = malloc(sizeof(*a)), *got = malloc(sizeof(*got));
	struct bf_opener op;

	(void)s;
	bf_posix_opener(&op);
	assert_int_equal(manifest_load(&op, path, got, err, sizeof(err)),
			 ST_ENOENT);
	tree(a, 0);
	assert_int_equal(manifest_store(&op, path, a), ST_OK);
	assert_int_equal(access(newpath, F_OK), -1);
	assert_int_equal(manifest_load(&op, path, got, err, sizeof(err)),
			 ST_OK);
	assert_memory_equal(a, got, sizeof(*a));
	/* a second store replaces the first */
	tree(a, 1);
	assert_int_equal(manifest_store(&op, path, a), ST_OK);
	assert_int_equal(manifest_load(&op, path, got, err, sizeof(err)),
			 ST_OK);
	assert_memory_equal(a, got, sizeof(*a));
	/* a stale .new (a store that failed before its rename) is replaced */
	write_raw(newpath, "junk");
	tree(a, 0);
	assert_int_equal(manifest_store(&op, path, a), ST_OK);
	assert_int_equal(manifest_load(&op, path, got, err, sizeof(err)),
			 ST_OK);
	assert_memory_equal(a, got, sizeof(*a));
	/* a damaged manifest is refused with the reason */
	write_raw(path, "snapvisor-manifest 1\nnext_id 1\n");
	assert_int_equal(manifest_load(&op, path, got, err, sizeof(err)),
			 ST_ECORRUPT);
	assert_non_null(strstr(err, "crc32"));
	/* a broken tree is not stored; no rename op: unsupported */
	a->current = 77;
	assert_int_equal(manifest_store(&op, path, a), ST_EINVAL);
	op.rename = NULL;
	tree(a, 0);
	assert_int_equal(manifest_store(&op, path, a), ST_EUNSUPP);
	free(a);
	free(got);
}

static void test_interrupted_store(void **s)
{
	struct manifest *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	struct manifest *got = malloc(sizeof(*got));
	char text[MANIFEST_TEXT_MAX];
	struct bf_opener op;
	size_t len;

	(void)s;
	bf_posix_opener(&op);
	tree(a, 0);
	tree(b, 1);
	/* cut after the flush of .new: B (in .new) wins, the rename is done */
	assert_int_equal(manifest_store(&op, path, a), ST_OK);
	assert_int_equal(manifest_format(b, text, sizeof(text), &len), ST_OK);
	text[len] = 0;
	write_raw(newpath, text);
	assert_int_equal(manifest_load(&op, path, got, err, sizeof(err)),
			 ST_OK);
	assert_memory_equal(b, got, sizeof(*b));
	assert_int_equal(access(newpath, F_OK), -1);
	assert_int_equal(manifest_load(&op, path, got, err, sizeof(err)),
			 ST_OK);
	assert_memory_equal(b, got, sizeof(*b));
	/* cut before the flush: a garbage .new loses and is removed */
	text[len / 2] = 0;
	write_raw(newpath, text);
	assert_int_equal(manifest_load(&op, path, got, err, sizeof(err)),
			 ST_OK);
	assert_memory_equal(b, got, sizeof(*b));
	assert_int_equal(access(newpath, F_OK), -1);
	/* an empty .new too */
	write_raw(newpath, "");
	assert_int_equal(manifest_load(&op, path, got, err, sizeof(err)),
			 ST_OK);
	assert_memory_equal(b, got, sizeof(*b));
	assert_int_equal(access(newpath, F_OK), -1);
	/* the very first store interrupted: only a valid .new */
	unlink(path);
	assert_int_equal(manifest_format(a, text, sizeof(text), &len), ST_OK);
	text[len] = 0;
	write_raw(newpath, text);
	assert_int_equal(manifest_load(&op, path, got, err, sizeof(err)),
			 ST_OK);
	assert_memory_equal(a, got, sizeof(*a));
	assert_int_equal(access(path, F_OK), 0);
	/* ...or only a garbage one: a fresh volume */
	unlink(path);
	write_raw(newpath, "snapvisor");
	assert_int_equal(manifest_load(&op, path, got, err, sizeof(err)),
			 ST_ENOENT);
	assert_int_equal(access(newpath, F_OK), -1);
	/* a .new from a newer build is left alone */
	write_raw(newpath, "snapvisor-manifest 2\nwhatever\n");
	assert_int_equal(manifest_load(&op, path, got, err, sizeof(err)),
			 ST_EUNSUPP);
	assert_int_equal(access(newpath, F_OK), 0);
	free(a);
	free(b);
	free(got);
}

/* Store B over A with the power cut at write/resize number `cut`, then
 * load through the bare volume: A or B, never anything else. */
static int cut_store(unsigned cut, int keep_pending)
{
	struct manifest *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	struct manifest *got = malloc(sizeof(*got));
	struct bf_opener mop, fop;
	struct fault_domain d;
	struct memfs fs;
	status_t st;
	int done;

	memfs_init(&fs, 1u << 20);
	memfs_opener(&fs, &mop);
	tree(a, 0);
	tree(b, 1);
	assert_int_equal(manifest_store(&mop, "m", a), ST_OK);
	fault_domain_init(&d, &mop, cut, keep_pending);
	fault_opener(&d, &fop);
	st = manifest_store(&fop, "m", b);
	done = !d.cut;
	assert_int_equal(st, done ? ST_OK : ST_EIO);
	assert_int_equal(manifest_load(&mop, "m", got, err, sizeof(err)),
			 ST_OK);
	if (done || memcmp(got, a, sizeof(*a)))
		assert_memory_equal(got, b, sizeof(*b));
	assert_null(memfs_find(&fs, "m.new"));
	memfs_free(&fs);
	free(a);
	free(b);
	free(got);
	return done;
}

static void test_store_power_cut(void **s)
{
	unsigned cut;

	(void)s;
	for (int keep = 0; keep < 2; keep++) {
		for (cut = 1; !cut_store(cut, keep); cut++)
			assert_true(cut < 100);
		assert_true(cut > 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_store_load_posix, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_interrupted_store, setup,
						teardown),
		cmocka_unit_test(test_store_power_cut),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
