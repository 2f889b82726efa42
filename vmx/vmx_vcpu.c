/* vmx_vcpu.c: the vCPU accessors over the VMCS and vmx_ops, the table
 * hv/ calls (Intel SDM vol. 3, chapters 25-27). CR0.NE and CR4.VMXE
 * belong to the hypervisor: the guest sees its own values through the
 * read shadows. The guest's SYSCALL MSRs and KERNEL_GS_BASE stay in the
 * hardware registers (the firmware host never uses them).
 * Environment: the CPU that runs the vCPU, its VMCS current. */
#include <string.h>
#include "hv/npt.h"
#include "hv/platform.h"
#include "hv/vm.h"
#include "hv/x86.h"
#include "vmx/vmx.h"

static status_t vmx_vcpu_create(struct vcpu *v)
{
	struct vmx_vcpu *x = plat_alloc_pages(1);
	if (!x)
		return ST_ENOMEM;
	memset(x, 0, PAGE_SIZE);
	v->vendor = x;
	x->vmcs = plat_alloc_pages(1);
	if (!x->vmcs)
		return ST_ENOMEM;
	memset(x->vmcs, 0, PAGE_SIZE);
	x->vmcs_pa = (uint64_t)(uintptr_t)x->vmcs;
	return vmx_setup_vmcs(v);
}

static void vmx_vcpu_destroy(struct vcpu *v)
{
	struct vmx_vcpu *x = v->vendor;
	if (!x)
		return;
	if (x->vmcs) {
		__asm__ volatile("vmclear %0" : : "m"(x->vmcs_pa) : "cc", "memory");
		plat_free_pages(x->vmcs, 1);
	}
	plat_free_pages(x, 1);
	v->vendor = NULL;
}

/* Neutral attributes (access byte, then AVL/L/D/G in bits 8-11) to the
 * VMCS access-rights format (25.4.1, Table 25-2) and back. */
static uint32_t attr_to_ar(uint16_t attr)
{
	if (!attr)
		return VMX_AR_UNUSABLE;
	return (attr & 0xffu) | ((attr & 0xf00u) << 4);
}

static uint16_t ar_to_attr(uint32_t ar)
{
	if (ar & VMX_AR_UNUSABLE)
		return 0;
	return (uint16_t)((ar & 0xff) | ((ar >> 4) & 0xf00));
}

/* What the guest reads: its own bits from the VMCS guest field, the
 * hypervisor's bits from the read shadow (SDM vol. 3, 25.6.6). */
static uint64_t guest_visible(enum vmcs_field real, enum vmcs_field shadow,
			      uint64_t mask)
{
	return (vmread(real) & ~mask) | (vmread(shadow) & mask);
}

static uint64_t guest_cr0(void)
{
	return guest_visible(GUEST_CR0, CR0_SHADOW, CR0_NE);
}

static uint64_t guest_cr4(void)
{
	return guest_visible(GUEST_CR4, CR4_SHADOW, CR4_VMXE);
}

static void set_guest_cr0(struct vcpu *v, uint64_t val)
{
	(void)v;
	vmwrite(CR0_SHADOW, val);
	vmwrite(GUEST_CR0, (val | (vmx_caps.cr0_fixed0 & ~(CR0_PE | CR0_PG))) &
				   vmx_caps.cr0_fixed1);
}

static void set_guest_cr4(struct vcpu *v, uint64_t val)
{
	(void)v;
	vmwrite(CR4_SHADOW, val);
	vmwrite(GUEST_CR4, (val | vmx_caps.cr4_fixed0) & vmx_caps.cr4_fixed1);
}

/* EFER.LMA and the "IA-32e mode guest" entry control move together. */
static void set_guest_efer(uint64_t val)
{
	uint32_t entry = (uint32_t)vmread(ENTRY_CONTROLS);
	vmwrite(GUEST_EFER, val);
	vmwrite(ENTRY_CONTROLS, (val & EFER_LMA) ? entry | ENTRY_IA32E
						 : entry & ~ENTRY_IA32E);
}

