/* svm.c: AMD-V for one physical CPU and the vCPU accessors over the VMCB
 * (AMD APM vol. 2, chapter 15). svm_ops is the table hv/ calls.
 * Environment: the CPU that runs the vCPU, CPL 0, boot services. */
#include <string.h>
#include "hv/log.h"
#include "hv/npt.h"
#include "hv/platform.h"
#include "hv/vm.h"
#include "hv/x86.h"
#include "svm/svm.h"

uint32_t svm_features;
uint64_t svm_host_vmcb_pa;

static const char *const feature_names[] = {
	"NP", "LbrVirt", "SVML", "NRIPS", "TscRateMsr", "VmcbClean",
	"FlushByAsid", "DecodeAssists", NULL, NULL, "PauseFilter", NULL,
	"PauseFilterThreshold", "AVIC", NULL, "VMSAVEvirt", "VGIF",
};

static void print_caps(const uint32_t r[4])
{
	char names[256] = "";
	size_t n = 0;
	for (unsigned i = 0; i < sizeof feature_names / sizeof *feature_names; i++)
		if ((r[3] >> i) & 1 && feature_names[i]) {
			size_t l = strlen(feature_names[i]);
			if (n + l + 2 >= sizeof names)
				break;
			memcpy(names + n, feature_names[i], l);
			n += l;
			names[n++] = ' ';
			names[n] = 0;
		}
	hv_log("svm: revision %u, %u ASIDs, features 0x%08x: %s", r[0] & 0xff,
	       r[1], r[3], names);
}

/* APM vol. 2, 15.4: VM_CR.SVMDIS set means the firmware locked SVM off;
 * EFER.SVME turns it on; VM_HSAVE_PA names the host save area. */
static status_t svm_cpu_enable(void)
{
	uint32_t r[4];
	cpuid(0x8000000au, 0, r);
	svm_features = r[3];
	print_caps(r);
	if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS) {
		hv_log("svm: disabled by the firmware (VM_CR.SVMDIS)");
		return ST_ENODEV;
	}
	if (!(svm_features & SVM_FEAT_NP)) {
		hv_log("svm: no nested paging: cannot run guests");
		return ST_ENODEV;
	}
	void *hsave = plat_alloc_pages(1), *host_vmcb = plat_alloc_pages(1);
	if (!hsave || !host_vmcb)
		return ST_ENOMEM;
	memset(hsave, 0, PAGE_SIZE);
	memset(host_vmcb, 0, PAGE_SIZE);
	svm_host_vmcb_pa = (uint64_t)(uintptr_t)host_vmcb;
	cpuid(0x80000001u, 0, r);
	uint64_t efer = rdmsr(MSR_EFER) | EFER_SVME;
	if (r[3] & (1u << 20)) /* NX: nested entries may use bit 63 */
		efer |= EFER_NXE;
	wrmsr(MSR_EFER, efer);
	wrmsr(MSR_VM_HSAVE_PA, (uint64_t)(uintptr_t)hsave);
	hv_log("svm: enabled (EFER.SVME), nested paging on, next-RIP %s",
	       (svm_features & SVM_FEAT_NRIPS) ? "saved" : "computed");
	/* No preemption timer in AMD-V: virtual timers of a busy guest need
	 * a host interrupt at their deadline. */
	if (plat_timer_init())
		hv_log("svm: no host timer (HPET); a running guest's timers "
		       "wait for the firmware's tick");
	return ST_OK;
}

static void *alloc_filled(size_t pages, int byte)
{
	void *p = plat_alloc_pages(pages);
	if (p)
		memset(p, byte, pages * PAGE_SIZE);
	return p;
}

