/* acpi_devices.h: the device models behind the ACPI tables (hv/acpi.h):
 * the ACPI PM I/O block (PM1 event and control registers, PM timer) at
 * ACPI_PM_BASE, and the 8042 keyboard controller at 0x60/0x64 whose
 * reset line restarts the machine. Each claims its ports on vm's bus;
 * NULL when out of memory or a port is taken. */
#ifndef HV_DEV_ACPI_DEVICES_H
#define HV_DEV_ACPI_DEVICES_H
#include "hv/dev/device.h"

struct device *acpi_pm_create(struct vm *vm);
struct device *i8042_create(struct vm *vm);

/* Presses the fixed-feature power button (PWRBTN_STS; an SCI when the
 * guest enabled it): how the host asks the guest for an orderly shutdown. */
void acpi_pm_power_button(struct device *pm);

#endif
