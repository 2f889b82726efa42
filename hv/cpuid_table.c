/* cpuid_table.c: the allow list of guest CPUID bits (cpuid_table.h).
 * Names as in the SDM vol. 2 (CPUID) and APM vol. 3 (appendix E).
 * Left out on purpose, among others: MCE/MCA (machine-check MSRs),
 * PDCM (IA32_PERF_CAPABILITIES), PCID and INVPCID (not enabled in the
 * VMCS), MONITOR/MWAIT, TSC_ADJUST, speculation-control MSRs, CET, TME,
 * OSVW (C001_0140h), NodeId (C001_100Ch), TCE and FFXSR (EFER bits the
 * EFER rule refuses), PerfCtrCore and every PMU, SVM and VMX, and PKU:
 * PKRU must follow the guest across exits and snapshot applies, and
 * under QEMU's TCG the XSAVE image did not carry it back (a guest's
 * PKRU survived exits only because nothing else writes the register). */
#include "hv/cpuid_table.h"

#define B(leaf, sub, reg, bit, name) { leaf, sub, reg, bit, NEEDS_NOTHING, name }
#define N(leaf, sub, reg, bit, insn, name) { leaf, sub, reg, bit, insn, name }
#define E1 0x80000001u

const struct cpuid_bit cpuid_offered[] = {
	B(1, -1, CR_ECX, 0, "SSE3"), B(1, -1, CR_ECX, 1, "PCLMULQDQ"),
	B(1, -1, CR_ECX, 9, "SSSE3"), B(1, -1, CR_ECX, 12, "FMA"),
	B(1, -1, CR_ECX, 13, "CX16"), B(1, -1, CR_ECX, 19, "SSE4.1"),
	B(1, -1, CR_ECX, 20, "SSE4.2"), B(1, -1, CR_ECX, 21, "x2APIC"),
	B(1, -1, CR_ECX, 22, "MOVBE"), B(1, -1, CR_ECX, 23, "POPCNT"),
	B(1, -1, CR_ECX, 24, "TSC-Deadline"), B(1, -1, CR_ECX, 25, "AESNI"),
	B(1, -1, CR_ECX, 26, "XSAVE"), B(1, -1, CR_ECX, 27, "OSXSAVE"),
	B(1, -1, CR_ECX, 28, "AVX"), B(1, -1, CR_ECX, 29, "F16C"),
	B(1, -1, CR_ECX, 30, "RDRAND"), B(1, -1, CR_ECX, 31, "hypervisor"),
	B(1, -1, CR_EDX, 0, "FPU"), B(1, -1, CR_EDX, 1, "VME"),
	B(1, -1, CR_EDX, 2, "DE"), B(1, -1, CR_EDX, 3, "PSE"),
	B(1, -1, CR_EDX, 4, "TSC"), B(1, -1, CR_EDX, 5, "MSR"),
	B(1, -1, CR_EDX, 6, "PAE"), B(1, -1, CR_EDX, 8, "CX8"),
	B(1, -1, CR_EDX, 9, "APIC"), B(1, -1, CR_EDX, 11, "SEP"),
	B(1, -1, CR_EDX, 12, "MTRR"), B(1, -1, CR_EDX, 13, "PGE"),
	B(1, -1, CR_EDX, 15, "CMOV"), B(1, -1, CR_EDX, 16, "PAT"),
	B(1, -1, CR_EDX, 17, "PSE-36"), B(1, -1, CR_EDX, 19, "CLFSH"),
	B(1, -1, CR_EDX, 23, "MMX"), B(1, -1, CR_EDX, 24, "FXSR"),
	B(1, -1, CR_EDX, 25, "SSE"), B(1, -1, CR_EDX, 26, "SSE2"),
	B(1, -1, CR_EDX, 27, "SS"),

	B(7, 0, CR_EBX, 0, "FSGSBASE"), B(7, 0, CR_EBX, 3, "BMI1"),
	B(7, 0, CR_EBX, 4, "HLE"), B(7, 0, CR_EBX, 5, "AVX2"),
	B(7, 0, CR_EBX, 6, "FDP_EXCPTN_ONLY"), B(7, 0, CR_EBX, 7, "SMEP"),
	B(7, 0, CR_EBX, 8, "BMI2"), B(7, 0, CR_EBX, 9, "ERMS"),
	B(7, 0, CR_EBX, 11, "RTM"), B(7, 0, CR_EBX, 13, "ZERO_FCS_FDS"),
	B(7, 0, CR_EBX, 16, "AVX512F"), B(7, 0, CR_EBX, 17, "AVX512DQ"),
	B(7, 0, CR_EBX, 18, "RDSEED"), B(7, 0, CR_EBX, 19, "ADX"),
	B(7, 0, CR_EBX, 20, "SMAP"), B(7, 0, CR_EBX, 21, "AVX512_IFMA"),
	B(7, 0, CR_EBX, 23, "CLFLUSHOPT"), B(7, 0, CR_EBX, 24, "CLWB"),
	B(7, 0, CR_EBX, 26, "AVX512PF"), B(7, 0, CR_EBX, 27, "AVX512ER"),
	B(7, 0, CR_EBX, 28, "AVX512CD"), B(7, 0, CR_EBX, 29, "SHA"),
	B(7, 0, CR_EBX, 30, "AVX512BW"), B(7, 0, CR_EBX, 31, "AVX512VL"),
	B(7, 0, CR_ECX, 0, "PREFETCHWT1"), B(7, 0, CR_ECX, 1, "AVX512_VBMI"),
	B(7, 0, CR_ECX, 2, "UMIP"), B(7, 0, CR_ECX, 6, "AVX512_VBMI2"),
	B(7, 0, CR_ECX, 8, "GFNI"), B(7, 0, CR_ECX, 9, "VAES"),
	B(7, 0, CR_ECX, 10, "VPCLMULQDQ"), B(7, 0, CR_ECX, 11, "AVX512_VNNI"),
	B(7, 0, CR_ECX, 12, "AVX512_BITALG"),
	B(7, 0, CR_ECX, 14, "AVX512_VPOPCNTDQ"), B(7, 0, CR_ECX, 16, "LA57"),
	N(7, 0, CR_ECX, 22, INSN_RDPID, "RDPID"),
	B(7, 0, CR_ECX, 25, "CLDEMOTE"), B(7, 0, CR_ECX, 27, "MOVDIRI"),
	B(7, 0, CR_ECX, 28, "MOVDIR64B"),
	B(7, 0, CR_EDX, 2, "AVX512_4VNNIW"), B(7, 0, CR_EDX, 3, "AVX512_4FMAPS"),
	B(7, 0, CR_EDX, 4, "FSRM"), B(7, 0, CR_EDX, 10, "MD_CLEAR"),
	B(7, 0, CR_EDX, 14, "SERIALIZE"),

	B(0xd, 1, CR_EAX, 0, "XSAVEOPT"), B(0xd, 1, CR_EAX, 1, "XSAVEC"),
	B(0xd, 1, CR_EAX, 2, "XGETBV_ECX1"),

	B(E1, -1, CR_ECX, 0, "LahfSahf"), B(E1, -1, CR_ECX, 1, "CmpLegacy"),
	B(E1, -1, CR_ECX, 4, "AltMovCr8"), B(E1, -1, CR_ECX, 5, "ABM"),
	B(E1, -1, CR_ECX, 6, "SSE4A"), B(E1, -1, CR_ECX, 7, "MisAlignSse"),
	B(E1, -1, CR_ECX, 8, "3DNowPrefetch"), B(E1, -1, CR_ECX, 11, "XOP"),
	B(E1, -1, CR_ECX, 16, "FMA4"), B(E1, -1, CR_ECX, 21, "TBM"),
	B(E1, -1, CR_EDX, 0, "FPU"), B(E1, -1, CR_EDX, 1, "VME"),
	B(E1, -1, CR_EDX, 2, "DE"), B(E1, -1, CR_EDX, 3, "PSE"),
	B(E1, -1, CR_EDX, 4, "TSC"), B(E1, -1, CR_EDX, 5, "MSR"),
	B(E1, -1, CR_EDX, 6, "PAE"), B(E1, -1, CR_EDX, 8, "CMPXCHG8B"),
	B(E1, -1, CR_EDX, 9, "APIC"), B(E1, -1, CR_EDX, 11, "SysCallSysRet"),
	B(E1, -1, CR_EDX, 12, "MTRR"), B(E1, -1, CR_EDX, 13, "PGE"),
	B(E1, -1, CR_EDX, 15, "CMOV"), B(E1, -1, CR_EDX, 16, "PAT"),
	B(E1, -1, CR_EDX, 17, "PSE36"), B(E1, -1, CR_EDX, 20, "NX"),
	B(E1, -1, CR_EDX, 22, "MmxExt"), B(E1, -1, CR_EDX, 23, "MMX"),
	B(E1, -1, CR_EDX, 24, "FXSR"), B(E1, -1, CR_EDX, 26, "Page1GB"),
	N(E1, -1, CR_EDX, 27, INSN_RDTSCP, "RDTSCP"), B(E1, -1, CR_EDX, 29, "LM"),
	B(E1, -1, CR_EDX, 30, "3DNowExt"), B(E1, -1, CR_EDX, 31, "3DNow"),

	B(0x80000007u, -1, CR_EDX, 8, "InvariantTSC"),
};
const size_t cpuid_offered_count = sizeof cpuid_offered / sizeof cpuid_offered[0];