static void vmx_get_state(struct vcpu *v, struct cpu_state *cs)
{
	memcpy(cs->gpr, v->gpr, sizeof cs->gpr);
	cs->gpr[RSP] = vmread(GUEST_RSP);
	cs->rip = vmread(GUEST_RIP), cs->rflags = vmread(GUEST_RFLAGS);
	cs->cr0 = guest_cr0(), cs->cr4 = guest_cr4();
	cs->cr2 = v->cr2, cs->cr3 = vmread(GUEST_CR3);
	cs->efer = vmread(GUEST_EFER), cs->xcr0 = v->xcr0;
	cs->dr7 = vmread(GUEST_DR7), cs->dr6 = 0xffff0ff0;
	for (int i = 0; i < NR_SEGS; i++)
		cs->seg[i] = (struct seg){ (uint16_t)vmread(GUEST_SEG_SEL(i)),
					   ar_to_attr((uint32_t)vmread(GUEST_SEG_AR(i))),
					   (uint32_t)vmread(GUEST_SEG_LIMIT(i)),
					   vmread(GUEST_SEG_BASE(i)) };
	cs->gdtr = (struct dtable){ vmread(GUEST_GDTR_BASE),
				    (uint32_t)vmread(GUEST_GDTR_LIMIT) };
	cs->idtr = (struct dtable){ vmread(GUEST_IDTR_BASE),
				    (uint32_t)vmread(GUEST_IDTR_LIMIT) };
	cs->sysenter_cs = vmread(GUEST_SYSENTER_CS);
	cs->sysenter_esp = vmread(GUEST_SYSENTER_ESP);
	cs->sysenter_eip = vmread(GUEST_SYSENTER_EIP);
	cs->star = rdmsr(MSR_STAR), cs->lstar = rdmsr(MSR_LSTAR);
	cs->cstar = rdmsr(MSR_CSTAR), cs->sfmask = rdmsr(MSR_SFMASK);
	cs->kernel_gs_base = rdmsr(MSR_KERNEL_GS_BASE);
	cs->pat = vmread(GUEST_PAT);
	cs->intr_shadow = vmread(GUEST_INTERRUPTIBILITY) & 3;
	cs->halted = v->halted;
}

static void vmx_set_state(struct vcpu *v, const struct cpu_state *cs)
{
	memcpy(v->gpr, cs->gpr, sizeof v->gpr);
	vmwrite(GUEST_RSP, cs->gpr[RSP]);
	vmwrite(GUEST_RIP, cs->rip);
	vmwrite(GUEST_RFLAGS, cs->rflags | RFLAGS_RESERVED1);
	set_guest_cr0(v, cs->cr0);
	set_guest_cr4(v, cs->cr4);
	v->cr2 = cs->cr2;
	vmwrite(GUEST_CR3, cs->cr3);
	set_guest_efer(cs->efer);
	v->xcr0 = cs->xcr0 ? cs->xcr0 : 1;
	vmwrite(GUEST_DR7, cs->dr7);
	vmwrite(GUEST_DEBUGCTL, 0);
	for (int i = 0; i < NR_SEGS; i++) {
		vmwrite(GUEST_SEG_SEL(i), cs->seg[i].sel);
		vmwrite(GUEST_SEG_AR(i), attr_to_ar(cs->seg[i].attr));
		vmwrite(GUEST_SEG_LIMIT(i), cs->seg[i].limit);
		vmwrite(GUEST_SEG_BASE(i), cs->seg[i].base);
	}
	vmwrite(GUEST_GDTR_BASE, cs->gdtr.base);
	vmwrite(GUEST_GDTR_LIMIT, cs->gdtr.limit);
	vmwrite(GUEST_IDTR_BASE, cs->idtr.base);
	vmwrite(GUEST_IDTR_LIMIT, cs->idtr.limit);
	vmwrite(GUEST_SYSENTER_CS, cs->sysenter_cs);
	vmwrite(GUEST_SYSENTER_ESP, cs->sysenter_esp);
	vmwrite(GUEST_SYSENTER_EIP, cs->sysenter_eip);
	wrmsr(MSR_STAR, cs->star), wrmsr(MSR_LSTAR, cs->lstar);
	wrmsr(MSR_CSTAR, cs->cstar), wrmsr(MSR_SFMASK, cs->sfmask);
	wrmsr(MSR_KERNEL_GS_BASE, cs->kernel_gs_base);
	vmwrite(GUEST_PAT, cs->pat);
	vmwrite(GUEST_INTERRUPTIBILITY, cs->intr_shadow & 3);
	vmwrite(GUEST_ACTIVITY, 0);
	vmwrite(GUEST_PENDING_DBG, 0);
	/* A new state drops an event queued for the old one (an apply). */
	vmwrite(ENTRY_INTR_INFO, 0);
	to_vmx(v)->event_injected = false;
	v->halted = cs->halted;
}

