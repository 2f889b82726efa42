/* storage_fold.c: folding a middle layer of an open chain into its child
 * (storage/vhd_fold.h) while the guest reads and writes through the chain:
 * into the leaf and into an inner layer, equal and mixed block sizes, a
 * reference byte array following the guest's writes; then a full volume
 * (memfs max_size) that stops a fold cleanly and a resume after it grows.
 * Power cuts are storage_fold_crash.c. */
#include "tests/unit/storage_util.h"
#include "storage/vhd_fold.h"

#define KB 1024u
#define SIZE (512u * KB)

static const char *const names[4] = { "d/base.vhd", "d/l1.vhd", "d/l2.vhd",
				      "d/leaf.vhd" };

static void make_diff(struct tenv *t, const char *parent, const char *name,
		      uint32_t bs)
{
	struct vhd_create_opts o = { VHD_TYPE_DIFF, 0, bs, NULL, parent };
	struct vhd *p;

	assert_int_equal(vhd_open(&t->env, parent, 0, &p), ST_OK);
	o.parent = p;
	assert_int_equal(vhd_create(&t->env, name, &o, NULL), ST_OK);
	vhd_close(p);
}

/* Random runs of sectors (some partial) written into the leaf of the
 * chain ending at name, mirrored into ref. */
static void scribble(struct tenv *t, const char *name, uint8_t *ref,
		     uint32_t *seed, int n)
{
	struct vhd_chain *c;
	uint8_t buf[16 * KB];

	assert_int_equal(vhd_chain_open(&t->env, name, VHD_RDWR, &c), ST_OK);
	for (int i = 0; i < n; i++) {
		uint32_t len = 1 + t_rand(seed) % sizeof(buf);
		uint32_t off = t_rand(seed) % (SIZE - len);
		if (i % 2)
			off &= ~511u, len = (len + 511) & ~511u;
		if (off + len > SIZE)
			len = SIZE - off;
		fill_rand(seed, buf, len);
		assert_int_equal(vhd_chain_write(c, off, buf, len), ST_OK);
		memcpy(ref + off, buf, len);
	}
	assert_int_equal(vhd_chain_flush(c), ST_OK);
	vhd_chain_close(c);
}

/* base <- l1 <- l2 <- leaf with block sizes bs[], each layer scribbled. */
static uint8_t *build(struct tenv *t, const uint32_t bs[4], uint32_t *seed)
{
	uint8_t *ref = calloc(1, SIZE);

	make_disk(t, names[0], VHD_TYPE_DYNAMIC, SIZE, bs[0]);
	scribble(t, names[0], ref, seed, 12);
	for (int i = 1; i < 4; i++) {
		make_diff(t, names[i - 1], names[i], bs[i]);
		scribble(t, names[i], ref, seed, 12);
	}
	return ref;
}

static void expect_range(struct vhd_chain *c, const uint8_t *ref,
			 uint32_t off, uint32_t len)
{
	uint8_t *b = malloc(len);

	assert_int_equal(vhd_chain_read(c, off, b, len), ST_OK);
	assert_memory_equal(b, ref + off, len);
	free(b);
}

/* One guest write (into the chain's leaf) and one guest read. */
static void guest_io(struct vhd_chain *c, uint8_t *ref, uint32_t *seed)
{
	uint8_t buf[8 * KB];
	uint32_t len = 1 + t_rand(seed) % sizeof(buf);
	uint32_t off = t_rand(seed) % (SIZE - len);

	fill_rand(seed, buf, len);
	assert_int_equal(vhd_chain_write(c, off, buf, len), ST_OK);
	memcpy(ref + off, buf, len);
	len = 1 + t_rand(seed) % sizeof(buf);
	off = t_rand(seed) % (SIZE - len);
	expect_range(c, ref, off, len);
}

static int exists(struct tenv *t, const char *name)
{
	return memfs_find(&t->fs, name) != NULL;
}

/* A guest write into the parent block the next step copies, so the
 * child gains sectors of it between the steps. */
static void write_next_block(struct vhd_chain *c, struct vhd_fold *f,
			     uint8_t *ref, uint32_t *seed)
{
	uint32_t bs = c->layer[f->k]->block_size;
	uint64_t off = (uint64_t)f->next * bs + t_rand(seed) % bs;
	uint8_t buf[1500];
	uint32_t len = 1 + t_rand(seed) % sizeof(buf);

	if (off >= SIZE)
		return;
	if (len > SIZE - off)
		len = (uint32_t)(SIZE - off);
	fill_rand(seed, buf, len);
	assert_int_equal(vhd_chain_write(c, off, buf, len), ST_OK);
	memcpy(ref + off, buf, len);
}

