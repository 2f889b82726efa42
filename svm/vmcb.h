/* vmcb.h: the Virtual Machine Control Block, AMD APM vol. 2, appendix B
 * (Table B-1 control area, Table B-2 state save area), and the exit codes
 * of appendix C. Offsets are checked at compile time. */
#ifndef SVM_VMCB_H
#define SVM_VMCB_H
#include <stddef.h>
#include <stdint.h>

struct vmcb_seg {
	uint16_t sel, attr;
	uint32_t limit;
	uint64_t base;
};

struct vmcb {
	/* Control area. */
	uint32_t intercept_cr, intercept_dr, intercept_exc;
	uint32_t intercept1, intercept2, intercept3;
	uint8_t rsvd0[0x3c - 0x18];
	uint16_t pause_threshold, pause_count;
	uint64_t iopm_pa, msrpm_pa, tsc_offset;
	uint32_t asid;
	uint8_t tlb_control, rsvd1[3];
	uint64_t vintr, int_state, exit_code, exit_info1, exit_info2;
	uint64_t exit_int_info, np_control, avic_bar, ghcb_pa, event_inj;
	uint64_t ncr3, virt_ext;
	uint32_t clean, rsvd2;
	uint64_t next_rip;
	uint8_t insn_len, insn_bytes[15];
	uint8_t rsvd3[0x400 - 0xe0];
	/* State save area. */
	struct vmcb_seg es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr;
	uint8_t rsvd4[0x4cb - 0x4a0];
	uint8_t cpl;
	uint32_t rsvd5;
	uint64_t efer;
	uint8_t rsvd6[0x548 - 0x4d8];
	uint64_t cr4, cr3, cr0, dr7, dr6, rflags, rip;
	uint8_t rsvd7[0x5d8 - 0x580];
	uint64_t rsp, s_cet, ssp, isst;
	uint64_t rax, star, lstar, cstar, sfmask, kernel_gs_base;
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip, cr2;
	uint8_t rsvd8[0x668 - 0x648];
	uint64_t g_pat, dbgctl;
	uint8_t rsvd9[0x1000 - 0x678];
};

_Static_assert(offsetof(struct vmcb, iopm_pa) == 0x40, "vmcb iopm");
_Static_assert(offsetof(struct vmcb, event_inj) == 0xa8, "vmcb eventinj");
_Static_assert(offsetof(struct vmcb, next_rip) == 0xc8, "vmcb nrip");
_Static_assert(offsetof(struct vmcb, es) == 0x400, "vmcb save area");
_Static_assert(offsetof(struct vmcb, cpl) == 0x4cb, "vmcb cpl");
_Static_assert(offsetof(struct vmcb, efer) == 0x4d0, "vmcb efer");
_Static_assert(offsetof(struct vmcb, cr4) == 0x548, "vmcb cr4");
_Static_assert(offsetof(struct vmcb, rsp) == 0x5d8, "vmcb rsp");
_Static_assert(offsetof(struct vmcb, rax) == 0x5f8, "vmcb rax");
_Static_assert(offsetof(struct vmcb, cr2) == 0x640, "vmcb cr2");
_Static_assert(offsetof(struct vmcb, g_pat) == 0x668, "vmcb pat");
_Static_assert(sizeof(struct vmcb) == 0x1000, "vmcb size");

/* intercept1 (vector 3) and intercept2 (vector 4) bits, Table B-1. */
enum {
	I1_INTR = 1u << 0, I1_NMI = 1u << 1, I1_SMI = 1u << 2, I1_INIT = 1u << 3,
	I1_VINTR = 1u << 4, I1_IRET = 1u << 20, I1_CPUID = 1u << 18, I1_INVD = 1u << 22, I1_HLT = 1u << 24,
	I1_INVLPGA = 1u << 26, I1_IOIO = 1u << 27, I1_MSR = 1u << 28,
	I1_TASK_SWITCH = 1u << 29, I1_SHUTDOWN = 1u << 31,
	I2_VMRUN = 1u << 0, I2_VMMCALL = 1u << 1, I2_VMLOAD = 1u << 2,
	I2_VMSAVE = 1u << 3, I2_STGI = 1u << 4, I2_CLGI = 1u << 5,
	I2_SKINIT = 1u << 6, I2_RDTSCP = 1u << 7, I2_WBINVD = 1u << 9,
	I2_MONITOR = 1u << 10, I2_MWAIT = 1u << 11, I2_MWAIT_COND = 1u << 12,
	I2_XSETBV = 1u << 13, I2_RDPRU = 1u << 14,
};

#define VINTR_MASKING (1ull << 24)
#define VINTR_V_IRQ (1ull << 8)
#define VINTR_PRIO_MAX (0xfull << 16)
#define VINTR_IGN_TPR (1ull << 20)
#define NP_ENABLE 1ull
#define TLB_FLUSH_ALL 1

/* EVENTINJ / EXITINTINFO (APM vol. 2, 15.20). */
#define EVT_VALID (1u << 31)
#define EVT_ERR_VALID (1u << 11)
#define EVT_TYPE_INTR (0u << 8)
#define EVT_TYPE_NMI (2u << 8)
#define EVT_TYPE_EXC (3u << 8)
#define EVT_TYPE_SOFT (4u << 8)

/* Exit codes, appendix C. */
enum {
	SVM_EXIT_EXCP_BASE = 0x40, SVM_EXIT_INTR = 0x60, SVM_EXIT_NMI = 0x61,
	SVM_EXIT_SMI = 0x62, SVM_EXIT_INIT = 0x63, SVM_EXIT_VINTR = 0x64,
	SVM_EXIT_IRET = 0x74, SVM_EXIT_RDTSC = 0x6e,
	SVM_EXIT_CPUID = 0x72, SVM_EXIT_INVD = 0x76, SVM_EXIT_PAUSE = 0x77,
	SVM_EXIT_HLT = 0x78, SVM_EXIT_INVLPGA = 0x7a, SVM_EXIT_IOIO = 0x7b,
	SVM_EXIT_MSR = 0x7c, SVM_EXIT_TASK_SWITCH = 0x7d,
	SVM_EXIT_SHUTDOWN = 0x7f, SVM_EXIT_VMRUN = 0x80, SVM_EXIT_VMMCALL = 0x81,
	SVM_EXIT_VMLOAD = 0x82, SVM_EXIT_VMSAVE = 0x83, SVM_EXIT_STGI = 0x84,
	SVM_EXIT_CLGI = 0x85, SVM_EXIT_SKINIT = 0x86, SVM_EXIT_RDTSCP = 0x87,
	SVM_EXIT_WBINVD = 0x89, SVM_EXIT_MONITOR = 0x8a, SVM_EXIT_MWAIT = 0x8b,
	SVM_EXIT_MWAIT_COND = 0x8c, SVM_EXIT_XSETBV = 0x8d, SVM_EXIT_RDPRU = 0x8e,
	SVM_EXIT_NPF = 0x400, SVM_EXIT_MAX = 0x403,
};

#endif
