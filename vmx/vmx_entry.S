/* vmx_entry.S: one trip into the guest (Intel SDM vol. 3, 27-28).
 * int vmx_enter(u64 *gprs, int launched)
 * Saves the callee-saved registers, records RSP as the VMCS host RSP,
 * loads the guest's GPRs (gprs[] indexed by register number; RSP lives in
 * the VMCS) and enters with VMLAUNCH or VMRESUME. A VM exit lands at
 * vmx_exit_point with that RSP; it stores the guest's GPRs and returns 0.
 * A failed entry falls through and returns 1. */
	.text
	.globl vmx_enter
	.globl vmx_exit_point
vmx_enter:
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	push %rdi			/* gprs, at 0(%rsp) on exit */
	mov $0x6c14, %edx		/* HOST_RSP */
	vmwrite %rsp, %rdx
	mov %esi, %eax
	test %eax, %eax
	mov 8*0(%rdi), %rax
	mov 8*1(%rdi), %rcx
	mov 8*2(%rdi), %rdx
	mov 8*3(%rdi), %rbx
	mov 8*5(%rdi), %rbp
	mov 8*6(%rdi), %rsi
	mov 8*8(%rdi), %r8
	mov 8*9(%rdi), %r9
	mov 8*10(%rdi), %r10
	mov 8*11(%rdi), %r11
	mov 8*12(%rdi), %r12
	mov 8*13(%rdi), %r13
	mov 8*14(%rdi), %r14
	mov 8*15(%rdi), %r15
	mov 8*7(%rdi), %rdi		/* mov keeps the flags of the test */
	jnz 1f
	vmlaunch
	jmp 2f
1:	vmresume
2:	pop %rdi
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	mov $1, %eax
	ret

vmx_exit_point:
	push %rdi
	mov 8(%rsp), %rdi
	mov %rax, 8*0(%rdi)
	mov %rcx, 8*1(%rdi)
	mov %rdx, 8*2(%rdi)
	mov %rbx, 8*3(%rdi)
	mov %rbp, 8*5(%rdi)
	mov %rsi, 8*6(%rdi)
	mov %r8, 8*8(%rdi)
	mov %r9, 8*9(%rdi)
	mov %r10, 8*10(%rdi)
	mov %r11, 8*11(%rdi)
	mov %r12, 8*12(%rdi)
	mov %r13, 8*13(%rdi)
	mov %r14, 8*14(%rdi)
	mov %r15, 8*15(%rdi)
	pop %rax
	mov %rax, 8*7(%rdi)
	pop %rdi
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	xor %eax, %eax
	ret
	.section .note.GNU-stack,"",@progbits
