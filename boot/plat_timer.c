/* plat_timer.c: a one-shot host timer of the hypervisor's own, for
 * processors without a VMX-style preemption timer (AMD-V). The firmware
 * keeps the local APIC timer for its tick, so this uses an HPET
 * comparator (IA-PC HPET Specification 1.0a, 2.3) routed through the
 * host's I/O APIC (82093AA, 3.2.4) to a vector of our own in a copy of
 * the firmware's IDT. The interrupt only has to exist: arriving while a
 * guest runs, it forces an exit (VMCB V_INTR_MASKING); the handler just
 * acknowledges it. Found through the firmware's ACPI tables (HPET, MADT).
 * Environment: bootstrap processor, boot services, before the VM runs. */
#include <efi.h>
#include <efilib.h>
#include "hv/log.h"
#include "hv/platform.h"
#include "hv/x86.h"

#define TIMER_VECTOR 0xf1
#define HPET_CAP 0x000
#define HPET_CONF 0x010
#define HPET_COUNTER 0x0f0
#define HPET_TN_CONF(n) (0x100 + 0x20 * (n))
#define HPET_TN_CMP(n) (0x108 + 0x20 * (n))
#define TN_INT_ENB (1ull << 2)
#define TN_32MODE (1ull << 8)

struct __attribute__((packed)) acpi_hdr {
	char sig[4];
	uint32_t len;
	uint8_t rev, sum;
	char oem[6], table[8];
	uint32_t oem_rev, creator, creator_rev;
};

struct __attribute__((packed)) rsdp {
	char sig[8];
	uint8_t sum;
	char oem[6];
	uint8_t rev;
	uint32_t rsdt;
	uint32_t len;
	uint64_t xsdt;
};

struct __attribute__((packed)) gate {
	uint16_t off0, sel;
	uint8_t ist, type;
	uint16_t off1;
	uint32_t off2, zero;
};

extern void plat_timer_isr(void);
uint32_t plat_timer_x2apic;

static volatile uint8_t *hpet;
static unsigned hpet_timer;
static uint64_t hpet_fs; /* femtoseconds per HPET tick */

static volatile uint64_t *hpet_reg(unsigned off)
{
	return (volatile uint64_t *)(hpet + off);
}

/* The ACPI table with signature `sig` under the firmware's XSDT. */
static const struct acpi_hdr *find_table(const char *sig)
{
	static EFI_GUID acpi20 = ACPI_20_TABLE_GUID; /* UEFI 2.x, 4.6 */
	struct rsdp *r = NULL;
	if (EFI_ERROR(LibGetSystemConfigurationTable(&acpi20, (void **)&r)) ||
	    !r || r->rev < 2 || !r->xsdt)
		return NULL;
	const struct acpi_hdr *x = (const void *)(uintptr_t)r->xsdt;
	unsigned n = (x->len - sizeof *x) / 8;
	const uint64_t *ent = (const void *)(x + 1);
	for (unsigned i = 0; i < n; i++) {
		const struct acpi_hdr *t = (const void *)(uintptr_t)ent[i];
		if (t && !CompareMem(t->sig, sig, 4))
			return t;
	}
	return NULL;
}

/* MADT I/O APIC entry (ACPI 6.x, 5.2.12.3) for GSI `gsi`, or 0. */
static uint64_t ioapic_for(unsigned gsi, unsigned *base_gsi)
{
	const struct acpi_hdr *m = find_table("APIC");
	if (!m)
		return 0;
	const uint8_t *p = (const uint8_t *)m + 44, *end = (const uint8_t *)m + m->len;
	for (; p + 2 <= end && p[1] >= 2; p += p[1]) {
		if (p[0] != 1 || p[1] < 12)
			continue;
		uint32_t addr = *(const uint32_t *)(p + 4), gbase = *(const uint32_t *)(p + 8);
		if (gsi >= gbase && gsi < gbase + 24) {
			*base_gsi = gbase;
			return addr;
		}
	}
	return 0;
}

