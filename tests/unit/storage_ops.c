/* storage_ops.c: unit tests of the offline operations: commit (data kept,
 * child emptied, sibling refusal), export and conversion from raw, and
 * check's reports on damaged files. */
#include "tests/unit/storage_util.h"

#define MB (1u << 20)

static void write_rand(struct tenv *t, const char *name, uint8_t *ref,
		       uint64_t off, size_t len)
{
	uint8_t *b = malloc(len);

	fill_rand(&t->seed, b, len);
	chain_write(t, name, off, b, len);
	memcpy(ref + off, b, len);
	free(b);
}

static void three_level(struct tenv *t, uint8_t *ref)
{
	make_disk(t, "a.vhd", VHD_TYPE_DYNAMIC, 8 * MB, 0);
	write_rand(t, "a.vhd", ref, 1000, 3 * MB);
	make_child(t, "a.vhd", "b.vhd");
	write_rand(t, "b.vhd", ref, 2 * MB - 700, 5000);
	write_rand(t, "b.vhd", ref, 6 * MB, 4096);
	make_child(t, "b.vhd", "c.vhd");
	write_rand(t, "c.vhd", ref, 1 * MB + 3, 1 * MB);
	write_rand(t, "c.vhd", ref, 8 * MB - 512, 512);
}

static void test_commit(void **s)
{
	struct tenv *t = tenv_new();
	uint8_t *ref = calloc(1, 8 * MB);
	struct vhd *v;

	(void)s;
	three_level(t, ref);
	assert_int_equal(vhd_commit(&t->env, "c.vhd", 0), ST_OK);
	chain_expect(t, "c.vhd", ref, 8 * MB);  /* child still reads same */
	chain_expect(t, "b.vhd", ref, 8 * MB);  /* parent now holds it */
	assert_int_equal(vhd_open(&t->env, "c.vhd", 0, &v), ST_OK);
	for (uint32_t i = 0; i < v->nblocks; i++)
		assert_int_equal(v->bat[i], VHD_UNUSED);
	vhd_close(v);
	assert_int_equal(vhd_check(&t->env, "c.vhd"), ST_OK);
	/* committing a base disk is refused */
	assert_int_equal(vhd_commit(&t->env, "a.vhd", 0), ST_EINVAL);
	free(ref);
	tenv_free(t);
}

static void test_commit_siblings(void **s)
{
	struct tenv *t = tenv_new();
	uint8_t *ref = calloc(1, 8 * MB), *before;
	struct memfs_file *f;
	uint64_t n;

	(void)s;
	three_level(t, ref);
	make_child(t, "b.vhd", "d.vhd");       /* c's sibling */
	f = memfs_find(&t->fs, "b.vhd");
	n = f->size;
	before = malloc(n);
	memcpy(before, f->data, n);
	tenv_clear(t);
	assert_int_equal(vhd_commit(&t->env, "c.vhd", 0), ST_EBUSY);
	assert_string_equal(t->last_file, "d.vhd");
	f = memfs_find(&t->fs, "b.vhd");
	assert_int_equal(f->size, n);
	assert_memory_equal(f->data, before, n);
	assert_int_equal(vhd_commit(&t->env, "c.vhd", VHD_COMMIT_FORCE),
			 ST_OK);
	chain_expect(t, "b.vhd", ref, 8 * MB);
	free(before);
	free(ref);
	tenv_free(t);
}

