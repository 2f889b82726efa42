/* cpuid_table.h: the CPUID feature bits a guest may see, as an allow
 * list. A bit is offered when the table names it and the processor has
 * it; every other bit of an audited register reads 0. Each offered bit
 * is backed: the MSRs it implies are in msr_rules.c, the XSAVE state in
 * GUEST_XCR0_ALLOWED, and an instruction that depends on the vendor's
 * controls is named (`needs`), so that cpuid.c drops it where the vendor
 * cannot run it. tests/unit/hv_cpuid_audit.c holds the table to that.
 * Portable. */
#ifndef HV_CPUID_TABLE_H
#define HV_CPUID_TABLE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "hv/vcpu.h"

enum { CR_EAX, CR_EBX, CR_ECX, CR_EDX };

/* XSAVE components the guest may enable in XCR0: x87, SSE, AVX,
 * AVX-512 (opmask, ZMM_Hi256, Hi16_ZMM) (SDM vol. 1, 13.1). */
#define GUEST_XCR0_ALLOWED 0xe7ull

#define NEEDS_NOTHING (-1)

struct cpuid_bit {
	uint32_t leaf;
	int32_t sub;       /* -1: every subleaf */
	uint8_t reg, bit;  /* CR_EAX..CR_EDX, bit number */
	int8_t needs;      /* enum guest_insn, or NEEDS_NOTHING */
	const char *name;
};

extern const struct cpuid_bit cpuid_offered[];
extern const size_t cpuid_offered_count;

/* True when the table governs register `reg` of (leaf, sub): a register
 * of feature flags (the audited leaves 1, 6, 7, 0xA, 0xD.1, 0x80000001,
 * 0x80000007, 0x80000008 and 0x8000000A). */
bool cpuid_reg_audited(uint32_t leaf, uint32_t sub, unsigned reg);
/* Masks the audited registers of the processor's r[] for (leaf, sub)
 * down to the offered bits whose instruction `backed` says runs. */
void cpuid_filter(uint32_t leaf, uint32_t sub, uint32_t r[4],
		  bool (*backed)(enum guest_insn insn));

#endif
