/* rtc.c: the MC146818 real-time clock and its 128 bytes of CMOS memory
 * at ports 0x70 (index, bit 7 the chipset's NMI mask) and 0x71 (data).
 * Registers per the Motorola MC146818A datasheet: time and alarm
 * (0x00-0x09), A-D (0x0A-0x0D); century at 0x32 and the memory-size
 * bytes of the IBM AT CMOS map (plus 0x5B-0x5D as QEMU/SeaBIOS use).
 * The date is computed from the virtual clock on each read; interrupt
 * flags are accounted lazily, with a vtimer only while IRQ 8 is wanted. */
#include <stdlib.h>
#include <string.h>
#include "hv/dev/device.h"
#include "hv/dev/muldiv.h"
#include "hv/dev/pc_devices.h"
#include "hv/irq.h"
#include "hv/vclock.h"
#include "hv/vm.h"

#define RTC_STATE_VERSION 1
#define RTC_IRQ 8
#define RTC_BASE_HZ 32768ull /* the 32.768 kHz time base */
#define UIP_US 244           /* UIP leads the update by 244 us */
#define MAX_SECS 253402300799ll /* 9999-12-31 23:59:59 */
#define NONE UINT64_MAX

enum { REG_SEC = 0, REG_ALM_SEC = 1, REG_MIN = 2, REG_ALM_MIN = 3,
       REG_HOUR = 4, REG_ALM_HOUR = 5, REG_WDAY = 6, REG_DAY = 7,
       REG_MON = 8, REG_YEAR = 9, REG_A = 0x0a, REG_B = 0x0b, REG_C = 0x0c,
       REG_D = 0x0d, REG_CENTURY = 0x32 };
enum { A_UIP = 0x80 };
enum { B_SET = 0x80, B_PIE = 0x40, B_AIE = 0x20, B_UIE = 0x10, B_SQWE = 0x08,
       B_DM = 0x04, B_24H = 0x02 };
enum { C_IRQF = 0x80, C_PF = 0x40, C_AF = 0x20, C_UF = 0x10 };
enum { D_VRT = 0x80 };

/* origin and flags_time are clock values (distances back from the clock
 * in a saved image); time at clock t is origin_secs + (t - origin) / hz.
 * While B.SET halts updates the time registers in cmos[] hold it. */
struct rtc_state {
	uint32_t version;
	uint8_t index, nmi_masked, line, pad;
	uint64_t hz;
	uint64_t origin, flags_time;
	int64_t origin_secs;
	uint8_t cmos[128];
};

struct rtc {
	struct device dev;
	struct rtc_state s;
	struct vtimer timer;
};

struct civil {
	int64_t year;
	unsigned mon, day, hour, min, sec, wday; /* wday 0 = Sunday */
};

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

/* Days since 1970-01-01 to a proleptic Gregorian date, via 400-year
 * eras of 146097 days that begin on March 1 (leap day last). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = floor_div(y, 400), yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_secs(int64_t secs, struct civil *t)
{
	int64_t days = floor_div(secs, 86400), rem = secs - days * 86400;
	t->hour = (unsigned)(rem / 3600);
	t->min = (unsigned)(rem / 60 % 60);
	t->sec = (unsigned)(rem % 60);
	t->wday = (unsigned)(days + 4 - floor_div(days + 4, 7) * 7); /* Thu */
	days += 719468;
	int64_t era = floor_div(days, 146097), doe = days - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	t->day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	t->mon = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	t->year = yoe + era * 400 + (t->mon <= 2);
}

static bool binary(const struct rtc *r)
{
	return r->s.cmos[REG_B] & B_DM;
}

static uint8_t enc(const struct rtc *r, unsigned v)
{
	v %= 100;
	return (uint8_t)(binary(r) ? v : (v / 10) << 4 | v % 10);
}

static unsigned dec(const struct rtc *r, uint8_t v)
{
	return binary(r) ? v : (v >> 4) * 10u + (v & 15);
}

