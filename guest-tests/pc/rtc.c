/* rtc.c (pc_rtc): the MC146818 RTC/CMOS from inside: the date (read with
 * UIP clear, twice until stable) in BCD and, after setting register B's
 * DM bit, in binary; sane ranges; century at 0x32; the update-ended flag
 * in register C (cleared by reading); the NMI mask bit of port 0x70; and
 * NVRAM bytes keeping what is written. */
#include "pclib.h"

static uint8_t cmos(uint8_t i) { outb(0x70, i); return inb(0x71); }
static void cmos_w(uint8_t i, uint8_t v) { outb(0x70, i); outb(0x71, v); }

struct date { unsigned sec, min, hour, day, mon, year, cent; };

static void wait_uip_clear(void)
{
	for (int i = 0; i < 1000000; i++)
		if (!(cmos(0x0a) & 0x80))
			return;
	fail(__FILE__, __LINE__, "UIP never clears");
}

static void read_raw(struct date *d)
{
	struct date a;
	do {
		wait_uip_clear();
		a.sec = cmos(0); a.min = cmos(2); a.hour = cmos(4);
		a.day = cmos(7); a.mon = cmos(8); a.year = cmos(9); a.cent = cmos(0x32);
		wait_uip_clear();
		d->sec = cmos(0); d->min = cmos(2); d->hour = cmos(4);
		d->day = cmos(7); d->mon = cmos(8); d->year = cmos(9); d->cent = cmos(0x32);
	} while (memcmp(&a, d, sizeof a));
}

static unsigned bcd(unsigned v)
{
	ASSERTF((v & 0xf) <= 9 && (v >> 4) <= 9, "0x%x is not BCD", v);
	return (v >> 4) * 10 + (v & 0xf);
}

static void check(const struct date *d, const char *how)
{
	unsigned year = d->cent * 100 + d->year;
	printf("rtc: %s %04u-%02u-%02u %02u:%02u:%02u\n", how, year, d->mon, d->day,
	       d->hour, d->min, d->sec);
	ASSERTF(year >= 2024 && year <= 2100, "year %u", year);
	ASSERT(d->mon >= 1 && d->mon <= 12);
	ASSERT(d->day >= 1 && d->day <= 31);
	ASSERT(d->hour <= 23 && d->min <= 59 && d->sec <= 59);
}

void guest_main(const struct mb_info *mbi)
{
	(void)mbi;
	pc_init();
	uint8_t b = cmos(0x0b);
	printf("rtc: register A 0x%02x, B 0x%02x, D 0x%02x\n", cmos(0x0a), b, cmos(0x0d));
	ASSERTF(b & 0x02, "not in 24-hour mode");
	ASSERT(cmos(0x0d) & 0x80);	/* valid RAM and time */

	struct date r, d;
	read_raw(&r);
	if (!(b & 0x04)) {
		d = (struct date){ bcd(r.sec), bcd(r.min), bcd(r.hour), bcd(r.day),
				   bcd(r.mon), bcd(r.year), bcd(r.cent) };
		check(&d, "BCD");
	} else {
		check(&r, "binary (as left)");
		d = r;
	}

	/* Binary mode: same date (allow a minute's rollover). */
	cmos_w(0x0b, b | 0x04);
	ASSERT(cmos(0x0b) & 0x04);
	struct date e;
	read_raw(&e);
	check(&e, "binary");
	ASSERTF(e.year == d.year && e.cent == d.cent && e.mon == d.mon,
		"binary date differs");
	ASSERT((e.hour * 60 + e.min) - (d.hour * 60 + d.min) <= 1 || e.day != d.day);
	cmos_w(0x0b, b);
	ASSERT_EQ(cmos(0x0b), b);

	/* The update-ended flag (UF, register C bit 4) once a second. */
	(void)cmos(0x0c);
	uint64_t end = rdtsc() + (uint64_t)tsc_khz() * 1500;
	uint8_t c = 0;
	while (rdtsc() < end && !((c = cmos(0x0c)) & 0x10))
		;
	ASSERTF(c & 0x10, "no update-ended flag in 1.5 s");
	ASSERTF(!(cmos(0x0c) & 0x10), "reading C did not clear UF");
	printf("rtc: update-ended flag set, cleared by reading C\n");

	/* NMI mask: bit 7 of the index selects the same register. */
	uint8_t a = cmos(0x0a);
	outb(0x70, 0x80 | 0x0a);
	ASSERT_EQ(inb(0x71) & 0x7f, a & 0x7f);
	outb(0x70, 0x0d);
	ASSERT(inb(0x71) & 0x80);
	printf("rtc: NMI mask bit accepted\n");

	/* NVRAM. */
	uint8_t old = cmos(0x3e);
	cmos_w(0x3e, 0x5a);
	ASSERT_EQ(cmos(0x3e), 0x5a);
	cmos_w(0x3e, 0xa5);
	ASSERT_EQ(cmos(0x3e), 0xa5);
	cmos_w(0x3e, old);
	printf("rtc: NVRAM keeps values\n");
}
