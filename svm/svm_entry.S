/* svm_entry.S: one trip into the guest (AMD APM vol. 2, 15.5).
 * void svm_vmrun(u64 vmcb_pa, u64 *gprs, u64 host_vmcb_pa)
 * The host's FS/GS/TR/LDTR/syscall MSRs are kept with VMSAVE into a host
 * VMCB and the guest's loaded with VMLOAD; VMRUN itself switches the
 * rest. gprs[] is indexed by register number; RAX and RSP live in the
 * VMCB. Called with GIF clear. */
	.text
	.globl svm_vmrun
svm_vmrun:
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	push %rsi		/* 16(%rsp) after the next two: gprs */
	push %rdi		/* guest VMCB */
	mov %rdx, %rax
	vmsave
	push %rax		/* host VMCB */
	mov 8(%rsp), %rax
	mov 8*1(%rsi), %rcx
	mov 8*2(%rsi), %rdx
	mov 8*3(%rsi), %rbx
	mov 8*5(%rsi), %rbp
	mov 8*7(%rsi), %rdi
	mov 8*8(%rsi), %r8
	mov 8*9(%rsi), %r9
	mov 8*10(%rsi), %r10
	mov 8*11(%rsi), %r11
	mov 8*12(%rsi), %r12
	mov 8*13(%rsi), %r13
	mov 8*14(%rsi), %r14
	mov 8*15(%rsi), %r15
	mov 8*6(%rsi), %rsi
	vmload
	vmrun
	vmsave
	push %rsi
	mov 24(%rsp), %rsi
	mov %rcx, 8*1(%rsi)
	mov %rdx, 8*2(%rsi)
	mov %rbx, 8*3(%rsi)
	mov %rbp, 8*5(%rsi)
	mov %rdi, 8*7(%rsi)
	mov %r8, 8*8(%rsi)
	mov %r9, 8*9(%rsi)
	mov %r10, 8*10(%rsi)
	mov %r11, 8*11(%rsi)
	mov %r12, 8*12(%rsi)
	mov %r13, 8*13(%rsi)
	mov %r14, 8*14(%rsi)
	mov %r15, 8*15(%rsi)
	pop %rax
	mov %rax, 8*6(%rsi)
	pop %rax
	vmload
	add $16, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret
	.section .note.GNU-stack,"",@progbits
