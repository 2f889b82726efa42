/* snapshot_refuse: the snapshot commands refuse what they must, and the
 * machine goes on: malformed and unknown commands, unknown snapshots, bad
 * names, bad pointers (command or reply outside RAM or crossing its end,
 * a zero-sized reply), a command over 4096 bytes, and callers in user mode
 * (ring 3 with IOPL 3, back to ring 0 through int 0x80 and a TSS). After
 * each group `snapshot list` shows that nothing was created. Needs a fresh
 * boot volume. */
#include "snap.h"

#define ANY_ERROR	0x7fffffff
#define NAME_31		"Ok.name_1-abcdefghijklmnopqrstu"
#define NAME_32		"Ok.name_1-abcdefghijklmnopqrstuv"

struct tss32 {
	uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
	uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
	uint32_t es, cs, ss, ds, fs, gs, ldt;
	uint16_t trap, iomap;
} __attribute__((packed));

struct gate {
	uint16_t off_lo, sel;
	uint8_t zero, type;
	uint16_t off_hi;
} __attribute__((packed));

struct table_reg {
	uint16_t limit;
	uint32_t base;
} __attribute__((packed));

static struct snap_entry list[SNAP_MAX];
static char long_cmd[5000];
static uint32_t ram_top;
static unsigned named_id;

/* Flat ring-0 code and data, ring-3 code (0x1b) and data (0x23), the TSS
 * (0x28, filled in by setup_rings). */
static uint64_t gdt[6] = { 0, 0x00cf9a000000ffffull, 0x00cf92000000ffffull,
			   0x00cffa000000ffffull, 0x00cff2000000ffffull, 0 };
static struct tss32 tss;
static struct gate idt[0x81];
static uint8_t user_stack[4096] __attribute__((aligned(16)));
static uint8_t kernel_stack[8192] __attribute__((aligned(16)));

/* int 0x80 from ring 3 lands here on the TSS's ring-0 stack. */
void back_in_ring0(void) __attribute__((noreturn));
extern char ring0_entry[];
__asm__(".text\n"
	"ring0_entry:\n"
	"	mov $0x10, %ax\n"
	"	mov %ax, %ds\n	mov %ax, %es\n	mov %ax, %fs\n	mov %ax, %gs\n"
	"	call back_in_ring0\n");

static void expect_status(const char *cmd, int32_t want)
{
	struct hc_result r = console(cmd);
	printf("snapshot_refuse: '%s' -> %d: %s\n", cmd, r.rax, hc_reply);
	ASSERTF(want == ANY_ERROR ? r.rax < 0 : r.rax == want,
		"'%s' -> %d, expected %d", cmd, r.rax, want);
}

static void expect_count(int want, const char *when)
{
	int n = snap_list(list, SNAP_MAX, NULL);
	ASSERTF(n == want, "%s: %d snapshots listed, expected %d", when, n, want);
}

static int contains(const char *s, const char *word)
{
	for (size_t n = strlen(word); *s; s++)
		if (!strncmp(s, word, n))
			return 1;
	return 0;
}

static void malformed_commands(void)
{
	static const char *const words[] = { "snapshot create", "snapshot list",
					     "snapshot apply", "snapshot delete" };
	ASSERT_EQ(console("help").rax, 0);
	for (unsigned i = 0; i < 4; i++)
		ASSERTF(contains(hc_reply, words[i]), "help lacks '%s'", words[i]);
	expect_status("snapshot", HC_EINVAL);
	expect_status("snapshot bogus", HC_EINVAL);
	expect_status("snapshot apply", ANY_ERROR);
	expect_status("snapshot apply 999", HC_ENOENT);
	expect_status("snapshot apply nosuch", HC_ENOENT);
	expect_status("snapshot create bad/name", HC_EINVAL);
	expect_status("snapshot create 12345", HC_EINVAL);
	expect_status("snapshot create na!me", HC_EINVAL);
	expect_status("snapshot create two words", HC_EINVAL);
	expect_status("snapshot create " NAME_32, HC_EINVAL);
	expect_count(0, "after malformed commands");
	printf("snapshot_refuse: malformed commands refused, nothing created\n");
}

static void bad_pointers(void)
{
	static const char create[] = "snapshot create ptr";
	struct hc_result r;
	r = hc_call(HC_CONSOLE, (const char *)0xfffff000u, hc_reply, sizeof hc_reply);
	ASSERT_EQ(r.rax, HC_EFAULT);
	r = hc_call(HC_CONSOLE, create, (char *)0xfffff000u, 64);
	ASSERT_EQ(r.rax, HC_EFAULT);
	r = hc_call(HC_CONSOLE, create, (char *)(ram_top - 16), 64);
	ASSERT_EQ(r.rax, HC_EFAULT);
	r = hc_call(HC_CONSOLE, create, hc_reply, 0);
	ASSERT(r.rax < 0);
	/* The command's last bytes in RAM, its NUL past the end. */
	memcpy((char *)(ram_top - 16), "snapshot create ", 16);
	r = hc_call(HC_CONSOLE, (const char *)(ram_top - 16), hc_reply, sizeof hc_reply);
	ASSERT_EQ(r.rax, HC_EFAULT);
	memset(long_cmd, 'x', sizeof long_cmd);
	memcpy(long_cmd, "snapshot create ", 16);
	r = console(long_cmd);
	ASSERT_EQ(r.rax, HC_ERANGE);
	long_cmd[4095] = 0;	/* 4095 characters and the NUL: a name too long */
	r = console(long_cmd);
	ASSERT_EQ(r.rax, HC_EINVAL);
	expect_count(0, "after bad pointers");
	printf("snapshot_refuse: bad pointers and a command over 4096 bytes refused, "
	       "nothing created\n");
}

