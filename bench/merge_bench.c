/* merge_bench.c: times one merge with the engine the hypervisor's merge
 * thread runs (storage/vhd_fold.h): fold layer 1 of the chain ending at
 * LEAF into the leaf. usage: merge_bench LEAF. Opens the chain read-write
 * (not timed), then times vhd_fold_begin, vhd_fold_step until done (one
 * large budget per step) and vhd_fold_switch: every flush of the engine
 * included, up to the moment the fold is complete and durable. Then,
 * timed apart, vhd_fold_cleanup deletes the folded layer's file and the
 * journal (off the critical path: the chain no longer names them).
 * Prints "SECONDS BLOCK_BYTES STEPS STEP_SECONDS REMOVE_SECONDS":
 * BLOCK_BYTES counts the parent's allocated blocks (vhd_fold_progress),
 * not the sectors copied; STEP_SECONDS is the part of SECONDS spent in
 * the steps (the rest: begin's journal and the switch); REMOVE_SECONDS
 * is the cleanup, not part of SECONDS. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>

#include "storage/blockfile_posix.h"
#include "storage/vhd_fold.h"

#define STEP_BYTES (64ull << 20)

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t host_now(void *ctx)
{
	(void)ctx;
	return (uint64_t)time(NULL);
}

static void host_random(void *ctx, uint8_t *buf, size_t len)
{
	(void)ctx;
	while (len) {
		ssize_t n = getrandom(buf, len, 0);
		if (n <= 0)
			exit(3);
		buf += n;
		len -= (size_t)n;
	}
}

/* Times the fold into *fold_s (of which *copy_s in the steps), then the
 * cleanup into *remove_s. */
static status_t fold(struct vhd_chain *c, unsigned *steps, uint64_t *total,
		     double *fold_s, double *copy_s, double *remove_s)
{
	struct vhd_fold *f = NULL;
	uint64_t done_bytes;
	bool done = false;
	status_t st;

	*fold_s = now_s();
	if ((st = vhd_fold_begin(c, 1, &f)))
		return st;
	vhd_fold_progress(f, &done_bytes, total);
	*copy_s = now_s();
	while (!done && !(st = vhd_fold_step(f, STEP_BYTES, &done)))
		++*steps;
	*copy_s = now_s() - *copy_s;
	if (!st)
		st = vhd_fold_switch(f);
	*fold_s = now_s() - *fold_s;
	*remove_s = now_s();
	vhd_fold_cleanup(f);
	*remove_s = now_s() - *remove_s;
	vhd_fold_free(f);
	return st;
}

int main(int argc, char **argv)
{
	struct bf_opener op;
	struct vhd_env env = { &op, NULL, host_now, host_random, NULL, NULL };
	struct vhd_chain *c;
	uint64_t total = 0;
	unsigned steps = 0;
	status_t st;
	double fold_s = 0, copy_s = 0, remove_s = 0;

	if (argc != 2)
		return 1;
	bf_posix_opener(&op);
	if ((st = vhd_chain_open(&env, argv[1], VHD_RDWR, &c))) {
		fprintf(stderr, "merge_bench: open %s: %d\n", argv[1], st);
		return 1;
	}
	st = fold(c, &steps, &total, &fold_s, &copy_s, &remove_s);
	vhd_chain_close(c);
	if (st) {
		fprintf(stderr, "merge_bench: fold: %d\n", st);
		return 1;
	}
	printf("%.6f %llu %u %.6f %.6f\n", fold_s, (unsigned long long)total,
	       steps, copy_s, remove_s);
	return 0;
}
