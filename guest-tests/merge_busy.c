/* merge_busy: a guest that never halts (no `hlt` anywhere, only busy
 * loops between its hypercalls) still sees the merge of a deleted
 * snapshot's layer finish: the hypervisor gives the merge its share of
 * time (merge_share) by taking it from the guest. On A, snapshot 1,
 * B, snapshot 2, deletes 1 (merge.h), then computes for long stretches
 * between polls of `merge status`. Needs a fresh volume and a disk. */
#include "merge.h"

#define TAG	"merge_busy"
#define SPIN	20000000u	/* about 1 s of Bochs, 0.1 s of QEMU TCG */

void guest_main(const struct mb_info *mbi)
{
	unsigned ids[2];
	struct merge_stat m;
	layout_init(mbi);
	two_snapshots(TAG, ids);
	snap_delete(ids[0]);
	merge_status(&m, TAG);
	printf(TAG ": deleted snapshot %u: %u merges pending, %llu bytes left\n",
	       ids[0], m.pending, m.left);
	unsigned polls = merge_wait(TAG, SPIN, 3000);
	printf(TAG ": no merges pending after %u busy polls\n", polls);
	layout_expect(want_ab, "after the merge");
	unsigned n = disk_layers(TAG);
	ASSERTF(n == 2, "%u disk layers after the merge, expected 2", n);
	printf(TAG ": the merge finished in a guest that never halts\n");
}
