/* plat_timer_isr.S: the host timer's interrupt handler (plat_timer.c):
 * it acknowledges the interrupt at the local APIC (xAPIC EOI register,
 * or the x2APIC EOI MSR 0x80B) and returns; the exit it caused is all
 * that was wanted. */
	.text
	.globl plat_timer_isr
plat_timer_isr:
	push %rax
	push %rcx
	push %rdx
	cmpl $0, plat_timer_x2apic(%rip)
	jne 1f
	mov $0xfee000b0, %eax
	movl $0, (%rax)
	jmp 2f
1:	mov $0x80b, %ecx
	xor %eax, %eax
	xor %edx, %edx
	wrmsr
2:	pop %rdx
	pop %rcx
	pop %rax
	iretq
	.section .note.GNU-stack,"",@progbits
