/* disk_full: a write the boot volume has no room for pauses the VM; it is
 * never failed and never lost. The test gives the guest a disk of 256 KiB
 * VHD blocks and leaves 2.5 MiB free on the volume (tests/system/
 * test_enospc.py; small, as Bochs is slow to move data). Snapshot
 * `one` holds 2 MiB of RAM lz4 cannot shrink; then the guest writes 1 MiB
 * of pattern A (four blocks) into the new layer: the second finds no
 * room, and the VM pauses until the host
 * deletes `one` and types `continue`. The guest sees every write succeed,
 * reads every sector back, finds `one` gone and itself running, and
 * `merge now` folds the disk into its base, which the host then reads. */
#include "merge.h"

#define TAG		"disk_full"
#define A_COUNT		(1u << 20 >> 9)		/* sectors: 1 MiB */
#define NOISE_WORDS	(2u << 20 >> 2)
#define CHECKED		(A_COUNT + 128)		/* and 64 KiB of zeros */

/* volatile: the compiler must not drop stores nothing reads */
static volatile uint32_t noise[NOISE_WORDS];
static struct snap_entry list[SNAP_MAX];

static char want(uint64_t s)
{
	return s < A_COUNT ? 'A' : 0;
}

/* Snapshot `one`, complete before the writes take the volume's space. */
static void snapshot_one(void)
{
	unsigned id;
	ASSERTF(snap_create("one", &id) == 0 && id == 1, "snapshot one got id %u",
		id);
	for (unsigned t = 0; t < 100000; t++) {
		int n = snap_list(list, SNAP_MAX, NULL);
		const struct snap_entry *e = snap_find(list, n, "one");
		ASSERTF(e, "snapshot one left the list before the writes");
		if (!strcmp(e->state, "complete"))
			return;
		busy(100000);
	}
	fail(__FILE__, __LINE__, "snapshot one never completed");
}

static int contains(const char *s, const char *what)
{
	for (size_t n = strlen(what); *s; s++)
		if (!strncmp(s, what, n))
			return 1;
	return 0;
}

void guest_main(const struct mb_info *mbi)
{
	uint32_t x = 2463534242u;
	struct merge_stat m;
	(void)mbi;
	hc_init();
	vblk_init();
	/* Only the host console may continue a VM (a paused guest cannot). */
	struct hc_result r = console("continue");
	ASSERTF(r.rax == HC_EPERM, "continue from the guest -> %d: %s", r.rax,
		hc_reply);
	for (unsigned i = 0; i < NOISE_WORDS; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		noise[i] = x;
	}
	snapshot_one();
	printf(TAG ": snapshot one complete; writing %u KiB\n", A_COUNT / 2);
	pattern_write('A', 0, A_COUNT);
	vblk_flush();
	printf(TAG ": every write succeeded\n");
	pattern_expect(0, CHECKED, want, "after the writes");
	int n = snap_list(list, SNAP_MAX, TAG);
	ASSERTF(!snap_find(list, n, "one"), "snapshot one is still listed");
	r = console("vm info");
	ASSERTF(r.rax == 0 && contains(hc_reply, "\nstate running\n"),
		"vm info -> %d: %s", r.rax, hc_reply);
	printf(TAG ": the disk reads as written; one is gone; the VM runs\n");
	r = console("merge now");
	ASSERTF(r.rax == 0 && !strncmp(hc_reply, "merged ", 7),
		"merge now -> %d: %s", r.rax, hc_reply);
	merge_status(&m, NULL);
	ASSERTF(!m.pending, "%u merges pending after merge now", m.pending);
	unsigned layers = disk_layers(TAG);
	ASSERTF(layers == 1, "%u disk layers after merge now", layers);
	pattern_expect(0, CHECKED, want, "after the merge");
	printf(TAG ": merged into the base, the disk as written\n");
}
