/* hypercall: the console hypercall (README.md "The hypercall"): VMCALL on
 * Intel, VMMCALL on AMD, RAX = 1, RBX = command, RCX/RDX = reply buffer.
 * Checks `help` and `vm info` replies and lengths, a reply cut to fit,
 * and the refusals: unknown command, unknown RAX, a command pointer
 * outside RAM, a reply buffer outside RAM, a command over 4096 bytes.
 * Needs the hypervisor: on bare QEMU the instruction is #UD. */
#include "guest.h"

struct hc_result {
	int32_t rax;
	uint32_t rdx;
};

static int intel;

static struct hc_result hypercall(uint32_t fn, const char *cmd, char *reply,
				  uint32_t size)
{
	struct hc_result r;
	uint32_t a = fn, d = size;
	if (intel)
		__asm__ volatile("vmcall" : "+a"(a), "+d"(d)
				 : "b"(cmd), "c"(reply) : "memory");
	else
		__asm__ volatile("vmmcall" : "+a"(a), "+d"(d)
				 : "b"(cmd), "c"(reply) : "memory");
	r.rax = (int32_t)a;
	r.rdx = d;
	return r;
}

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

void guest_main(const struct mb_info *mbi)
{
	(void)mbi;
	struct cpuid_regs v = cpuid(0, 0);
	intel = v.ebx == 0x756e6547; /* "Genu" */
	struct hc_result r = hypercall(1, "help", reply, sizeof reply);
	printf("hypercall: help -> %d, %u bytes\n", r.rax, r.rdx);
	ASSERT_EQ(r.rax, 0);
	ASSERT_EQ(r.rdx, strlen(reply));
	ASSERT(contains(reply, "vm info"));

	r = hypercall(1, "vm info", reply, sizeof reply);
	printf("hypercall: vm info -> %d: %s\n", r.rax, reply);
	ASSERT_EQ(r.rax, 0);
	ASSERT(contains(reply, intel ? "vendor vmx" : "vendor svm"));
	ASSERT(contains(reply, "memory 64 MiB"));

	r = hypercall(1, "vm info", reply, 8);
	ASSERT_EQ(r.rax, 0);
	ASSERT_EQ(r.rdx, 7);
	ASSERT(!strcmp(reply, "vendor "));
	printf("hypercall: a reply is cut to fit its buffer\n");

	r = hypercall(1, "bogus words", reply, sizeof reply);
	ASSERT(r.rax < 0);
	ASSERT(contains(reply, "unknown command"));
	r = hypercall(2, "help", reply, sizeof reply);
	ASSERT(r.rax < 0);
	r = hypercall(1, (const char *)0xfffff000u, reply, sizeof reply);
	ASSERT(r.rax < 0);
	memset(reply, 0x5a, 16);
	r = hypercall(1, "help", (char *)0xfffff000u, 64);
	ASSERT(r.rax < 0);
	memset(long_cmd, 'x', sizeof long_cmd);
	r = hypercall(1, long_cmd, reply, sizeof reply);
	ASSERT(r.rax < 0);
	long_cmd[4095] = 0; /* 4095 characters and the NUL: allowed */
	r = hypercall(1, long_cmd, reply, sizeof reply);
	ASSERT(r.rax < 0 && contains(reply, "unknown command"));
	printf("hypercall: bad calls are refused\n");
}
