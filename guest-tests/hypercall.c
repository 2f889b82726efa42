/* hypercall: the console hypercall (README.md "The hypercall"): VMCALL on
 * Intel, VMMCALL on AMD, RAX = 1, RBX = command, RCX/RDX = reply buffer.
 * Checks `help` and `vm info` replies and lengths, a reply cut to fit,
 * and the refusals: unknown command, unknown RAX, a command pointer
 * outside RAM, a reply buffer outside RAM, a command over 4096 bytes,
 * and last a caller in user mode (ring 3 with IOPL 3, so that it can
 * still report through COM1 and port 0xf4).
 * Needs the hypervisor: on bare QEMU the instruction is #UD. */
#include "snap.h"

static int intel;

static int contains(const char *s, const char *word)
{
	size_t n = strlen(word);
	for (; *s; s++)
		if (!strncmp(s, word, n))
			return 1;
	return 0;
}

static char reply[4096];
static char long_cmd[5000];
static uint8_t user_stack[4096] __attribute__((aligned(16)));

/* Flat ring-0 code and data, then ring-3 code (0x1b) and data (0x23). */
static uint64_t gdt[] = { 0, 0x00cf9a000000ffffull, 0x00cf92000000ffffull,
			  0x00cffa000000ffffull, 0x00cff2000000ffffull };

static void __attribute__((noreturn)) in_user_mode(void)
{
	uint16_t cs;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	ASSERT_EQ(cs & 3, 3);
	memset(reply, 0, 16);
	struct hc_result r = hc_call(1, "help", reply, sizeof reply);
	printf("hypercall: from ring 3 -> %d\n", r.rax);
	ASSERT_EQ(r.rax, -11);
	ASSERT_EQ(reply[0], 0);
	printf("hypercall: user mode is refused\nPASS\n");
	guest_exit(0);
}

/* IRET to ring 3 (SDM vol. 3, 6.12.1): SS:ESP, EFLAGS with IOPL 3, CS:EIP;
 * the data segments get the ring-3 selector first so they stay usable. */
static void __attribute__((noreturn)) enter_user_mode(void)
{
	struct { uint16_t limit; uint32_t base; } __attribute__((packed)) d =
		{ sizeof gdt - 1, (uint32_t)gdt };
	__asm__ volatile("lgdt %0" :: "m"(d));
	__asm__ volatile(
		"mov $0x23, %%ax\n"
		"mov %%ax, %%ds\n mov %%ax, %%es\n mov %%ax, %%fs\n mov %%ax, %%gs\n"
		"push $0x23\n push %0\n push $0x3002\n push $0x1b\n push %1\n iret"
		:: "r"(user_stack + sizeof user_stack), "r"(in_user_mode) : "eax", "memory");
	__builtin_unreachable();
}

void guest_main(const struct mb_info *mbi)
{
	(void)mbi;
	struct cpuid_regs v = cpuid(0, 0);
	intel = v.ebx == 0x756e6547; /* "Genu" */
	hc_init();
	struct hc_result r = hc_call(1, "help", reply, sizeof reply);
	printf("hypercall: help -> %d, %u bytes\n", r.rax, r.rdx);
	ASSERT_EQ(r.rax, 0);
	ASSERT_EQ(r.rdx, strlen(reply));
	ASSERT(contains(reply, "vm info"));

	r = hc_call(1, "vm info", reply, sizeof reply);
	printf("hypercall: vm info -> %d: %s\n", r.rax, reply);
	ASSERT_EQ(r.rax, 0);
	ASSERT(contains(reply, intel ? "vendor vmx" : "vendor svm"));
	ASSERT(contains(reply, "memory 64 MiB"));

	r = hc_call(1, "vm info", reply, 8);
	ASSERT_EQ(r.rax, 0);
	ASSERT_EQ(r.rdx, 7);
	ASSERT(!strcmp(reply, "vendor "));
	printf("hypercall: a reply is cut to fit its buffer\n");

	r = hc_call(1, "bogus words", reply, sizeof reply);
	ASSERT(r.rax < 0);
	ASSERT(contains(reply, "unknown command"));
	r = hc_call(2, "help", reply, sizeof reply);
	ASSERT(r.rax < 0);
	r = hc_call(1, (const char *)0xfffff000u, reply, sizeof reply);
	ASSERT(r.rax < 0);
	memset(reply, 0x5a, 16);
	r = hc_call(1, "help", (char *)0xfffff000u, 64);
	ASSERT(r.rax < 0);
	memset(long_cmd, 'x', sizeof long_cmd);
	r = hc_call(1, long_cmd, reply, sizeof reply);
	ASSERT(r.rax < 0);
	long_cmd[4095] = 0; /* 4095 characters and the NUL: allowed */
	r = hc_call(1, long_cmd, reply, sizeof reply);
	ASSERT(r.rax < 0 && contains(reply, "unknown command"));
	printf("hypercall: bad calls are refused\n");
	enter_user_mode();
}
