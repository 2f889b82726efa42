/* triple: causes a triple fault: with an empty IDT, the #UD of UD2 cannot
 * be delivered (#GP), nor can that (#DF), which shuts the CPU down (Intel
 * SDM vol. 3A 6.15, "Interrupt 8"). A hypervisor stops the VM ("hv: vm
 * stopped: triple fault", exit 125); QEMU with -no-reboot exits. */
#include "guest.h"

void guest_main(const struct mb_info *mbi)
{
	(void)mbi;
	struct { uint16_t limit; uint32_t base; } __attribute__((packed)) none = { 0, 0 };
	printf("triple: loading an empty IDT and executing ud2\n");
	__asm__ volatile("lidt %0; ud2" :: "m"(none) : "memory");
	fail(__FILE__, __LINE__, "survived a triple fault");
}