/* Folds layer k of the chain at the leaf, guest I/O between steps. */
static void fold_online(const uint32_t bs[4], unsigned k)
{
	struct tenv *t = tenv_new();
	uint32_t seed = 7 + k + bs[1];
	uint8_t *ref = build(t, bs, &seed);
	const char *gone = names[3 - k];
	struct vhd_chain *c;
	struct vhd_fold *f;
	uint64_t done, total;
	bool fin = false;
	int steps = 0;

	assert_int_equal(vhd_chain_open(&t->env, names[3], VHD_RDWR, &c),
			 ST_OK);
	assert_int_equal(vhd_fold_begin(c, k, &f), ST_OK);
	assert_true(exists(t, k == 1 ? "d/leaf.vhd.fold" : "d/l2.vhd.fold"));
	while (!fin) {
		guest_io(c, ref, &seed);
		write_next_block(c, f, ref, &seed);
		assert_int_equal(vhd_fold_step(f, 8 * KB, &fin), ST_OK);
		steps++;
	}
	vhd_fold_progress(f, &done, &total);
	assert_int_equal(done, total);
	assert_true(total > 0 && steps > 1);
	guest_io(c, ref, &seed);
	assert_int_equal(vhd_fold_finish(f), ST_OK);
	vhd_fold_free(f);
	assert_int_equal(c->depth, 3);
	assert_false(exists(t, gone));
	assert_false(exists(t, "d/l2.vhd.fold") ||
		     exists(t, "d/leaf.vhd.fold"));
	expect_range(c, ref, 0, SIZE);
	for (int i = 0; i < 20; i++)
		guest_io(c, ref, &seed);
	expect_range(c, ref, 0, SIZE);
	vhd_chain_close(c);
	tenv_clear(t);
	assert_int_equal(vhd_check(&t->env, names[3]), ST_OK);
	assert_int_equal(t->errors + t->warnings, 0);
	chain_expect(t, names[3], ref, SIZE);
	free(ref);
	tenv_free(t);
}

static const uint32_t same[4] = { 4 * KB, 4 * KB, 4 * KB, 4 * KB };
static const uint32_t mixed[4] = { 64 * KB, 16 * KB, 4 * KB, 32 * KB };

static void test_fold_into_leaf(void **st)
{
	(void)st;
	fold_online(same, 1);
	fold_online(mixed, 1);
}

static void test_fold_into_inner(void **st)
{
	(void)st;
	fold_online(same, 2);
	fold_online(mixed, 2);
}

/* The base has no parent to switch to; k = 0 is the leaf itself. */
static void test_fold_refuses(void **st)
{
	struct tenv *t = tenv_new();
	uint32_t seed = 1;
	uint8_t *ref = build(t, same, &seed);
	struct vhd_chain *c;
	struct vhd_fold *f;

	(void)st;
	assert_int_equal(vhd_chain_open(&t->env, names[3], VHD_RDWR, &c),
			 ST_OK);
	assert_int_equal(vhd_fold_begin(c, 0, &f), ST_EINVAL);
	assert_int_equal(vhd_fold_begin(c, 3, &f), ST_EUNSUPP);
	assert_int_equal(vhd_fold_begin(c, 4, &f), ST_EINVAL);
	vhd_chain_close(c);
	free(ref);
	tenv_free(t);
}

/* A full volume stops a step or the finish; the chain reads the same; a
 * later begin/step/finish completes once there is room. */
static void test_fold_enospc(void **st)
{
	struct tenv *t = tenv_new();
	uint32_t seed = 3;
	uint8_t *ref = build(t, same, &seed);
	struct vhd_chain *c;
	struct vhd_fold *f;
	struct memfs_file *leaf = memfs_find(&t->fs, names[3]);
	bool fin = false;
	status_t s = ST_OK;

	(void)st;
	t->fs.max_size = leaf->size + 20 * KB;
	assert_int_equal(vhd_chain_open(&t->env, names[3], VHD_RDWR, &c),
			 ST_OK);
	assert_int_equal(vhd_fold_begin(c, 1, &f), ST_OK);
	while (!fin && !(s = vhd_fold_step(f, 4 * KB, &fin)))
		;
	assert_int_equal(s, ST_ENOSPC);
	assert_false(fin);              /* stopped inside a step */
	vhd_fold_free(f);
	expect_range(c, ref, 0, SIZE);
	/* copy everything, then stop the finish: no room for locators */
	t->fs.max_size = 256ull << 20;
	assert_int_equal(vhd_fold_begin(c, 1, &f), ST_OK);
	while (!fin)
		assert_int_equal(vhd_fold_step(f, 1 << 20, &fin), ST_OK);
	t->fs.max_size = leaf->size;
	assert_int_equal(vhd_fold_finish(f), ST_ENOSPC);
	vhd_fold_free(f);
	assert_int_equal(c->depth, 4);
	expect_range(c, ref, 0, SIZE);
	vhd_chain_close(c);
	assert_int_equal(vhd_fold_recover(&t->env, names[3]), ST_OK);
	chain_expect(t, names[3], ref, SIZE);
	t->fs.max_size = 256ull << 20;
	assert_int_equal(vhd_chain_open(&t->env, names[3], VHD_RDWR, &c),
			 ST_OK);
	assert_int_equal(c->depth, 4);
	assert_int_equal(vhd_fold_begin(c, 1, &f), ST_OK);
	fin = false;
	while (!fin)
		assert_int_equal(vhd_fold_step(f, 1 << 20, &fin), ST_OK);
	assert_int_equal(vhd_fold_finish(f), ST_OK);
	vhd_fold_free(f);
	assert_int_equal(c->depth, 3);
	vhd_chain_close(c);
	chain_expect(t, names[3], ref, SIZE);
	free(ref);
	tenv_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fold_into_leaf),
		cmocka_unit_test(test_fold_into_inner),
		cmocka_unit_test(test_fold_refuses),
		cmocka_unit_test(test_fold_enospc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
