/* dev_rtc.c: unit tests of the MC146818 RTC/CMOS model (hv/dev/rtc.c)
 * on a fake clock (fake_clock.h) with the real port bus and timer set:
 * BCD/binary/12-hour formats, date roll-overs, SET, UIP, register C and
 * IRQ 8, the NMI mask, memory-size bytes and save/restore. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "hv/dev/pc_devices.h"
#include "fake_clock.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define HZ32 32768ull

static uint8_t rd(struct device *d, uint8_t reg)
{
	uint64_t v = reg;
	assert_true(bus_access(&d->vm->bus, BUS_PIO, 0x70, 1, true, &v));
	v = 0xff;
	assert_true(bus_access(&d->vm->bus, BUS_PIO, 0x71, 1, false, &v));
	return (uint8_t)v;
}

static void wr(struct device *d, uint8_t reg, uint8_t val)
{
	uint64_t v = reg;
	assert_true(bus_access(&d->vm->bus, BUS_PIO, 0x70, 1, true, &v));
	v = val;
	assert_true(bus_access(&d->vm->bus, BUS_PIO, 0x71, 1, true, &v));
}

static struct device *new_rtc(uint64_t unix_seconds)
{
	struct device *d = rtc_create(new_vm(), unix_seconds, 512 * MiB, 0);
	assert_non_null(d);
	clear_irqs();
	return d;
}

static void free_rtc(struct device *d)
{
	free(d->vm);
	free(d);
}

/* Seconds, minutes, hours, weekday, day, month, year, century. */
static void expect_time(struct device *d, const uint8_t want[8])
{
	static const uint8_t regs[8] = { 0, 2, 4, 6, 7, 8, 9, 0x32 };
	for (int i = 0; i < 8; i++) {
		uint8_t got = rd(d, regs[i]);
		if (got != want[i])
			fail_msg("register %#x: %#x, want %#x", regs[i], got, want[i]);
	}
}

static void seconds_later(struct device *d, uint64_t s)
{
	run_to(d->vm, fake_now + s * fake_hz);
}

static void test_bcd_leap_day_and_month(void **state)
{
	(void)state;
	struct device *d = new_rtc(1709164798); /* 2024-02-28 23:59:58 */
	assert_int_equal(rd(d, 0x0b), 0x02);        /* 24-hour BCD */
	assert_int_equal(rd(d, 0x0d), 0x80);
	expect_time(d, (uint8_t[]){ 0x58, 0x59, 0x23, 0x04, 0x28, 0x02, 0x24,
				    0x20 });
	seconds_later(d, 2); /* leap day, a Thursday */
	expect_time(d, (uint8_t[]){ 0x00, 0x00, 0x00, 0x05, 0x29, 0x02, 0x24,
				    0x20 });
	seconds_later(d, 86400);
	expect_time(d, (uint8_t[]){ 0x00, 0x00, 0x00, 0x06, 0x01, 0x03, 0x24,
				    0x20 });
	free_rtc(d);
	d = new_rtc(1706745599); /* 2024-01-31 23:59:59 */
	seconds_later(d, 1);
	expect_time(d, (uint8_t[]){ 0x00, 0x00, 0x00, 0x05, 0x01, 0x02, 0x24,
				    0x20 });
	free_rtc(d);
	d = new_rtc(1677628799); /* 2023-02-28: no leap day */
	seconds_later(d, 1);
	assert_int_equal(rd(d, 7), 0x01);
	assert_int_equal(rd(d, 8), 0x03);
	free_rtc(d);
	d = new_rtc(4107542399); /* 2100-02-28: no leap day either */
	seconds_later(d, 1);
	assert_int_equal(rd(d, 7), 0x01);
	assert_int_equal(rd(d, 8), 0x03);
	assert_int_equal(rd(d, 0x32), 0x21);
	free_rtc(d);
}

