/* msr_rules.c: the MSR table (msr_rules.h). KVM's behaviour is the
 * reference where the manuals leave room: performance counters of a
 * processor without a virtual PMU read 0 and drop writes.
 * Portable: data and a lookup. */
#include <stddef.h>
#include "hv/msr_rules.h"
#include "hv/vcpu.h"
#include "hv/x86.h"

static const struct msr_rule rules[] = {
	{ 0x10, 0x10, K_TSC, 0, 0, 0 },
	{ 0x17, 0x17, K_CONST, 0, 0, true },            /* platform ID */
	{ 0x1b, 0x1b, K_LAPIC, 0, 0, 0 },               /* IA32_APIC_BASE */
	/* Locked with VMX off: guests do not try VMXON (SDM vol. 3, 23.7). */
	{ 0x3a, 0x3a, K_CONST, 0, 1, false },
	{ 0x8b, 0x8b, K_CONST, 0, 0, true },            /* microcode rev */
	/* P6 counters PERFCTR0-1 and PERFEVTSEL0-1 (SDM vol. 4, Table 2-2):
	 * no PMU (CPUID 0xA is 0), read as 0 as KVM does without one. */
	{ 0xc1, 0xc2, K_CONST, 0, 0, true },
	{ 0xfe, 0xfe, K_CONST, 0, 0x508, false },       /* MTRRcap: 8 var, fixed, WC */
	{ 0x174, 0x174, K_STATE, VR_SYSENTER_CS, 0, 0 },
	{ 0x175, 0x175, K_STATE, VR_SYSENTER_ESP, 0, 0 },
	{ 0x176, 0x176, K_STATE, VR_SYSENTER_EIP, 0, 0 },
	{ 0x186, 0x187, K_CONST, 0, 0, true },
	{ 0x1a0, 0x1a0, K_STORE, MSRS_MISC_ENABLE, 0, 0 }, /* misc enable */
	{ 0x1d9, 0x1d9, K_CONST, 0, 0, true },          /* debugctl */
	{ 0x200, 0x20f, K_STORE, MSRS_MTRR_VAR, 0, 0 },
	{ 0x250, 0x250, K_STORE, MSRS_MTRR_FIX, 0, 0 },
	{ 0x258, 0x259, K_STORE, MSRS_MTRR_FIX + 1, 0, 0 },
	{ 0x268, 0x26f, K_STORE, MSRS_MTRR_FIX + 3, 0, 0 },
	{ 0x277, 0x277, K_STATE, VR_PAT, 0, 0 },
	{ 0x2ff, 0x2ff, K_STORE, MSRS_MTRR_DEF, 0, 0 },
	{ 0x6e0, 0x6e0, K_LAPIC, 0, 0, 0 },             /* IA32_TSC_DEADLINE */
	{ 0x800, 0x8ff, K_LAPIC, 0, 0, 0 },             /* x2APIC registers */
	{ MSR_EFER, MSR_EFER, K_EFER, 0, 0, 0 },
	{ MSR_STAR, MSR_STAR, K_STATE, VR_STAR, 0, 0 },
	{ MSR_LSTAR, MSR_LSTAR, K_STATE, VR_LSTAR, 0, 0 },
	{ MSR_CSTAR, MSR_CSTAR, K_STATE, VR_CSTAR, 0, 0 },
	{ MSR_SFMASK, MSR_SFMASK, K_STATE, VR_SFMASK, 0, 0 },
	{ MSR_FS_BASE, MSR_FS_BASE, K_STATE, VR_FS_BASE, 0, 0 },
	{ MSR_GS_BASE, MSR_GS_BASE, K_STATE, VR_GS_BASE, 0, 0 },
	{ MSR_KERNEL_GS_BASE, MSR_KERNEL_GS_BASE, K_STATE, VR_KGS_BASE, 0, 0 },
	{ MSR_TSC_AUX, MSR_TSC_AUX, K_TSC_AUX, 0, 0, 0 },
	/* AMD's legacy PerfEvtSel0-3 and PerfCtr0-3 exist on every AMD64
	 * processor whatever CPUID says (APM vol. 2, 13.2.1): no PMU here,
	 * so they read 0 and drop writes, as under KVM without a vPMU. */
	{ 0xc0010000, 0xc0010007, K_CONST, 0, 0, true },
	{ 0xc0010010, 0xc0010010, K_CONST, 0, 0, true }, /* AMD SYSCFG */
	{ 0xc0010015, 0xc0010015, K_CONST, 0, 0, true }, /* AMD HWCR */
	/* AMD interrupt-pending message: no C1E, which Linux probes on K8. */
	{ 0xc0010055, 0xc0010055, K_CONST, 0, 0, true },
	/* AMD VM_CR: SVM disabled and locked (APM vol. 2, 15.30.1). */
	{ 0xc0010114, 0xc0010114, K_CONST, 0, 0x18, true },
};

const struct msr_rule *msr_rule_find(uint32_t msr)
{
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
		if (msr >= rules[i].first && msr <= rules[i].last)
			return &rules[i];
	return NULL;
}
