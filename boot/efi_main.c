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
#include "hv/x86.h"

/* The per-CPU block FS points at: liblz4 (built with the stack
 * protector) reads its canary at %fs:0x28, as Linux's TLS layout puts
 * it. The value only has to stay put while a function runs. */
static uint64_t cpu_block[8] __attribute__((aligned(64)));

static void cpu_block_init(void)
{
	cpu_block[0x28 / 8] = rdtsc() | 0x100; /* not zero, no NUL low byte */
	wrmsr(MSR_FS_BASE, (uint64_t)(uintptr_t)cpu_block);
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	InitializeLib(image, systab);
	/* UEFI 2.x, 7.5.2: the 5-minute watchdog armed for applications. */
	uefi_call_wrapper(BS->SetWatchdogTimer, 4, 0, 0, 0, NULL);
	cpu_block_init();
	plat_efi_init(image, systab);
	hv_main();
	plat_power_off();
}
