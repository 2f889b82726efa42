/* storage_fold_crash.c: a whole fold (begin, steps, finish) cut off by a
 * power failure after every possible write (blockfile_fault.h; pending
 * writes dropped, or all kept). Each time vhd_fold_recover then
 * vhd_chain_open must give a chain reading exactly the same content (a
 * fold never changes it), and resuming the fold must finish it. */
#include "tests/unit/storage_util.h"
#include "storage/vhd_fold.h"

#define KB 1024u
#define SIZE (64u * KB)
#define NSNAP MEMFS_MAX_FILES

static const char *const names[3] = { "base.vhd", "mid.vhd", "leaf.vhd" };

struct snap {
	int n;
	char *name[NSNAP];
	uint8_t *data[NSNAP];
	uint64_t size[NSNAP];
};

static void snap_take(struct tenv *t, struct snap *s)
{
	s->n = 0;
	for (int i = 0; i < MEMFS_MAX_FILES; i++) {
		struct memfs_file *f = &t->fs.files[i];
		if (!f->name)
			continue;
		s->name[s->n] = strdup(f->name);
		s->data[s->n] = malloc(f->size + 1);
		memcpy(s->data[s->n], f->data, f->size);
		s->size[s->n++] = f->size;
	}
}

static void snap_restore(struct tenv *t, struct snap *s)
{
	memfs_free(&t->fs);
	memfs_init(&t->fs, 256ull << 20);
	for (int i = 0; i < s->n; i++)
		assert_int_equal(memfs_put(&t->fs, s->name[i], s->data[i],
					   s->size[i]), ST_OK);
}

static void snap_free(struct snap *s)
{
	for (int i = 0; i < s->n; i++) {
		free(s->name[i]);
		free(s->data[i]);
	}
}

/* base <- mid <- leaf, 4 KiB blocks, scattered sectors in each layer so
 * the leaf lacks some of mid's sectors in shared blocks. */
static void build(struct tenv *t, uint8_t *ref)
{
	uint32_t seed = 11;
	uint8_t buf[3 * 512];

	make_disk(t, names[0], VHD_TYPE_DYNAMIC, SIZE, 4 * KB);
	make_child(t, names[0], names[1]);
	make_child(t, names[1], names[2]);
	for (int l = 0; l < 3; l++) {
		for (int i = 0; i < 6; i++) {
			uint32_t off = t_rand(&seed) % (SIZE / 512 - 3) * 512;
			fill_rand(&seed, buf, sizeof(buf));
			chain_write(t, names[l], off, buf, sizeof(buf));
		}
	}
	struct vhd_chain *c;
	assert_int_equal(vhd_chain_open(&t->env, names[2], 0, &c), ST_OK);
	assert_int_equal(vhd_chain_read(c, 0, ref, SIZE), ST_OK);
	vhd_chain_close(c);
}

/* Runs a whole fold of layer 1 of the chain at the leaf through env. */
static status_t run_fold(const struct vhd_env *env)
{
	struct vhd_chain *c;
	struct vhd_fold *f = NULL;
	bool fin = false;
	status_t st;

	if ((st = vhd_chain_open(env, names[2], VHD_RDWR, &c)))
		return st;
	if (c->depth == 2)
		goto out;              /* already folded */
	st = vhd_fold_begin(c, 1, &f);
	while (!st && !fin)
		st = vhd_fold_step(f, 4 * KB, &fin);
	if (!st)
		st = vhd_fold_finish(f);
	vhd_fold_free(f);
out:
	vhd_chain_close(c);
	return st;
}

/* If the cut left a journal holding the new header, tear the header in
 * place (half old, half garbage), as a cut inside that write would. */
static int tear_header(struct tenv *t)
{
	struct memfs_file *j = memfs_find(&t->fs, "leaf.vhd.fold");
	struct memfs_file *leaf = memfs_find(&t->fs, names[2]);

	if (!j || j->size < 12 || be32(j->data + 8) != VHD_FOLD_SWITCH)
		return 0;
	memset(leaf->data + 512 + 40, 0xA5, 600);
	return 1;
}

static void crash_fold(int keep)
{
	struct tenv *t = tenv_new();
	uint8_t *ref = malloc(SIZE);
	struct snap s;
	unsigned n, switched = 0;

	build(t, ref);
	snap_take(t, &s);
	for (n = 1;; n++) {
		struct fault_domain d;
		struct bf_opener fop;
		struct vhd_env fenv = t->env;
		status_t st;

		snap_restore(t, &s);
		fault_domain_init(&d, &t->op, n, keep);
		fault_opener(&d, &fop);
		fenv.opener = &fop;
		st = run_fold(&fenv);
		if (!d.cut) {
			assert_int_equal(st, ST_OK);
			break;
		}
		assert_int_not_equal(st, ST_OK);
		switched += tear_header(t);
		assert_int_equal(vhd_fold_recover(&t->env, names[2]), ST_OK);
		chain_expect(t, names[2], ref, SIZE);
		assert_int_equal(run_fold(&t->env), ST_OK);
		assert_int_equal(vhd_fold_recover(&t->env, names[2]), ST_OK);
		chain_expect(t, names[2], ref, SIZE);
		assert_null(memfs_find(&t->fs, names[1]));
		assert_null(memfs_find(&t->fs, "leaf.vhd.fold"));
		tenv_clear(t);
		assert_int_equal(vhd_check(&t->env, names[2]), ST_OK);
	}
	fprintf(stderr, "cut points: %u\n", n - 1);
	assert_true(n > 20);            /* the loop covered a real fold */
	assert_true(switched > 0);
	chain_expect(t, names[2], ref, SIZE);
	assert_null(memfs_find(&t->fs, names[1]));
	snap_free(&s);
	free(ref);
	tenv_free(t);
}

static void test_crash_fold_drop(void **st)
{
	(void)st;
	crash_fold(0);
}

static void test_crash_fold_keep(void **st)
{
	(void)st;
	crash_fold(1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crash_fold_drop),
		cmocka_unit_test(test_crash_fold_keep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