static void test_year_and_century(void **state)
{
	(void)state;
	struct device *d = new_rtc(946684799); /* 1999-12-31 23:59:59 */
	expect_time(d, (uint8_t[]){ 0x59, 0x59, 0x23, 0x06, 0x31, 0x12, 0x99,
				    0x19 });
	run_to(d->vm, fake_now + fake_hz - 1);
	assert_int_equal(rd(d, 0), 0x59);
	seconds_later(d, 1);
	expect_time(d, (uint8_t[]){ 0x00, 0x00, 0x00, 0x07, 0x01, 0x01, 0x00,
				    0x20 });
	free_rtc(d);
}

static void test_binary_and_12_hour(void **state)
{
	(void)state;
	struct device *d = new_rtc(1720962309); /* 2024-07-14 13:05:09 Sun */
	wr(d, 0x0b, 0x06); /* binary, 24-hour */
	expect_time(d, (uint8_t[]){ 9, 5, 13, 1, 14, 7, 24, 20 });
	wr(d, 0x0b, 0x04); /* binary, 12-hour: 1 PM */
	assert_int_equal(rd(d, 4), 0x81);
	wr(d, 0x0b, 0x00); /* BCD, 12-hour */
	assert_int_equal(rd(d, 4), 0x81);
	seconds_later(d, 11 * 3600 - 5 * 60 - 9); /* midnight: 12 AM */
	assert_int_equal(rd(d, 4), 0x12);
	seconds_later(d, 11 * 3600);
	assert_int_equal(rd(d, 4), 0x11);
	seconds_later(d, 3600); /* noon: 12 PM */
	assert_int_equal(rd(d, 4), 0x92);
	wr(d, 0x0b, 0x04);
	assert_int_equal(rd(d, 4), 0x8c);
	free_rtc(d);
}

static void test_set_halts_and_guest_time_persists(void **state)
{
	(void)state;
	struct device *d = new_rtc(1720962309);
	run_to(d->vm, fake_now + fake_hz / 3);
	wr(d, 0x0b, 0x82 | 0x10); /* SET; UIE is cleared by SET */
	assert_int_equal(rd(d, 0x0b), 0x82);
	wr(d, 0, 0x30);
	wr(d, 2, 0x59);
	wr(d, 4, 0x23);
	wr(d, 7, 0x31);
	wr(d, 8, 0x12);
	wr(d, 9, 0x05);
	wr(d, 0x32, 0x20);
	seconds_later(d, 5); /* halted */
	assert_int_equal(rd(d, 0), 0x30);
	assert_int_equal(rd(d, 0x0a) & 0x80, 0); /* no UIP while halted */
	wr(d, 0x0b, 0x02);
	seconds_later(d, 29);
	expect_time(d, (uint8_t[]){ 0x59, 0x59, 0x23, 0x07, 0x31, 0x12, 0x05,
				    0x20 });
	seconds_later(d, 1); /* into 2006 */
	expect_time(d, (uint8_t[]){ 0x00, 0x00, 0x00, 0x01, 0x01, 0x01, 0x06,
				    0x20 });
	/* A write while running moves the time and keeps counting. */
	wr(d, 2, 0x10);
	seconds_later(d, 60);
	assert_int_equal(rd(d, 2), 0x11);
	assert_int_equal(rd(d, 4), 0x00);
	/* Binary 12-hour set: 7 PM. */
	wr(d, 0x0b, 0x84);
	wr(d, 4, 0x87);
	wr(d, 0x0b, 0x06);
	assert_int_equal(rd(d, 4), 19);
	free_rtc(d);
}

/* UIP in the last 244 us before each update. */
static void test_uip(void **state)
{
	(void)state;
	struct device *d = new_rtc(1720962309);
	uint64_t t0 = fake_now, window = fake_hz * 244 / 1000000;
	run_to(d->vm, t0 + fake_hz - window - 2);
	assert_int_equal(rd(d, 0x0a), 0x26);
	run_to(d->vm, t0 + fake_hz - window + 1);
	assert_int_equal(rd(d, 0x0a), 0xa6);
	assert_int_equal(rd(d, 0), 0x09);
	run_to(d->vm, t0 + fake_hz);
	assert_int_equal(rd(d, 0x0a), 0x26);
	assert_int_equal(rd(d, 0), 0x10);
	wr(d, 0x0a, 0xa3); /* UIP is read-only */
	assert_int_equal(rd(d, 0x0a) & 0x7f, 0x23);
	free_rtc(d);
}

