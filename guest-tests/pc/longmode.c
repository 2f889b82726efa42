/* longmode.c (pc_longmode): the switch to 64-bit long mode as an OS makes
 * it (Intel SDM vol. 3A 9.8.5: CR4.PAE, CR3, EFER.LME by WRMSR, CR0.PG
 * with NE, far jump to a 64-bit code segment), over identity-mapped 2 MiB
 * pages for the low 4 GiB. In 64-bit mode: CPUID, RDMSR of EFER (LMA),
 * a 64-bit register round trip, an xAPIC MMIO read and an open-bus read of
 * 0xE0000000, stored for the 32-bit code, which then runs in compatibility
 * mode to check and print them; the run ends from 64-bit mode with a write
 * to port 0xf4. "open_bus=zero": unassigned memory reads 0 (QEMU 7.2). */
#include "pclib.h"

struct lm_results {
	uint32_t vendor[3];
	uint32_t ext_edx;
	uint32_t efer_lo, efer_hi;
	uint64_t wide;
	uint32_t apic_ver, open_bus;
	uint32_t cs;
} __attribute__((packed));

struct lm_results lm;
static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd[4][512] __attribute__((aligned(4096)));
/* GDT: null, 0x08 32-bit code, 0x10 data, 0x18 64-bit code. */
uint64_t lm_gdt[4] __attribute__((aligned(8))) = {
	0, 0x00cf9a000000ffffull, 0x00cf92000000ffffull, 0x00af9a000000ffffull,
};
struct { uint16_t limit; uint32_t base; } __attribute__((packed)) lm_gdt_desc = {
	sizeof lm_gdt - 1, (uint32_t)lm_gdt };

void lm_enter(uint32_t cr3);		/* returns in compatibility mode */
void lm_exit64(uint8_t code) __attribute__((noreturn));

__asm__(
	"	.text\n"
	"	.globl lm_enter\n"
	"lm_enter:\n"
	"	pushl %ebx\n"
	"	pushl %esi\n"
	"	pushl %edi\n"
	"	pushl %ebp\n"
	"	lgdt lm_gdt_desc\n"
	"	movl %cr4, %eax\n"
	"	orl $0x20, %eax\n"		/* PAE */
	"	movl %eax, %cr4\n"
	"	movl 20(%esp), %eax\n"
	"	movl %eax, %cr3\n"
	"	movl $0xc0000080, %ecx\n"
	"	rdmsr\n"
	"	orl $0x100, %eax\n"		/* EFER.LME */
	"	wrmsr\n"
	"	movl %cr0, %eax\n"
	"	orl $0x80000020, %eax\n"	/* PG, NE */
	"	movl %eax, %cr0\n"
	"	ljmp $0x18, $lm_64\n"
	"	.code64\n"
	"lm_64:\n"
	"	movl %esp, %esp\n"		/* zero-extend RSP */
	"	movl $lm, %edi\n"		/* 32-bit immediates only */
	"	xorl %eax, %eax\n"
	"	cpuid\n"
	"	movl %ebx, (%rdi)\n"
	"	movl %edx, 4(%rdi)\n"
	"	movl %ecx, 8(%rdi)\n"
	"	movl $0x80000001, %eax\n"
	"	cpuid\n"
	"	movl %edx, 12(%rdi)\n"
	"	movl $0xc0000080, %ecx\n"
	"	rdmsr\n"
	"	movl %eax, 16(%rdi)\n"
	"	movl %edx, 20(%rdi)\n"
	"	movabsq $0x123456789abcdef0, %rax\n"
	"	rorq $8, %rax\n"		/* a 64-bit operation */
	"	movq %rax, 24(%rdi)\n"
	"	movl $0xfee00030, %esi\n"
	"	movl (%rsi), %eax\n"
	"	movl %eax, 32(%rdi)\n"
	"	movl $0xe0000000, %esi\n"
	"	movl (%rsi), %eax\n"
	"	movl %eax, 36(%rdi)\n"
	"	movw %cs, %ax\n"
	"	movzwl %ax, %eax\n"
	"	movl %eax, 40(%rdi)\n"
	"	pushq $0x08\n"			/* back to 32-bit code: */
	"	movl $lm_compat, %eax\n"	/* compatibility mode */
	"	pushq %rax\n"
	"	lretq\n"
	"	.code32\n"
	"lm_compat:\n"
	"	popl %ebp\n"
	"	popl %edi\n"
	"	popl %esi\n"
	"	popl %ebx\n"
	"	ret\n"
	"	.globl lm_exit64\n"
	"lm_exit64:\n"
	"	movl 4(%esp), %ebx\n"
	"	ljmp $0x18, $lm_exit_64\n"
	"	.code64\n"
	"lm_exit_64:\n"
	"	movl %ebx, %eax\n"
	"	movw $0xf4, %dx\n"
	"	outb %al, %dx\n"
	"1:	cli\n"
	"	hlt\n"
	"	jmp 1b\n"
	"	.code32\n");

void guest_main(const struct mb_info *mbi)
{
	char arg[8];
	int open_bus_zero = mb_arg(mbi, "open_bus", arg, sizeof arg) && !strcmp(arg, "zero");
	pc_init();
	ASSERTF(cpuid(0x80000000, 0).eax >= 0x80000001 &&
		(cpuid(0x80000001, 0).edx & (1u << 29)), "no long mode in CPUID");
	for (unsigned i = 0; i < 4; i++) {
		pdpt[i] = (uint32_t)pd[i] | 3;
		for (unsigned j = 0; j < 512; j++)
			pd[i][j] = ((uint64_t)i << 30 | (uint64_t)j << 21) | 0x83;
	}
	pml4[0] = (uint32_t)pdpt | 3;
	uint32_t apic_ver = mmio_read32(XAPIC_BASE + APIC_VER);

	printf("longmode: entering 64-bit mode\n");
	lm_enter((uint32_t)pml4);
	/* Compatibility mode from here on (no IDT for exceptions: any fault
	 * is a triple fault, which stops the run visibly). */
	struct cpuid_regs v = cpuid(0, 0);
	ASSERT(lm.vendor[0] == v.ebx && lm.vendor[1] == v.edx && lm.vendor[2] == v.ecx);
	ASSERT(lm.ext_edx & (1u << 29));
	printf("longmode: 64-bit CPUID ok\n");
	ASSERTF((lm.efer_lo & 0x500) == 0x500, "EFER 0x%x: LME and LMA expected", lm.efer_lo);
	ASSERT(rdmsr(0xc0000080) & 0x400);
	printf("longmode: 64-bit RDMSR EFER 0x%x (LMA)\n", lm.efer_lo);
	ASSERT_EQ(lm.cs, 0x18);
	ASSERT_EQ(lm.wide, 0xf0123456789abcdeull);
	printf("longmode: 64-bit arithmetic ok\n");
	ASSERT_EQ(lm.apic_ver, apic_ver);
	printf("longmode: 64-bit xAPIC read, version 0x%x\n", lm.apic_ver);
	ASSERT_EQ(lm.open_bus, open_bus_zero ? 0 : 0xffffffff);
	printf("longmode: 64-bit read of 0xe0000000: 0x%x\n", lm.open_bus);
	printf("longmode: exit from 64-bit mode\nPASS\n");
	lm_exit64(EXIT_PASS);
}
