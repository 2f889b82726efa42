/* vcpu.h: one virtual CPU and the vendor operations table. The vendor
 * (vmx/ or svm/) is chosen once at boot by picking its `const` ops table;
 * shared code reaches guest state only through these accessors.
 * A vCPU runs on one physical CPU; vcpu_ops calls are made from it. */
#ifndef HV_VCPU_H
#define HV_VCPU_H
#include <stdbool.h>
#include <stdint.h>
#include "status.h"
#include "hv/cpu_state.h"

struct vm;
struct npt_format;
struct lapic;

/* Registers the exit emulators read and write often. */
enum vreg { VR_RIP, VR_RSP, VR_RFLAGS, VR_CR0, VR_CR3, VR_CR4, VR_EFER,
	    VR_CPL, VR_PAT, VR_TSC_OFFSET, VR_FS_BASE, VR_GS_BASE, VR_KGS_BASE,
	    VR_STAR, VR_LSTAR, VR_CSTAR, VR_SFMASK, VR_SYSENTER_CS,
	    VR_SYSENTER_ESP, VR_SYSENTER_EIP, VR_CS_BASE, VR_CS_ATTR, VR_CR2,
	    NR_VREGS };

/* Instructions a CPUID bit enables whose running depends on the vendor's
 * controls (cpuid.c offers the bit only where insn_backed says yes). */
enum guest_insn { INSN_RDTSCP, INSN_RDPID };

/* MSRs the hypervisor keeps for the guest (msr.c). */
enum { MSRS_MTRR_VAR, MSRS_MTRR_FIX = MSRS_MTRR_VAR + 16,
       MSRS_MTRR_DEF = MSRS_MTRR_FIX + 11, MSRS_MISC_ENABLE, NR_MSR_STORE };

struct vcpu {
	struct vm *vm;
	unsigned id;
	/* GPRs live here across exits; RSP is kept in the VMCS/VMCB and
	 * mirrored here only by get_state. Entry code loads/saves them. */
	uint64_t gpr[NR_GPRS];
	uint64_t cr2;
	uint64_t xcr0;     /* guest's XCR0 (loaded while it runs) */
	void *fpu_area;    /* guest x87/SSE/AVX state while host code runs */
	bool halted;
	struct lapic *lapic;
	uint64_t msr_store[NR_MSR_STORE];
	uint64_t tsc_aux;  /* IA32_TSC_AUX (msr.c; in the processor while it runs) */
	void *vendor;      /* the VMCS or VMCB and friends */
	uint64_t deadline; /* clock value by which the next run must exit */
	uint64_t exits;
};

struct vcpu_ops {
	const char *name;
	const struct npt_format *npt_format;
	/* Turns the extensions on for this physical CPU; prints caps. */
	status_t (*cpu_enable)(void);
	status_t (*vcpu_create)(struct vcpu *vcpu);
	void (*vcpu_destroy)(struct vcpu *vcpu);
	void (*get_state)(struct vcpu *vcpu, struct cpu_state *cs);
	void (*set_state)(struct vcpu *vcpu, const struct cpu_state *cs);
	uint64_t (*get_reg)(struct vcpu *vcpu, enum vreg reg);
	void (*set_reg)(struct vcpu *vcpu, enum vreg reg, uint64_t val);
	/* Enters the guest once and handles the exit that ends the run. */
	void (*run)(struct vcpu *vcpu);
	void (*inject_exception)(struct vcpu *vcpu, uint8_t vector,
				 bool has_error, uint32_t error);
	/* Moves RIP past the instruction whose exit is being handled. */
	void (*skip_instruction)(struct vcpu *vcpu);
	/* Prints the VMCS or VMCB to the console. */
	void (*dump)(struct vcpu *vcpu);
	/* Drops cached nested translations after permissions were reduced. */
	void (*flush_npt)(struct vcpu *vcpu);
	/* Event injection (SDM vol. 3, 27.6; APM vol. 2, 15.20-15.21). */
	bool (*event_pending)(struct vcpu *vcpu);
	bool (*interrupt_allowed)(struct vcpu *vcpu);
	bool (*nmi_allowed)(struct vcpu *vcpu);
	void (*inject_interrupt)(struct vcpu *vcpu, uint8_t vector);
	void (*inject_nmi)(struct vcpu *vcpu);
	/* Exit as soon as the guest can take an interrupt (irq) or NMI. */
	void (*request_window)(struct vcpu *vcpu, bool irq, bool nmi);
	/* True when the guest can run `insn` (natively or through an exit
	 * handler) on this processor with this vendor's controls. */
	bool (*insn_backed)(enum guest_insn insn);
};

extern const struct vcpu_ops vmx_ops, svm_ops;
extern const struct vcpu_ops *vcpu_ops;

static inline uint64_t vcpu_reg(struct vcpu *v, enum vreg r)
{
	return vcpu_ops->get_reg(v, r);
}
static inline void vcpu_set_reg(struct vcpu *v, enum vreg r, uint64_t val)
{
	vcpu_ops->set_reg(v, r, val);
}

#endif