static void test_register_c_and_update_irq(void **state)
{
	(void)state;
	struct device *d = new_rtc(1720962309);
	/* Flags set without enables; reading C clears them, no IRQ. */
	seconds_later(d, 1);
	assert_int_equal(rd(d, 0x0c), 0x10 | 0x40); /* UF, PF (1024 Hz) */
	assert_int_equal(rd(d, 0x0c), 0x00);
	assert_int_equal(rises[8], 0);
	/* Update-ended interrupts: one per second while C is read. */
	wr(d, 0x0b, 0x12);
	uint64_t t0 = fake_now;
	for (unsigned s = 1; s <= 5; s++) {
		run_to(d->vm, t0 + s * fake_hz - 1);
		assert_int_equal(rises[8], s - 1);
		run_to(d->vm, t0 + s * fake_hz);
		assert_int_equal(rises[8], s);
		assert_true(level[8]);
		assert_int_equal(rd(d, 0x0c) & 0x90, 0x90);
		assert_false(level[8]);
	}
	/* Unread C: the line stays high and no new edge reaches IRQ 8. */
	seconds_later(d, 1);
	seconds_later(d, 3);
	assert_int_equal(rises[8], 6);
	assert_true(level[8]);
	/* Disabling the enable lowers the line; the flag stays. */
	wr(d, 0x0b, 0x02);
	assert_false(level[8]);
	assert_int_equal(rd(d, 0x0c), 0x50);
	free_rtc(d);
}

static unsigned periodic_irqs(struct device *d, uint64_t end, uint64_t step)
{
	unsigned n = 0;
	while (fake_now < end) {
		run_to(d->vm, fake_now + step < end ? fake_now + step : end);
		if (level[8]) { /* the guest's handler reads C */
			assert_int_equal(rd(d, 0x0c) & 0xc0, 0xc0);
			n++;
		}
	}
	return n;
}

static void test_periodic_rate(void **state)
{
	(void)state;
	struct device *d = new_rtc(1720962309);
	uint64_t t0 = fake_now;
	wr(d, 0x0b, 0x42); /* PIE at the default 1024 Hz */
	unsigned n = periodic_irqs(d, t0 + fake_hz, fake_hz / 8192);
	assert_in_range(n, 1023, 1024);
	wr(d, 0x0a, 0x2f); /* 2 Hz */
	rd(d, 0x0c);
	uint64_t t1 = fake_now;
	assert_in_range(periodic_irqs(d, t1 + 5 * fake_hz, fake_hz / 100), 9, 10);
	wr(d, 0x0a, 0x23); /* 8192 Hz */
	uint64_t t2 = fake_now;
	assert_in_range(periodic_irqs(d, t2 + fake_hz / 8, fake_hz / 65536),
			1023, 1025);
	wr(d, 0x0a, 0x21); /* RS=1: 256 Hz */
	uint64_t t3 = fake_now;
	assert_in_range(periodic_irqs(d, t3 + fake_hz, fake_hz / 4096), 255, 257);
	wr(d, 0x0a, 0x20); /* RS=0: none */
	rd(d, 0x0c);
	assert_int_equal(periodic_irqs(d, fake_now + fake_hz, fake_hz / 100), 0);
	free_rtc(d);
}

