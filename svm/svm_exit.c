/* svm_exit.c: entering the guest and dispatching #VMEXITs (AMD APM vol.
 * 2, 15.6 and appendix C). The exit table is indexed by the exit code;
 * each handler decodes what the VMCB says and calls the shared emulator.
 * Without next-RIP saving (QEMU's TCG), instruction lengths come from
 * EXITINFO2 for I/O and from the fixed encodings otherwise.
 * Environment: the CPU that runs the vCPU, GIF toggled here. */
#include "hv/exit.h"
#include "hv/hv.h"
#include "hv/intr.h"
#include "hv/log.h"
#include "hv/platform.h"
#include "hv/vm.h"
#include "hv/x86.h"
#include "svm/svm.h"

typedef void (*svm_exit_fn)(struct vcpu *v, struct vmcb *c);

static void on_intr(struct vcpu *v, struct vmcb *c)
{
	(void)v, (void)c; /* taken by the host at STGI */
}

static void on_vintr(struct vcpu *v, struct vmcb *c)
{
	(void)v;
	c->vintr &= ~(VINTR_V_IRQ | VINTR_PRIO_MAX | VINTR_IGN_TPR);
	c->intercept1 &= ~I1_VINTR;
}

static void on_iret(struct vcpu *v, struct vmcb *c)
{
	to_svm(v)->nmi_masked = 0;
	c->intercept1 &= ~I1_IRET;
}

static void on_cpuid(struct vcpu *v, struct vmcb *c)
{
	(void)c;
	exit_cpuid(v);
}

static void on_msr(struct vcpu *v, struct vmcb *c)
{
	if (c->exit_info1 & 1)
		exit_wrmsr(v);
	else
		exit_rdmsr(v);
}

/* EXITINFO1 for IOIO (APM vol. 2, 15.10.2, Figure 15-2). */
static void on_ioio(struct vcpu *v, struct vmcb *c)
{
	uint64_t info = c->exit_info1;
	unsigned size = (info & (1u << 4)) ? 1 : (info & (1u << 5)) ? 2 : 4;
	to_svm(v)->next_rip = c->exit_info2;
	if (info & (1u << 2))
		exit_string_io(v, (uint16_t)(info >> 16), size, info & 1);
	else
		exit_io(v, (uint16_t)(info >> 16), size, info & 1);
}

static void on_hlt(struct vcpu *v, struct vmcb *c)
{
	(void)c;
	exit_hlt(v);
}

static void on_invd(struct vcpu *v, struct vmcb *c)
{
	(void)c;
	exit_cache_flush(v);
}

static void on_xsetbv(struct vcpu *v, struct vmcb *c)
{
	(void)c;
	exit_xsetbv(v);
}

static void on_shutdown(struct vcpu *v, struct vmcb *c)
{
	(void)c;
	exit_triple_fault(v);
}

static void on_vmmcall(struct vcpu *v, struct vmcb *c)
{
	(void)c;
	exit_hypercall(v);
}

/* Instructions the guest's CPUID says are absent: #UD. */
static void on_undefined(struct vcpu *v, struct vmcb *c)
{
	(void)c;
	vcpu_ops->inject_exception(v, VEC_UD, false, 0);
}

/* EXITINFO1 is a #PF-style error code; EXITINFO2 the guest-physical
 * address (APM vol. 2, 15.25.6). */
static void on_npf(struct vcpu *v, struct vmcb *c)
{
	exit_memory_fault(v, c->exit_info2, c->exit_info1 & 2,
			  c->exit_info1 & 16);
}

static const svm_exit_fn exit_table[SVM_EXIT_MAX + 1] = {
	[SVM_EXIT_INTR] = on_intr,
	[SVM_EXIT_NMI] = on_intr,
	[SVM_EXIT_SMI] = on_intr,
	[SVM_EXIT_VINTR] = on_vintr,
	[SVM_EXIT_IRET] = on_iret,
	[SVM_EXIT_CPUID] = on_cpuid,
	[SVM_EXIT_INVD] = on_invd,
	[SVM_EXIT_WBINVD] = on_invd,
	[SVM_EXIT_HLT] = on_hlt,
	[SVM_EXIT_IOIO] = on_ioio,
	[SVM_EXIT_MSR] = on_msr,
	[SVM_EXIT_SHUTDOWN] = on_shutdown,
	[SVM_EXIT_XSETBV] = on_xsetbv,
	[SVM_EXIT_VMRUN] = on_undefined,
	[SVM_EXIT_VMMCALL] = on_vmmcall,
	[SVM_EXIT_VMLOAD] = on_undefined,
	[SVM_EXIT_VMSAVE] = on_undefined,
	[SVM_EXIT_STGI] = on_undefined,
	[SVM_EXIT_CLGI] = on_undefined,
	[SVM_EXIT_SKINIT] = on_undefined,
	[SVM_EXIT_INVLPGA] = on_undefined,
	[SVM_EXIT_MONITOR] = on_undefined,
	[SVM_EXIT_MWAIT] = on_undefined,
	[SVM_EXIT_MWAIT_COND] = on_undefined,
	[SVM_EXIT_RDPRU] = on_undefined,
	[SVM_EXIT_NPF] = on_npf,
};

