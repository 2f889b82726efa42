/* hv_cpuid_audit.c: every CPUID bit the guest may see is backed (issue
 * "Guests we did not write", the class to close). Catalogues from the
 * manuals (SDM vol. 2 CPUID, vol. 4 MSRs; APM vol. 2 and 3) name what a
 * bit implies: MSRs, XSAVE state components, instructions whose running
 * depends on the vendor's controls. The allow list (hv/cpuid_table.c) is
 * held against hv/msr_rules.c, GUEST_XCR0_ALLOWED and the instructions
 * the vendors can back; a bit offered without its backing fails here. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>
#include "hv/cpuid_table.h"
#include "hv/msr_rules.h"

#define E1 0x80000001u
#define E8 0x80000008u

struct implies_msrs {
	uint32_t leaf;
	int32_t sub;
	uint8_t reg, bit;
	const char *name;
	uint32_t msr[10]; /* 0 ends */
};

static const struct implies_msrs msr_catalogue[] = {
	{ 1, -1, CR_EDX, 4, "TSC", { 0x10 } },
	{ 1, -1, CR_EDX, 7, "MCE", { 0x179, 0x17a } },
	{ 1, -1, CR_EDX, 9, "APIC", { 0x1b } },
	{ 1, -1, CR_EDX, 11, "SEP", { 0x174, 0x175, 0x176 } },
	{ 1, -1, CR_EDX, 12, "MTRR", { 0xfe, 0x200, 0x20f, 0x250, 0x258, 0x259,
				       0x268, 0x26f, 0x2ff } },
	{ 1, -1, CR_EDX, 14, "MCA", { 0x179, 0x17a, 0x400 } },
	{ 1, -1, CR_EDX, 16, "PAT", { 0x277 } },
	{ 1, -1, CR_EDX, 21, "DS", { 0x600 } },
	{ 1, -1, CR_EDX, 22, "ACPI", { 0x19a } },
	{ 1, -1, CR_ECX, 5, "VMX", { 0x3a, 0x480 } },
	{ 1, -1, CR_ECX, 7, "EST", { 0x198, 0x199 } },
	{ 1, -1, CR_ECX, 15, "PDCM", { 0x345 } },
	{ 1, -1, CR_ECX, 21, "x2APIC", { 0x802, 0x803, 0x808, 0x80f, 0x830, 0x838 } },
	{ 1, -1, CR_ECX, 24, "TSC-Deadline", { 0x6e0 } },
	{ 6, 0, CR_EAX, 0, "DTS", { 0x19c } },
	{ 6, 0, CR_EAX, 7, "HWP", { 0x770 } },
	{ 6, 0, CR_ECX, 0, "APERF/MPERF", { 0xe7, 0xe8 } },
	{ 7, 0, CR_EBX, 1, "TSC_ADJUST", { 0x3b } },
	{ 7, 0, CR_EBX, 12, "RDT-M", { 0xc8d, 0xc8f } },
	{ 7, 0, CR_EBX, 15, "RDT-A", { 0xc8f } },
	{ 7, 0, CR_ECX, 7, "CET_SS", { 0x6a0, 0x6a2, 0x6a4 } },
	{ 7, 0, CR_ECX, 13, "TME", { 0x982 } },
	{ 7, 0, CR_ECX, 22, "RDPID", { 0xc0000103 } },
	{ 7, 0, CR_EDX, 20, "CET_IBT", { 0x6a0, 0x6a2 } },
	{ 7, 0, CR_EDX, 26, "IBRS/IBPB", { 0x48, 0x49 } },
	{ 7, 0, CR_EDX, 27, "STIBP", { 0x48 } },
	{ 7, 0, CR_EDX, 28, "L1D_FLUSH", { 0x10b } },
	{ 7, 0, CR_EDX, 29, "ARCH_CAPABILITIES", { 0x10a } },
	{ 7, 0, CR_EDX, 30, "CORE_CAPABILITIES", { 0xcf } },
	{ 7, 0, CR_EDX, 31, "SSBD", { 0x48 } },
	{ 0xa, 0, CR_EAX, 0, "architectural PMU", { 0xc1, 0x186, 0x38d, 0x38f } },
	{ 0xa, 0, CR_EAX, 1, "architectural PMU", { 0xc1, 0x186, 0x38d, 0x38f } },
	{ E1, -1, CR_EDX, 11, "SysCallSysRet", { 0xc0000080, 0xc0000081,
						 0xc0000082, 0xc0000083, 0xc0000084 } },
	{ E1, -1, CR_EDX, 20, "NX", { 0xc0000080 } },
	{ E1, -1, CR_EDX, 27, "RDTSCP", { 0xc0000103 } },
	{ E1, -1, CR_EDX, 29, "LM", { 0xc0000080, 0xc0000100, 0xc0000101, 0xc0000102 } },
	{ E1, -1, CR_ECX, 2, "SVM", { 0xc0010114, 0xc0010117 } },
	{ E1, -1, CR_ECX, 9, "OSVW", { 0xc0010140, 0xc0010141 } },
	{ E1, -1, CR_ECX, 10, "IBS", { 0xc0011030 } },
	{ E1, -1, CR_ECX, 15, "LWP", { 0xc0000105 } },
	{ E1, -1, CR_ECX, 19, "NodeId", { 0xc001100c } },
	{ E1, -1, CR_ECX, 23, "PerfCtrExtCore", { 0xc0010200, 0xc0010201 } },
	{ E1, -1, CR_ECX, 24, "PerfCtrExtNB", { 0xc0010240 } },
	{ E1, -1, CR_ECX, 28, "PerfCtrExtLLC", { 0xc0010230 } },
	{ 0x80000007u, -1, CR_EDX, 7, "HwPstate", { 0xc0010061, 0xc0010062 } },
	{ E8, -1, CR_EBX, 12, "IBPB", { 0x49 } },
	{ E8, -1, CR_EBX, 14, "IBRS", { 0x48 } },
	{ E8, -1, CR_EBX, 24, "SSBD", { 0x48 } },
	{ E8, -1, CR_EBX, 25, "VIRT_SSBD", { 0xc001011f } },
};

