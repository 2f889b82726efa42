/* pit_calibrate.c (pc_pit_calibrate): the TSC calibrated against PIT
 * channel 2 as Linux does (gate through port 0x61 bit 0, mode 0, poll OUT2
 * in bit 5), compared with CPUID 0x40000010 where the hypervisor states
 * it; the gate stopping the count; and the ACPI PM timer (port from the
 * FADT, 3.579545 MHz) against the TSC. */
#include "pclib.h"

#define PM_HZ 3579545u

static int within(uint64_t got, uint64_t want, unsigned pct)
{
	uint64_t d = got > want ? got - want : want - got;
	return d * 100 <= want * pct;
}

static uint16_t ch2_latch(void)
{
	outb(0x43, 0x80);		/* counter latch, channel 2 */
	uint8_t lo = inb(0x42);
	return lo | inb(0x42) << 8;
}

/* The 8254 datasheet: in mode 0 GATE low disables counting. QEMU 7.2's
 * PIT ignores the gate in mode 0 ("pit_gate=free" skips that check). */
static void gate_check(void)
{
	/* Gate low: the count is loaded but does not run. */
	outb(0x61, inb(0x61) & ~0x03);
	outb(0x43, 0xb0);
	outb(0x42, 0x00);
	outb(0x42, 0x80);		/* 0x8000 */
	udelay(2000);
	uint16_t c0 = ch2_latch();
	ASSERTF(!(inb(0x61) & 0x20), "OUT2 high in mode 0 before the count ran out");
	udelay(2000);
	uint16_t c1 = ch2_latch();
	ASSERTF(c0 == c1 && c0 >= 0x7ffe, "gate low: count 0x%x then 0x%x", c0, c1);
	outb(0x61, (inb(0x61) & ~0x02) | 0x01);
	udelay(2000);
	uint16_t c2 = ch2_latch();
	ASSERTF(c2 < c1, "gate high: count 0x%x stays 0x%x", c1, c2);
	outb(0x61, inb(0x61) & ~0x03);
	printf("pit_calibrate: gate stops and starts channel 2\n");
}

void guest_main(const struct mb_info *mbi)
{
	char arg[16];
	pc_init();
	uint32_t cpuid_khz = cpuid_tsc_khz();
	unsigned tol = cpuid_khz ? 5 : 25;
	if (mb_arg(mbi, "pit_gate", arg, sizeof arg) && !strcmp(arg, "free"))
		printf("pit_calibrate: gate check skipped\n");
	else
		gate_check();

	/* Three 20 ms calibrations; the smallest, as Linux takes. */
	uint64_t best = ~0ull;
	for (int i = 0; i < 3; i++) {
		uint64_t t = pit_measure_tsc(20);
		ASSERTF(t, "OUT2 never went high");
		if (t < best)
			best = t;
	}
	uint32_t khz = (uint32_t)udiv64(best, 20);
	printf("pit_calibrate: TSC %u kHz by the PIT, CPUID 0x40000010 says %u kHz\n",
	       khz, cpuid_khz);
	if (cpuid_khz) {
		ASSERTF(within(khz, cpuid_khz, tol), "PIT calibration %u kHz, CPUID %u kHz",
			khz, cpuid_khz);
		printf("pit_calibrate: PIT calibration within %u%% of CPUID\n", tol);
	}

	/* The PM timer against the TSC over 20 ms. */
	uint32_t port = acpi_pm_tmr_port();
	const struct acpi_header *f = acpi_find_table("FACP");
	ASSERTF(port, "no PM timer in the FADT");
	int ext = f && f->length >= 116 && (*(const uint32_t *)((const char *)f + 112) & (1u << 8));
	uint32_t mask = ext ? 0xffffffffu : 0xffffffu;
	printf("pit_calibrate: PM timer at port 0x%x, %u bits\n", port, ext ? 32 : 24);
	uint32_t p0 = inl(port) & mask;
	uint64_t t0 = rdtsc();
	udelay(20000);
	uint32_t p1 = inl(port) & mask;
	uint64_t t1 = rdtsc();
	uint64_t pm = (p1 - p0) & mask;
	/* pm / PM_HZ seconds == (t1 - t0) / (khz * 1000) seconds. */
	uint64_t a = pm * khz, b = (t1 - t0) * (PM_HZ / 1000);
	ASSERTF(within(a, b, tol), "PM timer advanced %llu in %llu TSC ticks (TSC %u kHz)",
		pm, t1 - t0, khz);
	printf("pit_calibrate: PM timer rate within %u%% of 3.579545 MHz\n", tol);
	if (!ext)
		ASSERT_EQ(inl(port) >> 24, 0);
}
