/* msr_rules.h: the table of every MSR a guest may read or write, and
 * where its value lives (hv/msr.c carries the accesses out). Portable:
 * the CPUID audit (tests/unit/hv_cpuid_audit.c) checks against it that
 * every MSR a CPUID bit promises exists. An MSR no rule names raises
 * #GP, as on a processor that lacks it. */
#ifndef HV_MSR_RULES_H
#define HV_MSR_RULES_H
#include <stdbool.h>
#include <stdint.h>

enum msr_kind {
	K_STATE,   /* architectural state, through the vendor's accessors */
	K_STORE,   /* kept for the guest in vcpu->msr_store[where + i] */
	K_CONST,   /* reads `value`; writes dropped or #GP */
	K_TSC,     /* IA32_TSC: the guest's TSC, through the TSC offset */
	K_EFER,    /* EFER, with its own checks */
	K_TSC_AUX, /* IA32_TSC_AUX, read by RDTSCP and RDPID */
	K_LAPIC,   /* the local APIC's (APIC base, TSC deadline, x2APIC) */
};

struct msr_rule {
	uint32_t first, last;
	enum msr_kind kind;
	unsigned where;       /* enum vreg for K_STATE, store slot, ... */
	uint64_t value;       /* K_CONST: the value read */
	bool ignore_write;    /* K_CONST: writes dropped (else #GP) */
};

/* The rule covering `msr`, or NULL: the MSR does not exist. */
const struct msr_rule *msr_rule_find(uint32_t msr);

#endif
