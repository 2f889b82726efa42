/* vmx_exit.c: entering the guest and dispatching VM exits (Intel SDM
 * vol. 3, chapter 28 and appendix C). The exit table is indexed by the
 * basic exit reason; each handler decodes the exit qualification and
 * calls the shared emulator.
 * Environment: the CPU that runs the vCPU, its VMCS current. Interrupts
 * are off from just before entry until GDTR/IDTR are whole again. */
#include "hv/exit.h"
#include "hv/hv.h"
#include "hv/intr.h"
#include "hv/platform.h"
#include "hv/log.h"
#include "hv/vm.h"
#include "hv/x86.h"
#include "vmx/vmx.h"

#define VMX_SLICE_HZ 100

typedef void (*vmx_exit_fn)(struct vcpu *v, uint64_t qual);

static void on_nothing(struct vcpu *v, uint64_t qual)
{
	(void)v, (void)qual; /* host interrupt or end of the time slice */
}

/* The window opened: drop the request; the injection follows at entry. */
static void on_window(struct vcpu *v, uint64_t qual)
{
	(void)v, (void)qual;
	vmwrite(PROC_CONTROLS, vmread(PROC_CONTROLS) &
			       ~(uint64_t)(PROC_INTR_WINDOW | PROC_NMI_WINDOW));
}

static void on_exception(struct vcpu *v, uint64_t qual)
{
	uint32_t info = (uint32_t)vmread(EXIT_INTR_INFO);
	if (((info >> 8) & 7) == 2)
		return; /* an NMI for the host: taken when interrupts reopen */
	exit_unhandled(v, "exception", info);
	(void)qual;
}

static void on_triple_fault(struct vcpu *v, uint64_t qual)
{
	(void)qual;
	exit_triple_fault(v);
}

static void on_cpuid(struct vcpu *v, uint64_t qual)
{
	(void)qual;
	exit_cpuid(v);
}

static void on_hlt(struct vcpu *v, uint64_t qual)
{
	(void)qual;
	exit_hlt(v);
}

static void on_cache(struct vcpu *v, uint64_t qual)
{
	(void)qual;
	exit_cache_flush(v);
}

static void on_rdmsr(struct vcpu *v, uint64_t qual)
{
	(void)qual;
	exit_rdmsr(v);
}

static void on_wrmsr(struct vcpu *v, uint64_t qual)
{
	(void)qual;
	exit_wrmsr(v);
}

static void on_xsetbv(struct vcpu *v, uint64_t qual)
{
	(void)qual;
	exit_xsetbv(v);
}

static void on_vmcall(struct vcpu *v, uint64_t qual)
{
	(void)qual;
	exit_hypercall(v);
}

/* VMX instructions and others the guest's CPUID denies: #UD. */
static void on_undefined(struct vcpu *v, uint64_t qual)
{
	(void)qual;
	vcpu_ops->inject_exception(v, VEC_UD, false, 0);
}

/* Exit qualification for I/O (Table 28-5). */
static void on_io(struct vcpu *v, uint64_t qual)
{
	uint16_t port = (uint16_t)(qual >> 16);
	unsigned size = (unsigned)(qual & 7) + 1;
	if (qual & (1u << 4))
		exit_string_io(v, port, size, qual & 8);
	else
		exit_io(v, port, size, qual & 8);
}

/* MOV to CR0/CR4 exits only when it touches the bits the hypervisor
 * owns (CR0.NE, CR4.VMXE) (Table 28-3). */
static void on_cr_access(struct vcpu *v, uint64_t qual)
{
	unsigned cr = qual & 15, type = (qual >> 4) & 3, reg = (qual >> 8) & 15;
	uint64_t val = reg == RSP ? vcpu_reg(v, VR_RSP) : v->gpr[reg];
	if (type != 0 || (cr != 0 && cr != 4)) {
		exit_unhandled(v, "CR access", qual);
		return;
	}
	exit_cr_write(v, cr, val);
}

