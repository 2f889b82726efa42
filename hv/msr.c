/* msr.c: RDMSR and WRMSR through a policy table. Every guest MSR access
 * exits (the vendors intercept them all); a rule says where the value
 * lives: in the vCPU's architectural state (VMCS/VMCB or the hardware,
 * through the accessors), in a per-vCPU store, or a constant. An MSR no
 * rule names raises #GP, as on a processor that lacks it. */
#include "hv/exit.h"
#include "hv/hv.h"
#include "hv/lapic.h"
#include "hv/log.h"
#include "hv/vm.h"
#include "hv/x86.h"

enum msr_kind { K_STATE, K_STORE, K_CONST, K_TSC, K_EFER };

struct msr_rule {
	uint32_t first, last;
	enum msr_kind kind;
	unsigned where;       /* enum vreg for K_STATE, store slot, ... */
	uint64_t value;       /* K_CONST: the value read */
	bool ignore_write;    /* K_CONST: writes dropped (else #GP) */
};

static const struct msr_rule rules[] = {
	{ 0x10, 0x10, K_TSC, 0, 0, 0 },
	{ 0x17, 0x17, K_CONST, 0, 0, true },            /* platform ID */
	/* Locked with VMX off: guests do not try VMXON (SDM vol. 3, 23.7). */
	{ 0x3a, 0x3a, K_CONST, 0, 1, false },
	{ 0x8b, 0x8b, K_CONST, 0, 0, true },            /* microcode rev */
	{ 0xfe, 0xfe, K_CONST, 0, 0x508, false },       /* MTRRcap: 8 var, fixed, WC */
	{ 0x174, 0x174, K_STATE, VR_SYSENTER_CS, 0, 0 },
	{ 0x175, 0x175, K_STATE, VR_SYSENTER_ESP, 0, 0 },
	{ 0x176, 0x176, K_STATE, VR_SYSENTER_EIP, 0, 0 },
	{ 0x1a0, 0x1a0, K_STORE, MSRS_MISC_ENABLE, 0, 0 }, /* misc enable */
	{ 0x1d9, 0x1d9, K_CONST, 0, 0, true },          /* debugctl */
	{ 0x200, 0x20f, K_STORE, MSRS_MTRR_VAR, 0, 0 },
	{ 0x250, 0x250, K_STORE, MSRS_MTRR_FIX, 0, 0 },
	{ 0x258, 0x259, K_STORE, MSRS_MTRR_FIX + 1, 0, 0 },
	{ 0x268, 0x26f, K_STORE, MSRS_MTRR_FIX + 3, 0, 0 },
	{ 0x277, 0x277, K_STATE, VR_PAT, 0, 0 },
	{ 0x2ff, 0x2ff, K_STORE, MSRS_MTRR_DEF, 0, 0 },
	{ MSR_EFER, MSR_EFER, K_EFER, 0, 0, 0 },
	{ MSR_STAR, MSR_STAR, K_STATE, VR_STAR, 0, 0 },
	{ MSR_LSTAR, MSR_LSTAR, K_STATE, VR_LSTAR, 0, 0 },
	{ MSR_CSTAR, MSR_CSTAR, K_STATE, VR_CSTAR, 0, 0 },
	{ MSR_SFMASK, MSR_SFMASK, K_STATE, VR_SFMASK, 0, 0 },
	{ MSR_FS_BASE, MSR_FS_BASE, K_STATE, VR_FS_BASE, 0, 0 },
	{ MSR_GS_BASE, MSR_GS_BASE, K_STATE, VR_GS_BASE, 0, 0 },
	{ MSR_KERNEL_GS_BASE, MSR_KERNEL_GS_BASE, K_STATE, VR_KGS_BASE, 0, 0 },
	{ 0xc0010010, 0xc0010010, K_CONST, 0, 0, true }, /* AMD SYSCFG */
	{ 0xc0010015, 0xc0010015, K_CONST, 0, 0, true }, /* AMD HWCR */
	/* AMD interrupt-pending message: no C1E, which Linux probes on K8. */
	{ 0xc0010055, 0xc0010055, K_CONST, 0, 0, true },
	/* AMD VM_CR: SVM disabled and locked (APM vol. 2, 15.30.1). */
	{ 0xc0010114, 0xc0010114, K_CONST, 0, 0x18, true },
};

