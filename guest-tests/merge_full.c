/* merge_full: a merge that meets a full boot volume (issue 6, item 5)
 * stops with a message and loses nothing, and finishes once space is
 * freed. The test leaves about 7 MiB free on the volume. Snapshot 1;
 * B (1 MiB, one 2 MiB block) into its layer; 4 MiB of RAM that lz4
 * cannot shrink, then snapshot 2 (a 4 MiB image): less than a block is
 * left. Deleting 1 queues the base's commit of B, which needs a new
 * block: `merge now` answers -4, `merge status` says stopped, and the
 * disk still reads B. Deleting 2 frees its image; `merge now` then
 * finishes everything and the disk reads the same. (The guest writes
 * nothing once the volume is full: such a write would pause the VM,
 * which guest-tests/disk_full.c tests.) */
#include "merge.h"

#define TAG		"merge_full"
#define B_FIRST		2048u			/* sectors */
#define B_COUNT		2048u			/* 1 MiB */
#define NOISE_WORDS	(4u << 20 >> 2)

/* volatile: the compiler must not drop stores nothing reads */
static volatile uint32_t noise[NOISE_WORDS];

static char want(uint64_t s)
{
	return s >= B_FIRST && s < B_FIRST + B_COUNT ? 'B' : 0;
}

/* B and the zeros around it. */
static void expect_all(const char *when)
{
	pattern_expect(0, 2 * B_FIRST + B_COUNT, want, when);
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
	printf(TAG ": snapshot two is complete\n");
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
