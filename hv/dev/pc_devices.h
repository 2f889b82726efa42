/* pc_devices.h: the PC's timer chips as device models: the 8254 PIT
 * (ports 0x40-0x43 and system control port B at 0x61, IRQ 0) and the
 * MC146818 RTC/CMOS (ports 0x70-0x71, IRQ 8). Both follow device.h:
 * created once per VM, state saved and restored as versioned bytes. */
#ifndef HV_DEV_PC_DEVICES_H
#define HV_DEV_PC_DEVICES_H
#include <stdbool.h>
#include <stdint.h>
#include "hv/dev/device.h"

struct vm;

/* Claims 0x40-0x43 (region 0) and 0x61 (region 1). Starts as after
 * power-on: every channel in mode 3 with count 65536, channel 0 running
 * (IRQ 0 at 18.2 Hz) and channel 2's gate low. NULL when out of memory
 * or a port is taken. */
struct device *pit8254_create(struct vm *vm);

/* Claims 0x70-0x71 (region 0). The clock starts at unix_seconds (UTC)
 * and runs with the virtual clock; the CMOS memory-size bytes describe
 * ram_below_4g bytes from address 0 and ram_above_4g bytes from 4 GiB.
 * NULL when out of memory or a port is taken. */
struct device *rtc_create(struct vm *vm, uint64_t unix_seconds,
			  uint64_t ram_below_4g, uint64_t ram_above_4g);
/* Bit 7 of the last write to port 0x70: NMIs masked by the guest. */
bool rtc_nmi_masked(const struct device *dev);

/* The HPET (IA-PC HPET 1.0a) at HPET_BASE, as on QEMU's pc machine:
 * claims the MMIO page (region 0). Starts halted with its counter at 0.
 * NULL when out of memory or the range is taken. */
#define HPET_BASE 0xfed00000ull
#define HPET_SIZE 0x400ull
struct device *hpet_create(struct vm *vm);

#endif
