/* layout: an ordinary kernel's ELF layout (lib/layout.ld): code at 1 MiB,
 * data in a second segment at 1.5 MiB, and bss that the loader zeroes
 * (ELF p_memsz past p_filesz). Checks the loader placed both segments with
 * their contents and left bss zero. */
#include "guest.h"

extern uint32_t loader_bss_nonzero;
extern char __bss_start[], __bss_end[], _edata[];

static volatile uint32_t words[4] = { 0x11111111, 0x22222222, 0x33333333, 0x44444444 };
static volatile uint32_t big[4096] = { [0] = 0xfeedface, [2048] = 0x600dcafe, [4095] = 0xdeadbeef };
static const char text[] = "read-only data in the text segment";
static volatile uint32_t zeros[16384];

void guest_main(const struct mb_info *mbi)
{
	(void)mbi;
	printf("layout: text at %p, data at %p, bss %p-%p\n", (void *)text,
	       (void *)words, (void *)__bss_start, (void *)__bss_end);
	const volatile char *t = text;
	ASSERT((uint32_t)words >= 0x180000 && (uint32_t)words < 0x190000);
	ASSERT((uint32_t)text < 0x180000);
	ASSERT_EQ(words[0], 0x11111111);
	ASSERT_EQ(words[3], 0x44444444);
	ASSERT_EQ(big[0], 0xfeedface);
	ASSERT_EQ(big[1], 0);
	ASSERT_EQ(big[2048], 0x600dcafe);
	ASSERT_EQ(big[4095], 0xdeadbeef);
	ASSERT(t[0] == 'r' && t[33] == 't' && t[34] == 0);
	printf("layout: both segments loaded\n");
	ASSERTF(!loader_bss_nonzero, "the loader left bss non-zero");
	for (unsigned i = 0; i < 16384; i++)
		ASSERT_EQ(zeros[i], 0);
	printf("layout: bss zeroed by the loader\n");
}
