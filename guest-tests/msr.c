/* msr: RDMSR/WRMSR as a guest sees them: the TSC moves forward, SYSENTER
 * and PAT keep what is written, EFER shows 32-bit mode, and an MSR that
 * does not exist raises #GP on read and on write (Intel SDM vol. 4; AMD
 * APM vol. 2 appendix A). The argument missing_msr=any drops the #GP check
 * for reference runs on plain QEMU TCG, which reads missing MSRs as 0. */
#include "guest.h"

#define MSR_TSC			0x10
#define MSR_SYSENTER_CS		0x174
#define MSR_SYSENTER_ESP	0x175
#define MSR_SYSENTER_EIP	0x176
#define MSR_PAT			0x277
#define MSR_EFER		0xc0000080
#define MSR_BOGUS		0x12345678	/* outside every MSR range */
#define VEC_GP			13

static void roundtrip(const char *name, uint32_t msr, uint64_t v)
{
	uint64_t old = rdmsr(msr);
	wrmsr(msr, v);
	uint64_t got = rdmsr(msr);
	ASSERTF(got == v, "%s: wrote 0x%llx, read 0x%llx", name, v, got);
	wrmsr(msr, old);
	ASSERT_EQ(rdmsr(msr), old);
	printf("msr: %s keeps 0x%llx\n", name, v);
}

void guest_main(const struct mb_info *mbi)
{
	uint64_t t0 = rdtsc();
	for (volatile int i = 0; i < 1000; i++)
		;
	uint64_t t1 = rdtsc();
	printf("msr: rdtsc 0x%llx -> 0x%llx\n", t0, t1);
	ASSERTF(t1 > t0, "TSC does not move forward");

	roundtrip("SYSENTER_CS", MSR_SYSENTER_CS, 0x10);
	roundtrip("SYSENTER_ESP", MSR_SYSENTER_ESP, 0x12345000);
	roundtrip("SYSENTER_EIP", MSR_SYSENTER_EIP, 0x00101234);

	uint64_t pat = rdmsr(MSR_PAT);
	printf("msr: PAT 0x%016llx\n", pat);
	ASSERT_EQ(pat, 0x0007040600070406ull);	/* the reset value */
	roundtrip("PAT", MSR_PAT, 0x0007010600070106ull);

	if (cpuid(0x80000000, 0).eax >= 0x80000001 &&
	    (cpuid(0x80000001, 0).edx & ((1u << 29) | (1u << 11)))) {
		uint64_t efer = rdmsr(MSR_EFER);
		printf("msr: EFER 0x%llx\n", efer);
		ASSERTF(!(efer & 0x500), "EFER.LME/LMA set in 32-bit mode");
	}

	char opt[8];
	if (mb_arg(mbi, "missing_msr", opt, sizeof(opt)) && !strcmp(opt, "any")) {
		printf("msr: missing_msr=any: not checking #GP\n");
		return;
	}
	uint64_t v = 0x5a5a;
	int r = rdmsr_safe(MSR_BOGUS, &v);
	printf("msr: rdmsr 0x%x -> %s%d\n", MSR_BOGUS, r ? "fault " : "value ", r ? r & 0xff : (int)v);
	ASSERTF(r == (0x100 | VEC_GP), "rdmsr of a missing MSR did not raise #GP");
	r = wrmsr_safe(MSR_BOGUS, 1);
	printf("msr: wrmsr 0x%x -> %s%d\n", MSR_BOGUS, r ? "fault " : "ok ", r & 0xff);
	ASSERTF(r == (0x100 | VEC_GP), "wrmsr of a missing MSR did not raise #GP");
	printf("msr: missing MSR raises #GP\n");

	/* The guest goes on normally after the faults. */
	ASSERT_EQ(rdmsr(MSR_SYSENTER_CS), rdmsr(MSR_SYSENTER_CS));
}
