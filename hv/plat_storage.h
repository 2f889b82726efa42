/* plat_storage.h: what storage/ needs from the machine, implemented by
 * boot/plat_blockfile.c on the UEFI file protocol of the boot volume:
 * the block-file opener (paths with '/' or '\\' from the volume root; a
 * leading drive letter "X:" is dropped), the wall clock and random bytes.
 * Environment: bootstrap processor, boot services alive. */
#ifndef HV_PLAT_STORAGE_H
#define HV_PLAT_STORAGE_H
#include <stddef.h>
#include <stdint.h>
#include "storage/blockfile.h"

/* Fills op with the boot volume's opener (open, remove, abspath, list,
 * rename). */
void plat_bf_opener(struct bf_opener *op);
/* Makes directory path on the boot volume (fine if it exists). */
status_t plat_mkdir(const char *path);
/* Seconds since 1970-01-01 UTC from the firmware clock (0 if none). */
uint64_t plat_unix_time(void);
/* RDRAND where the CPU has it, else TSC-derived mixing. */
void plat_random_bytes(void *buf, size_t len);

#endif
