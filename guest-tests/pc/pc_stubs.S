/* pc_stubs.S: entry stubs of vectors 32-255 for the pc_* guests' IDT
 * (pclib.c). Each stub is 16 bytes at irq_stubs + (vector - 32) * 16; it
 * pushes its vector and joins irq_common, which calls
 * pc_irq_dispatch(vector) with the general registers saved. */
	.text
	.align 16
	.globl irq_stubs
irq_stubs:
	.set vec, 32
	.rept 224
	.align 16
	pushl $vec
	jmp irq_common
	.set vec, vec + 1
	.endr

irq_common:
	pushal
	cld
	pushl 32(%esp)		/* the vector */
	call pc_irq_dispatch
	addl $4, %esp
	popal
	addl $4, %esp
	iretl
	.section .note.GNU-stack,"",@progbits
