/* plat_efi.h: setup of the UEFI platform layer (boot/ only). */
#ifndef BOOT_PLAT_EFI_H
#define BOOT_PLAT_EFI_H
#include <efi.h>

void plat_efi_init(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab);

#endif
