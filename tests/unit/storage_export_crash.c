/* storage_export_crash.c: vhd_export of a three-layer chain cut off by a
 * power failure at its Nth write, for every N until an export finishes
 * uncut (blockfile_fault.h; pending writes dropped, or all kept). After
 * each cut, a "reboot" (the files seen through the inner opener) must show
 * either no OUT (a leftover OUT.part is allowed) or an OUT that opens alone
 * as a dynamic VHD reading exactly the chain, and the chain's files must
 * be byte for byte what they were. Also: a full volume (memfs's per-file
 * size limit) at every 4 KiB step, OUT existing, an opener without rename,
 * a stale OUT.part. */
#include "tests/unit/storage_util.h"

#define KB 1024u
#define SIZE (256u * KB)
#define BLOCK (16u * KB)
#define OUT "out.vhd"
#define PART "out.vhd.part"

static const char *const names[3] = { "base.vhd", "mid.vhd", "leaf.vhd" };
#define LEAF names[2]

/* The chain's files as they were before any export. */
struct files {
	uint8_t *data[3];
	uint64_t size[3];
};

static void write_rand(struct tenv *t, const char *name, uint32_t *seed,
		       uint64_t off, size_t len)
{
	uint8_t *buf = malloc(len);

	fill_rand(seed, buf, len);
	chain_write(t, name, off, buf, len);
	free(buf);
}

/* base (data in blocks 0-3 and 8) <- mid <- leaf, the children writing
 * over each other and over the base, inside blocks and across their
 * edges; the leaf zeroes a whole base block (export must leave it out)
 * and part of another; blocks 10-15 stay empty. */
static void build(struct tenv *t, uint8_t *ref, struct files *f)
{
	static const uint8_t zeros[BLOCK];
	uint32_t seed = 7;
	struct vhd_chain *c;

	make_disk(t, names[0], VHD_TYPE_DYNAMIC, SIZE, BLOCK);
	make_child(t, names[0], names[1]);
	make_child(t, names[1], names[2]);
	write_rand(t, names[0], &seed, 0, 4 * BLOCK);
	write_rand(t, names[0], &seed, 8 * BLOCK, BLOCK);
	write_rand(t, names[1], &seed, BLOCK - 1536, 3 * KB);
	write_rand(t, names[1], &seed, 3 * BLOCK + 512, 5 * BLOCK);
	write_rand(t, names[1], &seed, 9 * BLOCK + 7 * 512, 512);
	write_rand(t, names[2], &seed, BLOCK - 512, 2 * KB);
	write_rand(t, names[2], &seed, 5 * BLOCK + 1024, 3 * 512);
	chain_write(t, names[2], 8 * BLOCK, zeros, BLOCK);
	chain_write(t, names[2], 2 * BLOCK + 4096, zeros, 4096);
	assert_int_equal(vhd_chain_open(&t->env, LEAF, 0, &c), ST_OK);
	assert_int_equal(vhd_chain_read(c, 0, ref, SIZE), ST_OK);
	vhd_chain_close(c);
	for (int i = 0; i < 3; i++) {
		struct memfs_file *m = memfs_find(&t->fs, names[i]);
		f->size[i] = m->size;
		f->data[i] = malloc(m->size);
		memcpy(f->data[i], m->data, m->size);
	}
}

static void files_free(struct files *f)
{
	for (int i = 0; i < 3; i++)
		free(f->data[i]);
}

/* The source chain is untouched and still reads ref. */
static void expect_source(struct tenv *t, const struct files *f,
			  const uint8_t *ref)
{
	for (int i = 0; i < 3; i++) {
		struct memfs_file *m = memfs_find(&t->fs, names[i]);
		assert_non_null(m);
		assert_int_equal(m->size, f->size[i]);
		assert_memory_equal(m->data, f->data[i], f->size[i]);
	}
	chain_expect(t, LEAF, ref, SIZE);
}

/* OUT is a standalone dynamic VHD reading exactly ref, with no problems;
 * the block the leaf zeroed was not allocated. */
static void expect_out(struct tenv *t, const uint8_t *ref)
{
	struct vhd_chain *c;

	assert_int_equal(vhd_chain_open(&t->env, OUT, 0, &c), ST_OK);
	assert_int_equal(c->depth, 1);
	assert_int_equal(c->layer[0]->footer.disk_type, VHD_TYPE_DYNAMIC);
	assert_int_equal(c->layer[0]->block_size, BLOCK);
	assert_int_equal(c->layer[0]->bat[8], VHD_UNUSED);
	vhd_chain_close(c);
	chain_expect(t, OUT, ref, SIZE);
	tenv_clear(t);
	assert_int_equal(vhd_check(&t->env, OUT), ST_OK);
	assert_int_equal(t->errors + t->warnings, 0);
}

/* vhd_export through a fault domain cutting at write cut_at (0 = never). */
static status_t export_via(struct tenv *t, struct fault_domain *d,
			   unsigned cut_at, int keep)
{
	struct bf_opener fop;
	struct vhd_env fenv = t->env;

	fault_domain_init(d, &t->op, cut_at, keep);
	fault_opener(d, &fop);
	fenv.opener = &fop;
	return vhd_export(&fenv, LEAF, OUT);
}

