/* svm.h: AMD-V internals shared by the files of svm/. */
#ifndef SVM_SVM_H
#define SVM_SVM_H
#include <stdint.h>
#include "hv/vcpu.h"
#include "svm/vmcb.h"

#define MSR_VM_CR 0xc0010114
#define MSR_VM_HSAVE_PA 0xc0010117
#define VM_CR_SVMDIS (1u << 4)

/* CPUID 0x8000000A EDX (APM vol. 3, E.4.9). */
#define SVM_FEAT_NP (1u << 0)
#define SVM_FEAT_NRIPS (1u << 3)

struct svm_vcpu {
	struct vmcb *vmcb;
	uint64_t vmcb_pa;
	uint64_t next_rip;    /* RIP after the instruction being handled */
	uint8_t *iopm, *msrpm;
	int event_injected;   /* an event was queued during this exit */
	int nmi_masked;       /* an injected NMI's handler has not IRETed */
};

extern uint32_t svm_features;
extern uint64_t svm_host_vmcb_pa;

static inline struct svm_vcpu *to_svm(struct vcpu *v)
{
	return v->vendor;
}

/* svm_entry.S: VMLOAD, VMRUN, VMSAVE with the guest's GPRs loaded. */
void svm_vmrun(uint64_t vmcb_pa, uint64_t *gprs, uint64_t host_vmcb_pa);
void svm_run(struct vcpu *v);
void svm_dump(struct vcpu *v);

#endif
