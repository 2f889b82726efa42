/* fold.c: `hvdisk fold LEAF K`: folds layer K of the chain ending at LEAF
 * (0 = the leaf) into its child, offline, with the same crash-safe engine
 * the hypervisor runs online (storage/vhd_fold.h). An interrupted fold
 * (journal "<child>.fold") is recovered first and resumed by running the
 * command again. */
#include <stdio.h>
#include <stdlib.h>

#include "tools/hvdisk/hvdisk.h"
#include "storage/vhd_fold.h"

#define FOLD_STEP (8u << 20)    /* bytes per step: progress granularity */

static status_t fold_layer(const char *leaf, unsigned k)
{
	struct vhd_chain *c = NULL;
	struct vhd_fold *f = NULL;
	uint64_t done, total;
	bool fin = false;
	status_t st;

	if ((st = vhd_fold_recover(&g_env, leaf)) ||
	    (st = vhd_chain_open(&g_env, leaf, VHD_RDWR, &c)) ||
	    (st = vhd_fold_begin(c, k, &f)))
		goto out;
	while (!fin && !(st = vhd_fold_step(f, FOLD_STEP, &fin))) {
		vhd_fold_progress(f, &done, &total);
		vhd_progress(&g_env, done, total);
	}
	if (!st)
		st = vhd_fold_finish(f);
out:
	vhd_fold_free(f);
	vhd_chain_close(c);
	return st;
}

int cmd_fold(int argc, char **argv)
{
	char *end;
	unsigned long k;
	status_t st;

	if (argc != 3)
		return usage();
	k = strtoul(argv[2], &end, 10);
	if (*end || end == argv[2] || k >= VHD_MAX_DEPTH) {
		fprintf(stderr, "hvdisk fold: error: bad layer number '%s'\n",
			argv[2]);
		return 2;
	}
	st = fold_layer(argv[1], (unsigned)k);
	return st ? fail(argv[1], st) : 0;
}
