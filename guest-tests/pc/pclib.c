/* pclib.c: the PC helpers of the pc_* test guests (see pclib.h). */
#include "pclib.h"

struct gate {
	uint16_t off_lo, sel;
	uint8_t zero, type;
	uint16_t off_hi;
} __attribute__((packed));

extern const uint32_t exc_stubs[32];
extern char irq_stubs[];
static struct gate idt[256];
static irq_handler_t handlers[256];
volatile uint32_t pc_irq_count[256];
volatile uint32_t pc_unexpected;

static void set_gate(int v, uint32_t fn)
{
	idt[v].off_lo = fn & 0xffff;
	idt[v].off_hi = fn >> 16;
	idt[v].sel = 0x08;
	idt[v].zero = 0;
	idt[v].type = 0x8e;	/* present, DPL 0, 32-bit interrupt gate */
}

void pc_init(void)
{
	for (int v = 0; v < 32; v++)
		set_gate(v, exc_stubs[v]);
	for (int v = 32; v < 256; v++)
		set_gate(v, (uint32_t)irq_stubs + (v - 32) * 16);
	struct { uint16_t limit; uint32_t base; } __attribute__((packed)) d = {
		sizeof(idt) - 1, (uint32_t)idt };
	__asm__ volatile("lidt %0" :: "m"(d));
	/* The BIOS may leave the 8259 at vector 8 with IRQ 0 open (SeaBIOS
	 * does): move it above the exceptions and mask every line. */
	pic_remap(0x20, 0x28);
}

void pc_set_handler(uint8_t vector, irq_handler_t fn)
{
	handlers[vector] = fn;
}

void pc_irq_dispatch(uint32_t vector)
{
	vector &= 0xff;
	pc_irq_count[vector]++;
	if (handlers[vector])
		handlers[vector]((uint8_t)vector);
	else
		pc_unexpected++;
}

int wait_count(volatile uint32_t *count, uint32_t n, uint32_t timeout_ms)
{
	uint64_t end = rdtsc() + (uint64_t)tsc_khz() * timeout_ms;
	sti();
	while (*count < n && rdtsc() < end)
		pause();
	cli();
	return *count >= n;
}

/* ---- time ---- */

static int hv_leaf_ok(void)
{
	if (!(cpuid(1, 0).ecx & (1u << 31)))
		return 0;
	uint32_t max = cpuid(0x40000000, 0).eax;
	return max >= 0x40000010 && max < 0x40000100;
}

uint32_t cpuid_tsc_khz(void)
{
	return hv_leaf_ok() ? cpuid(0x40000010, 0).eax : 0;
}

uint32_t cpuid_apic_khz(void)
{
	return hv_leaf_ok() ? cpuid(0x40000010, 0).ebx : 0;
}

/* As Linux's pit_calibrate_tsc(): channel 2 in mode 0 with the gate (port
 * 0x61 bit 0) high and the speaker off, then poll OUT2 (bit 5). */
uint64_t pit_measure_tsc(uint32_t ms)
{
	uint32_t latch = PIT_HZ / 1000 * ms;
	if (latch > 0xffff)
		latch = 0xffff;
	outb(0x61, (inb(0x61) & ~0x02) | 0x01);
	outb(0x43, 0xb0);		/* channel 2, lo/hi, mode 0, binary */
	outb(0x42, latch & 0xff);
	outb(0x42, latch >> 8);
	uint64_t t1 = rdtsc(), t2;
	uint32_t n = 0;
	while (!(inb(0x61) & 0x20))
		if (++n > 20000000)
			return 0;
	t2 = rdtsc();
	outb(0x61, inb(0x61) & ~0x03);
	return t2 - t1;
}

uint32_t tsc_khz(void)
{
	static uint32_t khz;
	if (!khz)
		khz = cpuid_tsc_khz();
	if (!khz)
		khz = (uint32_t)udiv64(pit_measure_tsc(20), 20);
	if (!khz)
		khz = 1000000;
	return khz;
}

uint64_t udiv64(uint64_t n, uint32_t d)
{
	uint32_t hi = (uint32_t)(n >> 32), lo = (uint32_t)n, qhi = hi / d, r = hi % d, qlo;
	__asm__("divl %4" : "=a"(qlo), "=d"(r) : "a"(lo), "d"(r), "rm"(d));
	return ((uint64_t)qhi << 32) | qlo;
}

void udelay(uint32_t us)
{
	uint64_t end = rdtsc() + udiv64((uint64_t)tsc_khz() * us, 1000);
	while (rdtsc() < end)
		pause();
}

/* ---- local APIC ---- */

int apic_x2;

uint32_t apic_read(uint32_t reg)
{
	if (apic_x2)
		return (uint32_t)rdmsr(0x800 + (reg >> 4));
	return mmio_read32(XAPIC_BASE + reg);
}

void apic_write(uint32_t reg, uint32_t v)
{
	if (apic_x2)
		wrmsr(0x800 + (reg >> 4), v);
	else
		mmio_write32(XAPIC_BASE + reg, v);
}

void apic_icr(uint32_t dest, uint32_t low)
{
	if (apic_x2) {
		wrmsr(0x830, ((uint64_t)dest << 32) | low);
		return;
	}
	mmio_write32(XAPIC_BASE + APIC_ICR2, dest << 24);
	mmio_write32(XAPIC_BASE + APIC_ICR, low);
	for (int i = 0; i < 100000; i++)
		if (!(mmio_read32(XAPIC_BASE + APIC_ICR) & (1u << 12)))
			break;
}

void apic_eoi(void)
{
	apic_write(APIC_EOI, 0);
}

