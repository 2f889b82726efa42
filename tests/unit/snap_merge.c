/* snap_merge.c: merging deleted snapshots' layers (snapshot/merge.h,
 * tree.h) on an in-memory volume: a commit into the base (the first
 * snapshot deleted), a stream of a middle layer on the VM's chain and on
 * a side branch, a branch point kept, garbage collection, the plan's
 * view, and a full volume that stops a merge and lets it resume. Every
 * case checks each snapshot's disk and the running disk, byte for byte. */
#include "tests/unit/snap_vol.h"

static unsigned plan(struct vol *v, struct merge_task *t, unsigned *nb)
{
	struct layer_graph *g = malloc(sizeof *g);
	char err[160];
	assert_int_equal(layers_build(v->env, &v->m, g, err, sizeof err), ST_OK);
	unsigned n = merge_plan(g, t, 8, nb);
	free(g);
	return n;
}

/* snapshot, write, snapshot, delete the first, merge: the base takes
 * leaf-1 and snapshot 2 owns the base. */
static void test_delete_first_commits_into_base(void **s)
{
	(void)s;
	struct vol *v = vol_new();
	struct merge_task t[8];
	unsigned nb, merged;
	vol_write(v, 6);
	assert_int_equal(vol_snapshot(v), 1);
	vol_write(v, 6);
	assert_int_equal(vol_snapshot(v), 2);
	vol_write(v, 6);
	assert_int_equal(vol_depth(v), 3);
	assert_int_equal(tree_delete(&v->h, 1), ST_OK);
	assert_null(memfs_find(&v->t->fs, SNAP_DIR "/1.mem"));
	assert_int_equal(plan(v, t, &nb), 1);
	assert_int_equal(t[0].kind, MERGE_COMMIT);
	assert_string_equal(t[0].layer, SNAP_DIR "/leaf-1.avhd");
	assert_string_equal(t[0].into, "disk.vhd");
	assert_true(t[0].bytes > 0);
	assert_int_equal(vol_merge_all(v, VBLOCK, &merged), ST_OK);
	assert_int_equal(merged, 1);
	assert_int_equal(vol_depth(v), 2);
	assert_string_equal(manifest_find(&v->m, 2)->disk, "disk.vhd");
	assert_null(memfs_find(&v->t->fs, SNAP_DIR "/leaf-1.avhd"));
	assert_null(memfs_find(&v->t->fs, MERGE_JOURNAL));
	vol_check(v);
	vol_write(v, 4);     /* the VM's chain was reopened and works */
	vol_check(v);
	vol_boot(v);         /* and the volume reads the same after a boot */
	vol_check(v);
	assert_int_equal(plan(v, t, &nb), 0);
	vol_free(v);
}

/* A middle snapshot deleted: its layer streams into its child on the
 * VM's chain, with small steps and guest writes between them. */
static void test_delete_middle_streams(void **s)
{
	(void)s;
	struct vol *v = vol_new();
	struct merge_task t[1];
	struct merge *mg;
	bool done = false;
	vol_snapshots(v, 3, 6);
	assert_int_equal(vol_depth(v), 4);
	assert_int_equal(tree_delete(&v->h, 2), ST_OK);
	mg = vol_begin_one(v, t);
	assert_int_equal(t[0].kind, MERGE_STREAM);
	assert_string_equal(t[0].layer, SNAP_DIR "/leaf-1.avhd");
	assert_string_equal(t[0].into, SNAP_DIR "/leaf-2.avhd");
	while (!done) {
		assert_int_equal(merge_step(mg, 1, &done), ST_OK);
		vol_write(v, 1);
		vol_check(v);
	}
	merge_free(mg);
	assert_int_equal(vol_depth(v), 3);
	assert_null(memfs_find(&v->t->fs, SNAP_DIR "/leaf-1.avhd"));
	vol_check(v);
	vol_boot(v);
	vol_check(v);
	vol_free(v);
}

/* A side branch (the VM runs under snapshot 1): deleting 2 streams its
 * layer into 3's on a chain of the merge's own. */
static void test_side_branch_stream(void **s)
{
	(void)s;
	struct vol *v = vol_new();
	unsigned merged;
	vol_snapshots(v, 3, 5);
	vol_apply(v, 1);
	vol_write(v, 5);
	assert_int_equal(tree_delete(&v->h, 2), ST_OK);
	assert_int_equal(vol_merge_all(v, 2 * VBLOCK, &merged), ST_OK);
	assert_int_equal(merged, 1);
	assert_null(memfs_find(&v->t->fs, SNAP_DIR "/leaf-1.avhd"));
	vol_check(v);
	/* the old running leaf (leaf-3) was no one's: collected */
	assert_null(memfs_find(&v->t->fs, SNAP_DIR "/leaf-3.avhd"));
	vol_free(v);
}

/* A branch point stays while it has two children; when one branch goes
 * the garbage goes with it. */
