/* msr.c: RDMSR and WRMSR through the policy table of msr_rules.c. Every
 * guest MSR access exits (the vendors intercept them all); a rule says
 * where the value lives: in the vCPU's architectural state (VMCS/VMCB or
 * the hardware, through the accessors), in a per-vCPU store, the local
 * APIC, or a constant. An MSR no rule names raises #GP. */
#include "hv/exit.h"
#include "hv/hv.h"
#include "hv/lapic.h"
#include "hv/log.h"
#include "hv/msr_rules.h"
#include "hv/vm.h"
#include "hv/x86.h"

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

/* IA32_TSC_AUX exists where CPUID offers RDTSCP or RDPID (SDM vol. 4,
 * Table 2-2; APM vol. 2, 13.2.4). */
static bool tsc_aux_offered(struct vcpu *v)
{
	uint32_t e[4], s[4];
	cpuid_guest(v, 0x80000001u, 0, e);
	cpuid_guest(v, 7, 0, s);
	return ((e[3] >> 27) & 1) || ((s[2] >> 22) & 1);
}

static bool msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	const struct msr_rule *r = msr_rule_find(msr);
	if (!r)
		return false;
	switch (r->kind) {
	case K_LAPIC: return v->lapic && lapic_rdmsr(v->lapic, msr, val);
	case K_TSC_AUX:
		*val = v->tsc_aux;
		return tsc_aux_offered(v);
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
	const struct msr_rule *r = msr_rule_find(msr);
	if (!r)
		return false;
	switch (r->kind) {
	case K_LAPIC: return v->lapic && lapic_wrmsr(v->lapic, msr, val);
	case K_TSC_AUX: /* bits 63:32 are reserved (KVM: #GP) */
		if (!tsc_aux_offered(v) || (val >> 32))
			return false;
		v->tsc_aux = val;
		return true;
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

/* RDTSCP and RDPID read IA32_TSC_AUX in the guest without an exit, and
 * neither VMX nor SVM switches it, so the processor holds the guest's
 * value while the guest runs. Nothing on the host side (the firmware,
 * the hypervisor) reads it, so it is written only when it changes and
 * the firmware's value is not kept. One cached value per processor:
 * each runs one vCPU at a time. */
static uint64_t loaded_tsc_aux = ~0ull;

void msr_enter_guest(struct vcpu *v)
{
	static int have = -1;
	if (have < 0) {
		uint32_t e[4] = { 0 }, s[4] = { 0 };
		cpuid(0x80000000u, 0, e);
		if (e[0] >= 0x80000001u)
			cpuid(0x80000001u, 0, e);
		cpuid(0, 0, s);
		if (s[0] >= 7)
			cpuid(7, 0, s);
		else
			s[2] = 0;
		have = ((e[3] >> 27) & 1) || ((s[2] >> 22) & 1);
	}
	if (have && v->tsc_aux != loaded_tsc_aux) {
		wrmsr(MSR_TSC_AUX, v->tsc_aux);
		loaded_tsc_aux = v->tsc_aux;
	}
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