static const uint32_t natural_field[NR_VREGS] = {
	[VR_RIP] = GUEST_RIP, [VR_RSP] = GUEST_RSP, [VR_RFLAGS] = GUEST_RFLAGS,
	[VR_CR3] = GUEST_CR3, [VR_PAT] = GUEST_PAT, [VR_TSC_OFFSET] = TSC_OFFSET,
	[VR_FS_BASE] = GUEST_SEG_BASE(SEG_FS), [VR_GS_BASE] = GUEST_SEG_BASE(SEG_GS),
	[VR_SYSENTER_CS] = GUEST_SYSENTER_CS, [VR_SYSENTER_ESP] = GUEST_SYSENTER_ESP,
	[VR_SYSENTER_EIP] = GUEST_SYSENTER_EIP, [VR_CS_BASE] = GUEST_SEG_BASE(SEG_CS),
};

static const uint32_t hw_msr[NR_VREGS] = {
	[VR_KGS_BASE] = MSR_KERNEL_GS_BASE, [VR_STAR] = MSR_STAR,
	[VR_LSTAR] = MSR_LSTAR, [VR_CSTAR] = MSR_CSTAR, [VR_SFMASK] = MSR_SFMASK,
};

static uint64_t vmx_get_reg(struct vcpu *v, enum vreg r)
{
	switch (r) {
	case VR_CR0: return guest_cr0();
	case VR_CR4: return guest_cr4();
	case VR_EFER: return vmread(GUEST_EFER);
	case VR_CR2: return v->cr2;
	case VR_CPL: return (vmread(GUEST_SEG_AR(SEG_SS)) >> 5) & 3;
	case VR_CS_ATTR: return ar_to_attr((uint32_t)vmread(GUEST_SEG_AR(SEG_CS)));
	default:
		if (hw_msr[r])
			return rdmsr(hw_msr[r]);
		return vmread(natural_field[r]);
	}
}

static void vmx_set_reg(struct vcpu *v, enum vreg r, uint64_t val)
{
	switch (r) {
	case VR_CR0: set_guest_cr0(v, val); break;
	case VR_CR4: set_guest_cr4(v, val); break;
	case VR_EFER: set_guest_efer(val); break;
	case VR_CR2: v->cr2 = val; break;
	case VR_CPL: case VR_CS_ATTR: break;
	default:
		if (hw_msr[r])
			wrmsr(hw_msr[r], val);
		else
			vmwrite(natural_field[r], val);
	}
}

static void vmx_inject(struct vcpu *v, uint8_t vector, bool has_error,
		       uint32_t error)
{
	vmwrite(ENTRY_INTR_INFO, vector | INTR_TYPE_HW_EXC | INTR_VALID |
					 (has_error ? INTR_ERR_VALID : 0));
	if (has_error)
		vmwrite(ENTRY_EXC_ERROR, error);
	to_vmx(v)->event_injected = true;
}

