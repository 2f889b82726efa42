/* paging: the guest's own page tables under nested paging. 32-bit paging
 * with 4 MiB pages (PSE) identity-maps the first GiB; a 4 KiB table maps two
 * virtual pages onto one physical page (writes through one show through the
 * other and at the physical address) and leaves a third not present, whose
 * access raises #PF with CR2 set; then paging goes off again (Intel SDM
 * vol. 3A 4.3). Long mode is pc/longmode.c's. */
#include "guest.h"

#define PG_P	0x001
#define PG_RW	0x002
#define PG_PS	0x080
#define VA	0x40000000u	/* 1 GiB: outside the identity map */

static uint32_t pd32[1024] __attribute__((aligned(4096)));
static uint32_t pt32[1024] __attribute__((aligned(4096)));
static volatile uint32_t page[1024] __attribute__((aligned(4096)));

static inline uint32_t rd_cr0(void) { uint32_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline uint32_t rd_cr2(void) { uint32_t v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline uint32_t rd_cr4(void) { uint32_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void wr_cr0(uint32_t v) { __asm__ volatile("mov %0, %%cr0" :: "r"(v) : "memory"); }
static inline void wr_cr3(uint32_t v) { __asm__ volatile("mov %0, %%cr3" :: "r"(v) : "memory"); }
static inline void wr_cr4(uint32_t v) { __asm__ volatile("mov %0, %%cr4" :: "r"(v) : "memory"); }

static void paging32(void)
{
	for (uint32_t i = 0; i < 256; i++)
		pd32[i] = (i << 22) | PG_PS | PG_RW | PG_P;
	pd32[VA >> 22] = (uint32_t)pt32 | PG_RW | PG_P;
	pt32[0] = (uint32_t)page | PG_RW | PG_P;
	pt32[1] = (uint32_t)page | PG_RW | PG_P;
	pt32[2] = 0;				/* not present */
	wr_cr4(rd_cr4() | (1u << 4));		/* PSE */
	wr_cr3((uint32_t)pd32);
	wr_cr0(rd_cr0() | (1u << 31));		/* PG */
	printf("paging: 32-bit paging on, cr0 0x%08x\n", rd_cr0());

	volatile uint32_t *a = (volatile uint32_t *)VA, *b = (volatile uint32_t *)(VA + 0x1000);
	a[5] = 0xabcdef01;
	ASSERT_EQ(b[5], 0xabcdef01);
	b[6] = 0x10fedcba;
	ASSERT_EQ(a[6], 0x10fedcba);
	uint32_t v = 0;
	int r = read32_safe(VA + 0x2010, &v);
	uint32_t cr2 = rd_cr2();
	printf("paging: not-present page -> fault %d, cr2 0x%08x\n", r & 0xff, cr2);
	ASSERT_EQ(r, 0x100 | 14);
	ASSERT_EQ(cr2, VA + 0x2010);

	wr_cr0(rd_cr0() & ~(1u << 31));
	wr_cr4(rd_cr4() & ~(1u << 4));
	ASSERT_EQ(page[5], 0xabcdef01);
	ASSERT_EQ(page[6], 0x10fedcba);
	printf("paging: 4 KiB alias and #PF ok, paging off again\n");
}

void guest_main(const struct mb_info *mbi)
{
	(void)mbi;
	paging32();
}