static const struct msr_rule *find_rule(uint32_t msr)
{
	for (unsigned i = 0; i < sizeof rules / sizeof rules[0]; i++)
		if (msr >= rules[i].first && msr <= rules[i].last)
			return &rules[i];
	return NULL;
}

/* Base-address MSRs take addresses canonical for the processor's
 * linear-address width (CPUID 0x80000008 EAX[15:8]: 48, or 57 with
 * 5-level paging), whether or not CR4.LA57 is on (SDM vol. 4, 2.1). */
static bool canonical(struct vcpu *v, uint64_t a)
{
	uint32_t r[4];
	cpuid_guest(v, 0x80000008u, 0, r);
	unsigned bits = (r[0] >> 8) & 0xff;
	if (bits < 48 || bits > 64)
		bits = 48;
	unsigned shift = 64 - bits;
	return shift == 0 || (uint64_t)((int64_t)(a << shift) >> shift) == a;
}

/* The MSRs that hold linear addresses; STAR, SFMASK, PAT and
 * SYSENTER_CS hold other things and take any value. */
static bool holds_address(unsigned reg)
{
	switch (reg) {
	case VR_FS_BASE: case VR_GS_BASE: case VR_KGS_BASE: case VR_LSTAR:
	case VR_CSTAR: case VR_SYSENTER_ESP: case VR_SYSENTER_EIP:
		return true;
	}
	return false;
}

/* Changing LME while paging is on is #GP (SDM vol. 3, 10.8.5). */
static bool efer_write(struct vcpu *v, uint64_t val)
{
	uint64_t old = vcpu_reg(v, VR_EFER);
	uint64_t allowed = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
	if (val & ~allowed)
		return false;
	if ((vcpu_reg(v, VR_CR0) & CR0_PG) && ((val ^ old) & EFER_LME))
		return false;
	vcpu_set_reg(v, VR_EFER, (val & ~EFER_LMA) | (old & EFER_LMA));
	return true;
}

static bool msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	const struct msr_rule *r = find_rule(msr);
	if (!r) /* IA32_APIC_BASE, TSC_DEADLINE, x2APIC registers */
		return v->lapic && lapic_rdmsr(v->lapic, msr, val);
	switch (r->kind) {
	case K_STATE: *val = vcpu_reg(v, (enum vreg)r->where); break;
	case K_STORE: *val = v->msr_store[r->where + (msr - r->first)]; break;
	case K_CONST: *val = r->value; break;
	case K_TSC: *val = rdtsc() + vcpu_reg(v, VR_TSC_OFFSET); break;
	case K_EFER: *val = vcpu_reg(v, VR_EFER); break;
	}
	return true;
}

static bool msr_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
	const struct msr_rule *r = find_rule(msr);
	if (!r)
		return v->lapic && lapic_wrmsr(v->lapic, msr, val);
	switch (r->kind) {
	case K_STATE:
		if (holds_address(r->where) && !canonical(v, val))
			return false;
		vcpu_set_reg(v, (enum vreg)r->where, val);
		return true;
	case K_STORE:
		v->msr_store[r->where + (msr - r->first)] = val;
		return true;
	case K_CONST:
		return r->ignore_write;
	case K_TSC:
		vcpu_set_reg(v, VR_TSC_OFFSET, val - rdtsc());
		return true;
	case K_EFER:
		return efer_write(v, val);
	}
	return false;
}

/* Power-on values of the stored MSRs: MISC_ENABLE with fast strings on
 * and BTS/PEBS unavailable (SDM vol. 4, Table 2-2). */
void msr_init_vcpu(struct vcpu *v)
{
	v->msr_store[MSRS_MISC_ENABLE] = 0x1801;
}

void exit_rdmsr(struct vcpu *v)
{
	uint64_t val = 0;
	if (!msr_read(v, (uint32_t)v->gpr[RCX], &val)) {
		vcpu_ops->inject_exception(v, VEC_GP, true, 0);
		return;
	}
	v->gpr[RAX] = (uint32_t)val;
	v->gpr[RDX] = val >> 32;
	vcpu_ops->skip_instruction(v);
}

void exit_wrmsr(struct vcpu *v)
{
	uint64_t val = (v->gpr[RDX] << 32) | (uint32_t)v->gpr[RAX];
	if (!msr_write(v, (uint32_t)v->gpr[RCX], val)) {
		vcpu_ops->inject_exception(v, VEC_GP, true, 0);
		return;
	}
	vcpu_ops->skip_instruction(v);
}
