/* hello: the default guest (`make run`, the USB image). Greets on COM1,
 * then echoes what arrives on COM1 until 'q' (exit code 0). */
#include "guest.h"

void guest_main(const struct mb_info *mbi)
{
	printf("hello: multiboot guest running, cmdline '%s'\n", mb_cmdline(mbi));
	if (mbi->flags & MBI_MEM)
		printf("hello: %u KiB low, %u KiB high memory\n",
		       mbi->mem_lower, mbi->mem_upper);
	printf("hello: type a line and it comes back; 'q' quits\n");
	for (;;) {
		int c = serial_getc();
		if (c < 0) {
			__asm__ volatile("pause");
			continue;
		}
		if (c == 'q')
			break;
		if (c == '\r')
			c = '\n';
		serial_putc((char)c);
	}
	printf("\nhello: bye\n");
}
