/* storage_fold_crash.c: a whole fold (begin, steps, finish; into the leaf
 * and into an inner layer) cut off by a power failure after every write
 * (blockfile_fault.h; pending writes dropped, or all kept). Each time
 * vhd_fold_recover then vhd_chain_open must give a chain reading exactly
 * the same content (a fold never changes it), and resuming the fold must
 * finish it; with equal and with mixed block sizes. Also a torn header
 * write and a cut during recovery. */
#include "tests/unit/storage_util.h"
#include "storage/vhd_fold.h"

#define KB 1024u
#define SIZE (64u * KB)
#define NSNAP MEMFS_MAX_FILES

/* [0] base ... [3] leaf; folding layer k removes names[3 - k] into
 * names[4 - k], whose journal is journals[k]. */
static const char *const names[4] = { "base.vhd", "mid.vhd", "mid2.vhd",
				      "leaf.vhd" };
static const char *const journals[3] = { NULL, "leaf.vhd.fold",
					 "mid2.vhd.fold" };
#define LEAF names[3]

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

/* base <- mid <- mid2 <- leaf, block sizes bs[], scattered sectors in
 * each layer so a child lacks some of its parent's sectors in shared
 * blocks. */
static void build(struct tenv *t, uint8_t *ref, const uint32_t bs[4])
{
	uint32_t seed = 11;
	uint8_t buf[3 * 512];

	make_disk(t, names[0], VHD_TYPE_DYNAMIC, SIZE, bs[0]);
	for (int l = 1; l < 4; l++)
		make_diff(t, names[l - 1], names[l], bs[l]);
	for (int l = 0; l < 4; l++) {
		for (int i = 0; i < 6; i++) {
			uint32_t off = t_rand(&seed) % (SIZE / 512 - 3) * 512;
			fill_rand(&seed, buf, sizeof(buf));
			chain_write(t, names[l], off, buf, sizeof(buf));
		}
	}
	struct vhd_chain *c;
	assert_int_equal(vhd_chain_open(&t->env, LEAF, 0, &c), ST_OK);
	assert_int_equal(vhd_chain_read(c, 0, ref, SIZE), ST_OK);
	vhd_chain_close(c);
}

/* Runs a whole fold of layer k of the chain at the leaf through env. */
static status_t run_fold(const struct vhd_env *env, unsigned k)
{
	struct vhd_chain *c;
	struct vhd_fold *f = NULL;
	bool fin = false;
	status_t st;

	if ((st = vhd_chain_open(env, LEAF, VHD_RDWR, &c)))
		return st;
	if (c->depth == 3)
		goto out;              /* already folded */
	st = vhd_fold_begin(c, k, &f);
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
static int tear_header(struct tenv *t, unsigned k)
{
	struct memfs_file *j = memfs_find(&t->fs, journals[k]);
	struct memfs_file *leaf = memfs_find(&t->fs, names[4 - k]);

	if (!j || j->size < 12 || be32(j->data + 8) != VHD_FOLD_SWITCH)
		return 0;
	memset(leaf->data + 512 + 40, 0xA5, 600);
	return 1;
}

/* A second power cut, at the first write of the recovery itself: the
 * next recovery must still repair everything. */
static void cut_recovery(struct tenv *t, int keep)
{
	struct fault_domain d;
	struct bf_opener fop;
	struct vhd_env fenv = t->env;

	fault_domain_init(&d, &t->op, 1, keep);
	fault_opener(&d, &fop);
	fenv.opener = &fop;
	fenv.diag = NULL;
	(void)vhd_fold_recover(&fenv, LEAF);
}

static const uint32_t same[4] = { 4 * KB, 4 * KB, 4 * KB, 4 * KB };
/* Folding mid2 into leaf: smaller parent blocks; mid into mid2: bigger
 * ones, so a step reserves child blocks no sector lands in and gives
 * them back (vhd_fold_step.c). */
static const uint32_t mixed[4] = { 8 * KB, 16 * KB, 4 * KB, 8 * KB };

static void crash_fold(int keep, unsigned k, const uint32_t bs[4])
{
	struct tenv *t = tenv_new();
	uint8_t *ref = malloc(SIZE);
	struct snap s;
	unsigned n, switched = 0;

	build(t, ref, bs);
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
		st = run_fold(&fenv, k);
		if (!d.cut) {
			assert_int_equal(st, ST_OK);
			break;
		}
		assert_int_not_equal(st, ST_OK);
		switched += tear_header(t, k);
		cut_recovery(t, keep);
		assert_int_equal(vhd_fold_recover(&t->env, LEAF), ST_OK);
		chain_expect(t, LEAF, ref, SIZE);
		assert_int_equal(run_fold(&t->env, k), ST_OK);
		assert_int_equal(vhd_fold_recover(&t->env, LEAF), ST_OK);
		chain_expect(t, LEAF, ref, SIZE);
		assert_null(memfs_find(&t->fs, names[3 - k]));
		assert_null(memfs_find(&t->fs, journals[k]));
		tenv_clear(t);
		assert_int_equal(vhd_check(&t->env, LEAF), ST_OK);
	}
	fprintf(stderr, "cut points: %u\n", n - 1);
	assert_true(n > 12);            /* the loop covered a real fold */
	assert_true(switched > 0);
	chain_expect(t, LEAF, ref, SIZE);
	assert_null(memfs_find(&t->fs, names[3 - k]));
	snap_free(&s);
	free(ref);
	tenv_free(t);
}

static void test_crash_fold_drop(void **st)
{
	(void)st;
	crash_fold(0, 1, same);
	crash_fold(0, 2, same);
}

static void test_crash_fold_keep(void **st)
{
	(void)st;
	crash_fold(1, 1, same);
	crash_fold(1, 2, same);
}

static void test_crash_fold_mixed(void **st)
{
	(void)st;
	for (int keep = 0; keep < 2; keep++) {
		crash_fold(keep, 1, mixed);
		crash_fold(keep, 2, mixed);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crash_fold_drop),
		cmocka_unit_test(test_crash_fold_keep),
		cmocka_unit_test(test_crash_fold_mixed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