/* Length of the intercepted instruction where the encoding fixes it. */
static unsigned fixed_length(uint64_t code)
{
	switch (code) {
	case SVM_EXIT_HLT: return 1;
	case SVM_EXIT_CPUID: case SVM_EXIT_MSR: case SVM_EXIT_INVD:
	case SVM_EXIT_WBINVD: return 2;
	case SVM_EXIT_XSETBV: case SVM_EXIT_VMMCALL: case SVM_EXIT_MONITOR:
	case SVM_EXIT_MWAIT: case SVM_EXIT_RDTSCP: return 3;
	default: return 0;
	}
}

static void dispatch(struct vcpu *v, struct vmcb *c)
{
	uint64_t code = c->exit_code;
	if ((uint32_t)code == 0xffffffffu) {
		exit_entry_failed(v, "VMEXIT_INVALID: the VMCB holds illegal state",
				  code);
		return;
	}
	to_svm(v)->next_rip = (svm_features & SVM_FEAT_NRIPS) && c->next_rip
				      ? c->next_rip
				      : c->rip + fixed_length(code);
	if (code <= SVM_EXIT_MAX && exit_table[code])
		exit_table[code](v, c);
	else
		exit_unhandled(v, "svm", code);
}

void svm_run(struct vcpu *v)
{
	struct svm_vcpu *s = to_svm(v);
	struct vmcb *c = s->vmcb;
	intr_prepare_entry(v);
	if (v->deadline != UINT64_MAX)
		plat_timer_arm(v->deadline);
	fpu_enter_guest(v->xcr0, v->fpu_area);
	msr_enter_guest(v);
	__asm__ volatile("clgi" ::: "memory");
	svm_vmrun(s->vmcb_pa, v->gpr, svm_host_vmcb_pa);
	v->gpr[RAX] = c->rax;
	fpu_leave_guest(v->xcr0, v->fpu_area);
	__asm__ volatile("stgi" ::: "memory");
	c->tlb_control = 0;
	c->event_inj = 0;
	s->event_injected = 0;
	v->exits++;
	dispatch(v, c);
	c->rax = v->gpr[RAX];
	/* An event cut short by this exit is delivered again (15.7.2). */
	if (!s->event_injected && (c->exit_int_info & EVT_VALID))
		c->event_inj = c->exit_int_info;
}

void svm_dump(struct vcpu *v)
{
	struct vmcb *c = to_svm(v)->vmcb;
	hv_log("vmcb: exit 0x%llx info1 0x%llx info2 0x%llx intinfo 0x%llx",
	       (unsigned long long)c->exit_code, (unsigned long long)c->exit_info1,
	       (unsigned long long)c->exit_info2,
	       (unsigned long long)c->exit_int_info);
	hv_log("vmcb: rip 0x%llx rsp 0x%llx rflags 0x%llx cpl %u efer 0x%llx",
	       (unsigned long long)c->rip, (unsigned long long)c->rsp,
	       (unsigned long long)c->rflags, c->cpl, (unsigned long long)c->efer);
	hv_log("vmcb: cr0 0x%llx cr2 0x%llx cr3 0x%llx cr4 0x%llx",
	       (unsigned long long)c->cr0, (unsigned long long)c->cr2,
	       (unsigned long long)c->cr3, (unsigned long long)c->cr4);
	hv_log("vmcb: cs %04x/%03x/%08x/%llx ss %04x/%03x ds %04x/%03x tr %04x/%03x",
	       c->cs.sel, c->cs.attr, c->cs.limit, (unsigned long long)c->cs.base,
	       c->ss.sel, c->ss.attr, c->ds.sel, c->ds.attr, c->tr.sel, c->tr.attr);
	hv_log("vmcb: gdtr %llx/%x idtr %llx/%x ncr3 0x%llx event_inj 0x%llx",
	       (unsigned long long)c->gdtr.base, c->gdtr.limit,
	       (unsigned long long)c->idtr.base, c->idtr.limit,
	       (unsigned long long)c->ncr3, (unsigned long long)c->event_inj);
	hv_log("gprs: rax %llx rbx %llx rcx %llx rdx %llx rsi %llx rdi %llx",
	       (unsigned long long)c->rax, (unsigned long long)v->gpr[RBX],
	       (unsigned long long)v->gpr[RCX], (unsigned long long)v->gpr[RDX],
	       (unsigned long long)v->gpr[RSI], (unsigned long long)v->gpr[RDI]);
}