static void setup_controls(struct vcpu *v, struct svm_vcpu *s)
{
	struct vmcb *c = s->vmcb;
	c->intercept1 = I1_INTR | I1_NMI | I1_SMI | I1_CPUID | I1_INVD | I1_HLT |
			I1_INVLPGA | I1_IOIO | I1_MSR | I1_TASK_SWITCH | I1_SHUTDOWN;
	c->intercept2 = I2_VMRUN | I2_VMMCALL | I2_VMLOAD | I2_VMSAVE | I2_STGI |
			I2_CLGI | I2_SKINIT | I2_WBINVD | I2_MONITOR |
			I2_MWAIT | I2_MWAIT_COND | I2_XSETBV | I2_RDPRU;
	c->iopm_pa = (uint64_t)(uintptr_t)s->iopm;
	c->msrpm_pa = (uint64_t)(uintptr_t)s->msrpm;
	c->asid = 1;
	c->vintr = VINTR_MASKING;
	c->np_control = NP_ENABLE;
	c->ncr3 = v->vm->npt.root_pa;
	c->tlb_control = TLB_FLUSH_ALL;
}

static status_t svm_vcpu_create(struct vcpu *v)
{
	struct svm_vcpu *s = alloc_filled(1, 0);
	if (!s)
		return ST_ENOMEM;
	v->vendor = s;
	s->vmcb = alloc_filled(1, 0);
	s->iopm = alloc_filled(3, 0xff);   /* every port intercepted */
	s->msrpm = alloc_filled(2, 0xff);  /* every MSR intercepted */
	if (!s->vmcb || !s->iopm || !s->msrpm)
		return ST_ENOMEM;
	s->vmcb_pa = (uint64_t)(uintptr_t)s->vmcb;
	setup_controls(v, s);
	return ST_OK;
}

static void svm_vcpu_destroy(struct vcpu *v)
{
	struct svm_vcpu *s = v->vendor;
	if (!s)
		return;
	plat_free_pages(s->vmcb, 1);
	plat_free_pages(s->iopm, 3);
	plat_free_pages(s->msrpm, 2);
	plat_free_pages(s, 1);
	v->vendor = NULL;
}

static struct vmcb_seg *vmcb_seg(struct vmcb *c, int i)
{
	struct vmcb_seg *map[NR_SEGS] = { &c->es, &c->cs, &c->ss, &c->ds,
					  &c->fs, &c->gs, &c->ldtr, &c->tr };
	return map[i];
}

static void svm_get_state(struct vcpu *v, struct cpu_state *cs)
{
	struct vmcb *c = to_svm(v)->vmcb;
	memcpy(cs->gpr, v->gpr, sizeof cs->gpr);
	cs->gpr[RAX] = c->rax, cs->gpr[RSP] = c->rsp;
	cs->rip = c->rip, cs->rflags = c->rflags;
	cs->cr0 = c->cr0, cs->cr2 = c->cr2, cs->cr3 = c->cr3, cs->cr4 = c->cr4;
	cs->efer = c->efer & ~EFER_SVME, cs->xcr0 = v->xcr0;
	cs->dr6 = c->dr6, cs->dr7 = c->dr7;
	for (int i = 0; i < NR_SEGS; i++) {
		struct vmcb_seg *s = vmcb_seg(c, i);
		cs->seg[i] = (struct seg){ s->sel, s->attr, s->limit, s->base };
	}
	cs->gdtr = (struct dtable){ c->gdtr.base, c->gdtr.limit };
	cs->idtr = (struct dtable){ c->idtr.base, c->idtr.limit };
	cs->sysenter_cs = c->sysenter_cs, cs->sysenter_esp = c->sysenter_esp;
	cs->sysenter_eip = c->sysenter_eip, cs->star = c->star;
	cs->lstar = c->lstar, cs->cstar = c->cstar, cs->sfmask = c->sfmask;
	cs->kernel_gs_base = c->kernel_gs_base, cs->pat = c->g_pat;
	cs->intr_shadow = c->int_state & 1;
	cs->halted = v->halted;
}

