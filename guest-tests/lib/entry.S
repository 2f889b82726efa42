/* entry.S: multiboot v1 header and 32-bit entry of every test guest, the GDT,
 * the exception stubs and the fault-tolerant MSR accessors. A loader (QEMU's
 * -kernel, GRUB, the hypervisor) enters at _start in flat 32-bit protected
 * mode with EAX = 0x2BADB002 and EBX = the multiboot information (Multiboot
 * Specification 0.6.96, section 3.2). Build with -DMB_AOUT_KLUDGE to set
 * header flag 16 and give the load addresses in the header (section 3.1.3). */

#define MB_MAGIC	0x1BADB002
#ifdef MB_AOUT_KLUDGE
#define MB_FLAGS	0x00010003	/* align modules, memory info, addresses */
#else
#define MB_FLAGS	0x00000003	/* align modules, memory info */
#endif
#define STACK_SIZE	16384

	.section .multiboot, "a"
	.align 4
mb_header:
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)
#ifdef MB_AOUT_KLUDGE
	.long mb_header		/* header_addr */
	.long __image_start	/* load_addr */
	.long _edata		/* load_end_addr */
	.long _end		/* bss_end_addr */
	.long _start		/* entry_addr */
#endif

	.text
	.globl _start
_start:
	cli
	cld
	movl %eax, %esi
	movl %ebx, %ebp
	/* Note whether the loader left bss zeroed (ELF: memsz past filesz;
	 * a.out kludge: up to bss_end_addr), then clear it: the stack lives
	 * there. */
	movl $__bss_start, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	xorl %eax, %eax
	xorl %edx, %edx
	testl %ecx, %ecx
	jz 4f
3:	orb (%edi,%eax), %dl
	incl %eax
	cmpl %ecx, %eax
	jb 3b
4:	movl %edx, loader_bss_nonzero
	xorl %eax, %eax
	rep stosb
	movl $stack_top, %esp
	lgdt gdt_desc
	ljmp $0x08, $1f
1:	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %fs
	movw %ax, %gs
	movw %ax, %ss
	pushl %ebp		/* multiboot information */
	pushl %esi		/* loader magic */
	call guest_start
2:	cli
	hlt
	jmp 2b

/* Exception stubs: push a dummy error code where the CPU pushes none, then
 * the vector, and join the common path that calls exception_handler(frame). */
.macro stub vec, has_err
	.globl exc_stub_\vec
exc_stub_\vec:
	.if \has_err == 0
	pushl $0
	.endif
	pushl $\vec
	jmp exc_common
.endm

	stub 0,0; stub 1,0; stub 2,0; stub 3,0; stub 4,0; stub 5,0; stub 6,0
	stub 7,0; stub 8,1; stub 9,0; stub 10,1; stub 11,1; stub 12,1; stub 13,1
	stub 14,1; stub 15,0; stub 16,0; stub 17,1; stub 18,0; stub 19,0
	stub 20,0; stub 21,1; stub 22,0; stub 23,0; stub 24,0; stub 25,0
	stub 26,0; stub 27,0; stub 28,0; stub 29,1; stub 30,1; stub 31,0

exc_common:
	pushal
	pushl %esp
	call exception_handler
	addl $4, %esp
	popal
	addl $8, %esp
	iretl

	.section .rodata
	.globl exc_stubs
	.align 4
exc_stubs:
	.irp v,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.long exc_stub_\v
	.endr

/* int rdmsr_safe(uint32_t msr, uint64_t *val): 0, or 0x100 | vector when
 * the RDMSR faulted (the exception handler finds the .ex_table entry, puts
 * that value in EAX and resumes at the fixup label). */
	.text
	.globl rdmsr_safe
rdmsr_safe:
	movl 4(%esp), %ecx
1:	rdmsr
	movl 8(%esp), %ecx
	movl %eax, (%ecx)
	movl %edx, 4(%ecx)
	xorl %eax, %eax
2:	ret
	.section .ex_table, "a"
	.long 1b, 2b
	.text

/* int wrmsr_safe(uint32_t msr, uint64_t val): as rdmsr_safe. */
	.globl wrmsr_safe
wrmsr_safe:
	movl 4(%esp), %ecx
	movl 8(%esp), %eax
	movl 12(%esp), %edx
1:	wrmsr
	xorl %eax, %eax
2:	ret
	.section .ex_table, "a"
	.long 1b, 2b

/* int read32_safe(uint32_t addr, uint32_t *val): as rdmsr_safe, for a
 * 32-bit load that may fault (#PF, #GP). */
	.text
	.globl read32_safe
read32_safe:
	movl 4(%esp), %ecx
1:	movl (%ecx), %eax
	movl 8(%esp), %ecx
	movl %eax, (%ecx)
	xorl %eax, %eax
2:	ret
	.section .ex_table, "a"
	.long 1b, 2b

	.data
	.globl loader_bss_nonzero
	.align 4
loader_bss_nonzero:
	.long 0
	.align 8
gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08: flat 32-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: flat data */
gdt_end:
gdt_desc:
	.word gdt_end - gdt - 1
	.long gdt

	.bss
	.align 16
stack_bottom:
	.skip STACK_SIZE
stack_top:
	.section .note.GNU-stack,"",@progbits