static void test_alarm(void **state)
{
	(void)state;
	struct device *d = new_rtc(1720962309); /* 13:05:09 */
	wr(d, 1, 0x12);
	wr(d, 3, 0x05);
	wr(d, 5, 0x13);
	wr(d, 0x0b, 0x22); /* AIE */
	uint64_t t0 = fake_now;
	run_to(d->vm, t0 + 3 * fake_hz - 1);
	assert_int_equal(rises[8], 0);
	run_to(d->vm, t0 + 3 * fake_hz);
	assert_int_equal(rises[8], 1);
	assert_int_equal(rd(d, 0x0c) & 0xb0, 0xb0); /* IRQF, AF, UF */
	/* Don't-care seconds: every second of 13:06 matches. */
	wr(d, 1, 0xff);
	wr(d, 3, 0x06);
	run_to(d->vm, t0 + 50 * fake_hz);
	assert_int_equal(rises[8], 1);
	run_to(d->vm, t0 + 51 * fake_hz);
	assert_int_equal(rises[8], 2);
	rd(d, 0x0c);
	run_to(d->vm, t0 + 52 * fake_hz);
	assert_int_equal(rises[8], 3);
	/* Polled without enables: AF is seen on reading C. */
	wr(d, 0x0b, 0x02);
	rd(d, 0x0c);
	wr(d, 1, 0x00);
	wr(d, 3, 0x00);
	wr(d, 5, 0x00);
	seconds_later(d, 11 * 3600);
	assert_int_equal(rd(d, 0x0c) & 0x30, 0x30);
	seconds_later(d, 10);
	assert_int_equal(rd(d, 0x0c) & 0x30, 0x10);
	free_rtc(d);
}

static void test_nmi_mask_and_cmos(void **state)
{
	(void)state;
	struct vm *vm = new_vm();
	struct device *d = rtc_create(vm, 0, 3 * GiB, 5 * GiB + 64 * 1024);
	assert_non_null(d);
	assert_false(rtc_nmi_masked(d));
	uint64_t v = 0x8f;
	assert_true(bus_access(&vm->bus, BUS_PIO, 0x70, 1, true, &v));
	assert_true(rtc_nmi_masked(d));
	v = 0x40;
	assert_true(bus_access(&vm->bus, BUS_PIO, 0x71, 1, true, &v));
	assert_true(rtc_nmi_masked(d));
	assert_int_equal(rd(d, 0x0f), 0x40); /* index 0x0f, mask now open */
	assert_false(rtc_nmi_masked(d));
	wr(d, 0x7f, 0xa5);
	assert_int_equal(rd(d, 0x7f), 0xa5);
	assert_int_equal(rd(d, 0x10), 0x00);
	assert_int_equal(rd(d, 0x14), 0x02);
	assert_int_equal(rd(d, 0x15) | rd(d, 0x16) << 8, 640);
	assert_int_equal(rd(d, 0x17) | rd(d, 0x18) << 8, 0xffff);
	assert_int_equal(rd(d, 0x30) | rd(d, 0x31) << 8, 0xffff);
	assert_int_equal(rd(d, 0x34) | rd(d, 0x35) << 8, (3 * GiB - 16 * MiB) >> 16);
	assert_int_equal(rd(d, 0x5b) | rd(d, 0x5c) << 8 | rd(d, 0x5d) << 16,
			 (5 * GiB >> 16) + 1);
	unsigned sum = 0;
	for (uint8_t i = 0x10; i <= 0x2d; i++)
		sum += rd(d, i);
	assert_int_equal(rd(d, 0x2e) << 8 | rd(d, 0x2f), sum);
	/* Time at the epoch: Thursday 1970-01-01. */
	expect_time(d, (uint8_t[]){ 0, 0, 0, 5, 1, 1, 0x70, 0x19 });
	free_rtc(d);
	/* Small RAM: 8 MiB has 7 MiB extended, nothing above 16 MiB. */
	vm = new_vm();
	d = rtc_create(vm, 0, 8 * MiB, 0);
	assert_int_equal(rd(d, 0x17) | rd(d, 0x18) << 8, 7 * 1024);
	assert_int_equal(rd(d, 0x34) | rd(d, 0x35) << 8, 0);
	assert_int_equal(rd(d, 0x5b) | rd(d, 0x5c) | rd(d, 0x5d), 0);
	/* A taken port fails the creation. */
	assert_null(rtc_create(vm, 0, 8 * MiB, 0));
	free_rtc(d);
}