/* Hours: 12-hour mode counts 12, 1..11 with bit 7 for PM. */
static uint8_t enc_hour(const struct rtc *r, unsigned h)
{
	if (r->s.cmos[REG_B] & B_24H)
		return enc(r, h);
	return (uint8_t)(enc(r, h % 12 ? h % 12 : 12) | (h >= 12 ? 0x80 : 0));
}

static unsigned dec_hour(const struct rtc *r, uint8_t v)
{
	if (r->s.cmos[REG_B] & B_24H)
		return dec(r, v);
	return dec(r, v & 0x7f) % 12 + (v & 0x80 ? 12 : 0);
}

static uint64_t hz(const struct rtc *r)
{
	return vclock_hz(r->dev.vm);
}

static bool halted(const struct rtc *r)
{
	return r->s.cmos[REG_B] & B_SET;
}

static int64_t secs_at(const struct rtc *r, uint64_t now)
{
	return r->s.origin_secs + (int64_t)((now - r->s.origin) / hz(r));
}

/* The running time written into the time registers. */
static void store_time(struct rtc *r, int64_t secs)
{
	struct civil t;
	uint8_t *c = r->s.cmos;
	civil_from_secs(secs, &t);
	c[REG_SEC] = enc(r, t.sec);
	c[REG_MIN] = enc(r, t.min);
	c[REG_HOUR] = enc_hour(r, t.hour);
	c[REG_WDAY] = enc(r, t.wday + 1);
	c[REG_DAY] = enc(r, t.day);
	c[REG_MON] = enc(r, t.mon);
	c[REG_YEAR] = enc(r, (unsigned)(t.year % 100));
	c[REG_CENTURY] = enc(r, (unsigned)(t.year / 100));
}

/* The time registers read back as seconds; out-of-range fields are
 * clamped (a day past the month's end rolls into the next month). */
static int64_t load_time(const struct rtc *r)
{
	const uint8_t *c = r->s.cmos;
	unsigned sec = dec(r, c[REG_SEC]), min = dec(r, c[REG_MIN]);
	unsigned hour = dec_hour(r, c[REG_HOUR]), day = dec(r, c[REG_DAY]);
	unsigned mon = dec(r, c[REG_MON]);
	int64_t year = dec(r, c[REG_YEAR]) % 100 +
		       (int64_t)(dec(r, c[REG_CENTURY]) % 100) * 100;
	sec = sec > 59 ? 59 : sec;
	min = min > 59 ? 59 : min;
	hour = hour > 23 ? 23 : hour;
	day = day < 1 ? 1 : day > 31 ? 31 : day;
	mon = mon < 1 ? 1 : mon > 12 ? 12 : mon;
	return days_from_civil(year, mon, day) * 86400 + hour * 3600 +
	       min * 60 + sec;
}

/* Periodic rate (datasheet table "Periodic Interrupt Rate") in 32.768
 * kHz cycles: RS 1 and 2 give 256 and 128 Hz, RS n>2 gives 2^(n-1). */
static uint64_t period_cycles(const struct rtc *r)
{
	unsigned rs = r->s.cmos[REG_A] & 15;
	return !rs ? 0 : rs <= 2 ? 1ull << (rs + 6) : 1ull << (rs - 1);
}

static uint64_t cycles(const struct rtc *r, uint64_t t)
{
	return muldiv(t - r->s.origin, RTC_BASE_HZ, hz(r));
}

/* The alarm fires on an update whose time matches its three bytes; a
 * byte of 0xC0-0xFF matches any value. */