static void svm_set_state(struct vcpu *v, const struct cpu_state *cs)
{
	struct vmcb *c = to_svm(v)->vmcb;
	memcpy(v->gpr, cs->gpr, sizeof v->gpr);
	c->rax = cs->gpr[RAX], c->rsp = cs->gpr[RSP];
	c->rip = cs->rip, c->rflags = cs->rflags | RFLAGS_RESERVED1;
	c->cr0 = cs->cr0, c->cr2 = cs->cr2, c->cr3 = cs->cr3, c->cr4 = cs->cr4;
	c->efer = cs->efer | EFER_SVME;
	v->xcr0 = cs->xcr0 ? cs->xcr0 : 1;
	c->dr6 = cs->dr6, c->dr7 = cs->dr7;
	for (int i = 0; i < NR_SEGS; i++) {
		struct vmcb_seg *s = vmcb_seg(c, i);
		*s = (struct vmcb_seg){ cs->seg[i].sel, cs->seg[i].attr,
					cs->seg[i].limit, cs->seg[i].base };
	}
	c->gdtr = (struct vmcb_seg){ 0, 0, cs->gdtr.limit, cs->gdtr.base };
	c->idtr = (struct vmcb_seg){ 0, 0, cs->idtr.limit, cs->idtr.base };
	/* QEMU takes the CPL from SS.DPL: keep the two equal. */
	c->cpl = (cs->seg[SEG_SS].attr >> 5) & 3;
	c->sysenter_cs = cs->sysenter_cs, c->sysenter_esp = cs->sysenter_esp;
	c->sysenter_eip = cs->sysenter_eip, c->star = cs->star;
	c->lstar = cs->lstar, c->cstar = cs->cstar, c->sfmask = cs->sfmask;
	c->kernel_gs_base = cs->kernel_gs_base, c->g_pat = cs->pat;
	c->int_state = cs->intr_shadow & 1;
	c->event_inj = 0; /* an event queued for the old state (an apply) */
	v->halted = cs->halted;
	c->clean = 0;
}

static uint64_t *reg_slot(struct vmcb *c, enum vreg r)
{
	switch (r) {
	case VR_RIP: return &c->rip;
	case VR_RSP: return &c->rsp;
	case VR_RFLAGS: return &c->rflags;
	case VR_CR0: return &c->cr0;
	case VR_CR3: return &c->cr3;
	case VR_CR4: return &c->cr4;
	case VR_PAT: return &c->g_pat;
	case VR_TSC_OFFSET: return &c->tsc_offset;
	case VR_FS_BASE: return &c->fs.base;
	case VR_GS_BASE: return &c->gs.base;
	case VR_KGS_BASE: return &c->kernel_gs_base;
	case VR_STAR: return &c->star;
	case VR_LSTAR: return &c->lstar;
	case VR_CSTAR: return &c->cstar;
	case VR_SFMASK: return &c->sfmask;
	case VR_SYSENTER_CS: return &c->sysenter_cs;
	case VR_SYSENTER_ESP: return &c->sysenter_esp;
	case VR_SYSENTER_EIP: return &c->sysenter_eip;
	case VR_CS_BASE: return &c->cs.base;
	case VR_CR2: return &c->cr2;
	default: return NULL;
	}
}

static uint64_t svm_get_reg(struct vcpu *v, enum vreg r)
{
	struct vmcb *c = to_svm(v)->vmcb;
	switch (r) {
	case VR_EFER: return c->efer & ~EFER_SVME;
	case VR_CPL: return c->cpl;
	case VR_CS_ATTR: return c->cs.attr;
	default: return *reg_slot(c, r);
	}
}

/* EFER keeps SVME for the guest: VMRUN refuses a guest without it. */
static void svm_set_reg(struct vcpu *v, enum vreg r, uint64_t val)
{
	struct vmcb *c = to_svm(v)->vmcb;
	uint64_t *slot = reg_slot(c, r);
	if (r == VR_EFER)
		c->efer = val | EFER_SVME;
	else if (slot)
		*slot = val;
	c->clean = 0;
}

