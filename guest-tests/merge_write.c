/* merge_write: a snapshot is deleted while the guest writes its disk.
 * On a base disk holding A, takes snapshot 1, writes B, takes snapshot 2
 * (merge.h's layout), deletes 1, then writes C chunk by chunk, polling `merge status`
 * and reading back a rotating window of the disk after each chunk, while
 * the deleted layer is merged; waits until nothing is pending and checks
 * every sector (A, B and C as last written) and that `vm info`'s chain is
 * one layer shorter. Never halts. Needs a fresh volume and a disk. */
#include "merge.h"

#define TAG	"merge_write"
#define SPIN	2000000u	/* between polls once C is written */

static unsigned c_chunks;	/* of C written so far */

static char want_now(uint64_t s)
{
	uint64_t c0 = layout_at + layout_n * 5 / 8;
	if (s >= c0 && s < c0 + c_chunks * c_chunk())
		return 'C';
	return want_ab(s);
}

/* Window k of the disk (48 windows of a C chunk each), stepping
 * through it out of order so that A, B and C places all come up. */
static void check_window(unsigned k)
{
	uint32_t w = (k * 37u + 5) % (3 * C_CHUNKS);
	pattern_expect(layout_at + w * c_chunk(), c_chunk(), want_now, "during the merge");
}

void guest_main(const struct mb_info *mbi)
{
	static char first[HC_REPLY_SIZE];
	unsigned ids[2], pending_during = 0;
	struct merge_stat m, at_delete;
	layout_init(mbi);
	two_snapshots(TAG, ids);
	snap_delete(ids[0]);
	merge_status(&at_delete, NULL);
	memcpy(first, merge_status_reply(), sizeof first);
	while (write_c_chunk(c_chunks)) {
		c_chunks++;
		merge_status(&m, NULL);
		pending_during += m.pending != 0;
		check_window(c_chunks);
	}
	unsigned polls = merge_wait(NULL, SPIN, 100000);
	/* Said only now: the merge's log lines would break them. */
	print_reply(TAG, first);
	printf(TAG ": deleted snapshot %u: %u merges pending, %llu bytes left\n",
	       ids[0], at_delete.pending, at_delete.left);
	printf(TAG ": wrote C in %u chunks, %u of them while a merge was pending\n",
	       c_chunks, pending_during);
	printf(TAG ": no merges pending after %u more polls\n", polls);
	print_reply(TAG, merge_status_reply());
	layout_expect(want_abc, "after the merge");
	unsigned n = disk_layers(TAG);
	ASSERTF(n == 2, "%u disk layers after the merge, expected 2", n);
	printf(TAG ": after the merge: A, B and C as last written, one layer fewer\n");
}
