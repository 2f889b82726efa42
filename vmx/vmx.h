/* vmx.h: VT-x internals shared by the files of vmx/: the VMX
 * instructions as inline functions and the per-vCPU VMX state. */
#ifndef VMX_VMX_H
#define VMX_VMX_H
#include <stdbool.h>
#include <stdint.h>
#include "hv/vcpu.h"
#include "vmx/vmcs.h"

struct vmx_vcpu {
	void *vmcs;
	uint64_t vmcs_pa;
	bool launched;
	bool event_injected;
};

struct vmx_caps {
	uint64_t basic, misc, ept_vpid;
	uint32_t pin[2], proc[2], proc2[2], exit[2], entry[2]; /* allowed 0, 1 */
	uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
};

extern struct vmx_caps vmx_caps;
extern struct dtr vmx_host_gdtr, vmx_host_idtr;

static inline struct vmx_vcpu *to_vmx(struct vcpu *v)
{
	return v->vendor;
}

static inline uint64_t vmread(uint64_t field)
{
	uint64_t v = 0;
	__asm__ volatile("vmread %1, %0" : "=rm"(v) : "r"(field) : "cc");
	return v;
}

static inline void vmwrite(uint64_t field, uint64_t val)
{
	__asm__ volatile("vmwrite %1, %0" : : "r"(field), "rm"(val) : "cc");
}

/* vmx_entry.S: 0 after a VM exit, 1 when VMLAUNCH/VMRESUME failed. */
int vmx_enter(uint64_t *gprs, int launched);
void vmx_exit_point(void);

status_t vmx_cpu_enable(void);
status_t vmx_setup_vmcs(struct vcpu *v);
void vmx_run(struct vcpu *v);
void vmx_dump(struct vcpu *v);
uint32_t vmx_adjust(const uint32_t allowed[2], uint32_t want);

#endif
