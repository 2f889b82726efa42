/* pclib.h: PC helpers for the pc_* test guests (on top of guest.h): a full
 * 256-entry IDT with C handlers for vectors 32-255, the local APIC in xAPIC
 * or x2APIC mode (Intel SDM vol. 3A ch. 11), the IOAPIC (82093AA
 * datasheet), the 8259 pair, the 8254 PIT, TSC calibration, ACPI table
 * lookup (ACPI 6.x ch. 5) and PCI configuration mechanism 1. Call
 * pc_init() first. Paging is off, so MMIO is accessed by physical address. */
#ifndef PCLIB_H
#define PCLIB_H
#include "guest.h"

/* Interrupts. */
typedef void (*irq_handler_t)(uint8_t vector);
void pc_init(void);			/* loads the 256-entry IDT */
void pc_set_handler(uint8_t vector, irq_handler_t fn);
extern volatile uint32_t pc_irq_count[256];
extern volatile uint32_t pc_unexpected;	/* interrupts with no handler */
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void pause(void) { __asm__ volatile("pause" ::: "memory"); }
/* Enables interrupts, spins until *count >= n or timeout_ms passes. */
int wait_count(volatile uint32_t *count, uint32_t n, uint32_t timeout_ms);

static inline uint32_t mmio_read32(uint32_t a) { return *(volatile uint32_t *)a; }
static inline void mmio_write32(uint32_t a, uint32_t v) { *(volatile uint32_t *)a = v; }

/* Time: TSC rate from CPUID 0x40000010 when the hypervisor gives it, else
 * calibrated against PIT channel 2. */
uint32_t cpuid_tsc_khz(void);		/* 0 when absent */
uint32_t cpuid_apic_khz(void);		/* 0 when absent */
uint64_t pit_measure_tsc(uint32_t ms);	/* TSC ticks in ms by PIT ch. 2 */
uint32_t tsc_khz(void);
void udelay(uint32_t us);
/* 64-by-32 division without libgcc. */
uint64_t udiv64(uint64_t n, uint32_t d);

/* Local APIC. */
#define MSR_APIC_BASE	0x1b
#define APIC_BASE_BSP	(1u << 8)
#define APIC_BASE_EXTD	(1u << 10)
#define APIC_BASE_EN	(1u << 11)
#define XAPIC_BASE	0xfee00000u
#define APIC_ID		0x20
#define APIC_VER	0x30
#define APIC_TPR	0x80
#define APIC_PPR	0xa0
#define APIC_EOI	0xb0
#define APIC_LDR	0xd0
#define APIC_SVR	0xf0
#define APIC_ISR	0x100
#define APIC_TMR	0x180
#define APIC_IRR	0x200
#define APIC_ESR	0x280
#define APIC_ICR	0x300
#define APIC_ICR2	0x310
#define APIC_LVTT	0x320
#define APIC_LVTTHERM	0x330
#define APIC_LVTPC	0x340
#define APIC_LVT0	0x350
#define APIC_LVT1	0x360
#define APIC_LVTERR	0x370
#define APIC_TMICT	0x380
#define APIC_TMCCT	0x390
#define APIC_TDCR	0x3e0
#define APIC_SELF_IPI	0x3f0	/* x2APIC only */
#define LVT_MASKED	(1u << 16)
#define LVT_PERIODIC	(1u << 17)
#define LVT_DEADLINE	(2u << 17)
#define MSR_TSC_DEADLINE 0x6e0
extern int apic_x2;			/* current access mode */
uint32_t apic_read(uint32_t reg);
void apic_write(uint32_t reg, uint32_t v);
void apic_icr(uint32_t dest, uint32_t low);
void apic_eoi(void);
void apic_enable_xapic(void);		/* APIC on in xAPIC mode, SVR 0x1ff */
int apic_enable_x2apic(void);		/* 0 when CPUID lacks x2APIC */
int apic_vector_bit(uint32_t base, uint8_t vector);	/* ISR/IRR/TMR bit */

/* IOAPIC (at 0xFEC00000, from the MADT when present). */
extern uint32_t ioapic_base;
uint32_t ioapic_read(uint32_t reg);
void ioapic_write(uint32_t reg, uint32_t v);
void ioapic_route(unsigned pin, uint8_t vector, int level, int masked);

/* 8259 pair. */
void pic_remap(uint8_t base1, uint8_t base2);	/* ICW1-4, all masked */
void pic_set_mask(uint16_t mask);		/* bit n: IRQ n masked */
void pic_eoi(unsigned irq);
uint8_t pic_read_isr(int slave);
uint8_t pic_read_irr(int slave);

/* 8254 PIT. */
#define PIT_HZ 1193182u
void pit_periodic(uint16_t count);	/* channel 0, mode 2 */
void pit_stop(void);			/* channel 0 to one-shot with no reload */

/* ACPI. */
struct acpi_header {
	char sig[4];
	uint32_t length;
	uint8_t revision, checksum;
	char oem_id[6], oem_table_id[8];
	uint32_t oem_revision, creator_id, creator_revision;
} __attribute__((packed));
struct acpi_rsdp {
	char sig[8];
	uint8_t checksum;
	char oem_id[6];
	uint8_t revision;
	uint32_t rsdt;
	uint32_t length;
	uint64_t xsdt;
	uint8_t ext_checksum, reserved[3];
} __attribute__((packed));
uint8_t acpi_sum(const void *p, uint32_t len);
const struct acpi_rsdp *acpi_find_rsdp(void);
const struct acpi_header *acpi_find_table(const char sig[4]);	/* via RSDT */
/* FADT fields (ACPI 6.4 table 5.9); 0 when absent. */
uint32_t acpi_pm_tmr_port(void);
uint32_t acpi_pm1a_cnt_port(void);

/* PCI configuration mechanism 1. */
uint32_t pci_read32(unsigned bus, unsigned dev, unsigned fn, unsigned off);
void pci_write32(unsigned bus, unsigned dev, unsigned fn, unsigned off, uint32_t v);

#endif
