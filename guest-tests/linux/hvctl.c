/* hvctl.c: the Linux guest's client of the hypervisor console: joins its
 * arguments into one command, makes the console hypercall (README.md "The
 * console commands and the hypercall") and prints the reply. Built static
 * (build/linux/hvctl) and installed as /usr/bin/hvctl in root.vhd.
 * Exit: 0 done, 1 refused or failed, 2 not under SnapVisor or bad usage. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <cpuid.h>
#include "hvctl.h"

#define HC_CONSOLE 1
#define HC_EFAULT (-14)
/* The hypervisor writes at most this much of a reply, NUL included. */
#define REPLY_MAX 4096

/* One page each, page-aligned, so that each buffer is one translation the
 * hypervisor has to make and one page mlock has to keep present. */
static char cmd[HVCTL_CMD_MAX] __attribute__((aligned(4096)));
static char reply[REPLY_MAX] __attribute__((aligned(4096)));

struct hc_result {
	int64_t rax;
	uint64_t rdx;
};

static void cpuid_regs(uint32_t leaf, uint32_t r[4])
{
	__cpuid(leaf, r[0], r[1], r[2], r[3]);
}

static int under_snapvisor(void)
{
	uint32_t r[4];
	char sig[13];
	cpuid_regs(0x40000000, r);
	memcpy(sig, &r[1], 4);
	memcpy(sig + 4, &r[2], 4);
	memcpy(sig + 8, &r[3], 4);
	sig[12] = 0;
	return !strcmp(sig, "SnapVisor-HV");
}

static int cpu_is_intel(void)
{
	uint32_t r[4];
	cpuid_regs(0, r);
	/* "GenuineIntel" comes in EBX, EDX, ECX order. */
	return r[1] == 0x756e6547 && r[3] == 0x49656e69 && r[2] == 0x6c65746e;
}

/* The ABI returns only in RAX and RDX; RBX and RCX are inputs the
 * hypervisor leaves alone. "memory": it writes the reply buffer. */
static struct hc_result hypercall(int intel, const char *c, char *buf,
				  uint64_t size)
{
	uint64_t rax = HC_CONSOLE, rdx = size;
	if (intel)
		__asm__ volatile("vmcall" : "+a"(rax), "+d"(rdx)
				 : "b"(c), "c"(buf) : "memory");
	else
		__asm__ volatile("vmmcall" : "+a"(rax), "+d"(rdx)
				 : "b"(c), "c"(buf) : "memory");
	return (struct hc_result){ (int64_t)rax, rdx };
}

/* The hypervisor walks our page tables and refuses a page that is not
 * present (-14) rather than faulting it in: write both buffers so they
 * are backed and writable, and lock them so they stay so. mlock may be
 * refused by RLIMIT_MEMLOCK; the touch alone is then the best we have. */
static void prepare_buffers(void)
{
	memset(reply, 0, sizeof reply);
	(void)mlock(cmd, sizeof cmd);
	(void)mlock(reply, sizeof reply);
}

static void print_reply(uint64_t len)
{
	if (len > sizeof reply - 1)
		len = sizeof reply - 1;
	fwrite(reply, 1, len, stdout);
	if (len && reply[len - 1] != '\n')
		putchar('\n');
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fprintf(stderr, "usage: hvctl COMMAND [ARGS...]\n"
			"  e.g. hvctl snapshot create NAME, hvctl snapshot list,\n"
			"       hvctl merge status, hvctl vm info, hvctl help\n");
		return 2;
	}
	if (!under_snapvisor()) {
		fprintf(stderr, "hvctl: not running under the SnapVisor hypervisor\n");
		return 2;
	}
	prepare_buffers();
	if (hvctl_join(cmd, sizeof cmd, argc - 1, argv + 1) < 0) {
		fprintf(stderr, "hvctl: %.40s...: error -10 (%s)\n", cmd,
			hvctl_meaning(-10));
		return 1;
	}
	int intel = cpu_is_intel();
	struct hc_result r = hypercall(intel, cmd, reply, sizeof reply);
	/* A page may have been taken away between the touch and the call. */
	if (r.rax == HC_EFAULT) {
		prepare_buffers();
		r = hypercall(intel, cmd, reply, sizeof reply);
	}
	if (r.rax < 0) {
		fprintf(stderr, "hvctl: %s: error %lld (%s)\n", cmd,
			(long long)r.rax, hvctl_meaning((long)r.rax));
		return 1;
	}
	print_reply(r.rdx);
	/* RAX = 1: the machine was sent back to the snapshot this very call
	 * created, and the call returns a second time (like setjmp). */
	if (r.rax == 1)
		printf("hvctl: resumed from this snapshot\n");
	return 0;
}
