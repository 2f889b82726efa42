/* merge_restart: an interrupted merge resumes on its own. Two runs on
 * the same boot volume and disk:
 *   phase=1  on A: snapshot 1, B, snapshot 2, deletes 1 (merge.h), then
 *            computes forever: the host cuts the power while the merge
 *            runs (tests/system/test_merge.py).
 *   phase=2  a fresh boot finds snapshot 2 alone in the tree, and the
 *            merge going on without a command; polls
 *            `merge status` until nothing is pending, then checks the disk
 *            (A and B as written) and that the chain is one layer shorter.
 * Never halts. */
#include "merge.h"

#define TAG	"merge_restart"
#define SPIN	2000000u

static void __attribute__((noreturn)) phase1(void)
{
	unsigned ids[2];
	char id[12];
	two_snapshots(TAG, ids);
	/* A snapshot still capturing at a power cut is dropped at the next
	 * boot, which would change the plan: let it complete first. */
	snprintf(id, sizeof id, "%u", ids[1]);
	snap_wait_complete(id, 100000);
	snap_delete(ids[0]);
	printf(TAG ": deleted snapshot %u, computing until the power goes\n", ids[0]);
	for (;;)
		busy(SPIN);
}

static void phase2(void)
{
	static struct snap_entry list[SNAP_MAX];
	struct merge_stat m;
	int count = snap_list(list, SNAP_MAX, TAG);
	ASSERTF(count == 1 && !strcmp(list[0].state, "complete") && list[0].current,
		"after the restart: expected snapshot 2 alone, complete, current");
	merge_status(&m, TAG);
	printf(TAG ": after the restart: %u merges pending, %llu bytes left\n",
	       m.pending, m.left);
	unsigned polls = merge_wait(TAG, SPIN, 100000);
	printf(TAG ": no merges pending after %u more polls\n", polls);
	layout_expect(want_ab, "after the resumed merge");
	unsigned n = disk_layers(TAG);
	ASSERTF(n == 2, "%u disk layers after the merge, expected 2", n);
	printf(TAG ": the merge resumed after a restart: content as written, one "
	       "layer fewer\n");
}

void guest_main(const struct mb_info *mbi)
{
	layout_init(mbi);
	if (layout_phase(mbi) == 1)
		phase1();
	else
		phase2();
}
