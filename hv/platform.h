/* platform.h: what the hypervisor needs from the machine it boots on.
 * Implemented by boot/ on UEFI boot services (the only code that sees
 * firmware headers) and by fakes in host unit tests. Physical addresses
 * equal virtual ones (UEFI identity map).
 * Environment: bootstrap processor, boot services alive, CPL 0. */
#ifndef HV_PLATFORM_H
#define HV_PLATFORM_H

#include <stddef.h>
#include <stdint.h>
#include "status.h"

#define PAGE_SIZE 4096ull

/* Page-granular memory; not zeroed. NULL when the firmware has none. */
void *plat_alloc_pages(size_t npages);
/* As above, with the start aligned to `align` bytes (a power of two). */
void *plat_alloc_pages_aligned(size_t npages, uint64_t align);
void plat_free_pages(void *p, size_t npages);

/* Reads a whole file of the boot volume ('/' separators) into pages
 * from plat_alloc_pages; *size is its length. */
status_t plat_read_file(const char *path, void **data, size_t *size);

/* Host console: raw bytes out (serial, and screen where there is one)
 * and one byte in, or -1 when nothing is waiting. */
void plat_console_write(const char *buf, size_t len);
int plat_console_getc(void);

/* Monotonic microseconds since start. */
uint64_t plat_time_us(void);
uint64_t plat_tsc_hz(void);

/* A one-shot host timer that interrupts a running guest (for vendors
 * without a preemption timer): ST_ENODEV where the machine has none. */
status_t plat_timer_init(void);
void plat_timer_arm(uint64_t tsc_deadline);

/* Ends the machine: power off. */
__attribute__((noreturn)) void plat_power_off(void);

#endif
