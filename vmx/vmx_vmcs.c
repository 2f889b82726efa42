/* vmx_vmcs.c: a new vCPU's VMCS: controls, host state and the fixed
 * parts of guest state (Intel SDM vol. 3, chapter 25 and 26.2-26.3).
 * Every port and MSR access exits; HLT, CR0.NE and CR4.VMXE are the
 * hypervisor's; the preemption timer bounds a run to ~10 ms so the
 * service loop runs even if host interrupts stay pending (Bochs).
 * Environment: the CPU that runs the vCPU, after VMXON. */
#include <string.h>
#include "hv/log.h"
#include "hv/platform.h"
#include "hv/vm.h"
#include "hv/x86.h"
#include "vmx/vmx.h"


static status_t set_controls(struct vcpu *v)
{
	const struct vmx_caps *c = &vmx_caps;
	uint32_t pin = PIN_EXT_INT_EXIT | PIN_NMI_EXIT | PIN_PREEMPT_TIMER |
		       (c->pin[1] & PIN_VIRTUAL_NMIS);
	/* TSC offsetting: a restored snapshot's TSC goes on from its value
	 * (SDM vol. 3, 26.6.5); it is 0 until then. */
	uint32_t proc = PROC_TSC_OFFSET | PROC_HLT_EXIT | PROC_MWAIT_EXIT |
			PROC_MONITOR_EXIT | PROC_UNCOND_IO | PROC_SECONDARY;
	/* RDTSCP and RDPID run in the guest, reading IA32_TSC_AUX, which
	 * msr_enter_guest() loads; without the control they raise #UD. */
	uint32_t proc2 = PROC2_EPT | PROC2_UNRESTRICTED |
			 (c->proc2[1] & PROC2_RDTSCP);
	uint32_t exit = EXIT_HOST_64 | EXIT_SAVE_PAT | EXIT_LOAD_PAT |
			EXIT_SAVE_EFER | EXIT_LOAD_EFER;
	uint32_t entry = ENTRY_LOAD_DEBUG | ENTRY_LOAD_PAT | ENTRY_LOAD_EFER;
	if ((pin & ~c->pin[1]) || (exit & ~c->exit[1]) || (entry & ~c->entry[1])) {
		hv_log("vmx: missing controls pin %x exit %x entry %x",
		       pin & ~c->pin[1], exit & ~c->exit[1], entry & ~c->entry[1]);
		return ST_ENODEV;
	}
	vmwrite(PIN_CONTROLS, vmx_adjust(c->pin, pin));
	/* CR3 load/store exits are not needed with EPT (allowed 0 with the
	 * TRUE controls). */
	vmwrite(PROC_CONTROLS, (vmx_adjust(c->proc, proc) &
			       ~(PROC_CR3_LOAD | PROC_CR3_STORE)) | c->proc[0]);
	vmwrite(PROC_CONTROLS2, vmx_adjust(c->proc2, proc2));
	vmwrite(EXIT_CONTROLS, vmx_adjust(c->exit, exit));
	vmwrite(ENTRY_CONTROLS, vmx_adjust(c->entry, entry));
	vmwrite(EXCEPTION_BITMAP, 0);
	vmwrite(CR3_TARGET_COUNT, 0);
	vmwrite(EXIT_MSR_STORE_COUNT, 0);
	vmwrite(EXIT_MSR_LOAD_COUNT, 0);
	vmwrite(ENTRY_MSR_LOAD_COUNT, 0);
	vmwrite(ENTRY_INTR_INFO, 0);
	/* EPTP (25.6.11): write-back, 4-level walk. */
	vmwrite(EPT_POINTER, v->vm->npt.root_pa | 6 | (3 << 3));
	vmwrite(CR0_MASK, CR0_NE);
	vmwrite(CR4_MASK, CR4_VMXE);
	vmwrite(VMCS_LINK_PTR, ~0ull);
	vmwrite(TSC_OFFSET, 0);
	return ST_OK;
}

static void set_host_state(void)
{
	vmwrite(HOST_CR0, read_cr0());
	vmwrite(HOST_CR3, read_cr3());
	vmwrite(HOST_CR4, read_cr4());
	vmwrite(HOST_CS_SEL, read_cs() & ~7);
	vmwrite(HOST_SS_SEL, read_ss() & ~7);
	vmwrite(HOST_DS_SEL, read_ds() & ~7);
	vmwrite(HOST_ES_SEL, read_es() & ~7);
	vmwrite(HOST_FS_SEL, read_fs() & ~7);
	vmwrite(HOST_GS_SEL, read_gs() & ~7);
	vmwrite(HOST_TR_SEL, read_tr());
	vmwrite(HOST_FS_BASE, rdmsr(MSR_FS_BASE));
	vmwrite(HOST_GS_BASE, rdmsr(MSR_GS_BASE));
	vmwrite(HOST_TR_BASE, vmx_host_gdtr.base + PAGE_SIZE);
	vmwrite(HOST_GDTR_BASE, vmx_host_gdtr.base);
	vmwrite(HOST_IDTR_BASE, vmx_host_idtr.base);
	vmwrite(HOST_SYSENTER_CS, rdmsr(0x174));
	vmwrite(HOST_SYSENTER_ESP, rdmsr(0x175));
	vmwrite(HOST_SYSENTER_EIP, rdmsr(0x176));
	vmwrite(HOST_PAT, rdmsr(MSR_IA32_PAT));
	vmwrite(HOST_EFER, rdmsr(MSR_EFER));
	vmwrite(HOST_RIP, (uint64_t)(uintptr_t)vmx_exit_point);
}

status_t vmx_setup_vmcs(struct vcpu *v)
{
	struct vmx_vcpu *x = to_vmx(v);
	uint8_t fail;
	*(uint32_t *)x->vmcs = (uint32_t)vmx_caps.basic & 0x7fffffff;
	__asm__ volatile("vmclear %1; setna %0" : "=r"(fail) : "m"(x->vmcs_pa)
			 : "cc", "memory");
	if (!fail)
		__asm__ volatile("vmptrld %1; setna %0" : "=r"(fail)
				 : "m"(x->vmcs_pa) : "cc", "memory");
	if (fail) {
		hv_log("vmx: VMCLEAR/VMPTRLD failed");
		return ST_ENODEV;
	}
	x->launched = false;
	set_host_state();
	return set_controls(v);
}