static void test_save_restore_later_clock(void **state)
{
	(void)state;
	struct device *a = new_rtc(1720962309), *b = new_rtc(0);
	uint8_t buf[512], img[512];
	assert_true(a->state_size <= sizeof buf);
	/* A guest-set time, PIE at 2 Hz, an open index, CMOS bytes. */
	wr(a, 0x0b, 0x86);
	wr(a, 0, 50);
	wr(a, 2, 59);
	wr(a, 4, 23);
	wr(a, 0x0b, 0x46);
	wr(a, 0x0a, 0x2f);
	wr(a, 0x40, 0x99);
	run_to(a->vm, fake_now + fake_hz * 7 / 4);
	rd(a, 0x0c);
	uint64_t t1 = fake_now, d1 = fake_hz * 13 / 10;
	uint64_t idx = 0x85;
	assert_true(bus_access(&a->vm->bus, BUS_PIO, 0x70, 1, true, &idx));
	a->save(a, buf);
	memcpy(img, buf, sizeof img);
	uint8_t sec1 = rd(a, 0), c1 = rd(a, 0x0c);
	unsigned r0 = rises[8];
	run_to(a->vm, t1 + d1);
	uint8_t sec2 = rd(a, 0), min2 = rd(a, 2), hr2 = rd(a, 4);
	unsigned ra = rises[8] - r0;
	assert_int_equal(ra, 1); /* 2 Hz, C unread: one edge */
	/* A fresh RTC, an hour later on the clock, takes the image. */
	run_to(b->vm, t1 + 3600 * fake_hz);
	uint64_t t2 = fake_now;
	assert_int_equal(b->restore(b, buf, a->state_size), ST_OK);
	uint8_t again[512];
	b->save(b, again); /* the same state, saved at another clock */
	assert_memory_equal(again, buf, a->state_size);
	assert_true(rtc_nmi_masked(b));
	assert_int_equal(rd(b, 0), sec1);
	assert_int_equal(rd(b, 0x0c), c1);
	assert_int_equal(rd(b, 0x40), 0x99);
	rises[8] = 0;
	run_to(b->vm, t2 + d1);
	assert_int_equal(rd(b, 0), sec2);
	assert_int_equal(rd(b, 2), min2);
	assert_int_equal(rd(b, 4), hr2);
	assert_int_equal(rises[8], ra);
	assert_int_equal(rd(b, 0x0a), 0x2f);
	assert_int_equal(rd(b, 0x0b), 0x46);
	/* Refusals leave the device unchanged. */
	assert_int_equal(b->restore(b, img, a->state_size + 1), ST_ECORRUPT);
	img[0] ^= 1;
	assert_int_equal(b->restore(b, img, a->state_size), ST_ECORRUPT);
	img[0] ^= 1;
	img[5] = 7; /* nmi_masked */
	assert_int_equal(b->restore(b, img, a->state_size), ST_ECORRUPT);
	assert_int_equal(rd(b, 0x40), 0x99);
	assert_int_equal(rd(b, 4), 23);
	/* Reset: enables and flags clear; time and memory survive. */
	b->reset(b);
	assert_false(rtc_nmi_masked(b));
	assert_int_equal(rd(b, 0x0b), 0x06);
	assert_int_equal(rd(b, 0x40), 0x99);
	assert_int_equal(rd(b, 2), 59);
	free_rtc(a);
	free_rtc(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bcd_leap_day_and_month),
		cmocka_unit_test(test_year_and_century),
		cmocka_unit_test(test_binary_and_12_hour),
		cmocka_unit_test(test_set_halts_and_guest_time_persists),
		cmocka_unit_test(test_uip),
		cmocka_unit_test(test_register_c_and_update_irq),
		cmocka_unit_test(test_periodic_rate),
		cmocka_unit_test(test_alarm),
		cmocka_unit_test(test_nmi_mask_and_cmos),
		cmocka_unit_test(test_save_restore_later_clock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
