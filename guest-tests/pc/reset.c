/* reset.c (pc_reset): resets the machine on request. Every boot prints
 * "reset: boot, send c, k or q" and waits for one byte on COM1: 'c' resets
 * through port 0xCF9 (as Linux's reboot=pci: 2, then 6), 'k' through the
 * keyboard controller's pulse command 0xFE on port 0x64, 'q' ends with
 * PASS. A reset boots the kernel again, so the host sees the prompt once
 * per boot (nothing in the machine survives a reset to count boots). */
#include "pclib.h"

void guest_main(const struct mb_info *mbi)
{
	(void)mbi;
	pc_init();
	while (serial_getc() >= 0)
		;
	printf("reset: boot, send c, k or q\n");
	int c;
	for (;;) {
		c = serial_getc();
		if (c == 'c' || c == 'k' || c == 'q')
			break;
		pause();
	}
	if (c == 'q')
		return;
	if (c == 'c') {
		printf("reset: through 0xcf9\n");
		uint8_t v = inb(0xcf9) & ~6;
		outb(0xcf9, v | 2);
		udelay(50);
		outb(0xcf9, v | 6);
	} else {
		printf("reset: through the keyboard controller\n");
		for (int i = 0; i < 100000 && (inb(0x64) & 2); i++)
			;
		outb(0x64, 0xfe);
	}
	udelay(100000);
	fail(__FILE__, __LINE__, "still running 100 ms after the reset");
}