static bool alarm_matches(const struct rtc *r, int64_t secs)
{
	struct civil t;
	const uint8_t *c = r->s.cmos;
	civil_from_secs(secs, &t);
	uint8_t now[3] = { enc(r, t.sec), enc(r, t.min), enc_hour(r, t.hour) };
	uint8_t alm[3] = { c[REG_ALM_SEC], c[REG_ALM_MIN], c[REG_ALM_HOUR] };
	for (int i = 0; i < 3; i++)
		if ((alm[i] & 0xc0) != 0xc0 && alm[i] != now[i])
			return false;
	return true;
}

/* Sets the C flags for what happened since flags_time, drives IRQ 8.
 * The line follows IRQF (flags & enables), and only reading C or
 * clearing an enable lowers it: the chip's IRQ# is a level output that
 * stays asserted until C is read, reaching the PC's edge-triggered IRQ 8
 * input, so a guest that never reads C gets no further interrupts, as
 * on a PC. Hence irq_set with levels, not irq_pulse. */
static void account(struct rtc *r, uint64_t now)
{
	uint8_t *c = r->s.cmos;
	uint64_t per = period_cycles(r), h = hz(r);
	uint64_t then = r->s.flags_time;
	if (per && cycles(r, now) / per != cycles(r, then) / per)
		c[REG_C] |= C_PF;
	uint64_t s0 = (then - r->s.origin) / h, s1 = (now - r->s.origin) / h;
	if (!halted(r) && s1 > s0) {
		c[REG_C] |= C_UF;
		if (s1 - s0 > 86400)
			s0 = s1 - 86400; /* every time of day comes by */
		for (uint64_t s = s0 + 1; s <= s1; s++)
			if (alarm_matches(r, r->s.origin_secs + (int64_t)s)) {
				c[REG_C] |= C_AF;
				break;
			}
	}
	r->s.flags_time = now;
	bool irqf = c[REG_C] & c[REG_B] & (C_PF | C_AF | C_UF);
	if (irqf != r->s.line) {
		r->s.line = irqf;
		irq_set(r->dev.vm, RTC_IRQ, irqf);
	}
}

/* While the line is low and an interrupt is enabled, wake at the next
 * periodic tick or update. */
static void rearm(struct rtc *r)
{
	struct vm *vm = r->dev.vm;
	uint64_t now = vclock_now(vm), h = hz(r), per = period_cycles(r);
	uint64_t next = NONE, b = r->s.cmos[REG_B];
	if (!r->s.line && (b & B_PIE) && per) {
		uint64_t k = cycles(r, now) / per + 1;
		next = r->s.origin + muldiv_ceil(k * per, h, RTC_BASE_HZ);
	}
	if (!r->s.line && (b & (B_UIE | B_AIE)) && !halted(r)) {
		uint64_t t = r->s.origin + ((now - r->s.origin) / h + 1) * h;
		next = t < next ? t : next;
	}
	if (next == NONE)
		vtimer_cancel(vm, &r->timer);
	else
		vtimer_arm(vm, &r->timer, next);
}

static void rtc_fire(struct vtimer *t)
{
	struct rtc *r = t->ctx;
	account(r, vclock_now(r->dev.vm));
	rearm(r);
}

static bool is_time_reg(unsigned reg)
{
	return (reg <= REG_YEAR && reg != REG_ALM_SEC && reg != REG_ALM_MIN &&
		reg != REG_ALM_HOUR) || reg == REG_CENTURY;
}

/* UIP: set in the last 244 us of each second while updates run. */
static uint8_t read_a(const struct rtc *r, uint64_t now)
{
	uint64_t h = hz(r), frac = (now - r->s.origin) % h;
	bool uip = !halted(r) && frac >= h - muldiv(h, UIP_US, 1000000);
	return (uint8_t)((r->s.cmos[REG_A] & 0x7f) | (uip ? A_UIP : 0));
}

