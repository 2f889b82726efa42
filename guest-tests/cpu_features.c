/* cpu_features: what CPUID offers works, and the MSRs and state that go
 * with it survive a snapshot apply (issue "Guests we did not write").
 * AMD's legacy performance counters C001_0000h-C001_0007h read 0 and
 * take writes on every AMD64 processor (APM vol. 2, 13.2) and under KVM;
 * RDTSCP and RDPID return IA32_TSC_AUX, which takes 32-bit values only;
 * PKU: CR4.PKE makes OSPKE appear, XCR0 takes PKRU, WRPKRU/RDPKRU work.
 * Then a snapshot holds TSC_AUX and PKRU: changed after the create, both
 * come back with the apply. Prints which features the CPU offered; a
 * feature CPUID offers that faults fails the guest. */
#include "snap.h"

#define TAG "cpu_features"
#define MSR_TSC_AUX 0xc0000103u
#define CR4_OSXSAVE (1u << 18)
#define CR4_PKE (1u << 22)

static int has_rdtscp, has_rdpid, has_pku;

static uint32_t rdtscp_aux(uint64_t *tsc)
{
	uint32_t lo, hi, aux;
	__asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	*tsc = ((uint64_t)hi << 32) | lo;
	return aux;
}

static uint32_t rdpid(void)
{
	uint32_t v;
	__asm__ volatile(".byte 0xf3, 0x0f, 0xc7, 0xf8" : "=a"(v)); /* rdpid %eax */
	return v;
}

static uint32_t rdpkru(void)
{
	uint32_t v;
	__asm__ volatile(".byte 0x0f, 0x01, 0xee" : "=a"(v) : "c"(0) : "edx");
	return v;
}

static void wrpkru(uint32_t v)
{
	__asm__ volatile(".byte 0x0f, 0x01, 0xef" :: "a"(v), "c"(0), "d"(0));
}

static uint32_t read_cr4(void)
{
	uint32_t v;
	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static void amd_counters(void)
{
	for (uint32_t msr = 0xc0010000u; msr <= 0xc0010007u; msr++) {
		uint64_t v = 1;
		ASSERTF(!rdmsr_safe(msr, &v), "rdmsr 0x%x faulted", msr);
		ASSERTF(v == 0, "msr 0x%x reads 0x%llx", msr, v);
		ASSERTF(!wrmsr_safe(msr, 0), "wrmsr 0x%x faulted", msr);
	}
	ASSERTF(wrmsr_safe(0xc0010200u, 0) != 0, "PerfCtrExtCore MSR exists");
	printf(TAG ": AMD legacy counters read 0 and take writes\n");
}

static void tsc_aux(void)
{
	uint64_t v, t0, t1;
	ASSERT(!wrmsr_safe(MSR_TSC_AUX, 0x1234));
	ASSERT(!rdmsr_safe(MSR_TSC_AUX, &v) && v == 0x1234);
	ASSERTF(wrmsr_safe(MSR_TSC_AUX, 1ull << 32) == (0x100 | 13),
		"TSC_AUX took a 64-bit value");
	if (has_rdtscp) {
		t0 = rdtsc();
		ASSERT_EQ(rdtscp_aux(&t1), 0x1234);
		ASSERTF(t1 >= t0, "RDTSCP went back: %llx < %llx", t1, t0);
		printf(TAG ": RDTSCP returns TSC_AUX and the TSC\n");
	}
	if (has_rdpid) {
		ASSERT_EQ(rdpid(), 0x1234);
		printf(TAG ": RDPID returns TSC_AUX\n");
	}
}

static void pku(void)
{
	__asm__ volatile("mov %0, %%cr4" :: "r"(read_cr4() | CR4_OSXSAVE | CR4_PKE));
	ASSERTF(cpuid(7, 0).ecx & (1u << 4), "OSPKE clear with CR4.PKE set");
	struct cpuid_regs d = cpuid(0xd, 0);
	ASSERTF(d.eax & (1u << 9), "XSAVE does not list PKRU");
	uint32_t xcr0 = d.eax & 0x207;
	__asm__ volatile("xsetbv" :: "c"(0), "a"(xcr0), "d"(0));
	wrpkru(0x5555555c);
	ASSERT_EQ(rdpkru(), 0x5555555c);
	printf(TAG ": PKU: OSPKE, PKRU in XCR0, WRPKRU/RDPKRU\n");
}

void guest_main(const struct mb_info *mbi)
{
	(void)mbi;
	struct cpuid_regs e1 = cpuid(0x80000001u, 0), l7 = cpuid(7, 0);
	has_rdtscp = (e1.edx >> 27) & 1;
	has_rdpid = (l7.ecx >> 22) & 1;
	has_pku = (l7.ecx >> 3) & 1;
	printf(TAG ": offered:%s%s%s\n", has_rdtscp ? " rdtscp" : "",
	       has_rdpid ? " rdpid" : "", has_pku ? " pku" : "");
	amd_counters();
	if (has_rdtscp || has_rdpid)
		tsc_aux();
	else
		ASSERTF(wrmsr_safe(MSR_TSC_AUX, 0) != 0, "TSC_AUX without RDTSCP");
	if (has_pku)
		pku();
	hc_init();
	unsigned id;
	if (snap_create("cpu", &id) == 0) {
		if (has_rdtscp || has_rdpid)
			wrmsr(MSR_TSC_AUX, 0x5678);
		if (has_pku)
			wrpkru(0x30);
		snap_apply("cpu");
		fail(__FILE__, __LINE__, "snapshot apply failed");
	}
	if (has_rdtscp || has_rdpid)
		ASSERTF(rdmsr(MSR_TSC_AUX) == 0x1234, "TSC_AUX after apply: 0x%llx",
			rdmsr(MSR_TSC_AUX));
	if (has_rdtscp) {
		uint64_t t;
		ASSERT_EQ(rdtscp_aux(&t), 0x1234);
	}
	if (has_pku)
		ASSERT_EQ(rdpkru(), 0x5555555c);
	printf(TAG ": TSC_AUX%s came back with the snapshot\n", has_pku ? " and PKRU" : "");
}