static void svm_inject(struct vcpu *v, uint8_t vector, bool has_error,
		       uint32_t error)
{
	struct svm_vcpu *s = to_svm(v);
	s->vmcb->event_inj = vector | EVT_TYPE_EXC | EVT_VALID |
			     (has_error ? EVT_ERR_VALID : 0) |
			     ((uint64_t)error << 32);
	s->event_injected = 1;
}

static void svm_skip(struct vcpu *v)
{
	struct svm_vcpu *s = to_svm(v);
	s->vmcb->rip = s->next_rip;
	s->vmcb->int_state &= ~1ull; /* the STI/MOV SS shadow ends here */
}

static bool svm_event_pending(struct vcpu *v)
{
	return (to_svm(v)->vmcb->event_inj & EVT_VALID) != 0;
}

static bool svm_interrupt_allowed(struct vcpu *v)
{
	struct vmcb *c = to_svm(v)->vmcb;
	return (c->rflags & RFLAGS_IF) && !(c->int_state & 1) &&
	       !svm_event_pending(v);
}

static bool svm_nmi_allowed(struct vcpu *v)
{
	return !to_svm(v)->nmi_masked && !(to_svm(v)->vmcb->int_state & 1) &&
	       !svm_event_pending(v);
}

static void svm_inject_interrupt(struct vcpu *v, uint8_t vector)
{
	struct svm_vcpu *s = to_svm(v);
	s->vmcb->event_inj = vector | EVT_TYPE_INTR | EVT_VALID;
	s->event_injected = 1;
}

/* The hardware does not track NMI blocking for injected NMIs: hold
 * further NMIs until the handler's IRET, which is intercepted. */
static void svm_inject_nmi(struct vcpu *v)
{
	struct svm_vcpu *s = to_svm(v);
	s->vmcb->event_inj = VEC_NMI | EVT_TYPE_NMI | EVT_VALID;
	s->event_injected = 1;
	s->nmi_masked = 1;
	s->vmcb->intercept1 |= I1_IRET;
}

/* A virtual interrupt request (V_IRQ) makes the processor exit with
 * VINTR as soon as the guest could take it (APM vol. 2, 15.21.4). */
static void svm_request_window(struct vcpu *v, bool irq, bool nmi)
{
	struct vmcb *c = to_svm(v)->vmcb;
	(void)nmi; /* the IRET intercept ends an NMI's blocking */
	if (irq) {
		c->vintr |= VINTR_V_IRQ | VINTR_PRIO_MAX | VINTR_IGN_TPR;
		c->intercept1 |= I1_VINTR;
	}
}

static void svm_flush_npt(struct vcpu *v)
{
	to_svm(v)->vmcb->tlb_control = TLB_FLUSH_ALL;
}

/* RDTSCP and RDPID are not intercepted: they read the TSC (with the
 * VMCB's offset) and IA32_TSC_AUX, which msr_enter_guest() loads. */
static bool svm_insn_backed(enum guest_insn insn)
{
	return insn == INSN_RDTSCP || insn == INSN_RDPID;
}

const struct vcpu_ops svm_ops = {
	.name = "svm",
	.npt_format = &npt_format_amd,
	.cpu_enable = svm_cpu_enable,
	.vcpu_create = svm_vcpu_create,
	.vcpu_destroy = svm_vcpu_destroy,
	.get_state = svm_get_state,
	.set_state = svm_set_state,
	.get_reg = svm_get_reg,
	.set_reg = svm_set_reg,
	.run = svm_run,
	.inject_exception = svm_inject,
	.skip_instruction = svm_skip,
	.dump = svm_dump,
	.flush_npt = svm_flush_npt,
	.event_pending = svm_event_pending,
	.interrupt_allowed = svm_interrupt_allowed,
	.nmi_allowed = svm_nmi_allowed,
	.inject_interrupt = svm_inject_interrupt,
	.inject_nmi = svm_inject_nmi,
	.request_window = svm_request_window,
	.insn_backed = svm_insn_backed,
};
