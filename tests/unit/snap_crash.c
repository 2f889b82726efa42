/* snap_crash.c: power cuts across the tree's operations (issue 6, point
 * 4): a snapshot create, a delete with its merge, a commit into the base
 * (of a frozen layer, and of the running leaf while the guest writes)
 * and a stream of a middle layer, each cut after its Nth write for every
 * N until one runs through (blockfile_fault.h; pending writes dropped or
 * all kept). After each cut the volume boots (manifest_load,
 * tree_recover) and must give: a running disk reading exactly what the
 * guest last wrote, every listed snapshot complete, with its files, and
 * its disk reading exactly what it held; then the interrupted work
 * finishes (merges resume on their own) with the same content. */
#include "tests/unit/snap_vol.h"

typedef status_t (*vol_op)(struct vol *v);

static status_t op_merge(struct vol *v)
{
	unsigned merged;
	return vol_merge_all(v, VBLOCK, &merged);
}

static status_t op_create(struct vol *v)
{
	return vol_snapshot(v) ? ST_OK : ST_EIO;
}

static status_t op_delete(struct vol *v)
{
	status_t st = tree_delete(&v->h, 1);
	return st ? st : op_merge(v);
}

static void setup_commit(struct vol *v)
{
	vol_write(v, 6);
	assert_int_equal(vol_snapshot(v), 1);
	vol_write(v, 6);
	assert_int_equal(vol_snapshot(v), 2);
	vol_write(v, 6);
	assert_int_equal(tree_delete(&v->h, 1), ST_OK);
}

static void setup_stream(struct vol *v)
{
	vol_snapshots(v, 3, 5);
	assert_int_equal(tree_delete(&v->h, 2), ST_OK);
}

static void setup_leaf(struct vol *v)
{
	vol_write(v, 6);
	assert_int_equal(vol_snapshot(v), 1);
	vol_write(v, 12);
	assert_int_equal(tree_delete(&v->h, 1), ST_OK);
}

/* The leaf's commit while the guest writes between the merge's steps. */
static status_t op_merge_writing(struct vol *v)
{
	struct layer_graph *g = malloc(sizeof *g);
	struct merge_task t[8];
	struct merge *mg = NULL;
	unsigned nb;
	bool done = false;
	char err[160];
	status_t st = layers_build(v->env, &v->m, g, err, sizeof err);
	if (!st && merge_plan(g, t, 8, &nb) != 1)
		st = ST_EINVAL;
	if (!st)
		st = merge_begin(&v->h, g, &t[0], &mg);
	while (!st && !done) {
		uint8_t buf[512];
		uint32_t off = t_rand(&v->seed) % (VSIZE / 512) * 512;
		fill_rand(&v->seed, buf, sizeof buf);
		/* a write the cut fails may or may not have landed */
		if ((st = vhd_chain_write(v->run, off, buf, sizeof buf)) ||
		    (st = vhd_chain_flush(v->run))) {
			v->maybe = true;
			v->maybe_off = off;
			memcpy(v->maybe_data, buf, sizeof buf);
			break;
		}
		memcpy(v->now + off, buf, sizeof buf);
		st = merge_step(mg, 1, &done);
	}
	merge_free(mg);
	free(g);
	return st;
}

static void setup_create(struct vol *v)
{
	vol_write(v, 6);
	assert_int_equal(vol_snapshot(v), 1);
	vol_write(v, 6);
}

static void setup_delete(struct vol *v)
{
	vol_write(v, 6);
	assert_int_equal(vol_snapshot(v), 1);
	vol_write(v, 6);
	assert_int_equal(vol_snapshot(v), 2);
	vol_write(v, 6);
}

/* Runs op with the power cut at write n; true when it ran through. */
static bool cut_at(struct vol *v, vol_op op, unsigned n, int keep)
{
	/* static: files opened through it outlive this call until the boot */
	static struct fault_domain d;
	static struct bf_opener fop;
	static struct vhd_env fenv;
	fenv = v->t->env;
	fault_domain_init(&d, &v->t->op, n, keep);
	fault_opener(&d, &fop);
	fenv.opener = &fop;
	fenv.diag = NULL;
	v_host(v, &fenv);
	/* the VM's disk goes through the same power domain */
	assert_int_equal(v_reopen(v), ST_OK);
	status_t st = op(v);
	if (!d.cut) {
		assert_int_equal(st, ST_OK);
		v_host(v, &v->t->env);
		assert_int_equal(v_reopen(v), ST_OK);
		return true;
	}
	assert_int_not_equal(st, ST_OK);
	return false;
}

/* final_depth: the running chain's depth in the end, one more while
 * snapshot `deleted` is still listed (a delete cut before its store). */
static void crash(void (*setup)(struct vol *), vol_op op, int keep,
		  unsigned min_cuts, unsigned final_depth, uint32_t deleted)
{
	unsigned n;
	for (n = 1;; n++) {
		struct vol *v = vol_new();
		unsigned merged;
		setup(v);
		bool through = cut_at(v, op, n, keep);
		vol_boot(v);
		vol_check(v);
		/* what was cut resumes and ends as an uncut run would */
		assert_int_equal(vol_merge_all(v, VBLOCK, &merged), ST_OK);
		vol_check(v);
		if (final_depth)
			assert_int_equal(vol_depth(v), final_depth +
					 (manifest_find(&v->m, deleted) != NULL));
		assert_null(memfs_find(&v->t->fs, MERGE_JOURNAL));
		vol_write(v, 2);                 /* and the disk still works */
		vol_check(v);
		vol_free(v);
		if (through)
			break;
	}
	fprintf(stderr, "cut points: %u\n", n - 1);
	assert_true(n > min_cuts);
}

static void test_crash_commit(void **s)
{
	(void)s;
	crash(setup_commit, op_merge, 0, 10, 2, 1);
	crash(setup_commit, op_merge, 1, 10, 2, 1);
}

static void test_crash_stream(void **s)
{
	(void)s;
	crash(setup_stream, op_merge, 0, 10, 3, 2);
	crash(setup_stream, op_merge, 1, 10, 3, 2);
}

static void test_crash_leaf_commit(void **s)
{
	(void)s;
	crash(setup_leaf, op_merge_writing, 0, 10, 1, 1);
	crash(setup_leaf, op_merge_writing, 1, 10, 1, 1);
}

static void test_crash_create(void **s)
{
	(void)s;
	/* a cut create may leave its node dropped and its layer merged:
	 * the depth is 2 either way */
	crash(setup_create, op_create, 0, 5, 0, 0);
	crash(setup_create, op_create, 1, 5, 0, 0);
}

static void test_crash_delete(void **s)
{
	(void)s;
	/* before the tree store: still listed, nothing merges (depth 3) */
	crash(setup_delete, op_delete, 0, 5, 2, 1);
	crash(setup_delete, op_delete, 1, 5, 2, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crash_commit),
		cmocka_unit_test(test_crash_stream),
		cmocka_unit_test(test_crash_leaf_commit),
		cmocka_unit_test(test_crash_create),
		cmocka_unit_test(test_crash_delete),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
