/* efi_main.c: the UEFI entry point. Switches the firmware watchdog off,
 * brings up the platform layer and hands over to hv_main(); whatever
 * hv_main returns, the machine is powered off.
 * Environment: UEFI boot services, bootstrap processor, interrupts on.
 * GNU-EFI's crt0 calls it with the System V convention (no EFIAPI). */
#include <efi.h>
#include <efilib.h>
#include "boot/plat_efi.h"
#include "hv/hv.h"
#include "hv/platform.h"

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	InitializeLib(image, systab);
	/* UEFI 2.x, 7.5.2: the 5-minute watchdog armed for applications. */
	uefi_call_wrapper(BS->SetWatchdogTimer, 4, 0, 0, 0, NULL);
	plat_efi_init(image, systab);
	hv_main();
	plat_power_off();
}