struct implies_xcr0 {
	uint32_t leaf;
	int32_t sub;
	uint8_t reg, bit;
	const char *name;
	uint64_t xcr0;
};

static const struct implies_xcr0 xcr0_catalogue[] = {
	{ 1, -1, CR_ECX, 28, "AVX", 0x4 },
	{ 7, 0, CR_EBX, 14, "MPX", 0x18 },
	{ 7, 0, CR_EBX, 16, "AVX512F", 0xe0 },
	{ 7, 0, CR_ECX, 3, "PKU", 0x200 },
	{ 7, 0, CR_EDX, 24, "AMX-TILE", 0x60000 },
};

/* Instructions that exit unconditionally, or run only with a control
 * the vendor must set: offered only with a `needs` the vendor answers
 * (-1: nothing backs it here, so it must not be offered at all). */
struct implies_insn {
	uint32_t leaf;
	int32_t sub;
	uint8_t reg, bit;
	const char *name;
	int needs;
};

static const struct implies_insn insn_catalogue[] = {
	{ E1, -1, CR_EDX, 27, "RDTSCP", INSN_RDTSCP },
	{ 7, 0, CR_ECX, 22, "RDPID", INSN_RDPID },
	{ 1, -1, CR_ECX, 3, "MONITOR/MWAIT", -1 },
	{ 1, -1, CR_ECX, 5, "VMX", -1 },
	{ 1, -1, CR_ECX, 6, "SMX (GETSEC)", -1 },
	{ 1, -1, CR_ECX, 17, "PCID", -1 },
	{ 7, 0, CR_EBX, 2, "SGX", -1 },
	{ 7, 0, CR_EBX, 10, "INVPCID", -1 },
	{ 7, 0, CR_EBX, 25, "Intel PT", -1 },
	{ 7, 0, CR_ECX, 5, "WAITPKG", -1 },
	{ 7, 0, CR_ECX, 23, "Key Locker", -1 },
	{ 7, 0, CR_ECX, 29, "ENQCMD", -1 },
	{ 7, 0, CR_EDX, 5, "UINTR", -1 },
	{ 7, 0, CR_EDX, 18, "PCONFIG", -1 },
	{ 0xd, 1, CR_EAX, 3, "XSAVES", -1 },
	{ E1, -1, CR_ECX, 2, "SVM", -1 },
	{ E1, -1, CR_ECX, 12, "SKINIT", -1 },
	{ E1, -1, CR_ECX, 29, "MONITORX", -1 },
	{ E8, -1, CR_EBX, 3, "INVLPGB", -1 },
	{ E8, -1, CR_EBX, 4, "RDPRU", -1 },
};

static bool sub_matches(int32_t a, int32_t b)
{
	return a < 0 || b < 0 || a == b;
}

static const struct cpuid_bit *offered(uint32_t leaf, int32_t sub, unsigned reg,
				       unsigned bit)
{
	for (size_t i = 0; i < cpuid_offered_count; i++) {
		const struct cpuid_bit *b = &cpuid_offered[i];
		if (b->leaf == leaf && sub_matches(b->sub, sub) && b->reg == reg &&
		    b->bit == bit)
			return b;
	}
	return NULL;
}

static void test_offered_bits_have_their_msrs(void **state)
{
	(void)state;
	int missing = 0;
	for (size_t i = 0; i < sizeof msr_catalogue / sizeof msr_catalogue[0]; i++) {
		const struct implies_msrs *c = &msr_catalogue[i];
		if (!offered(c->leaf, c->sub, c->reg, c->bit))
			continue;
		for (size_t m = 0; m < 10 && c->msr[m]; m++)
			if (!msr_rule_find(c->msr[m])) {
				print_error("%s is offered but MSR 0x%x raises #GP\n",
					    c->name, c->msr[m]);
				missing++;
			}
	}
	assert_int_equal(missing, 0);
}

