/* acpi.h: the ACPI tables of the guest's PC (RSDP, RSDT, XSDT, FADT,
 * FACS, MADT, DSDT) that acpi_build() writes into guest RAM, and the
 * fixed numbers the tables announce, shared with the device models
 * (hv/dev/acpi_pm.c, hv/dev/i8042.c) and the VM so all agree.
 * Portable; the DSDT is AML compiled at build time from hv/acpi/dsdt.asl. */
#ifndef HV_ACPI_H
#define HV_ACPI_H
#include <stdint.h>
#include "status.h"
#include "hv/gmem.h"

/* Where the tables go: the top 64 KiB of the BIOS area, guest RAM that
 * the e820 map reserves and the guest sees read-only. The RSDP sits at
 * its start, so both the legacy scan of 0xE0000-0xFFFFF (ACPI 6.4,
 * 5.2.5.1) and the older one of 0xF0000-0xFFFFF (kvm-unit-tests and other
 * BIOS-era code) find it. */
#define ACPI_TABLE_BASE 0xf0000u
#define ACPI_TABLE_SIZE 0x10000u

/* Interrupt controllers announced in the MADT. APIC IDs of the vCPUs are
 * 0..n-1; the IOAPIC's ID is n (its ID register must read back n). */
#define ACPI_LAPIC_BASE 0xfee00000u
#define ACPI_IOAPIC_BASE 0xfec00000u
#define ACPI_IOAPIC_INPUTS 24
#define ACPI_MAX_VCPUS 254 /* xAPIC IDs 0..253, IOAPIC ID 254 */

/* Fixed hardware (FADT): the PM I/O block, its registers, the SCI. */
#define ACPI_PM_BASE 0x600u
#define ACPI_PM_LEN 0x0cu            /* 0x600-0x60B */
#define ACPI_PM1_EVT_BLK ACPI_PM_BASE /* PM1a_STS 0x600, PM1a_EN 0x602 */
#define ACPI_PM1_EVT_LEN 4
#define ACPI_PM1_CNT_BLK (ACPI_PM_BASE + 4)
#define ACPI_PM1_CNT_LEN 2
#define ACPI_PM_TMR_BLK (ACPI_PM_BASE + 8)
#define ACPI_PM_TMR_LEN 4
#define ACPI_PM_TMR_HZ 3579545u      /* ACPI 6.4, 4.8.3.3 */
#define ACPI_SCI_IRQ 9               /* ISA IRQ 9 = GSI 9, level, active high */
#define ACPI_RESET_PORT 0xcf9u       /* FADT RESET_REG (I/O, 8 bits) */
#define ACPI_RESET_VALUE 0x06u
#define ACPI_RTC_CENTURY 0x32u       /* CMOS index of the century byte */

/* SLP_TYP of S5 as the DSDT's \_S5 announces it; the PM device also
 * powers off on SLP_TYP 0, the value QEMU's PIIX4 announces. */
#define ACPI_SLP_TYP_S5 5
#define ACPI_SLP_TYP_S5_QEMU 0

/* Interrupt routing the DSDT announces. */
#define ACPI_PCI_GSI 11      /* INTA#-INTD# of every slot: level, low */
#define ACPI_IRQ_PIT 0       /* -> GSI 2 (MADT override) */
#define ACPI_IRQ_KBD 1
#define ACPI_IRQ_COM1 4
#define ACPI_IRQ_RTC 8

/* The HPET (hv/dev/hpet.c; IA-PC HPET 1.0a, 3.2.4). */
#define ACPI_HPET_BASE 0xfed00000u
#define ACPI_HPET_BLOCK_ID 0x8086a201u
#define ACPI_IRQ_AUX 12

struct acpi_config {
	unsigned nvcpus;         /* 1..ACPI_MAX_VCPUS */
	uint64_t table_base;     /* GPA: 64-byte aligned, RAM, below 4 GiB */
	uint64_t table_size;     /* bytes; all of it is rewritten */
};

/* Zeroes [table_base, +table_size) and writes the tables there with
 * gmem_write; *rsdp_addr gets the RSDP's GPA (= table_base). ST_EINVAL
 * for a bad config, ST_ENOSPC when the tables do not fit, ST_EFAULT when
 * the area is not RAM, ST_ENOMEM. Deterministic: same config, same bytes. */
status_t acpi_build(struct gmem *gm, const struct acpi_config *cfg,
		    uint64_t *rsdp_addr);

/* The DSDT as iasl compiled it (generated file build/gen/dsdt_aml.c). */
extern const uint8_t acpi_dsdt_aml[];
extern const uint32_t acpi_dsdt_aml_len;

#endif