/* Past the instruction; blocking by STI or MOV SS ends with it. */
static void vmx_skip(struct vcpu *v)
{
	(void)v;
	vmwrite(GUEST_RIP, vmread(GUEST_RIP) + vmread(EXIT_INSN_LEN));
	vmwrite(GUEST_INTERRUPTIBILITY, vmread(GUEST_INTERRUPTIBILITY) & ~3ull);
}

static bool vmx_event_pending(struct vcpu *v)
{
	(void)v;
	return (vmread(ENTRY_INTR_INFO) & INTR_VALID) != 0;
}

static bool vmx_interrupt_allowed(struct vcpu *v)
{
	return (vmread(GUEST_RFLAGS) & RFLAGS_IF) &&
	       !(vmread(GUEST_INTERRUPTIBILITY) & (BLOCK_STI | BLOCK_MOV_SS)) &&
	       !vmx_event_pending(v);
}

/* With virtual NMIs the processor keeps "blocking by NMI" until the
 * handler's IRET (SDM vol. 3, 26.3 and 27.3). */
static bool vmx_nmi_allowed(struct vcpu *v)
{
	return !(vmread(GUEST_INTERRUPTIBILITY) &
		 (BLOCK_STI | BLOCK_MOV_SS | BLOCK_NMI)) &&
	       !vmx_event_pending(v);
}

static void vmx_inject_interrupt(struct vcpu *v, uint8_t vector)
{
	vmwrite(ENTRY_INTR_INFO, vector | INTR_TYPE_EXT | INTR_VALID);
	to_vmx(v)->event_injected = true;
}

static void vmx_inject_nmi(struct vcpu *v)
{
	vmwrite(ENTRY_INTR_INFO, VEC_NMI | INTR_TYPE_NMI | INTR_VALID);
	to_vmx(v)->event_injected = true;
}

static void vmx_request_window(struct vcpu *v, bool irq, bool nmi)
{
	uint32_t proc = (uint32_t)vmread(PROC_CONTROLS);
	(void)v;
	if (irq)
		proc |= PROC_INTR_WINDOW;
	if (nmi && (vmx_caps.proc[1] & PROC_NMI_WINDOW))
		proc |= PROC_NMI_WINDOW;
	vmwrite(PROC_CONTROLS, proc);
}

/* INVEPT, all contexts (SDM vol. 2, INVEPT type 2). */
static void vmx_flush_npt(struct vcpu *v)
{
	struct { uint64_t eptp, zero; } desc = { vmread(EPT_POINTER), 0 };
	(void)v;
	__asm__ volatile("invept %0, %1" : : "m"(desc), "r"(2ull) : "cc", "memory");
}

/* RDTSCP and RDPID run in the guest when the processor lets us set
 * "enable RDTSCP" (SDM vol. 3, 25.6.2; set in vmx_vmcs.c), else #UD. */
static bool vmx_insn_backed(enum guest_insn insn)
{
	bool rdtscp = vmx_caps.proc2[1] & PROC2_RDTSCP;
	return (insn == INSN_RDTSCP || insn == INSN_RDPID) && rdtscp;
}

const struct vcpu_ops vmx_ops = {
	.name = "vmx",
	.npt_format = &npt_format_ept,
	.cpu_enable = vmx_cpu_enable,
	.vcpu_create = vmx_vcpu_create,
	.vcpu_destroy = vmx_vcpu_destroy,
	.get_state = vmx_get_state,
	.set_state = vmx_set_state,
	.get_reg = vmx_get_reg,
	.set_reg = vmx_set_reg,
	.run = vmx_run,
	.inject_exception = vmx_inject,
	.skip_instruction = vmx_skip,
	.dump = vmx_dump,
	.flush_npt = vmx_flush_npt,
	.event_pending = vmx_event_pending,
	.interrupt_allowed = vmx_interrupt_allowed,
	.nmi_allowed = vmx_nmi_allowed,
	.inject_interrupt = vmx_inject_interrupt,
	.inject_nmi = vmx_inject_nmi,
	.request_window = vmx_request_window,
	.insn_backed = vmx_insn_backed,
};
