/* snapshot: the snapshot tree from inside the guest (issue 5 "Proof").
 * Fills all free RAM and an image canary with a pattern, creates `base`,
 * overwrites everything at once while the capture runs and applies base;
 * applies base a second time the same way (after creating `mark` on other
 * memory), then creates `branch` beside mark and applies mark. Each return
 * of a create with 1 checks memory against the pattern of its snapshot.
 * What must survive an apply lives outside the machine: which step comes
 * next is read from `snapshot list`. Needs a fresh boot volume. The word
 * `incompressible` on the command line makes every page full size. */
#include "snap.h"

#define SEED_BASE	0xa5a50f0fu	/* base: zero pages at slot 3 */
#define SEED_MARK	0x0ff0f00fu	/* mark: zero pages at slot 6 */
#define SEED_SCRIBBLE	0x3c3c5a5au	/* after a create: no zero page */

static struct snap_entry list[SNAP_MAX];
static uint32_t canary[4096];	/* in the image, which free RAM excludes */

static void set_memory(uint32_t seed, int zero_slot)
{
	mem_fill(seed, zero_slot);
	for (unsigned i = 0; i < 4096; i++)
		canary[i] = (i * 0x9e3779b9u) ^ seed;
}

static void check_memory(uint32_t seed, int zero_slot, const char *what)
{
	mem_verify(seed, zero_slot, what);
	for (unsigned i = 0; i < 4096; i++)
		ASSERTF(canary[i] == ((i * 0x9e3779b9u) ^ seed),
			"%s: canary word %u holds 0x%08x", what, i, canary[i]);
}

static const struct snap_entry *must_find(int n, const char *name)
{
	const struct snap_entry *s = snap_find(list, n, name);
	ASSERTF(s, "snapshot %s is not listed", name);
	return s;
}

/* `name` is listed below `parent` (NULL: a root), with the `*` marker
 * when `current`; with `current`, no other line carries it. */
static void expect_entry(int n, const char *name, const char *parent, int current)
{
	const struct snap_entry *s = must_find(n, name), *cur;
	int want = parent ? (int)must_find(n, parent)->id : -1;
	ASSERTF(s->parent == want, "%s: parent %d, expected %d", name, s->parent, want);
	ASSERTF(s->current == current, "%s: '*' marker %d, expected %d", name,
		s->current, current);
	if (current)
		ASSERTF(snap_current(list, n, &cur) == 1, "more than one '*' marker");
}

/* Right after creating `name`: overwrites all free RAM and the canary while
 * the capture runs, checks the writes stuck, then applies `target`. */
static void __attribute__((noreturn)) scribble_and_apply(const char *name,
							 const char *target)
{
	char before[16];
	int n = snap_list(list, SNAP_MAX, NULL);
	memcpy(before, must_find(n, name)->state, sizeof before);
	set_memory(SEED_SCRIBBLE, -1);
	check_memory(SEED_SCRIBBLE, -1, "scribble");
	n = snap_list(list, SNAP_MAX, NULL);
	printf("snapshot: overwrote %u KiB right after creating %s (%s, then %s)\n",
	       mem_free_kib(), name, before, must_find(n, name)->state);
	int32_t rax = snap_apply(target);
	fail(__FILE__, __LINE__, "snapshot apply %s returned %d: %s", target, rax, hc_reply);
}

/* The first return to base: base is complete and current. Creates mark
 * on other memory and applies base again. Returns when mark was applied,
 * as the last step, after second_return() made the branch. */
static void first_return(void)
{
	unsigned mark;
	int n = snap_list(list, SNAP_MAX, "snapshot");
	ASSERT_EQ(n, 1);
	expect_entry(n, "base", NULL, 1);
	ASSERTF(!strcmp(list[0].state, "complete"), "base is %s after an apply",
		list[0].state);
	printf("snapshot: base applied once: memory as at the snapshot\n");
	set_memory(SEED_MARK, 6);
	if (snap_create("mark", &mark) == 0) {
		n = snap_list(list, SNAP_MAX, NULL);
		expect_entry(n, "base", NULL, 0);
		expect_entry(n, "mark", "base", 1);
		scribble_and_apply("mark", "base");
	}
	check_memory(SEED_MARK, 6, "mark");
	printf("snapshot: mark applied: memory as at the snapshot\n");
	snap_wait_complete("branch", 200);
	n = snap_list(list, SNAP_MAX, "snapshot");
	ASSERT_EQ(n, 3);
	expect_entry(n, "base", NULL, 0);
	expect_entry(n, "mark", "base", 1);
	expect_entry(n, "branch", "base", 0);
	ASSERT(list[0].id != list[1].id && list[1].id != list[2].id &&
	       list[0].id != list[2].id);
	printf("snapshot: tree base -> (mark*, branch) ok\n");
}

/* The second return to base: mark is listed. Creates branch beside mark,
 * overwrites memory while branch is captured and applies mark. */
static void __attribute__((noreturn)) second_return(void)
{
	unsigned branch;
	char target[12];
	int n = snap_list(list, SNAP_MAX, "snapshot");
	ASSERT_EQ(n, 2);
	expect_entry(n, "base", NULL, 1);
	expect_entry(n, "mark", "base", 0);
	printf("snapshot: base applied twice: memory as at the snapshot\n");
	ASSERTF(snap_create("branch", &branch) == 0, "branch was applied");
	n = snap_list(list, SNAP_MAX, "snapshot");
	ASSERT_EQ(n, 3);
	expect_entry(n, "mark", "base", 0);
	expect_entry(n, "branch", "base", 1);
	printf("snapshot: branch created beside mark\n");
	snprintf(target, sizeof target, "%u", must_find(n, "mark")->id);
	scribble_and_apply("branch", target);
}

void guest_main(const struct mb_info *mbi)
{
	unsigned base;
	char target[12];
	char word[4];
	hc_init();
	/* Small captures keep Bochs quick; `incompressible` on the command
	 * line makes every captured page full size. */
	mem_compressible(!mb_arg(mbi, "incompressible", word, sizeof word));
	mem_init(mbi);
	int n = snap_list(list, SNAP_MAX, NULL);
	ASSERTF(n == 0, "the volume already holds %d snapshots", n);
	printf("snapshot: %u KiB of free RAM\n", mem_free_kib());
	set_memory(SEED_BASE, 3);
	if (snap_create("base", &base) == 0) {
		printf("snapshot: created base as %u: %s\n", base, hc_reply);
		n = snap_list(list, SNAP_MAX, "snapshot");
		ASSERT_EQ(n, 1);
		expect_entry(n, "base", NULL, 1);
		snprintf(target, sizeof target, "%u", base);
		scribble_and_apply("base", target);
	}
	check_memory(SEED_BASE, 3, "base");
	printf("snapshot: create returned 1 with its reply '%s'\n", hc_reply);
	n = snap_list(list, SNAP_MAX, NULL);
	if (!snap_find(list, n, "mark"))
		first_return();
	else
		second_return();
}