static void crash_export(int keep)
{
	struct tenv *t = tenv_new();
	uint8_t *ref = malloc(SIZE);
	unsigned n, stale = 0;
	struct files f;

	build(t, ref, &f);
	for (n = 1;; n++) {
		struct fault_domain d;
		status_t st;

		/* a .part a previous cut left must not get in the way */
		stale += memfs_find(&t->fs, PART) != NULL;
		st = export_via(t, &d, n, keep);
		/* reboot: only what reached the medium counts */
		expect_source(t, &f, ref);
		if (!d.cut) {
			assert_int_equal(st, ST_OK);
			break;
		}
		assert_int_not_equal(st, ST_OK);
		if (memfs_find(&t->fs, OUT))
			expect_out(t, ref);
	}
	fprintf(stderr, "keep %d: cut points %u, stale .part %u\n", keep,
		n - 1, stale);
	assert_true(n > 20);            /* the loop covered a real export */
	assert_true(stale > 0);
	assert_null(memfs_find(&t->fs, PART));
	expect_out(t, ref);
	files_free(&f);
	free(ref);
	tenv_free(t);
}

static void test_crash_export_drop(void **st)
{
	(void)st;
	crash_export(0);
}

static void test_crash_export_keep(void **st)
{
	(void)st;
	crash_export(1);
}

/* memfs has no volume-wide capacity, only a per-file limit; as export
 * grows nothing but OUT.part, that limit is a full volume to it. Every
 * limit in 4 KiB steps: ST_ENOSPC with neither OUT nor OUT.part left, or
 * (once the limit fits) a complete OUT. Plain and through a fault domain
 * (where the error surfaces at the flush). */
static void full_volume(int via_fault)
{
	struct tenv *t = tenv_new();
	uint8_t *ref = malloc(SIZE);
	unsigned full = 0;
	struct files f;
	status_t st;

	build(t, ref, &f);
	for (uint64_t cap = 0;; cap += 4 * KB) {
		struct fault_domain d;

		t->fs.max_size = cap;
		st = via_fault ? export_via(t, &d, 0, 0)
			       : vhd_export(&t->env, LEAF, OUT);
		t->fs.max_size = 256ull << 20;
		expect_source(t, &f, ref);
		if (st == ST_OK)
			break;
		assert_int_equal(st, ST_ENOSPC);
		assert_null(memfs_find(&t->fs, OUT));
		assert_null(memfs_find(&t->fs, PART));
		full++;
	}
	assert_true(full > 10);
	assert_null(memfs_find(&t->fs, PART));
	expect_out(t, ref);
	files_free(&f);
	free(ref);
	tenv_free(t);
}

static void test_full_volume(void **st)
{
	(void)st;
	full_volume(0);
	full_volume(1);
}

/* OUT exists: ST_EEXIST before a single write; OUT stays as it was. An
 * opener without rename: ST_EUNSUPP, nothing written. */
static void test_refusals(void **st)
{
	struct tenv *t = tenv_new();
	uint8_t *ref = malloc(SIZE);
	struct fault_domain d;
	struct bf_opener fop;
	struct vhd_env fenv;
	struct files f;

	(void)st;
	build(t, ref, &f);
	assert_int_equal(memfs_put(&t->fs, OUT, "keep me", 7), ST_OK);
	assert_int_equal(export_via(t, &d, 0, 0), ST_EEXIST);
	assert_int_equal(d.ops, 0);
	assert_int_equal(memfs_find(&t->fs, OUT)->size, 7);
	assert_memory_equal(memfs_find(&t->fs, OUT)->data, "keep me", 7);
	assert_null(memfs_find(&t->fs, PART));
	assert_int_equal(t->op.remove(t->op.ctx, OUT), ST_OK);

	fault_domain_init(&d, &t->op, 0, 0);
	fault_opener(&d, &fop);
	fop.rename = NULL;
	fenv = t->env;
	fenv.opener = &fop;
	assert_int_equal(vhd_export(&fenv, LEAF, OUT), ST_EUNSUPP);
	assert_int_equal(d.ops, 0);
	assert_null(memfs_find(&t->fs, OUT));
	assert_null(memfs_find(&t->fs, PART));
	expect_source(t, &f, ref);
	files_free(&f);
	free(ref);
	tenv_free(t);
}

/* A stale OUT.part (garbage) is replaced; a missing source fails before
 * anything is made. */
static void test_stale_part(void **st)
{
	struct tenv *t = tenv_new();
	uint8_t *ref = malloc(SIZE);
	struct files f;

	(void)st;
	build(t, ref, &f);
	assert_int_equal(memfs_put(&t->fs, PART, "garbage", 7), ST_OK);
	assert_int_equal(vhd_export(&t->env, LEAF, OUT), ST_OK);
	assert_null(memfs_find(&t->fs, PART));
	expect_out(t, ref);
	assert_int_equal(vhd_export(&t->env, "nope.vhd", "o2.vhd"),
			 ST_ENOENT);
	assert_null(memfs_find(&t->fs, "o2.vhd"));
	assert_null(memfs_find(&t->fs, "o2.vhd.part"));
	expect_source(t, &f, ref);
	files_free(&f);
	free(ref);
	tenv_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crash_export_drop),
		cmocka_unit_test(test_crash_export_keep),
		cmocka_unit_test(test_full_volume),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_stale_part),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