static void test_export_and_raw(void **s)
{
	struct tenv *t = tenv_new();
	uint8_t *ref = calloc(1, 8 * MB);
	struct vhd_source src;
	struct blockfile *bf;
	struct vhd *v;

	(void)s;
	three_level(t, ref);
	assert_int_equal(vhd_export(&t->env, "c.vhd", "e.vhd"), ST_OK);
	assert_int_equal(vhd_export(&t->env, "c.vhd", "e.vhd"), ST_EEXIST);
	assert_int_equal(vhd_open(&t->env, "e.vhd", 0, &v), ST_OK);
	assert_int_equal(v->footer.disk_type, VHD_TYPE_DYNAMIC);
	assert_int_equal(v->bat[2], VHD_UNUSED);      /* zero block skipped */
	vhd_close(v);
	chain_expect(t, "e.vhd", ref, 8 * MB);

	/* raw -> vhd -> raw */
	assert_int_equal(memfs_put(&t->fs, "r.img", ref, 8 * MB - 100), ST_OK);
	assert_int_equal(t->op.open(t->op.ctx, "r.img", 0, &bf), ST_OK);
	assert_int_equal(vhd_source_raw(bf, &src), ST_OK);
	assert_int_equal(src.size, 8 * MB);           /* rounded to sectors */
	assert_int_equal(vhd_write_dynamic(&t->env, &src, "r.vhd", 0), ST_OK);
	bf_close(bf);
	memset(ref + 8 * MB - 100, 0, 100);
	chain_expect(t, "r.vhd", ref, 8 * MB);
	struct vhd_chain *c;
	assert_int_equal(vhd_chain_open(&t->env, "r.vhd", 0, &c), ST_OK);
	vhd_source_chain(c, &src);
	assert_int_equal(vhd_write_raw(&t->env, &src, "back.img"), ST_OK);
	vhd_chain_close(c);
	struct memfs_file *f = memfs_find(&t->fs, "back.img");
	assert_int_equal(f->size, 8 * MB);
	assert_memory_equal(f->data, ref, 8 * MB);
	free(ref);
	tenv_free(t);
}

/* Damage: put a 32-bit big-endian value into a file, fixing nothing. */
static void poke32(struct tenv *t, const char *name, uint64_t off, uint32_t v)
{
	put32(memfs_find(&t->fs, name)->data + off, v);
}

static void fix_header_checksum(struct tenv *t, const char *name)
{
	uint8_t *h = memfs_find(&t->fs, name)->data + 512;

	put32(h + 36, vhd_checksum(h, 1024, 36));
}

static void test_check_reports(void **s)
{
	struct tenv *t = tenv_new();
	uint8_t *ref = calloc(1, 8 * MB);
	struct memfs_file *f;

	(void)s;
	three_level(t, ref);
	assert_int_equal(vhd_check(&t->env, "c.vhd"), ST_OK);

	/* BAT entry 0 of b.vhd points past the end */
	f = memfs_find(&t->fs, "b.vhd");
	uint8_t save[4];
	memcpy(save, f->data + 1536, 4);
	poke32(t, "b.vhd", 1536, 0x00ffffff);
	tenv_clear(t);
	assert_int_equal(vhd_check(&t->env, "c.vhd"), ST_ECORRUPT);
	assert_string_equal(t->last_file, "b.vhd");
	assert_string_equal(t->last_field, "bat[0]");
	memcpy(f->data + 1536, save, 4);

	/* two BAT entries of a.vhd share a block */
	f = memfs_find(&t->fs, "a.vhd");
	memcpy(f->data + 1536 + 4 * 3, f->data + 1536, 4);
	tenv_clear(t);
	assert_int_equal(vhd_check(&t->env, "a.vhd"), ST_ECORRUPT);
	assert_string_equal(t->last_field, "bat[3]");
	poke32(t, "a.vhd", 1536 + 12, VHD_UNUSED);

	/* a block size that is not a power of two */
	poke32(t, "a.vhd", 512 + 32, 3 << 20);
	fix_header_checksum(t, "a.vhd");
	tenv_clear(t);
	assert_int_equal(vhd_check(&t->env, "c.vhd"), ST_ECORRUPT);
	assert_string_equal(t->last_file, "a.vhd");
	assert_string_equal(t->last_field, "header.block_size");
	poke32(t, "a.vhd", 512 + 32, 2 << 20);
	fix_header_checksum(t, "a.vhd");

	/* the footer copy differs from the footer */
	f = memfs_find(&t->fs, "c.vhd");
	f->data[24] ^= 1;
	tenv_clear(t);
	assert_int_equal(vhd_check(&t->env, "c.vhd"), ST_ECORRUPT);
	assert_string_equal(t->last_field, "footer_copy.checksum");
	f->data[24] ^= 1;

	/* a missing parent */
	memfs_find(&t->fs, "a.vhd")->name[0] = 'z';
	tenv_clear(t);
	assert_int_equal(vhd_check(&t->env, "c.vhd"), ST_ECORRUPT);
	assert_string_equal(t->last_field, "header.parent_locator");
	free(ref);
	tenv_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_commit),
		cmocka_unit_test(test_commit_siblings),
		cmocka_unit_test(test_export_and_raw),
		cmocka_unit_test(test_check_reports),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