void apic_enable_xapic(void)
{
	uint64_t b = rdmsr(MSR_APIC_BASE);
	if (b & APIC_BASE_EXTD)		/* x2APIC -> xAPIC goes through off */
		wrmsr(MSR_APIC_BASE, b & ~(uint64_t)(APIC_BASE_EN | APIC_BASE_EXTD));
	b &= ~(uint64_t)APIC_BASE_EXTD;
	wrmsr(MSR_APIC_BASE, b | APIC_BASE_EN);
	apic_x2 = 0;
	apic_write(APIC_SVR, 0x1ff);
}

int apic_enable_x2apic(void)
{
	if (!(cpuid(1, 0).ecx & (1u << 21)))
		return 0;
	uint64_t b = rdmsr(MSR_APIC_BASE);
	wrmsr(MSR_APIC_BASE, b | APIC_BASE_EN | APIC_BASE_EXTD);
	apic_x2 = 1;
	apic_write(APIC_SVR, 0x1ff);
	return 1;
}

int apic_vector_bit(uint32_t base, uint8_t vector)
{
	return (apic_read(base + (vector / 32) * 0x10) >> (vector % 32)) & 1;
}

/* ---- IOAPIC ---- */

uint32_t ioapic_base = 0xfec00000u;

uint32_t ioapic_read(uint32_t reg)
{
	mmio_write32(ioapic_base, reg);
	return mmio_read32(ioapic_base + 0x10);
}

void ioapic_write(uint32_t reg, uint32_t v)
{
	mmio_write32(ioapic_base, reg);
	mmio_write32(ioapic_base + 0x10, v);
}

void ioapic_route(unsigned pin, uint8_t vector, int level, int masked)
{
	uint32_t id = apic_x2 ? apic_read(APIC_ID) : apic_read(APIC_ID) >> 24;
	ioapic_write(0x10 + 2 * pin, LVT_MASKED);
	ioapic_write(0x11 + 2 * pin, id << 24);
	ioapic_write(0x10 + 2 * pin, vector | (level ? 1u << 15 : 0) |
		     (masked ? LVT_MASKED : 0));
}

/* ---- 8259 ---- */

void pic_remap(uint8_t base1, uint8_t base2)
{
	outb(0x20, 0x11);		/* ICW1: edge, cascade, ICW4 */
	outb(0xa0, 0x11);
	outb(0x21, base1);		/* ICW2: vector base */
	outb(0xa1, base2);
	outb(0x21, 0x04);		/* ICW3: slave on IRQ 2 */
	outb(0xa1, 0x02);		/*       slave identity 2 */
	outb(0x21, 0x01);		/* ICW4: 8086 mode */
	outb(0xa1, 0x01);
	pic_set_mask(0xffff);
}

void pic_set_mask(uint16_t mask)
{
	outb(0x21, mask & 0xff);
	outb(0xa1, mask >> 8);
}

void pic_eoi(unsigned irq)
{
	if (irq >= 8)
		outb(0xa0, 0x20);
	outb(0x20, 0x20);
}

uint8_t pic_read_isr(int slave)
{
	uint16_t p = slave ? 0xa0 : 0x20;
	outb(p, 0x0b);
	return inb(p);
}

uint8_t pic_read_irr(int slave)
{
	uint16_t p = slave ? 0xa0 : 0x20;
	outb(p, 0x0a);
	return inb(p);
}

/* ---- 8254 ---- */

void pit_periodic(uint16_t count)
{
	outb(0x43, 0x34);		/* channel 0, lo/hi, mode 2 */
	outb(0x40, count & 0xff);
	outb(0x40, count >> 8);
}

void pit_stop(void)
{
	outb(0x43, 0x30);		/* mode 0, waiting for a count */
}

/* ---- ACPI ---- */

uint8_t acpi_sum(const void *p, uint32_t len)
{
	const uint8_t *b = p;
	uint8_t s = 0;
	while (len--)
		s += *b++;
	return s;
}

const struct acpi_rsdp *acpi_find_rsdp(void)
{
	for (uint32_t a = 0xe0000; a < 0x100000; a += 16) {
		const struct acpi_rsdp *r = (const void *)a;
		if (!memcmp(r->sig, "RSD PTR ", 8) && acpi_sum(r, 20) == 0)
			return r;
	}
	return NULL;
}

const struct acpi_header *acpi_find_table(const char sig[4])
{
	const struct acpi_rsdp *r = acpi_find_rsdp();
	if (!r)
		return NULL;
	const struct acpi_header *rsdt = (const void *)r->rsdt;
	uint32_t n = (rsdt->length - sizeof *rsdt) / 4;
	const uint32_t *e = (const uint32_t *)(rsdt + 1);
	for (uint32_t i = 0; i < n; i++) {
		const struct acpi_header *h = (const void *)e[i];
		if (!memcmp(h->sig, sig, 4))
			return h;
	}
	return NULL;
}

static uint32_t fadt32(uint32_t off)
{
	const struct acpi_header *f = acpi_find_table("FACP");
	if (!f || f->length < off + 4)
		return 0;
	return *(const uint32_t *)((const char *)f + off);
}

uint32_t acpi_pm_tmr_port(void) { return fadt32(76); }
uint32_t acpi_pm1a_cnt_port(void) { return fadt32(64); }

/* ---- PCI ---- */

static uint32_t pci_addr(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
	return 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (off & 0xfc);
}

uint32_t pci_read32(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
	outl(0xcf8, pci_addr(bus, dev, fn, off));
	return inl(0xcfc);
}

void pci_write32(unsigned bus, unsigned dev, unsigned fn, unsigned off, uint32_t v)
{
	outl(0xcf8, pci_addr(bus, dev, fn, off));
	outl(0xcfc, v);
}
