/* snapshot_restart: snapshots survive a restart of the hypervisor. Two
 * runs on the same boot volume (tools/hvrun --volume IMG):
 *   phase=1  the volume holds no snapshot; fills free RAM with a pattern,
 *            creates `keep`, overwrites all free RAM at once and exits
 *            while the capture may still run (the hypervisor finishes it).
 *   phase=2  a fresh boot finds `keep` complete in `snapshot list`, fills
 *            RAM with another pattern and applies keep.
 * Back at keep's create (with 1), memory holds phase 1's pattern; a new
 * snapshot then hangs below keep. */
#include "snap.h"

#define SEED_KEEP	0x5ee0c0deu	/* zero pages at slot 2 */
#define SEED_AFTER	0x1234abcdu
#define SEED_FRESH	0x0badf00du

static struct snap_entry list[SNAP_MAX];

static void take_and_exit(void)
{
	unsigned keep, again;
	int n = snap_list(list, SNAP_MAX, NULL);
	ASSERTF(n == 0, "phase 1: the volume already holds %d snapshots", n);
	mem_fill(SEED_KEEP, 2);
	if (snap_create("keep", &keep) == 0) {
		mem_fill(SEED_AFTER, -1);
		n = snap_list(list, SNAP_MAX, NULL);
		ASSERTF(n == 1, "%d snapshots listed", n);
		printf("snapshot_restart: created keep as %u, exiting with it %s\n",
		       keep, list[0].state);
		return;
	}
	/* Phase 2 applied keep: this is a later run of the hypervisor. */
	mem_verify(SEED_KEEP, 2, "keep");
	printf("snapshot_restart: back at keep after a restart: memory as at the snapshot\n");
	ASSERTF(snap_create("again", &again) == 0, "again was applied");
	n = snap_list(list, SNAP_MAX, "snapshot_restart");
	const struct snap_entry *k = snap_find(list, n, "keep");
	const struct snap_entry *a = snap_find(list, n, "again");
	ASSERTF(n == 2 && k && a, "expected keep and again");
	ASSERTF(a->id != k->id && a->parent == (int)k->id && a->current && !k->current,
		"again (%u) should hang below keep (%u) and carry the marker", a->id, k->id);
	printf("snapshot_restart: a new snapshot hangs below keep\n");
}

static void __attribute__((noreturn)) find_and_apply(void)
{
	int n = snap_list(list, SNAP_MAX, "snapshot_restart");
	const struct snap_entry *k = snap_find(list, n, "keep");
	ASSERTF(n == 1 && k, "phase 2: expected only keep on the volume");
	ASSERTF(!strcmp(k->state, "complete"), "keep is %s after a restart", k->state);
	ASSERTF(k->parent == -1, "keep has parent %d", k->parent);
	ASSERTF(k->bytes > 0, "keep has no bytes");
	printf("snapshot_restart: found keep complete after a restart\n");
	mem_fill(SEED_FRESH, -1);
	int32_t rax = snap_apply("keep");
	fail(__FILE__, __LINE__, "snapshot apply keep returned %d: %s", rax, hc_reply);
}

void guest_main(const struct mb_info *mbi)
{
	char phase[8];
	hc_init();
	ASSERTF(mb_arg(mbi, "phase", phase, sizeof phase), "no phase= on the command line");
	mem_init(mbi);	/* the loader's data is gone after the first fill */
	mem_compressible(1);
	printf("snapshot_restart: phase %s, %u KiB of free RAM\n", phase, mem_free_kib());
	if (!strcmp(phase, "1"))
		take_and_exit();
	else if (!strcmp(phase, "2"))
		find_and_apply();
	else
		fail(__FILE__, __LINE__, "phase '%s'", phase);
}