static uint8_t rtc_read(struct rtc *r, unsigned reg)
{
	uint64_t now = vclock_now(r->dev.vm);
	uint8_t v;
	switch (reg) {
	case REG_A: return read_a(r, now);
	case REG_C:
		account(r, now);
		v = r->s.cmos[REG_C] | (r->s.line ? C_IRQF : 0);
		r->s.cmos[REG_C] = 0;
		account(r, now); /* lowers the line */
		rearm(r);
		return v;
	case REG_D: return D_VRT;
	}
	if (is_time_reg(reg) && !halted(r))
		store_time(r, secs_at(r, now));
	return r->s.cmos[reg];
}

static void write_b(struct rtc *r, uint8_t v, uint64_t now)
{
	uint8_t old = r->s.cmos[REG_B];
	if (v & B_SET)
		v &= (uint8_t)~B_UIE; /* SET going high clears UIE */
	if (!(old & B_SET) && (v & B_SET))
		store_time(r, secs_at(r, now)); /* freeze */
	if ((old & B_SET) && !(v & B_SET)) {
		/* Restart from what was set, read in the format it was
		 * written in. */
		r->s.origin_secs = load_time(r);
		r->s.origin = r->s.flags_time = now;
	}
	r->s.cmos[REG_B] = v;
}

static void rtc_write(struct rtc *r, unsigned reg, uint8_t v)
{
	uint64_t now = vclock_now(r->dev.vm);
	account(r, now);
	switch (reg) {
	case REG_A: r->s.cmos[REG_A] = v & 0x7f; break;
	case REG_B: write_b(r, v, now); break;
	case REG_C:
	case REG_D: return; /* read-only */
	default:
		if (is_time_reg(reg) && !halted(r)) {
			/* Running: the write moves the time, keeping the phase. */
			int64_t cur = secs_at(r, now);
			store_time(r, cur);
			r->s.cmos[reg] = v;
			r->s.origin_secs += load_time(r) - cur;
		} else {
			r->s.cmos[reg] = v;
		}
		return;
	}
	account(r, now); /* enables may have changed IRQF */
	rearm(r);
}

static void rtc_access(struct device *dev, int region, uint64_t offset,
		       unsigned size, bool write, uint64_t *val)
{
	struct rtc *r = (struct rtc *)dev;
	(void)region;
	(void)size; /* wider accesses reach the first port only */
	if (offset == 0) {
		if (write) {
			r->s.index = (uint8_t)*val & 0x7f;
			r->s.nmi_masked = (uint8_t)*val >> 7;
		} else {
			*val = (*val & ~0xffull) |
			       (uint8_t)(r->s.index | r->s.nmi_masked << 7);
		}
		return;
	}
	if (write)
		rtc_write(r, r->s.index, (uint8_t)*val);
	else
		*val = (*val & ~0xffull) | rtc_read(r, r->s.index);
}

bool rtc_nmi_masked(const struct device *dev)
{
	return ((const struct rtc *)dev)->s.nmi_masked;
}

static void put16(uint8_t *c, unsigned at, uint64_t v)
{
	v = v > 0xffff ? 0xffff : v;
	c[at] = (uint8_t)v;
	c[at + 1] = (uint8_t)(v >> 8);
}

/* CMOS as a PC BIOS leaves it (IBM AT map; QEMU's pc_cmos_init): no
 * floppy, FPU present, 640 KiB base memory, extended memory in KiB above
 * 1 MiB, 64 KiB units above 16 MiB and above 4 GiB, the checksum of
 * 0x10-0x2D at 0x2E (MSB first). Registers A = 0x26 (32.768 kHz, 1024
 * Hz), B = 24-hour BCD, D = valid RAM and time. */
