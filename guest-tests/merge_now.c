/* merge_now: `merge now` (issue 6, Done when): snapshot, write,
 * snapshot, delete the first, `merge now` replies `merged 1 layers`
 * (or 0 when the merge thread has done it already: see the test);
 * then `merge status` shows nothing pending, `vm info`'s chain is one
 * layer shorter and the disk reads what was last written, before and
 * after more writes. Needs a fresh volume and a disk. */
#include "merge.h"

#define TAG	"merge_now"

void guest_main(const struct mb_info *mbi)
{
	unsigned ids[2];
	struct merge_stat m;
	layout_init(mbi);
	two_snapshots(TAG, ids);
	snap_delete(ids[0]);
	struct hc_result r = console("merge now");
	printf(TAG ": merge now -> %d: %s\n", r.rax, hc_reply);
	/* 0 when the merge thread was quicker (tests/system/test_merge.py
	 * tells which the vendor allows) */
	ASSERTF(r.rax == 0 && (!strcmp(hc_reply, "merged 1 layers") ||
			       !strcmp(hc_reply, "merged 0 layers")) &&
		r.rdx == strlen(hc_reply), "merge now -> %d: %s", r.rax, hc_reply);
	merge_status(&m, TAG);
	ASSERTF(!m.pending, "%u merges pending after merge now", m.pending);
	unsigned n = disk_layers(TAG);
	ASSERTF(n == 2, "%u disk layers after merge now, expected 2", n);
	layout_expect(want_ab, "after merge now");
	for (unsigned k = 0; write_c_chunk(k); k++)
		;
	layout_expect(want_abc, "after writes that followed merge now");
	printf(TAG ": merged: nothing pending, one layer fewer, the disk as last written\n");
}
