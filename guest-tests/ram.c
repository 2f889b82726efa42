/* ram: writes and verifies an address-dependent pattern over all RAM the
 * multiboot memory map reports below 4 GiB (type 1), except the guest's own
 * image. Every region is filled before any is checked, so two addresses
 * backed by the same page show up; two passes with complementary patterns
 * flip every bit. */
#include "guest.h"

static struct region map[MAX_REGIONS];

struct range { uint32_t start, end; };
static struct range ranges[2 * MAX_REGIONS];
static int nranges;

static void add(uint32_t start, uint32_t end)
{
	if (end > start)
		ranges[nranges++] = (struct range){ start, end };
}

static void fill(uint32_t p, uint32_t end, uint32_t seed)
{
	__asm__ volatile("1: movl %0, %%eax\n\t"
			 "xorl %2, %%eax\n\t"
			 "movl %%eax, (%0)\n\t"
			 "addl $4, %0\n\t"
			 "cmpl %1, %0\n\t"
			 "jb 1b"
			 : "+r"(p) : "r"(end), "r"(seed) : "eax", "memory", "cc");
}

/* The first address in [p, end) that does not hold its pattern, or end. */
static uint32_t verify(uint32_t p, uint32_t end, uint32_t seed)
{
	__asm__ volatile("1: movl %0, %%eax\n\t"
			 "xorl %2, %%eax\n\t"
			 "cmpl (%0), %%eax\n\t"
			 "jne 2f\n\t"
			 "addl $4, %0\n\t"
			 "cmpl %1, %0\n\t"
			 "jb 1b\n"
			 "2:"
			 : "+r"(p) : "r"(end), "r"(seed) : "eax", "memory", "cc");
	return p;
}

static void pass(uint32_t seed)
{
	for (int i = 0; i < nranges; i++)
		fill(ranges[i].start, ranges[i].end, seed);
	for (int i = 0; i < nranges; i++) {
		uint32_t bad = verify(ranges[i].start, ranges[i].end, seed);
		if (bad != ranges[i].end)
			fail(__FILE__, __LINE__, "RAM at 0x%08x holds 0x%08x, wrote 0x%08x",
			     bad, *(volatile uint32_t *)bad, bad ^ seed);
	}
	printf("ram: pattern 0x%08x verified\n", seed);
}

void guest_main(const struct mb_info *mbi)
{
	printf("ram: cmdline '%s'\n", mb_cmdline(mbi));
	int n = mb_copy_mmap(mbi, map, MAX_REGIONS);
	ASSERTF(n > 0, "no multiboot memory map");
	uint32_t img_start = (uint32_t)__image_start, img_end = (uint32_t)_end;
	uint64_t top = 0, total = 0, tested = 0;
	for (int i = 0; i < n; i++) {
		printf("ram: map 0x%09llx-0x%09llx type %u\n", map[i].addr,
		       map[i].addr + map[i].len, map[i].type);
		if (map[i].type != 1)
			continue;
		uint64_t s = (map[i].addr + 3) & ~3ull;
		uint64_t e = (map[i].addr + map[i].len) & ~3ull;
		total += map[i].len;
		if (map[i].addr + map[i].len > top)
			top = map[i].addr + map[i].len;
		if (s >= 0x100000000ull)
			continue;
		if (e > 0xfffff000ull)
			e = 0xfffff000ull;
		uint32_t a = (uint32_t)s, b = (uint32_t)e;
		if (img_end <= a || img_start >= b) {
			add(a, b);
		} else {
			add(a, img_start);
			add(img_end, b);
		}
	}
	for (int i = 0; i < nranges; i++)
		tested += ranges[i].end - ranges[i].start;
	printf("ram: %llu KiB of RAM, top 0x%llx, testing %llu KiB in %d ranges\n",
	       total >> 10, top, tested >> 10, nranges);
	ASSERTF(tested > 0, "no RAM to test");
	ASSERTF(total - tested <= (uint64_t)(img_end - img_start) ||
		top > 0x100000000ull, "RAM above 4 GiB cannot be tested");
	pass(0x5aa5c33c);
	pass(~0x5aa5c33cu);
	printf("ram: all %llu KiB verified\n", tested >> 10);
}
