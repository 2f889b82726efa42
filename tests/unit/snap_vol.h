/* snap_vol.h: a model of the hypervisor's boot volume for the tree tests
 * (snap_merge.c, snap_crash.c): an in-memory volume holding disk.vhd and
 * a snapshot tree, driven the way hv/snap*.c drive it (create: new leaf
 * file, the VM onto it, manifest "capturing", image and state files,
 * manifest "complete"; delete; apply; merges through snapshot/merge.h
 * with the VM's open chain), plus the content every snapshot's disk and
 * the running disk must read, to check after every power cut. */
#ifndef TESTS_SNAP_VOL_H
#define TESTS_SNAP_VOL_H

#include "tests/unit/storage_util.h"
#include "snapshot/tree.h"

#define VSIZE (64u * 1024)
#define VBLOCK (4u * 1024)
#define VMAX_ID 16
#define VMANIFEST SNAP_DIR "/manifest"

struct vol {
	struct tenv *t;
	const struct vhd_env *env;  /* t->env, or one through a fault domain */
	struct manifest m;
	struct merge_host h;
	struct vhd_chain *run;      /* the VM's disk */
	uint8_t now[VSIZE];         /* what the running disk must read */
	uint8_t *at[VMAX_ID];       /* what snapshot id's disk must read */
	/* a one-sector guest write a power cut failed: it may have landed */
	bool maybe;
	uint32_t maybe_off;
	uint8_t maybe_data[512];
	uint32_t seed;
};

static status_t v_store(void *ctx)
{
	struct vol *v = ctx;
	return manifest_store(v->env->opener, VMANIFEST, &v->m);
}

static struct vhd_chain *v_running(void *ctx)
{
	return ((struct vol *)ctx)->run;
}

static status_t v_reopen(void *ctx)
{
	struct vol *v = ctx;
	struct vhd_chain *c;
	status_t st = vhd_chain_open(v->env, v->m.leaf, VHD_RDWR, &c);
	if (st)
		return st;
	vhd_chain_close(v->run);
	v->run = c;
	return ST_OK;
}

static void v_host(struct vol *v, const struct vhd_env *env)
{
	v->env = env;
	v->h.env = env;
	v->h.m = &v->m;
	v->h.ctx = v;
	v->h.store = v_store;
	v->h.running = v_running;
	v->h.reopen = v_reopen;
	v->h.note = NULL;
}

/* A fresh volume: disk.vhd with data, no tree yet. */
static inline struct vol *vol_new(void)
{
	struct vol *v = calloc(1, sizeof *v);
	v->t = tenv_new();
	v->seed = 7;
	v_host(v, &v->t->env);
	make_disk(v->t, "disk.vhd", VHD_TYPE_DYNAMIC, VSIZE, VBLOCK);
	manifest_init(&v->m);
	strcpy(v->m.base_disk, "disk.vhd");
	strcpy(v->m.leaf, "disk.vhd");
	assert_int_equal(vhd_chain_open(v->h.env, v->m.leaf, VHD_RDWR, &v->run),
			 ST_OK);
	return v;
}

static inline void vol_free(struct vol *v)
{
	vhd_chain_close(v->run);
	for (int i = 0; i < VMAX_ID; i++)
		free(v->at[i]);
	tenv_free(v->t);
	free(v);
}

/* The guest writes a few scattered runs (always ST_OK here). */
static inline void vol_write(struct vol *v, int runs)
{
	uint8_t buf[3 * 512];
	for (int i = 0; i < runs; i++) {
		uint32_t off = t_rand(&v->seed) % (VSIZE / 512 - 3) * 512;
		fill_rand(&v->seed, buf, sizeof buf);
		assert_int_equal(vhd_chain_write(v->run, off, buf, sizeof buf),
				 ST_OK);
		memcpy(v->now + off, buf, sizeof buf);
	}
	assert_int_equal(vhd_chain_flush(v->run), ST_OK);
}

/* snap_create's order; the id taken, or 0 on a failure (a cut). */
static inline uint32_t vol_snapshot(struct vol *v)
{
	char leaf[SNAP_PATH_MAX], old[SNAP_PATH_MAX], path[SNAP_PATH_MAX];
	struct snap_node *n;
	if (manifest_add(&v->m, v->m.current, NULL, v->m.leaf, 1, &n))
		return 0;
	uint32_t id = n->id;
	/* known now: a cut may leave the snapshot listed after a boot */
	v->at[id] = malloc(VSIZE);
	memcpy(v->at[id], v->now, VSIZE);
	if (tree_new_leaf(&v->h, v->m.leaf, leaf))
		return 0;
	strcpy(old, v->m.leaf);
	strcpy(v->m.leaf, leaf);
	if (v_reopen(v)) {
		strcpy(v->m.leaf, old);
		return 0;
	}
	v->m.current = id;
	if (v_store(v))
		return 0;
	/* the capture: image and state, then "complete" */
	tree_file(path, id, "mem");
	if (snap_write_file(v->env->opener, path, "image", 5))
		return 0;
	tree_file(path, id, "state");
	if (snap_write_file(v->env->opener, path, "state", 5))
		return 0;
	manifest_find(&v->m, id)->state = SNAP_COMPLETE;
	if (v_store(v))
		return 0;
	return id;
}

