/* vmx_entry.S: one trip into the guest (Intel SDM vol. 3, 27-28).
 * int vmx_enter(u64 *gprs, int launched)
 * Saves the callee-saved registers, records RSP as the VMCS host RSP,
 * loads the guest's GPRs (gprs[] indexed by register number; RSP lives in
 * the VMCS) and enters with VMLAUNCH or VMRESUME. A VM exit lands at
 * vmx_exit_point with that RSP; it stores the guest's GPRs and returns 0.
 * A failed entry falls through and returns 1. */
#include "hv/guest_gprs.S.inc"
	.text
	.globl vmx_enter
	.globl vmx_exit_point
vmx_enter:
	PUSH_HOST_CALLEE_SAVED
	push %rdi			/* gprs, at 0(%rsp) on exit */
	mov $0x6c14, %edx		/* HOST_RSP */
	vmwrite %rsp, %rdx
	mov %esi, %eax
	test %eax, %eax
	mov 8*0(%rdi), %rax
	LOAD_GUEST_GPRS %rdi
	mov 8*6(%rdi), %rsi
	mov 8*7(%rdi), %rdi		/* mov keeps the flags of the test */
	jnz 1f
	vmlaunch
	jmp 2f
1:	vmresume
2:	pop %rdi
	POP_HOST_CALLEE_SAVED
	mov $1, %eax
	ret

vmx_exit_point:
	push %rdi
	mov 8(%rsp), %rdi
	mov %rax, 8*0(%rdi)
	STORE_GUEST_GPRS %rdi
	mov %rsi, 8*6(%rdi)
	pop %rax
	mov %rax, 8*7(%rdi)
	pop %rdi
	POP_HOST_CALLEE_SAVED
	xor %eax, %eax
	ret
	.section .note.GNU-stack,"",@progbits
