/* disk_stop: writes its disk and stops at once, without a flush, the way
 * the command line's stop=WAY says: exit (code 7 to the debug-exit port),
 * s5 (ACPI power-off through PM1a_CNT, as Linux's `poweroff -f`) or
 * triple (a fault with no IDT). Every write was acknowledged (status OK)
 * before the stop, so the host must find all of them in the VHD
 * (tests/system/test_disk.py). Writes pattern 'W' to sectors 0-95 and,
 * so that the stop also catches a new block's BAT entry, to the 64
 * sectors from the middle of the disk. */
#include "vblk.h"

#define TAG "disk_stop"
#define PM1A_CNT 0x604		/* hv/acpi.h: FADT PM1a_CNT_BLK */
#define SLP_TYP_S5 (5u << 10)	/* the DSDT's \_S5 package: 5 */
#define SLP_EN (1u << 13)	/* ACPI 6.4, 4.8.3.2.1 PM1 control */

static void triple_fault(void)
{
	static const struct { uint16_t limit; uint32_t base; }
		__attribute__((packed)) no_idt = { 0, 0 };
	__asm__ volatile("lidt %0; int3" :: "m"(no_idt));
}

void guest_main(const struct mb_info *mbi)
{
	char how[16];
	if (!mb_arg(mbi, "stop", how, sizeof how))
		fail(__FILE__, __LINE__, "give stop=exit|s5|triple");
	vblk_init();
	uint64_t mid = vblk_capacity() / 2;
	pattern_write('W', 0, 96);
	pattern_write('W', mid, 64);
	printf(TAG ": wrote sectors 0-95 and %llu-%llu, no flush; stopping by %s\n",
	       mid, mid + 63, how);
	if (!strcmp(how, "exit"))
		guest_exit(7);
	if (!strcmp(how, "s5"))
		outw(PM1A_CNT, SLP_TYP_S5 | SLP_EN);
	if (!strcmp(how, "triple"))
		triple_fault();
	fail(__FILE__, __LINE__, "still running after stop=%s", how);
}
