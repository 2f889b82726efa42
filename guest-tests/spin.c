/* spin: prints one line and then spins forever without leaving guest mode
 * (the runner's timeout test). */
#include "guest.h"

void guest_main(const struct mb_info *mbi)
{
	(void)mbi;
	printf("spin: spinning forever\n");
	for (;;)
		__asm__ volatile("pause");
}
