/* hlt: executes HLT with interrupts disabled and nothing that could wake
 * it. A hypervisor must notice the vCPU can never run again and stop the VM
 * ("hv: vm stopped: ... halted with interrupts disabled", exit 125); plain
 * hardware (or QEMU) just stays halted. Reaching the end is a failure. */
#include "guest.h"

void guest_main(const struct mb_info *mbi)
{
	(void)mbi;
	printf("hlt: executing cli; hlt\n");
	__asm__ volatile("cli; hlt" ::: "memory");
	fail(__FILE__, __LINE__, "HLT with IF=0 returned");
}
