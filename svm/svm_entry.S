/* svm_entry.S: one trip into the guest (AMD APM vol. 2, 15.5).
 * void svm_vmrun(u64 vmcb_pa, u64 *gprs, u64 host_vmcb_pa)
 * The host's FS/GS/TR/LDTR/syscall MSRs are kept with VMSAVE into a host
 * VMCB and the guest's loaded with VMLOAD; VMRUN itself switches the
 * rest. gprs[] is indexed by register number; RAX and RSP live in the
 * VMCB. Called with GIF clear. */
#include "hv/guest_gprs.S.inc"
	.text
	.globl svm_vmrun
svm_vmrun:
	PUSH_HOST_CALLEE_SAVED
	push %rsi		/* 16(%rsp) after the next two: gprs */
	push %rdi		/* guest VMCB */
	mov %rdx, %rax
	vmsave
	push %rax		/* host VMCB */
	mov 8(%rsp), %rax
	LOAD_GUEST_GPRS %rsi
	mov 8*7(%rsi), %rdi
	mov 8*6(%rsi), %rsi
	vmload
	vmrun
	vmsave
	push %rsi
	mov 24(%rsp), %rsi
	STORE_GUEST_GPRS %rsi
	mov %rdi, 8*7(%rsi)
	pop %rax
	mov %rax, 8*6(%rsi)
	pop %rax
	vmload
	add $16, %rsp
	POP_HOST_CALLEE_SAVED
	ret
	.section .note.GNU-stack,"",@progbits