static void init_cmos(struct rtc *r, uint64_t below, uint64_t above)
{
	uint8_t *c = r->s.cmos;
	uint64_t ext = below > (1u << 20) ? (below >> 10) - 1024 : 0;
	uint64_t hi = below > (16u << 20) ? (below - (16u << 20)) >> 16 : 0;
	uint64_t top = above >> 16, sum = 0;
	memset(c, 0, 128);
	c[REG_A] = 0x26;
	c[REG_B] = B_24H;
	c[REG_D] = D_VRT;
	c[0x10] = 0x00;
	c[0x14] = 0x02;
	put16(c, 0x15, 640);
	put16(c, 0x17, ext);
	put16(c, 0x30, ext);
	put16(c, 0x34, hi);
	top = top > 0xffffff ? 0xffffff : top;
	c[0x5b] = (uint8_t)top;
	c[0x5c] = (uint8_t)(top >> 8);
	c[0x5d] = (uint8_t)(top >> 16);
	for (unsigned i = 0x10; i <= 0x2d; i++)
		sum += c[i];
	c[0x2e] = (uint8_t)(sum >> 8);
	c[0x2f] = (uint8_t)sum;
}

/* A machine reset asserts the chip's RESET: PIE, AIE, UIE, SQWE and the
 * C flags clear (datasheet, "RESET"); the time and the CMOS memory are
 * battery-backed and survive, as on a PC. The NMI mask opens. */
static void rtc_reset(struct device *dev)
{
	struct rtc *r = (struct rtc *)dev;
	uint64_t now = vclock_now(dev->vm);
	account(r, now);
	r->s.cmos[REG_B] &= (uint8_t)~(B_PIE | B_AIE | B_UIE | B_SQWE);
	r->s.cmos[REG_C] = 0;
	r->s.index = 0;
	r->s.nmi_masked = 0;
	account(r, now);
	rearm(r);
}

static void rtc_save(const struct device *dev, void *buf)
{
	struct rtc_state s = ((const struct rtc *)dev)->s;
	uint64_t now = vclock_now(dev->vm);
	s.hz = vclock_hz(dev->vm);
	s.origin = now - s.origin;
	s.flags_time = now - s.flags_time;
	memcpy(buf, &s, sizeof s);
}

static status_t rtc_restore(struct device *dev, const void *buf, size_t len)
{
	struct rtc *r = (struct rtc *)dev;
	struct rtc_state s;
	uint64_t now = vclock_now(dev->vm), h = vclock_hz(dev->vm);
	if (len != sizeof s)
		return ST_ECORRUPT;
	memcpy(&s, buf, sizeof s);
	if (s.version != RTC_STATE_VERSION || !s.hz || s.index > 0x7f ||
	    s.nmi_masked > 1 || s.line > 1 || s.flags_time > s.origin ||
	    s.origin_secs < -MAX_SECS || s.origin_secs > MAX_SECS)
		return ST_ECORRUPT;
	if (s.hz != h) {
		s.origin = muldiv(s.origin, h, s.hz);
		s.flags_time = muldiv(s.flags_time, h, s.hz);
	}
	s.hz = 0;
	s.origin = now - s.origin;
	s.flags_time = now - s.flags_time;
	r->s = s;
	irq_set(dev->vm, RTC_IRQ, s.line);
	rearm(r);
	return ST_OK;
}

struct device *rtc_create(struct vm *vm, uint64_t unix_seconds,
			  uint64_t ram_below_4g, uint64_t ram_above_4g)
{
	struct rtc *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->dev = (struct device){
		.name = "rtc", .vm = vm, .access = rtc_access,
		.state_size = sizeof(struct rtc_state), .save = rtc_save,
		.restore = rtc_restore, .reset = rtc_reset,
	};
	r->timer.fire = rtc_fire;
	r->timer.ctx = r;
	if (bus_claim(&vm->bus, BUS_PIO, 0x70, 2, &r->dev, 0)) {
		free(r);
		return NULL;
	}
	r->s.version = RTC_STATE_VERSION;
	r->s.origin = r->s.flags_time = vclock_now(vm);
	r->s.origin_secs = unix_seconds > (uint64_t)MAX_SECS
				   ? MAX_SECS : (int64_t)unix_seconds;
	init_cmos(r, ram_below_4g, ram_above_4g);
	return &r->dev;
}