/* n times: the guest writes `runs` runs, then a snapshot (ids 1..n
 * on a fresh volume); then it writes once more. */
static inline void vol_snapshots(struct vol *v, int n, int runs)
{
	for (int i = 1; i <= n; i++) {
		vol_write(v, runs);
		assert_int_equal(vol_snapshot(v), (uint32_t)i);
	}
	vol_write(v, runs);
}

/* snap_apply's disk side: a new leaf under snapshot id's layer. */
static inline void vol_apply(struct vol *v, uint32_t id)
{
	char leaf[SNAP_PATH_MAX];
	struct snap_node *n = manifest_find(&v->m, id);
	assert_non_null(n);
	assert_int_equal(tree_new_leaf(&v->h, n->disk, leaf), ST_OK);
	strcpy(v->m.leaf, leaf);
	assert_int_equal(v_reopen(v), ST_OK);
	v->m.current = id;
	assert_int_equal(v_store(v), ST_OK);
	memcpy(v->now, v->at[id], VSIZE);
}

/* Plans and runs every merge with steps of `step` bytes. */
static inline status_t vol_merge_all(struct vol *v, uint64_t step,
				     unsigned *merged)
{
	struct layer_graph *g = malloc(sizeof *g);
	struct merge_task plan[8];
	unsigned nb, n;
	char err[160];
	status_t st = ST_OK;
	*merged = 0;
	while (!st) {
		struct merge *mg = NULL;
		bool done = false;
		/* as hv's replan: garbage first, then the plan */
		if ((st = layers_build(v->env, &v->m, g, err, sizeof err)) ||
		    (st = tree_gc(&v->h, g)))
			break;
		if (!(n = merge_plan(g, plan, 8, &nb)))
			break;
		st = merge_begin(&v->h, g, &plan[0], &mg);
		while (!st && !done)
			st = merge_step(mg, step, &done);
		merge_free(mg);
		*merged += done;
	}
	free(g);
	return st;
}

/* Plans the one merge the tree has and begins it; its task into *t. */
static inline struct merge *vol_begin_one(struct vol *v, struct merge_task *t)
{
	struct layer_graph *g = malloc(sizeof *g);
	struct merge_task plan[8];
	struct merge *mg = NULL;
	unsigned nb;
	char err[160];
	assert_int_equal(layers_build(v->env, &v->m, g, err, sizeof err), ST_OK);
	assert_int_equal(merge_plan(g, plan, 8, &nb), 1);
	assert_int_equal(merge_begin(&v->h, g, &plan[0], &mg), ST_OK);
	*t = plan[0];
	free(g);
	return mg;
}

/* A boot after a power cut: the tree from the volume, recovery, the
 * VM's chain opened again (always through the real, uncut volume). */
static inline void vol_boot(struct vol *v)
{
	char err[160];
	vhd_chain_close(v->run);
	v->run = NULL;
	v_host(v, &v->t->env);
	assert_int_equal(manifest_load(v->env->opener, VMANIFEST, &v->m, err,
				       sizeof err), ST_OK);
	assert_int_equal(tree_recover(&v->h), ST_OK);
	assert_int_equal(vhd_chain_open(v->env, v->m.leaf, VHD_RDWR, &v->run),
			 ST_OK);
}

/* Every listed snapshot's disk reads what it held, the running disk
 * reads `now`, and each snapshot has its files. */
static inline void vol_check(struct vol *v)
{
	char path[SNAP_PATH_MAX];
	uint8_t *buf = malloc(VSIZE);
	assert_int_equal(vhd_chain_read(v->run, 0, buf, VSIZE), ST_OK);
	if (v->maybe && memcmp(buf, v->now, VSIZE)) {
		memcpy(v->now + v->maybe_off, v->maybe_data, 512);
		v->maybe = false;
	}
	assert_memory_equal(buf, v->now, VSIZE);
	for (unsigned i = 0; i < v->m.count; i++) {
		const struct snap_node *n = &v->m.node[i];
		assert_int_equal(n->state, SNAP_COMPLETE);
		assert_non_null(v->at[n->id]);
		chain_expect(v->t, n->disk, v->at[n->id], VSIZE);
		tree_file(path, n->id, "mem");
		assert_non_null(memfs_find(&v->t->fs, path));
		tree_file(path, n->id, "state");
		assert_non_null(memfs_find(&v->t->fs, path));
	}
	free(buf);
}

/* Layers in the running chain. */
static inline unsigned vol_depth(struct vol *v)
{
	return v->run->depth;
}

#endif