static void ioapic_route(uint64_t base, unsigned pin, uint8_t vector)
{
	volatile uint32_t *sel = (volatile uint32_t *)(uintptr_t)base;
	volatile uint32_t *win = (volatile uint32_t *)(uintptr_t)(base + 0x10);
	uint32_t apic_id = plat_timer_x2apic ? (uint32_t)rdmsr(0x802)
					     : *(volatile uint32_t *)(uintptr_t)0xfee00020 >> 24;
	*sel = 0x10 + 2 * pin + 1;
	*win = apic_id << 24;
	*sel = 0x10 + 2 * pin;
	*win = vector; /* fixed, physical, edge, active high, unmasked */
}

/* A copy of the firmware's IDT with our gate added, loaded in its place. */
static status_t install_gate(void)
{
	struct dtr idtr;
	sidt(&idtr);
	struct gate *idt = plat_alloc_pages(1);
	if (!idt)
		return ST_ENOMEM;
	SetMem(idt, PAGE_SIZE, 0);
	CopyMem(idt, (void *)(uintptr_t)idtr.base, idtr.limit + 1u);
	uint64_t off = (uint64_t)(uintptr_t)plat_timer_isr;
	idt[TIMER_VECTOR] = (struct gate){ (uint16_t)off, read_cs(), 0, 0x8e,
					   (uint16_t)(off >> 16), (uint32_t)(off >> 32), 0 };
	idtr = (struct dtr){ 256 * sizeof(struct gate) - 1, (uint64_t)(uintptr_t)idt };
	lidt(&idtr);
	return ST_OK;
}

/* The last comparator that can reach an I/O APIC pin of 16 or more
 * (pins below are ISA lines the firmware may use). */
static int pick_pin(unsigned *timer)
{
	unsigned ntimers = ((*hpet_reg(HPET_CAP) >> 8) & 0x1f) + 1;
	for (unsigned t = ntimers; t-- > 0;) {
		uint32_t route = (uint32_t)(*hpet_reg(HPET_TN_CONF(t)) >> 32);
		for (unsigned pin = 16; pin < 32; pin++)
			if (route & (1u << pin)) {
				*timer = t;
				return (int)pin;
			}
	}
	return -1;
}

status_t plat_timer_init(void)
{
	const struct acpi_hdr *h = find_table("HPET");
	unsigned base_gsi = 0;
	if (!h)
		return ST_ENODEV;
	hpet = (volatile uint8_t *)(uintptr_t)*(const uint64_t *)((const uint8_t *)h + 44);
	hpet_fs = *hpet_reg(HPET_CAP) >> 32;
	int pin = hpet_fs ? pick_pin(&hpet_timer) : -1;
	uint64_t ioapic = pin >= 0 ? ioapic_for((unsigned)pin, &base_gsi) : 0;
	if (!ioapic)
		return ST_ENODEV;
	plat_timer_x2apic = (rdmsr(MSR_IA32_APIC_BASE) >> 10) & 1;
	if (install_gate())
		return ST_ENOMEM;
	ioapic_route(ioapic, (unsigned)pin - base_gsi, TIMER_VECTOR);
	*hpet_reg(HPET_TN_CONF(hpet_timer)) =
		((unsigned)pin << 9) | TN_32MODE; /* edge, one-shot, off */
	*hpet_reg(HPET_CONF) |= 1; /* main counter on */
	hv_log("host timer: HPET comparator %u on I/O APIC pin %d, vector 0x%x",
	       hpet_timer, pin, TIMER_VECTOR);
	return ST_OK;
}

/* Raises the interrupt at (or just after) TSC value `tsc`; re-armed
 * before every entry, as the TSC and HPET rates are known only roughly. */
void plat_timer_arm(uint64_t tsc)
{
	uint64_t now = rdtsc();
	if (!hpet)
		return;
	uint64_t delta_tsc = tsc > now ? tsc - now : 0;
	unsigned __int128 fs = (unsigned __int128)delta_tsc * 1000000000000000ull /
			       plat_tsc_hz();
	uint64_t ticks = (uint64_t)(fs / hpet_fs) + 1;
	if (ticks > 0x7fffffffu)
		ticks = 0x7fffffffu;
	uint32_t cmp = (uint32_t)*hpet_reg(HPET_COUNTER) + (uint32_t)ticks;
	*hpet_reg(HPET_TN_CONF(hpet_timer)) |= TN_INT_ENB;
	*hpet_reg(HPET_TN_CMP(hpet_timer)) = cmp;
}
