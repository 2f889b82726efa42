/* snapshot_full: a snapshot that does not fit on the boot volume (the
 * test fills the volume first) is abandoned and nothing else is lost.
 * `small` (fresh RAM, a few KiB on disk) is taken and completes; then
 * free RAM gets a pattern lz4 cannot shrink and `big` is taken: either
 * the create fails at once with -4 or `big` leaves `snapshot list` when
 * its capture meets the full volume. The guest runs on throughout;
 * `small` is still complete and applying it returns its create with 1. */
#include "snap.h"

static struct snap_entry list[SNAP_MAX];
static uint32_t canary[1024];

static void set_canary(uint32_t seed)
{
	for (unsigned i = 0; i < 1024; i++)
		canary[i] = i * 2654435761u ^ seed;
}

static void check_canary(uint32_t seed)
{
	for (unsigned i = 0; i < 1024; i++)
		ASSERTF(canary[i] == (i * 2654435761u ^ seed),
			"canary word %u holds 0x%08x", i, canary[i]);
}

/* Polls until `big` is gone from the list; it must not complete. */
static void wait_abandoned(void)
{
	for (unsigned t = 0; t < 20000; t++) {
		int n = snap_list(list, SNAP_MAX, NULL);
		const struct snap_entry *s = snap_find(list, n, "big");
		if (!s)
			return;
		ASSERTF(strcmp(s->state, "complete"),
			"big completed on a volume without room for it");
		for (volatile unsigned spin = 0; spin < 200000; spin++)
			__asm__ volatile("pause");
	}
	fail(__FILE__, __LINE__, "big was neither completed nor abandoned");
}

void guest_main(const struct mb_info *mbi)
{
	unsigned id;
	hc_init();
	mem_init(mbi);
	set_canary(0x600d);
	if (snap_create("small", &id) == 1) {
		check_canary(0x600d);
		int n = snap_list(list, SNAP_MAX, "snapshot_full");
		ASSERTF(!snap_find(list, n, "big"), "big is listed after the apply");
		printf("snapshot_full: small applied after big was abandoned\n");
		return;
	}
	snap_wait_complete("small", 20000);
	printf("snapshot_full: small complete; filling %u KiB\n", mem_free_kib());
	mem_fill(0x5eed1234u, -1);
	set_canary(0xbad);
	struct hc_result r = console("snapshot create big");
	printf("snapshot_full: create big -> %d: %s\n", r.rax, hc_reply);
	if (r.rax == 0)
		wait_abandoned();
	else
		ASSERTF(r.rax == HC_ENOSPC, "create big -> %d", r.rax);
	mem_verify(0x5eed1234u, -1, "after the abandoned capture");
	int n = snap_list(list, SNAP_MAX, "snapshot_full");
	const struct snap_entry *s = snap_find(list, n, "small");
	ASSERTF(s && !strcmp(s->state, "complete"), "small is not complete");
	printf("snapshot_full: big abandoned, the guest runs on\n");
	int32_t rax = snap_apply("small");
	fail(__FILE__, __LINE__, "apply small -> %d: %s", rax, hc_reply);
}
