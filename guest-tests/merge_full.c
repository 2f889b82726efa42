/* merge_full: a merge that meets a full boot volume (issue 6, item 5)
 * stops with a message and loses nothing, and finishes once space is
 * freed. The test leaves about 10 MiB free on the volume. Snapshot 1;
 * B (1 MiB) into its layer; 4 MiB of RAM that lz4 cannot shrink, then
 * snapshot 2 (a 4 MiB image); C, 64 KiB at a time, until the disk
 * refuses a write (the volume is full). Deleting 1 queues the base's
 * commit of B, which needs a new block: `merge now` answers -4, `merge
 * status` says stopped, and the disk still reads A, B and every C chunk
 * it accepted. Deleting 2 frees its image; `merge now` then finishes
 * everything and the disk reads the same. */
#include "merge.h"

#define TAG		"merge_full"
#define B_FIRST		2048u			/* sectors */
#define B_COUNT		2048u			/* 1 MiB */
#define C_FIRST		8192u
#define C_CHUNK		128u			/* 64 KiB */
#define C_MAX		(32u << 20 >> 9)	/* give up after 32 MiB */
#define NOISE_WORDS	(4u << 20 >> 2)

/* volatile: the compiler must not drop stores nothing reads */
static volatile uint32_t noise[NOISE_WORDS];
static uint8_t chunk[C_CHUNK * VBLK_SECTOR];
static uint64_t c_count;		/* C sectors the disk accepted */

static char want(uint64_t s)
{
	if (s >= B_FIRST && s < B_FIRST + B_COUNT)
		return 'B';
	if (s >= C_FIRST && s < C_FIRST + c_count)
		return 'C';
	return 0;
}

/* B and every C chunk the disk accepted (the refused chunk's first
 * requests may have landed: it is not checked). */
static void expect_all(const char *when)
{
	pattern_expect(B_FIRST, B_COUNT, want, when);
	pattern_expect(C_FIRST, c_count, want, when);
}

/* Writes C chunks until one is refused; returns the sectors accepted. */
static uint64_t fill_disk(void)
{
	uint64_t s = C_FIRST;
	for (; s < C_FIRST + C_MAX; s += C_CHUNK) {
		for (unsigned i = 0; i < C_CHUNK; i++)
			pattern_fill(chunk + i * VBLK_SECTOR, 'C', s + i);
		int ok = 1;
		for (unsigned i = 0; i < C_CHUNK && ok; i += VBLK_MAX_SECTORS)
			ok = !vblk_try_write(s + i, chunk + i * VBLK_SECTOR,
					     VBLK_MAX_SECTORS);
		if (!ok)
			return s - C_FIRST;
	}
	fail(__FILE__, __LINE__, "the disk took 32 MiB: the volume is not full");
	return 0;
}

static struct snap_entry list[SNAP_MAX];

/* A snapshot, complete before anything else takes the volume's space. */
static void snap(const char *name, unsigned want_id)
{
	unsigned id;
	ASSERTF(snap_create(name, &id) == 0 && id == want_id,
		"snapshot %s got id %u", name, id);
	for (unsigned t = 0; t < 100000; t++) {
		int n = snap_list(list, SNAP_MAX, NULL);
		const struct snap_entry *e = snap_find(list, n, name);
		ASSERTF(e, "snapshot %s left the list", name);
		if (!strcmp(e->state, "complete"))
			return;
		busy(100000);
	}
	fail(__FILE__, __LINE__, "a snapshot never completed");
}

void guest_main(const struct mb_info *mbi)
{
	struct merge_stat m;
	uint32_t x = 2463534242u;
	(void)mbi;
	hc_init();
	vblk_init();
	snap("one", 1);
	pattern_write('B', B_FIRST, B_COUNT);
	for (unsigned i = 0; i < NOISE_WORDS; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		noise[i] = x;
	}
	snap("two", 2);
	c_count = fill_disk();
	printf(TAG ": the volume is full after %llu KiB of C\n",
	       (unsigned long long)(c_count / 2));
	snap_delete(1);
	struct hc_result r = console("merge now");
	ASSERTF(r.rax == HC_ENOSPC &&
		!strcmp(hc_reply, "merge stopped: the boot volume is full"),
		"merge now on a full volume -> %d: %s", r.rax, hc_reply);
	r = console("merge status");
	size_t len = strlen(hc_reply);
	ASSERTF(r.rax == 0 && len > 8 && !strcmp(hc_reply + len - 8, " stopped"),
		"merge status after the failure: %s", hc_reply);
	expect_all("after the merge stopped");
	printf(TAG ": merge stopped on the full volume, the disk as written\n");
	snap_delete(2);
	r = console("merge now");
	ASSERTF(r.rax == 0 && !strncmp(hc_reply, "merged ", 7),
		"merge now after space was freed -> %d: %s", r.rax, hc_reply);
	merge_status(&m, NULL);
	ASSERTF(!m.pending, "%u merges pending after merge now", m.pending);
	expect_all("after the merge finished");
	unsigned n = disk_layers(TAG);
	printf(TAG ": merged once space was freed: %u layer%s, the disk as "
	       "written\n", n, n == 1 ? "" : "s");
}