static void test_offered_bits_have_their_xsave_state(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof xcr0_catalogue / sizeof xcr0_catalogue[0]; i++) {
		const struct implies_xcr0 *c = &xcr0_catalogue[i];
		if (offered(c->leaf, c->sub, c->reg, c->bit) &&
		    (c->xcr0 & ~GUEST_XCR0_ALLOWED))
			fail_msg("%s is offered but XCR0 0x%llx is refused", c->name,
				 (unsigned long long)c->xcr0);
	}
}

static void test_offered_instructions_are_asked_of_the_vendor(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof insn_catalogue / sizeof insn_catalogue[0]; i++) {
		const struct implies_insn *c = &insn_catalogue[i];
		const struct cpuid_bit *b = offered(c->leaf, c->sub, c->reg, c->bit);
		if (!b)
			continue;
		if (c->needs < 0)
			fail_msg("%s is offered but nothing runs it", c->name);
		if (b->needs != c->needs)
			fail_msg("%s is offered without asking the vendor", c->name);
	}
}

/* AMD's legacy counters exist whatever CPUID says (APM vol. 2, 13.2). */
static void test_amd_legacy_counters_exist(void **state)
{
	(void)state;
	for (uint32_t msr = 0xc0010000; msr <= 0xc0010007; msr++) {
		const struct msr_rule *r = msr_rule_find(msr);
		assert_non_null(r);
		assert_int_equal(r->kind, K_CONST);
		assert_int_equal(r->value, 0);
		assert_true(r->ignore_write);
	}
	assert_null(msr_rule_find(0xc0010200)); /* PerfCtrExtCore: hidden */
}

static void test_table_is_well_formed(void **state)
{
	(void)state;
	for (size_t i = 0; i < cpuid_offered_count; i++) {
		const struct cpuid_bit *b = &cpuid_offered[i];
		assert_true(b->reg < 4 && b->bit < 32);
		if (!cpuid_reg_audited(b->leaf, b->sub < 0 ? 0 : (uint32_t)b->sub, b->reg))
			fail_msg("%s: leaf 0x%x reg %u is not audited", b->name,
				 b->leaf, b->reg);
		for (size_t j = 0; j < i; j++) {
			const struct cpuid_bit *o = &cpuid_offered[j];
			if (o->leaf == b->leaf && sub_matches(o->sub, b->sub) &&
			    o->reg == b->reg && o->bit == b->bit)
				fail_msg("%s listed twice", b->name);
		}
	}
}

static bool backed_all(enum guest_insn insn) { (void)insn; return true; }
static bool backed_none(enum guest_insn insn) { (void)insn; return false; }

/* A processor with every bit set: only listed bits come through the
 * audited registers, the others (signatures, sizes) are untouched, and a
 * bit whose instruction the vendor cannot run is dropped. */
static void test_filter_passes_only_the_table(void **state)
{
	(void)state;
	static const uint32_t leaves[][2] = { { 1, 0 }, { 6, 0 }, { 7, 0 }, { 7, 1 },
					      { 0xa, 0 }, { 0xd, 0 }, { 0xd, 1 },
					      { E1, 0 }, { 0x80000007u, 0 },
					      { E8, 0 }, { 0x8000000au, 0 } };
	for (size_t l = 0; l < sizeof leaves / sizeof leaves[0]; l++) {
		uint32_t leaf = leaves[l][0], sub = leaves[l][1];
		uint32_t r[4] = { ~0u, ~0u, ~0u, ~0u };
		cpuid_filter(leaf, sub, r, backed_all);
		for (unsigned reg = 0; reg < 4; reg++) {
			if (!cpuid_reg_audited(leaf, sub, reg)) {
				assert_int_equal(r[reg], ~0u);
				continue;
			}
			for (unsigned bit = 0; bit < 32; bit++)
				assert_int_equal((r[reg] >> bit) & 1,
						 offered(leaf, (int32_t)sub, reg, bit) != NULL);
		}
	}
	uint32_t e1[4] = { ~0u, ~0u, ~0u, ~0u }, l7[4] = { ~0u, ~0u, ~0u, ~0u };
	cpuid_filter(E1, 0, e1, backed_none);
	cpuid_filter(7, 0, l7, backed_none);
	assert_false((e1[CR_EDX] >> 27) & 1);
	assert_false((l7[CR_ECX] >> 22) & 1);
	assert_true((l7[CR_ECX] >> 2) & 1); /* UMIP needs nothing of the vendor */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offered_bits_have_their_msrs),
		cmocka_unit_test(test_offered_bits_have_their_xsave_state),
		cmocka_unit_test(test_offered_instructions_are_asked_of_the_vendor),
		cmocka_unit_test(test_amd_legacy_counters_exist),
		cmocka_unit_test(test_table_is_well_formed),
		cmocka_unit_test(test_filter_passes_only_the_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