static void test_branch_point_kept(void **s)
{
	(void)s;
	struct vol *v = vol_new();
	struct merge_task t[8];
	unsigned nb, merged;
	vol_write(v, 4);
	assert_int_equal(vol_snapshot(v), 1);
	vol_write(v, 4);
	assert_int_equal(vol_snapshot(v), 2);
	vol_apply(v, 1);              /* disk.vhd: leaf-1 and leaf-3 */
	vol_write(v, 4);
	assert_int_equal(tree_delete(&v->h, 1), ST_OK);
	assert_int_equal(plan(v, t, &nb), 0);
	assert_int_equal(nb, 1);
	assert_int_equal(vol_merge_all(v, VBLOCK, &merged), ST_OK);
	assert_int_equal(merged, 0);
	vol_check(v);
	assert_int_equal(tree_delete(&v->h, 2), ST_OK);
	assert_int_equal(vol_merge_all(v, VBLOCK, &merged), ST_OK);
	assert_int_equal(plan(v, t, &nb), 0);
	assert_int_equal(nb, 0);
	assert_null(memfs_find(&v->t->fs, SNAP_DIR "/leaf-1.avhd"));
	vol_check(v);
	vol_free(v);
}

/* Deletes in a row: every layer goes, commits into the base first, no
 * layer planned twice. */
static void test_two_deletes(void **s)
{
	(void)s;
	struct vol *v = vol_new();
	unsigned merged;
	vol_snapshots(v, 4, 4);
	assert_int_equal(vol_depth(v), 5);
	assert_int_equal(tree_delete(&v->h, 1), ST_OK);
	assert_int_equal(tree_delete(&v->h, 3), ST_OK);
	/* disk.vhd takes leaf-1 first; leaf-3 streams into leaf-4 */
	struct merge_task t[8];
	unsigned nb;
	assert_int_equal(plan(v, t, &nb), 2);
	assert_int_equal(t[0].kind, MERGE_COMMIT);
	assert_int_equal(t[1].kind, MERGE_STREAM);
	assert_int_equal(tree_delete(&v->h, 2), ST_OK);
	/* now leaf-1 could go either way: it is planned once */
	assert_int_equal(plan(v, t, &nb), 2);
	assert_string_equal(t[0].layer, SNAP_DIR "/leaf-1.avhd");
	assert_string_equal(t[0].into, "disk.vhd");
	assert_string_equal(t[1].layer, SNAP_DIR "/leaf-2.avhd");
	assert_string_equal(t[1].into, SNAP_DIR "/leaf-3.avhd");
	assert_int_equal(vol_merge_all(v, VBLOCK, &merged), ST_OK);
	assert_int_equal(merged, 3);
	assert_int_equal(vol_depth(v), 2);
	vol_check(v);
	vol_boot(v);
	vol_check(v);
	vol_free(v);
}

/* A volume too small for the merge: it stops with ST_ENOSPC, nothing
 * changes, and it finishes once there is room. */
static void test_full_volume(void **s)
{
	(void)s;
	struct vol *v = vol_new();
	unsigned merged;
	vol_write(v, 2);
	assert_int_equal(vol_snapshot(v), 1);
	vol_write(v, 30);
	assert_int_equal(vol_snapshot(v), 2);
	assert_int_equal(tree_delete(&v->h, 1), ST_OK);
	v->t->fs.max_size = memfs_find(&v->t->fs, "disk.vhd")->size + 4096;
	assert_int_equal(vol_merge_all(v, VBLOCK, &merged), ST_ENOSPC);
	vol_check(v);
	vol_boot(v);
	vol_check(v);
	v->t->fs.max_size = 256ull << 20;
	assert_int_equal(vol_merge_all(v, VBLOCK, &merged), ST_OK);
	assert_int_equal(merged, 1);
	assert_int_equal(vol_depth(v), 2);
	vol_check(v);
	vol_free(v);
}

/* The only snapshot deleted: the running leaf commits into the base
 * while the guest writes (mirrored), and the VM runs on the base. */
static void test_delete_only_snapshot_commits_leaf(void **s)
{
	(void)s;
	struct vol *v = vol_new();
	struct merge_task t[1];
	struct merge *mg;
	bool done = false;
	vol_write(v, 6);
	assert_int_equal(vol_snapshot(v), 1);
	vol_write(v, 20);
	assert_int_equal(tree_delete(&v->h, 1), ST_OK);
	mg = vol_begin_one(v, t);
	assert_string_equal(t[0].layer, SNAP_DIR "/leaf-1.avhd");
	assert_string_equal(t[0].into, "disk.vhd");
	while (!done) {
		vol_write(v, 2);   /* mirrored into the base as well */
		assert_int_equal(merge_step(mg, 1, &done), ST_OK);
		vol_check(v);
	}
	merge_free(mg);
	assert_int_equal(vol_depth(v), 1);
	assert_string_equal(v->m.leaf, "disk.vhd");
	assert_null(memfs_find(&v->t->fs, SNAP_DIR "/leaf-1.avhd"));
	vol_write(v, 3);
	vol_check(v);
	vol_boot(v);
	vol_check(v);
	/* and a new snapshot starts from the base again */
	assert_int_equal(vol_snapshot(v), 2);
	vol_write(v, 3);
	vol_check(v);
	vol_free(v);
}

