/* snapshot_delete: `snapshot delete` from inside the guest. Builds the
 * chain a -> b -> c (each on its own memory pattern), deletes b: c moves
 * to a and still applies with its memory; deletes c, which the machine
 * hangs below: the `*` moves to a; deletes a snapshot still capturing;
 * then applies a. Unknown and already deleted snapshots are refused with
 * -5. Which step comes next is read from the return of each create.
 * Needs a fresh boot volume. */
#include "snap.h"

#define SEED_A	0x13572468u
#define SEED_B	0x2468aceeu
#define SEED_C	0x369cf258u
#define SEED_X	0x7e7e0101u

static struct snap_entry list[SNAP_MAX];

static const struct snap_entry *must_find(int n, const char *name)
{
	const struct snap_entry *s = snap_find(list, n, name);
	ASSERTF(s, "snapshot %s is not listed", name);
	return s;
}

/* `name` hangs below `parent` (NULL: a root) and carries the `*` marker
 * exactly when `current`. */
static void expect_entry(int n, const char *name, const char *parent, int current)
{
	const struct snap_entry *s = must_find(n, name);
	int want = parent ? (int)must_find(n, parent)->id : -1;
	ASSERTF(s->parent == want, "%s: parent %d, expected %d", name, s->parent, want);
	ASSERTF(s->current == current, "%s: '*' marker %d, expected %d", name,
		s->current, current);
}

static void delete_ok(const char *name, unsigned id)
{
	char cmd[48], want[32];
	snprintf(cmd, sizeof cmd, "snapshot delete %s", name);
	snprintf(want, sizeof want, "deleted snapshot %u", id);
	struct hc_result r = console(cmd);
	ASSERTF(r.rax == 0 && !strcmp(hc_reply, want) && r.rdx == strlen(want),
		"'%s' -> %d: %s", cmd, r.rax, hc_reply);
}

static void refused(const char *cmd)
{
	struct hc_result r = console(cmd);
	ASSERTF(r.rax == HC_ENOENT, "'%s' -> %d: %s", cmd, r.rax, hc_reply);
}

static void __attribute__((noreturn)) apply(const char *what)
{
	int32_t rax = snap_apply(what);
	fail(__FILE__, __LINE__, "snapshot apply %s returned %d: %s", what, rax, hc_reply);
}

/* Back at c, whose parent b is gone: deletes c (the `*` moves to a), and
 * a snapshot still capturing, then applies a. */
static void __attribute__((noreturn)) back_at_c(void)
{
	unsigned c, d;
	int n = snap_list(list, SNAP_MAX, NULL);
	c = must_find(n, "c")->id;
	delete_ok("c", c);
	n = snap_list(list, SNAP_MAX, "snapshot_delete");
	ASSERT_EQ(n, 1);
	expect_entry(n, "a", NULL, 1);
	printf("snapshot_delete: deleting the current snapshot moves the marker to its parent\n");
	mem_fill(SEED_X, -1);
	ASSERTF(snap_create("d", &d) == 0, "d was applied");
	delete_ok("d", d);
	n = snap_list(list, SNAP_MAX, "snapshot_delete");
	ASSERTF(n == 1 && !snap_find(list, n, "d"), "d is still listed");
	expect_entry(n, "a", NULL, 1);
	printf("snapshot_delete: a snapshot still capturing is deleted\n");
	apply("a");
}

void guest_main(const struct mb_info *mbi)
{
	unsigned a, b, c;
	hc_init();
	mem_init(mbi);
	mem_compressible(1);
	ASSERTF(snap_list(list, SNAP_MAX, NULL) == 0, "the volume holds snapshots");
	mem_fill(SEED_A, 1);
	if (snap_create("a", &a) == 1) {
		mem_verify(SEED_A, 1, "a");
		int n = snap_list(list, SNAP_MAX, "snapshot_delete");
		ASSERT_EQ(n, 1);
		expect_entry(n, "a", NULL, 1);
		printf("snapshot_delete: a applied after the deletes: memory as at the snapshot\n");
		return;
	}
	mem_fill(SEED_B, 2);
	ASSERTF(snap_create("b", &b) == 0, "b was applied");
	mem_fill(SEED_C, 3);
	if (snap_create("c", &c) == 1) {
		mem_verify(SEED_C, 3, "c");
		printf("snapshot_delete: c applied without its deleted parent: memory as at "
		       "the snapshot\n");
		back_at_c();
	}
	delete_ok("b", b);
	int n = snap_list(list, SNAP_MAX, "snapshot_delete");
	ASSERT_EQ(n, 2);
	expect_entry(n, "a", NULL, 0);
	expect_entry(n, "c", "a", 1);
	printf("snapshot_delete: deleting b moved its child c to a\n");
	refused("snapshot delete b");
	refused("snapshot apply b");
	refused("snapshot delete 999");
	mem_fill(SEED_X, -1);
	apply("c");
}
