/* unassigned: accesses physical addresses with neither RAM nor a device:
 * just past the top of RAM (rounded up to 16 MiB) and 0xE0000000 (in the
 * PC's PCI hole). As on a PC's open bus, reads give all ones at every width,
 * writes are dropped, and the guest goes on. Plain MOV loads and stores, so
 * a hypervisor's MMIO decoder sees the simplest forms. open_bus=zero on the
 * command line expects zeros instead (plain QEMU 7.2 TCG reads unassigned
 * memory as 0). */
#include "guest.h"

static struct region map[MAX_REGIONS];
static uint32_t ones = 0xffffffff;	/* what an open-bus read returns */

static uint8_t ld8(uint32_t a) { uint8_t v; __asm__ volatile("movb (%1), %0" : "=q"(v) : "r"(a) : "memory"); return v; }
static uint16_t ld16(uint32_t a) { uint16_t v; __asm__ volatile("movw (%1), %0" : "=r"(v) : "r"(a) : "memory"); return v; }
static uint32_t ld32(uint32_t a) { uint32_t v; __asm__ volatile("movl (%1), %0" : "=r"(v) : "r"(a) : "memory"); return v; }
static void st8(uint32_t a, uint8_t v) { __asm__ volatile("movb %0, (%1)" :: "q"(v), "r"(a) : "memory"); }
static void st16(uint32_t a, uint16_t v) { __asm__ volatile("movw %0, (%1)" :: "r"(v), "r"(a) : "memory"); }
static void st32(uint32_t a, uint32_t v) { __asm__ volatile("movl %0, (%1)" :: "r"(v), "r"(a) : "memory"); }
static void st32_imm(uint32_t a) { __asm__ volatile("movl $0x600df00d, (%0)" :: "r"(a) : "memory"); }

static void probe(uint32_t a)
{
	uint32_t l = ld32(a);
	uint16_t w = ld16(a + 4);
	uint8_t b = ld8(a + 7);
	printf("unassigned: 0x%08x reads %08x %04x %02x\n", a, l, w, b);
	ASSERT_EQ(l, ones);
	ASSERT_EQ(w, ones & 0xffff);
	ASSERT_EQ(b, ones & 0xff);
	st32(a, 0x12345678);
	st16(a + 4, 0x9abc);
	st8(a + 7, 0xde);
	st32_imm(a + 8);
	ASSERT_EQ(ld32(a), ones);
	ASSERT_EQ(ld16(a + 4), ones & 0xffff);
	ASSERT_EQ(ld8(a + 7), ones & 0xff);
	ASSERT_EQ(ld32(a + 8), ones);
	printf("unassigned: 0x%08x drops writes\n", a);
}

void guest_main(const struct mb_info *mbi)
{
	char opt[8];
	if (mb_arg(mbi, "open_bus", opt, sizeof(opt)) && !strcmp(opt, "zero"))
		ones = 0;
	int n = mb_copy_mmap(mbi, map, MAX_REGIONS);
	ASSERTF(n > 0, "no memory map");
	uint64_t top = 0;
	for (int i = 0; i < n; i++)
		if (map[i].type == 1 && map[i].addr + map[i].len > top &&
		    map[i].addr + map[i].len <= 0xe0000000ull)
			top = map[i].addr + map[i].len;
	uint32_t past = (uint32_t)((top + 0xffffff) & ~0xffffffull);
	printf("unassigned: top of RAM 0x%llx\n", top);
	probe(0xe0000000u);
	probe(past);
	/* RAM still works after the open-bus accesses. */
	static volatile uint32_t cell;
	cell = 0xa5a5a5a5;
	ASSERT_EQ(cell, 0xa5a5a5a5);
	printf("unassigned: guest continues\n");
}
