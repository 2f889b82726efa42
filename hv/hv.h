/* hv.h: the hypervisor's entry and the pieces of the core that other
 * core files call. */
#ifndef HV_HV_H
#define HV_HV_H
#include <stdint.h>
#include "status.h"

struct vm;

/* Detects the vendor, enables it, loads hv.cfg and runs the VM. */
void hv_main(void);

status_t vm_mem_create(struct vm *vm, uint64_t size);
void vm_mem_destroy(struct vm *vm);
/* Write-protects all guest RAM (a snapshot's capture begins). */
void vm_mem_protect(struct vm *vm);
/* Gives [gpa, gpa+size) its normal permissions back. */
void vm_mem_unprotect(struct vm *vm, uint64_t gpa, uint64_t size);
/* Loads the configured kernel into a created VM and sets vCPU 0. */
status_t vm_load_guest(struct vm *vm);

struct vcpu;
/* Power-on values of the MSRs the hypervisor keeps for a vCPU (msr.c). */
void msr_init_vcpu(struct vcpu *v);
/* Loads what the guest reads from MSRs without an exit (IA32_TSC_AUX);
 * the vendor's run calls it before each entry. */
void msr_enter_guest(struct vcpu *v);

/* Guest FPU/SSE/AVX state around host code (fpu.c). */
status_t fpu_init(void);
uint64_t fpu_guest_xcr0_mask(void);
void fpu_enter_guest(uint64_t guest_xcr0, void *area);
void fpu_leave_guest(uint64_t guest_xcr0, void *area);
/* The guest's XSAVE image: room for every component. */
#define FPU_AREA_PAGES 4
#define FPU_AREA_SIZE (FPU_AREA_PAGES * 4096)
void *fpu_alloc_area(void);

#endif