/* Exit qualification for EPT violations (Table 28-7). */
static void on_ept_violation(struct vcpu *v, uint64_t qual)
{
	exit_memory_fault(v, vmread(GUEST_PHYS_ADDR), qual & 2, qual & 4);
}

static void on_bad_guest(struct vcpu *v, uint64_t qual)
{
	exit_entry_failed(v, "invalid guest state", qual);
}

static const vmx_exit_fn exit_table[EXIT_REASON_MAX + 1] = {
	[EXIT_EXC_NMI] = on_exception,
	[EXIT_EXT_INT] = on_nothing,
	[EXIT_PREEMPT_TIMER] = on_nothing,
	[EXIT_INTR_WINDOW] = on_window,
	[EXIT_NMI_WINDOW] = on_window,
	[EXIT_TRIPLE_FAULT] = on_triple_fault,
	[EXIT_CPUID] = on_cpuid,
	[EXIT_HLT] = on_hlt,
	[EXIT_INVD] = on_cache,
	[EXIT_WBINVD] = on_cache,
	[EXIT_RDMSR] = on_rdmsr,
	[EXIT_WRMSR] = on_wrmsr,
	[EXIT_XSETBV] = on_xsetbv,
	[EXIT_IO] = on_io,
	[EXIT_CR_ACCESS] = on_cr_access,
	[EXIT_EPT_VIOLATION] = on_ept_violation,
	[EXIT_BAD_GUEST] = on_bad_guest,
	[EXIT_BAD_MSR_LOAD] = on_bad_guest,
	[EXIT_GETSEC] = on_undefined,
	[EXIT_VMCALL] = on_vmcall,
	[EXIT_VMCLEAR] = on_undefined,
	[EXIT_VMLAUNCH] = on_undefined,
	[EXIT_VMPTRLD] = on_undefined,
	[EXIT_VMPTRST] = on_undefined,
	[EXIT_VMREAD] = on_undefined,
	[EXIT_VMRESUME] = on_undefined,
	[EXIT_VMWRITE] = on_undefined,
	[EXIT_VMXOFF] = on_undefined,
	[EXIT_VMXON] = on_undefined,
	[EXIT_INVEPT] = on_undefined,
	[EXIT_INVVPID] = on_undefined,
	[EXIT_VMFUNC] = on_undefined,
	[EXIT_MWAIT] = on_undefined,
	[EXIT_MONITOR] = on_undefined,
};

static void dispatch(struct vcpu *v)
{
	uint32_t reason = (uint32_t)vmread(EXIT_REASON);
	uint16_t basic = reason & 0xffff;
	if (reason & EXIT_REASON_ENTRY_FAIL) {
		exit_entry_failed(v, basic == EXIT_BAD_GUEST ? "invalid guest state"
							     : "MSR loading or machine check",
				  reason);
		return;
	}
	if (basic <= EXIT_REASON_MAX && exit_table[basic])
		exit_table[basic](v, vmread(EXIT_QUALIFICATION));
	else
		exit_unhandled(v, "vmx", basic);
}

/* An event whose delivery this exit interrupted is delivered again
 * (SDM vol. 3, 28.2.4 and 27.6.1). */
static void reinject_vectoring(struct vmx_vcpu *x)
{
	uint32_t info = (uint32_t)vmread(IDT_VECTORING_INFO);
	if (x->event_injected || !(info & INTR_VALID))
		return;
	vmwrite(ENTRY_INTR_INFO, info & ~(1u << 12));
	if (info & INTR_ERR_VALID)
		vmwrite(ENTRY_EXC_ERROR, vmread(IDT_VECTORING_ERROR));
	vmwrite(ENTRY_INSN_LEN, vmread(EXIT_INSN_LEN));
}

/* The VMX preemption timer ends the run by the vCPU's deadline (a
 * virtual timer) or after a time slice, whichever is first (25.5.1). */