/* The registers of feature flags per audited leaf (a bit per register);
 * the others (signatures, sizes, topology) are cpuid.c's. */
static unsigned audited_regs(uint32_t leaf, uint32_t sub)
{
	const unsigned all = 0xf;
	switch (leaf) {
	case 1: return 1u << CR_ECX | 1u << CR_EDX;
	case 6: case 0xa: case 0x8000000au: case 0x80000007u: return all;
	case 7: return sub == 0 ? (1u << CR_EBX | 1u << CR_ECX | 1u << CR_EDX) : all;
	case 0xd: return sub == 1 ? 1u << CR_EAX : 0;
	case 0x80000001u: return 1u << CR_ECX | 1u << CR_EDX;
	case 0x80000008u: return 1u << CR_EBX | 1u << CR_EDX;
	}
	return 0;
}

bool cpuid_reg_audited(uint32_t leaf, uint32_t sub, unsigned reg)
{
	return reg < 4 && ((audited_regs(leaf, sub) >> reg) & 1);
}

void cpuid_filter(uint32_t leaf, uint32_t sub, uint32_t r[4],
		  bool (*backed)(enum guest_insn insn))
{
	uint32_t keep[4] = { 0 };
	unsigned regs = audited_regs(leaf, sub);
	if (!regs)
		return;
	for (size_t i = 0; i < cpuid_offered_count; i++) {
		const struct cpuid_bit *b = &cpuid_offered[i];
		if (b->leaf != leaf || (b->sub >= 0 && (uint32_t)b->sub != sub))
			continue;
		if (b->needs != NEEDS_NOTHING && !backed((enum guest_insn)b->needs))
			continue;
		keep[b->reg] |= 1u << b->bit;
	}
	for (unsigned reg = 0; reg < 4; reg++)
		if ((regs >> reg) & 1)
			r[reg] &= keep[reg];
}
