/* loader_state: what the multiboot loader leaves, seen before the guest
 * changes anything. Its own entry (raw_start, linked as the ELF entry)
 * records the segment registers, GDTR and IDTR as the loader left them,
 * takes a software interrupt through an IDT whose gate names the CS it
 * was given (so CS is loaded from the loader's GDT, twice: the gate and
 * IRET), reloads DS, ES and SS with their own selectors, and only then
 * joins the library's _start, which loads the guest's own GDT. The C
 * side checks that the loader's GDT lies outside the RAM the memory map
 * offers and holds flat 4 GiB ring-0 descriptors for those selectors, as
 * QEMU's -kernel and GRUB leave them (Multiboot 0.6.96, 3.2 says GDTR may
 * be invalid, but kernels in the wild trust it). */
#include "guest.h"

struct dtr { uint16_t limit; uint32_t base; } __attribute__((packed));

/* In .data: the library's _start clears .bss. */
#define KEEP __attribute__((section(".data")))
KEEP uint32_t raw_eax, raw_ebx, raw_seg[6], raw_interrupts, raw_reloaded;
KEEP struct dtr raw_gdtr, raw_idtr;
KEEP uint64_t raw_idt[0x41] __attribute__((aligned(8)));
KEEP struct dtr raw_idt_desc = { sizeof raw_idt - 1, 0 };
KEEP uint8_t raw_stack[1024] __attribute__((aligned(16)));

__asm__(".text\n"
	".globl raw_start\n"
	"raw_start:\n"
	"	movl %eax, raw_eax\n"
	"	movl %ebx, raw_ebx\n"
	"	movl $raw_stack + 1024, %esp\n"
	"	movw %cs, raw_seg\n"
	"	movw %ds, raw_seg + 4\n"
	"	movw %es, raw_seg + 8\n"
	"	movw %ss, raw_seg + 12\n"
	"	movw %fs, raw_seg + 16\n"
	"	movw %gs, raw_seg + 20\n"
	"	sgdt raw_gdtr\n"
	"	sidt raw_idtr\n"
	/* An interrupt gate at vector 0x40: offset, the loader's CS, P, DPL 0,
	 * 32-bit interrupt gate (SDM vol. 3, 6.11). */
	"	movl $raw_isr, %eax\n"
	"	movw %ax, raw_idt + 0x200\n"
	"	movw %cs, raw_idt + 0x202\n"
	"	movw $0x8e00, raw_idt + 0x204\n"
	"	shrl $16, %eax\n"
	"	movw %ax, raw_idt + 0x206\n"
	"	movl $raw_idt, raw_idt_desc + 2\n"
	"	lidt raw_idt_desc\n"
	"	int $0x40\n"
	"	movw %ds, %ax\n"
	"	movw %ax, %ds\n"
	"	movw %es, %ax\n"
	"	movw %ax, %es\n"
	"	movw %ss, %ax\n"
	"	movw %ax, %ss\n"
	"	movl $1, raw_reloaded\n"
	"	movl raw_eax, %eax\n"
	"	movl raw_ebx, %ebx\n"
	"	jmp _start\n"
	"raw_isr:\n"
	"	incl raw_interrupts\n"
	"	iret\n");

static uint64_t descriptor(uint32_t sel)
{
	ASSERTF((sel & 4) == 0, "selector 0x%x names the LDT", sel);
	ASSERTF((sel | 7) <= raw_gdtr.limit, "selector 0x%x beyond the GDT's "
		"limit 0x%x", sel, raw_gdtr.limit);
	return *(volatile uint64_t *)(uintptr_t)(raw_gdtr.base + (sel & ~7u));
}

/* Base 0, limit 0xFFFFF in 4 KiB units, present, DPL 0, a code or data
 * segment (S = 1) of type `type` (read-only bits ignored: the accessed
 * bit may be set or not), 32-bit (SDM vol. 3, 3.4.5). */
static void expect_flat(const char *reg, uint32_t sel, unsigned type_mask,
			unsigned type)
{
	uint64_t d = descriptor(sel);
	uint32_t base = (uint32_t)((d >> 16) & 0xffffff) | (uint32_t)((d >> 56) << 24);
	uint32_t limit = (uint32_t)(d & 0xffff) | (uint32_t)((d >> 32) & 0xf0000);
	unsigned access = (unsigned)(d >> 40) & 0xff, flags = (unsigned)(d >> 52) & 0xf;
	printf("loader_state: %s 0x%x: base 0x%x limit 0x%x access 0x%x flags 0x%x\n",
	       reg, sel, base, limit, access, flags);
	ASSERTF(base == 0 && limit == 0xfffff && (flags & 0xc) == 0xc,
		"%s is not a flat 4 GiB 32-bit segment", reg);
	ASSERTF((access & 0xf0) == 0x90 && (access & type_mask) == type,
		"%s: access byte 0x%x", reg, access);
}

/* The GDT must not be in RAM the guest was told it may use. */
static void expect_reserved(const struct mb_info *mbi)
{
	struct region r[MAX_REGIONS];
	int n = mb_copy_mmap(mbi, r, MAX_REGIONS);
	uint64_t lo = raw_gdtr.base, hi = lo + raw_gdtr.limit + 1;
	for (int i = 0; i < n; i++)
		ASSERTF(r[i].type != 1 || hi <= r[i].addr || lo >= r[i].addr + r[i].len,
			"the GDT at 0x%llx is in available RAM", lo);
}

void guest_main(const struct mb_info *mbi)
{
	printf("loader_state: CS 0x%x DS 0x%x ES 0x%x SS 0x%x FS 0x%x GS 0x%x\n",
	       raw_seg[0], raw_seg[1], raw_seg[2], raw_seg[3], raw_seg[4], raw_seg[5]);
	printf("loader_state: GDTR base 0x%x limit 0x%x\n", raw_gdtr.base,
	       raw_gdtr.limit);
	ASSERT_EQ(raw_interrupts, 1);
	ASSERT_EQ(raw_reloaded, 1);
	expect_flat("CS", raw_seg[0], 0x0a, 0x0a);	/* code, readable */
	for (int i = 1; i < 6; i++)
		if (i != 4 && i != 5) /* FS, GS: the spec leaves them free */
			expect_flat(i == 3 ? "SS" : i == 1 ? "DS" : "ES", raw_seg[i],
				    0x0a, 0x02); /* data, writable */
	expect_reserved(mbi);
	printf("loader_state: an interrupt and segment reloads before LGDT work\n");
}
