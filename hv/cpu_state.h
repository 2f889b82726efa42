/* cpu_state.h: a vCPU's architectural state in vendor-neutral form. The
 * vendor code converts to and from its VMCS or VMCB; the loaders fill it
 * for a guest's entry and snapshots serialize it. */
#ifndef HV_CPU_STATE_H
#define HV_CPU_STATE_H
#include <stdint.h>

/* General registers, indexed by their x86 encoding (SDM vol. 2, 2.1.5). */
enum gpr { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12,
	   R13, R14, R15, NR_GPRS };

/* A segment register with its hidden part. `attr` is the descriptor's
 * access byte in bits 0-7 and its AVL/L/D/G nibble in bits 8-11 (the
 * VMCB's packed form, AMD APM vol. 2, 15.5.1); 0 means unusable. */
struct seg {
	uint16_t sel;
	uint16_t attr;
	uint32_t limit;
	uint64_t base;
};

struct dtable {
	uint64_t base;
	uint32_t limit;
};

enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR,
       NR_SEGS };

struct cpu_state {
	uint64_t gpr[NR_GPRS];
	uint64_t rip, rflags;
	uint64_t cr0, cr2, cr3, cr4, efer, xcr0;
	uint64_t dr6, dr7;
	struct seg seg[NR_SEGS];
	struct dtable gdtr, idtr;
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
	uint64_t star, lstar, cstar, sfmask, kernel_gs_base, pat;
	uint32_t intr_shadow; /* blocking by STI / MOV SS */
	uint32_t halted;
};

/* The state a loader hands a kernel: everything zero but the reset
 * values of RFLAGS, XCR0, DR6, DR7 and PAT, flat 4 GiB segments with
 * code at selector 0x10 (access and flags `code_attr`) and data at 0x18,
 * and unused LDTR and a busy TSS, which VM entry requires. */
static inline void cpu_state_flat(struct cpu_state *cs, uint16_t code_attr)
{
	*cs = (struct cpu_state){ .rflags = 0x2, .xcr0 = 1, .dr6 = 0xffff0ff0,
				  .dr7 = 0x400, .pat = 0x0007040600070406ull };
	for (int s = 0; s < NR_SEGS; s++)
		cs->seg[s] = (struct seg){ 0x18, 0xc93, 0xffffffff, 0 };
	cs->seg[SEG_CS] = (struct seg){ 0x10, code_attr, 0xffffffff, 0 };
	cs->seg[SEG_LDTR] = (struct seg){ 0, 0x82, 0xffff, 0 };
	cs->seg[SEG_TR] = (struct seg){ 0, 0x8b, 0xffff, 0 };
}

#endif