/* A create in the middle of the leaf's commit abandons it (the mirror
 * stops); the plan then commits the frozen layer instead. */
static void test_leaf_commit_abandoned(void **s)
{
	(void)s;
	struct vol *v = vol_new();
	struct merge_task t[1];
	struct merge *mg;
	unsigned merged;
	bool done = false;
	vol_write(v, 6);
	assert_int_equal(vol_snapshot(v), 1);
	vol_write(v, 20);
	assert_int_equal(tree_delete(&v->h, 1), ST_OK);
	mg = vol_begin_one(v, t);
	assert_int_equal(merge_step(mg, 1, &done), ST_OK);
	assert_false(done);
	merge_free(mg);
	assert_null(v->run->mirror);
	assert_int_equal(vol_snapshot(v), 2);
	vol_write(v, 4);
	assert_int_equal(vol_merge_all(v, VBLOCK, &merged), ST_OK);
	assert_int_equal(merged, 1);
	assert_int_equal(vol_depth(v), 2);
	assert_string_equal(manifest_find(&v->m, 2)->disk, "disk.vhd");
	vol_check(v);
	vol_free(v);
}

/* The user's own chain under the tree's base (the VM's disk was a
 * differencing disk) is never merged; a stranger hanging from the base
 * stops the commit into it. */
static void test_user_layers_kept(void **s)
{
	(void)s;
	struct vol *v = vol_new();
	struct merge_task t[8];
	unsigned nb, merged;
	/* the user's disk: user.vhd <- disk.vhd (the tree's base) */
	vhd_chain_close(v->run);
	v->run = NULL;
	assert_int_equal(v->t->op.remove(v->t->op.ctx, "disk.vhd"), ST_OK);
	make_disk(v->t, "user.vhd", VHD_TYPE_DYNAMIC, VSIZE, VBLOCK);
	make_child(v->t, "user.vhd", "disk.vhd");
	assert_int_equal(v_reopen(v), ST_OK);
	vol_write(v, 4);
	assert_int_equal(plan(v, t, &nb), 0);
	assert_int_equal(vol_snapshot(v), 1);
	vol_write(v, 4);
	assert_int_equal(vol_snapshot(v), 2);
	assert_int_equal(tree_delete(&v->h, 1), ST_OK);
	make_child(v->t, "disk.vhd", "stranger.vhd");
	assert_int_equal(plan(v, t, &nb), 1);
	assert_int_equal(vol_merge_all(v, VBLOCK, &merged), ST_EBUSY);
	assert_int_equal(v->t->op.remove(v->t->op.ctx, "stranger.vhd"), ST_OK);
	assert_int_equal(vol_merge_all(v, VBLOCK, &merged), ST_OK);
	assert_int_equal(merged, 1);
	assert_int_equal(vol_depth(v), 3);   /* leaf-2 <- disk <- user */
	assert_non_null(memfs_find(&v->t->fs, "user.vhd"));
	vol_check(v);
	vol_free(v);
}

/* A snapshot whose files are gone (a delete on a full volume removes
 * them before its store) is dropped at the next boot; its layer merges. */
static void test_snapshot_without_files_dropped(void **s)
{
	(void)s;
	struct vol *v = vol_new();
	unsigned merged;
	vol_snapshots(v, 2, 4);
	assert_int_equal(v->t->op.remove(v->t->op.ctx, SNAP_DIR "/1.mem"), ST_OK);
	vol_boot(v);
	assert_null(manifest_find(&v->m, 1));
	assert_non_null(manifest_find(&v->m, 2));
	assert_null(memfs_find(&v->t->fs, SNAP_DIR "/1.state"));
	assert_int_equal(vol_merge_all(v, VBLOCK, &merged), ST_OK);
	assert_int_equal(merged, 1);
	vol_check(v);
	vol_free(v);
}

static void test_norm(void **s)
{
	(void)s;
	char out[SNAP_PATH_MAX];
	assert_true(layers_norm("snapshots/../disk.vhd", out));
	assert_string_equal(out, "disk.vhd");
	assert_true(layers_norm("\\snapshots\\.\\leaf-1.avhd", out));
	assert_string_equal(out, "snapshots/leaf-1.avhd");
	assert_false(layers_norm("../x.vhd", out));
	assert_false(layers_norm("", out));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_norm),
		cmocka_unit_test(test_delete_first_commits_into_base),
		cmocka_unit_test(test_delete_middle_streams),
		cmocka_unit_test(test_side_branch_stream),
		cmocka_unit_test(test_branch_point_kept),
		cmocka_unit_test(test_two_deletes),
		cmocka_unit_test(test_full_volume),
		cmocka_unit_test(test_delete_only_snapshot_commits_leaf),
		cmocka_unit_test(test_leaf_commit_abandoned),
		cmocka_unit_test(test_user_layers_kept),
		cmocka_unit_test(test_snapshot_without_files_dropped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