static void set_preemption_timer(struct vcpu *v)
{
	uint64_t now = rdtsc(), slice = plat_tsc_hz() / VMX_SLICE_HZ;
	uint64_t left = v->deadline > now ? v->deadline - now : 0;
	uint64_t ticks = (left < slice ? left : slice) >> (vmx_caps.misc & 0x1f);
	vmwrite(PREEMPTION_TIMER, ticks > 0xffffffffu ? 0xffffffffu : ticks);
}

void vmx_run(struct vcpu *v)
{
	struct vmx_vcpu *x = to_vmx(v);
	intr_prepare_entry(v);
	set_preemption_timer(v);
	fpu_enter_guest(v->xcr0, v->fpu_area);
	msr_enter_guest(v);
	irq_disable();
	write_cr2(v->cr2);
	int failed = vmx_enter(v->gpr, x->launched);
	v->cr2 = read_cr2();
	/* VM exit leaves GDTR and IDTR limits at 0xffff (27.5.2). */
	lgdt(&vmx_host_gdtr);
	lidt(&vmx_host_idtr);
	fpu_leave_guest(v->xcr0, v->fpu_area);
	irq_enable();
	vmwrite(ENTRY_INTR_INFO, 0);
	x->event_injected = false;
	v->exits++;
	if (failed) {
		exit_entry_failed(v, x->launched ? "VMRESUME failed" : "VMLAUNCH failed",
				  vmread(VM_INSN_ERROR));
		return;
	}
	x->launched = true;
	dispatch(v);
	reinject_vectoring(x);
}

void vmx_dump(struct vcpu *v)
{
	hv_log("vmcs: reason 0x%llx qual 0x%llx gpa 0x%llx intr 0x%llx idt 0x%llx "
	       "insn-error %llu", (unsigned long long)vmread(EXIT_REASON),
	       (unsigned long long)vmread(EXIT_QUALIFICATION),
	       (unsigned long long)vmread(GUEST_PHYS_ADDR),
	       (unsigned long long)vmread(EXIT_INTR_INFO),
	       (unsigned long long)vmread(IDT_VECTORING_INFO),
	       (unsigned long long)vmread(VM_INSN_ERROR));
	hv_log("vmcs: rip 0x%llx rsp 0x%llx rflags 0x%llx efer 0x%llx entry %llx",
	       (unsigned long long)vmread(GUEST_RIP),
	       (unsigned long long)vmread(GUEST_RSP),
	       (unsigned long long)vmread(GUEST_RFLAGS),
	       (unsigned long long)vmread(GUEST_EFER),
	       (unsigned long long)vmread(ENTRY_CONTROLS));
	hv_log("vmcs: cr0 0x%llx (shadow 0x%llx) cr3 0x%llx cr4 0x%llx (shadow 0x%llx)",
	       (unsigned long long)vmread(GUEST_CR0),
	       (unsigned long long)vmread(CR0_SHADOW),
	       (unsigned long long)vmread(GUEST_CR3),
	       (unsigned long long)vmread(GUEST_CR4),
	       (unsigned long long)vmread(CR4_SHADOW));
	for (int i = 0; i < NR_SEGS; i++)
		hv_log("vmcs: seg %d sel %04llx ar %05llx limit %08llx base %llx", i,
		       (unsigned long long)vmread(GUEST_SEG_SEL(i)),
		       (unsigned long long)vmread(GUEST_SEG_AR(i)),
		       (unsigned long long)vmread(GUEST_SEG_LIMIT(i)),
		       (unsigned long long)vmread(GUEST_SEG_BASE(i)));
	hv_log("gprs: rax %llx rbx %llx rcx %llx rdx %llx rsi %llx rdi %llx",
	       (unsigned long long)v->gpr[RAX], (unsigned long long)v->gpr[RBX],
	       (unsigned long long)v->gpr[RCX], (unsigned long long)v->gpr[RDX],
	       (unsigned long long)v->gpr[RSI], (unsigned long long)v->gpr[RDI]);
}