/* A 31-character name and an unnamed snapshot are accepted. */
static void good_names(void)
{
	unsigned unnamed;
	ASSERTF(snap_create(NAME_31, &named_id) == 0, NAME_31 " was applied");
	ASSERTF(snap_create(NULL, &unnamed) == 0, "the unnamed snapshot was applied");
	int n = snap_list(list, SNAP_MAX, "snapshot_refuse");
	char id[12];
	snprintf(id, sizeof id, "%u", unnamed);
	ASSERTF(n == 2 && snap_find(list, n, NAME_31), "the named snapshot is missing");
	ASSERTF(snap_find(list, n, id) && !strcmp(snap_find(list, n, id)->name, "-"),
		"the unnamed snapshot is not listed with name '-'");
	expect_status("snapshot apply 0", HC_ENOENT);
	printf("snapshot_refuse: a 31-character name and no name are accepted\n");
}

static void __attribute__((noreturn)) in_user_mode(void)
{
	char cmd[48];
	uint16_t cs;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	ASSERT_EQ(cs & 3, 3);
	snprintf(cmd, sizeof cmd, "snapshot apply %u", named_id);
	const char *const cmds[] = { "snapshot create user", "snapshot list", cmd };
	for (unsigned i = 0; i < 3; i++) {
		memset(hc_reply, 'Z', 16);
		struct hc_result r = hc_call(HC_CONSOLE, cmds[i], hc_reply, 100);
		printf("snapshot_refuse: ring 3 '%s' -> %d\n", cmds[i], r.rax);
		ASSERT_EQ(r.rax, HC_EPERM);
		ASSERT_EQ(r.rdx, 100);
		ASSERT(hc_reply[0] == 'Z' && hc_reply[15] == 'Z');
	}
	__asm__ volatile("int $0x80");
	fail(__FILE__, __LINE__, "int 0x80 returned to ring 3");
}

void back_in_ring0(void)
{
	uint16_t cs;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	ASSERT_EQ(cs, 0x08);
	int n = snap_list(list, SNAP_MAX, "snapshot_refuse");
	ASSERTF(n == 2 && !snap_find(list, n, "user"), "ring 3 created a snapshot");
	printf("snapshot_refuse: ring 3 is refused, nothing created or applied\n");
	expect_status("snapshot delete 999", HC_ENOENT);
	expect_count(2, "at the end");
	puts_raw("PASS\n");
	guest_exit(EXIT_PASS);
}

/* A TSS for the way back to ring 0 and a copy of the library's IDT with
 * a DPL 3 gate at 0x80 (SDM vol. 3, 6.12.1 and 7.2). */
static void setup_rings(void)
{
	struct table_reg d;
	uint32_t base = (uint32_t)&tss, limit = sizeof tss - 1;
	tss.ss0 = 0x10;
	tss.esp0 = (uint32_t)(kernel_stack + sizeof kernel_stack);
	tss.iomap = sizeof tss;
	gdt[5] = (limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) |
		 (0x89ull << 40) | ((uint64_t)(limit >> 16) << 48) |
		 ((uint64_t)(base >> 24) << 56);
	d = (struct table_reg){ sizeof gdt - 1, (uint32_t)gdt };
	__asm__ volatile("lgdt %0" :: "m"(d));
	__asm__ volatile("ltr %w0" :: "r"(0x28));
	__asm__ volatile("sidt %0" : "=m"(d));
	memcpy(idt, (const void *)d.base, 32 * sizeof idt[0]);
	idt[0x80] = (struct gate){ (uint16_t)(uint32_t)ring0_entry, 0x08, 0, 0xee,
				   (uint16_t)((uint32_t)ring0_entry >> 16) };
	d = (struct table_reg){ sizeof idt - 1, (uint32_t)idt };
	__asm__ volatile("lidt %0" :: "m"(d));
}

/* IRET to ring 3 with IOPL 3, so that the guest can still use COM1 and
 * the debug-exit port from there. */
static void __attribute__((noreturn)) enter_user_mode(void)
{
	__asm__ volatile(
		"mov $0x23, %%ax\n"
		"mov %%ax, %%ds\n mov %%ax, %%es\n mov %%ax, %%fs\n mov %%ax, %%gs\n"
		"push $0x23\n push %0\n push $0x3002\n push $0x1b\n push %1\n iret"
		:: "r"(user_stack + sizeof user_stack), "r"(in_user_mode) : "eax", "memory");
	__builtin_unreachable();
}

static uint32_t find_ram_top(const struct mb_info *mbi)
{
	static struct region map[MAX_REGIONS];
	uint64_t top = 0;
	int n = mb_copy_mmap(mbi, map, MAX_REGIONS);
	for (int i = 0; i < n; i++)
		if (map[i].type == 1 && map[i].addr + map[i].len > top)
			top = map[i].addr + map[i].len;
	ASSERTF(top > 0x200000 && top <= 0xc0000000ull, "RAM top 0x%llx", top);
	return (uint32_t)top;
}

void guest_main(const struct mb_info *mbi)
{
	hc_init();
	ram_top = find_ram_top(mbi);
	expect_count(0, "at start");
	malformed_commands();
	bad_pointers();
	good_names();
	setup_rings();
	enter_user_mode();
}
