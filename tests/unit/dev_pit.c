/* dev_pit.c: unit tests of the 8254 PIT model (hv/dev/pit8254.c) on a
 * fake clock (fake_clock.h) with the real port bus and timer set:
 * channel 2 TSC calibration through port 0x61, IRQ 0 rates, latches,
 * read-back, modes and gates, and save/restore at a later clock. */
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

#define F 1193182ull

static uint8_t in8(struct device *d, uint16_t port)
{
	uint64_t v = 0xff;
	assert_true(bus_access(&d->vm->bus, BUS_PIO, port, 1, false, &v));
	return (uint8_t)v;
}

static void out8(struct device *d, uint16_t port, uint8_t val)
{
	uint64_t v = val;
	assert_true(bus_access(&d->vm->bus, BUS_PIO, port, 1, true, &v));
}

static struct device *new_pit(void)
{
	struct device *d = pit8254_create(new_vm());
	assert_non_null(d);
	clear_irqs();
	return d;
}

static void free_pit(struct device *d)
{
	free(d->vm);
	free(d);
}

/* Control word for channel ch, LSB then MSB, mode m (binary). */
static void program(struct device *d, unsigned ch, unsigned mode,
		    uint16_t count)
{
	out8(d, 0x43, (uint8_t)(ch << 6 | 3 << 4 | mode << 1));
	out8(d, (uint16_t)(0x40 + ch), (uint8_t)count);
	out8(d, (uint16_t)(0x40 + ch), (uint8_t)(count >> 8));
}

static uint16_t latched(struct device *d, unsigned ch)
{
	out8(d, 0x43, (uint8_t)(ch << 6)); /* counter latch command */
	uint8_t lo = in8(d, (uint16_t)(0x40 + ch));
	return (uint16_t)(lo | in8(d, (uint16_t)(0x40 + ch)) << 8);
}

static uint8_t status(struct device *d, unsigned ch)
{
	out8(d, 0x43, (uint8_t)(0xe0 | 2u << ch)); /* read-back: status only */
	return in8(d, (uint16_t)(0x40 + ch));
}

static bool out2(struct device *d)
{
	return in8(d, 0x61) & 0x20;
}

static void test_claims_and_refusal(void **state)
{
	(void)state;
	struct vm *vm = new_vm();
	uint64_t v = 0;
	assert_int_equal(bus_claim(&vm->bus, BUS_PIO, 0x61, 1, (struct device *)vm,
				   0), ST_OK);
	assert_null(pit8254_create(vm)); /* 0x61 taken: 0x40-0x43 released */
	assert_false(bus_access(&vm->bus, BUS_PIO, 0x40, 1, false, &v));
	free(vm);
}

/* Linux's pit_calibrate_tsc: gate on, speaker off, channel 2 in mode 0,
 * poll port 0x61 bit 5 until OUT rises, exactly `count` ticks later. */
static void test_channel2_calibration(void **state)
{
	(void)state;
	struct device *d = new_pit();
	const uint16_t latch = 11932; /* 10 ms */
	out8(d, 0x61, (uint8_t)((in8(d, 0x61) & ~0x02) | 0x01));
	out8(d, 0x43, 0xb0);
	out8(d, 0x42, latch & 0xff);
	uint64_t t0 = fake_now += 12345;
	out8(d, 0x42, latch >> 8);
	assert_false(out2(d));
	assert_int_equal(latched(d, 2), latch);
	run_to(d->vm, after(t0, 1000, F));
	assert_int_equal(latched(d, 2), latch - 1000);
	run_to(d->vm, after(t0, latch, F) - 1);
	assert_false(out2(d));
	assert_int_equal(latched(d, 2), 1);
	run_to(d->vm, after(t0, latch, F));
	assert_true(out2(d));
	assert_int_equal(latched(d, 2), 0);
	/* The counter wraps on; OUT stays high. */
	run_to(d->vm, after(t0, latch + 2, F));
	assert_true(out2(d));
	assert_int_equal(latched(d, 2), 0xfffe);
	assert_int_equal(pulses[0], 0); /* channel 2 never reaches IRQ 0 */
	free_pit(d);
}

/* quick_pit_calibrate reads channel 2 unlatched, LSB then MSB. */
static void test_unlatched_reads_and_gate_pause(void **state)
{
	(void)state;
	struct device *d = new_pit();
	uint64_t t0 = fake_now;
	out8(d, 0x61, 0x00); /* gate low: mode 0 loads but does not count */
	program(d, 2, 0, 0xffff);
	run_to(d->vm, after(t0, 500, F));
	assert_int_equal(in8(d, 0x42), 0xff);
	assert_int_equal(in8(d, 0x42), 0xff);
	uint64_t t1 = fake_now;
	out8(d, 0x61, 0x01);
	run_to(d->vm, after(t1, 0x100, F));
	assert_int_equal(in8(d, 0x42), 0xff);
	assert_int_equal(in8(d, 0x42), 0xfe);
	uint64_t t2 = fake_now;
	out8(d, 0x61, 0x00); /* paused again */
	run_to(d->vm, after(t2, 5000, F));
	assert_int_equal(latched(d, 2), 0xfeff);
	out8(d, 0x61, 0x01);
	run_to(d->vm, fake_now + after(0, 0xfeff, F));
	assert_true(out2(d));
	free_pit(d);
}

static unsigned count_pulses_until(struct device *d, uint64_t end,
				   uint64_t step)
{
	unsigned before = pulses[0];
	while (fake_now + step < end)
		run_to(d->vm, fake_now + step);
	run_to(d->vm, end);
	return pulses[0] - before;
}

static void test_irq0_rate_mode2(void **state)
{
	(void)state;
	struct device *d = new_pit();
	const uint16_t n = 1193; /* ~1000 Hz */
	uint64_t t0 = fake_now;
	program(d, 0, 2, n);
	for (unsigned k = 1; k <= 20; k++) {
		run_to(d->vm, after(t0, (uint64_t)k * n, F) - 1);
		assert_int_equal(pulses[0], k - 1);
		run_to(d->vm, after(t0, (uint64_t)k * n, F));
		assert_int_equal(pulses[0], k);
	}
	/* One second at a 100 us service loop: 1193182 / 1193 = 1000. */
	clear_irqs();
	uint64_t t1 = after(t0, 20ull * n, F);
	unsigned got = count_pulses_until(d, after(t1, F, F), fake_hz / 10000);
	assert_in_range(got, 1000, 1001);
	/* OUT is low only on the count of 1. */
	uint64_t t2 = after(t0, 4000ull * n, F);
	run_to(d->vm, after(t2, n - 1, F));
	assert_int_equal(status(d, 0) & 0x80, 0);
	assert_int_equal(latched(d, 0), 1);
	run_to(d->vm, after(t2, n, F));
	assert_int_equal(status(d, 0) & 0x80, 0x80);
	assert_int_equal(latched(d, 0), n);
	free_pit(d);
}

static void test_irq0_rate_mode3_and_power_on(void **state)
{
	(void)state;
	struct device *d = new_pit();
	uint64_t t0 = fake_now;
	/* Power-on: mode 3 with 65536, 18.2 Hz. */
	assert_int_equal(status(d, 0) & 0x3e, 0x36);
	assert_int_equal(count_pulses_until(d, after(t0, 10 * F, F),
					    fake_hz / 1000), 182);
	/* Mode 3 with an odd count: high 5, low 4 ticks. */
	clear_irqs();
	uint64_t t1 = fake_now;
	program(d, 0, 3, 9);
	run_to(d->vm, after(t1, 4, F));
	assert_int_equal(status(d, 0) & 0x80, 0x80);
	run_to(d->vm, after(t1, 5, F));
	assert_int_equal(status(d, 0) & 0x80, 0);
	run_to(d->vm, after(t1, 8, F));
	assert_int_equal(status(d, 0) & 0x80, 0);
	run_to(d->vm, after(t1, 9, F));
	assert_int_equal(status(d, 0) & 0x80, 0x80);
	assert_int_equal(pulses[0], 1);
	/* 100 Hz square wave over a second. */
	clear_irqs();
	uint64_t t2 = fake_now;
	program(d, 0, 3, 11931);
	assert_int_equal(count_pulses_until(d, after(t2, F, F), fake_hz / 2000),
			 100);
	/* Even count: the counter steps by two. */
	uint64_t t3 = fake_now;
	program(d, 0, 3, 100);
	run_to(d->vm, after(t3, 10, F));
	assert_int_equal(latched(d, 0), 80);
	run_to(d->vm, after(t3, 60, F));
	assert_int_equal(latched(d, 0), 80);
	assert_int_equal(status(d, 0) & 0x80, 0);
	free_pit(d);
}

static void test_latch_and_readback(void **state)
{
	(void)state;
	struct device *d = new_pit();
	uint64_t t0 = fake_now;
	out8(d, 0x43, 0x34); /* ch0 mode 2 */
	assert_int_equal(status(d, 0), 0x80 | 0x40 | 0x34); /* null count */
	out8(d, 0x40, 1000 & 0xff);
	out8(d, 0x40, 1000 >> 8);
	assert_int_equal(status(d, 0) & 0x40, 0);
	run_to(d->vm, after(t0, 100, F));
	out8(d, 0x43, 0x00); /* latch: 900 */
	out8(d, 0x43, 0x00); /* a second latch is ignored */
	run_to(d->vm, after(t0, 300, F));
	assert_int_equal(in8(d, 0x40), 900 & 0xff);
	assert_int_equal(in8(d, 0x40), 900 >> 8);
	assert_int_equal(latched(d, 0), 700);
	/* Read-back of count and status: status first, then the count. */
	out8(d, 0x43, 0xc2);
	run_to(d->vm, after(t0, 400, F));
	assert_int_equal(in8(d, 0x40), 0x80 | 0x34);
	assert_int_equal(in8(d, 0x40), 700 & 0xff);
	assert_int_equal(in8(d, 0x40), 700 >> 8);
	/* Read-back of several channels; LSB-only and MSB-only access. */
	out8(d, 0x43, 0x50); /* ch1 LSB only, mode 0 */
	out8(d, 0x41, 200);
	out8(d, 0x61, 0x01);
	out8(d, 0x43, 0xa0); /* ch2 MSB only, mode 0 */
	out8(d, 0x42, 0x12);
	uint64_t t1 = fake_now;
	run_to(d->vm, after(t1, 10, F));
	out8(d, 0x43, 0xc6 | 0x10); /* count of ch1 and ch2 */
	run_to(d->vm, after(t1, 50, F));
	assert_int_equal(in8(d, 0x41), 190);
	assert_int_equal(in8(d, 0x41), 150); /* latch consumed by one read */
	assert_int_equal(in8(d, 0x42), (0x1200 - 10) >> 8);
	free_pit(d);
}

static void test_mode_changes(void **state)
{
	(void)state;
	struct device *d = new_pit();
	uint64_t t0 = fake_now;
	program(d, 0, 2, 500);
	run_to(d->vm, after(t0, 500, F));
	run_to(d->vm, after(t0, 1250, F));
	assert_int_equal(pulses[0], 2);
	/* Mode 2: a new count takes effect at the end of the period. */
	out8(d, 0x40, 100);
	out8(d, 0x40, 0);
	assert_int_equal(status(d, 0) & 0x40, 0x40);
	run_to(d->vm, after(t0, 1499, F));
	assert_int_equal(pulses[0], 2);
	assert_int_equal(latched(d, 0), 1);
	run_to(d->vm, after(t0, 1500, F));
	assert_int_equal(pulses[0], 3);
	assert_int_equal(latched(d, 0), 100);
	assert_int_equal(status(d, 0) & 0x40, 0);
	run_to(d->vm, after(t0, 1600, F));
	assert_int_equal(pulses[0], 4);
	/* Mode 0 on channel 0: one interrupt at terminal count only. */
	uint64_t t1 = fake_now;
	program(d, 0, 0, 300);
	assert_int_equal(status(d, 0) & 0x80, 0);
	run_to(d->vm, after(t1, 299, F));
	assert_int_equal(pulses[0], 4);
	run_to(d->vm, after(t1, 300, F));
	assert_int_equal(pulses[0], 5);
	run_to(d->vm, after(t1, 300000, F));
	assert_int_equal(pulses[0], 5);
	/* Mode 0, LSB then MSB: the first byte stops the count. */
	uint64_t t2 = fake_now;
	program(d, 0, 0, 1000);
	run_to(d->vm, after(t2, 100, F));
	out8(d, 0x40, 50);
	run_to(d->vm, after(t2, 2000, F));
	assert_int_equal(pulses[0], 5);
	assert_int_equal(status(d, 0) & 0x80, 0);
	assert_int_equal(latched(d, 0), 900);
	uint64_t t3 = fake_now;
	out8(d, 0x40, 0);
	run_to(d->vm, after(t3, 50, F));
	assert_int_equal(pulses[0], 6);
	/* Mode 4: OUT low for one tick at terminal count, edge after it. */
	uint64_t t4 = fake_now;
	program(d, 0, 4, 40);
	assert_int_equal(status(d, 0) & 0x80, 0x80);
	run_to(d->vm, after(t4, 40, F));
	assert_int_equal(status(d, 0) & 0x80, 0);
	assert_int_equal(pulses[0], 6);
	run_to(d->vm, after(t4, 41, F));
	assert_int_equal(status(d, 0) & 0x80, 0x80);
	assert_int_equal(pulses[0], 7);
	run_to(d->vm, after(t4, 100000, F));
	assert_int_equal(pulses[0], 7);
	/* A control word alone stops channel 0 (mode 0: OUT low). */
	out8(d, 0x43, 0x30);
	run_to(d->vm, fake_now + fake_hz);
	assert_int_equal(pulses[0], 7);
	free_pit(d);
}

static void test_gate_modes_on_channel2(void **state)
{
	(void)state;
	struct device *d = new_pit();
	/* Mode 1: hardware one-shot, retriggerable by the gate. */
	out8(d, 0x61, 0x00);
	program(d, 2, 1, 100);
	run_to(d->vm, fake_now + fake_hz / 100);
	assert_true(out2(d)); /* waits for a trigger */
	uint64_t t0 = fake_now;
	out8(d, 0x61, 0x01);
	assert_false(out2(d));
	run_to(d->vm, after(t0, 60, F));
	assert_int_equal(latched(d, 2), 40);
	uint64_t t1 = fake_now;
	out8(d, 0x61, 0x00); /* the gate level does not stop mode 1 */
	out8(d, 0x61, 0x01); /* retrigger */
	run_to(d->vm, after(t1, 99, F));
	assert_false(out2(d));
	run_to(d->vm, after(t1, 100, F));
	assert_true(out2(d));
	/* Mode 5: hardware strobe, OUT low one tick at terminal count. */
	out8(d, 0x61, 0x00);
	program(d, 2, 5, 30);
	uint64_t t2 = fake_now;
	out8(d, 0x61, 0x01);
	run_to(d->vm, after(t2, 29, F));
	assert_true(out2(d));
	run_to(d->vm, after(t2, 30, F));
	assert_false(out2(d));
	run_to(d->vm, after(t2, 31, F));
	assert_true(out2(d));
	/* Mode 2: gate low holds OUT high; a rising edge reloads. */
	program(d, 2, 2, 10);
	uint64_t t3 = fake_now;
	run_to(d->vm, after(t3, 9, F));
	assert_false(out2(d));
	out8(d, 0x61, 0x00);
	assert_true(out2(d));
	uint64_t t4 = fake_now + 777;
	run_to(d->vm, t4);
	out8(d, 0x61, 0x01);
	assert_int_equal(latched(d, 2), 10);
	run_to(d->vm, after(t4, 3, F));
	assert_int_equal(latched(d, 2), 7);
	assert_int_equal(pulses[0], 0);
	free_pit(d);
}

static void test_port61_and_bcd(void **state)
{
	(void)state;
	struct device *d = new_pit();
	out8(d, 0x61, 0xff);
	assert_int_equal(in8(d, 0x61) & 0xcf, 0x0f);
	/* Refresh toggles every 18 ticks (15 us). */
	uint64_t base = after(0, (fake_now * F / fake_hz / 18 + 1) * 18, F);
	run_to(d->vm, base);
	uint8_t r0 = in8(d, 0x61) & 0x10;
	run_to(d->vm, after(base, 17, F));
	assert_int_equal(in8(d, 0x61) & 0x10, r0);
	run_to(d->vm, after(base, 18, F));
	assert_int_not_equal(in8(d, 0x61) & 0x10, r0);
	/* BCD: 1000 counts in decimal; 0 means 10000. */
	uint64_t t0 = fake_now;
	out8(d, 0x43, 0xb1); /* ch2 LSB/MSB mode 0 BCD */
	out8(d, 0x42, 0x00);
	out8(d, 0x42, 0x10);
	run_to(d->vm, after(t0, 1, F));
	assert_int_equal(latched(d, 2), 0x0999);
	run_to(d->vm, after(t0, 1000, F));
	assert_true(out2(d));
	run_to(d->vm, after(t0, 1001, F));
	assert_int_equal(latched(d, 2), 0x9999);
	program(d, 0, 3, 0);
	out8(d, 0x43, 0x37); /* ch0 mode 3 BCD, count 0 = 10000 */
	uint64_t t1 = fake_now;
	out8(d, 0x40, 0);
	out8(d, 0x40, 0);
	clear_irqs();
	run_to(d->vm, after(t1, 10000, F));
	assert_int_equal(pulses[0], 1);
	/* Junk BCD digits and modes 6/7 do not crash. */
	out8(d, 0x43, 0x3f);
	out8(d, 0x40, 0xff);
	out8(d, 0x40, 0xff);
	run_to(d->vm, fake_now + fake_hz / 10);
	(void)latched(d, 0);
	assert_int_equal(status(d, 0) & 0x0e, 0x06);
	free_pit(d);
}

static void test_save_restore_later_clock(void **state)
{
	(void)state;
	struct device *a = new_pit(), *b = new_pit();
	uint8_t buf[512];
	assert_true(a->state_size <= sizeof buf);
	uint64_t t0 = fake_now;
	program(a, 0, 2, 5000);
	out8(a, 0x61, 0x03);
	program(a, 2, 0, 40000);
	out8(a, 0x43, 0x40); /* ch1 latched, half read */
	run_to(a->vm, after(t0, 12345, F) + 99);
	uint64_t t1 = fake_now, d1 = 3 * fake_hz / 1000 + 17;
	a->save(a, buf);
	unsigned p1 = pulses[0];
	uint8_t lsb1 = in8(a, 0x41);
	uint16_t c0 = latched(a, 0), c2 = latched(a, 2);
	uint8_t p61 = in8(a, 0x61) & 0x2f;
	run_to(a->vm, t1 + d1);
	uint16_t c0b = latched(a, 0), c2b = latched(a, 2);
	unsigned pa = pulses[0] - p1;
	/* Much later, a fresh device takes the image. */
	run_to(b->vm, t1 + 1000 * fake_hz);
	uint64_t t2 = fake_now;
	assert_int_equal(b->restore(b, buf, a->state_size), ST_OK);
	clear_irqs();
	assert_int_equal(in8(b, 0x41), lsb1);
	assert_int_equal(latched(b, 0), c0);
	assert_int_equal(latched(b, 2), c2);
	assert_int_equal(in8(b, 0x61) & 0x2f, p61);
	run_to(b->vm, t2 + d1);
	assert_int_equal(latched(b, 0), c0b);
	assert_int_equal(latched(b, 2), c2b);
	assert_int_equal(pa, 1);
	assert_int_equal(pulses[0], pa);
	/* Channel 2 still ends its count where it would have. */
	run_to(b->vm, t2 + after(0, 40000 - 12345, F));
	assert_true(in8(b, 0x61) & 0x20);
	/* Refusals leave the device unchanged. */
	uint16_t before = latched(b, 2);
	assert_int_equal(b->restore(b, buf, a->state_size - 1), ST_ECORRUPT);
	buf[0] ^= 0xff;
	assert_int_equal(b->restore(b, buf, a->state_size), ST_ECORRUPT);
	buf[0] ^= 0xff;
	uint8_t bad[512];
	memcpy(bad, buf, sizeof bad);
	for (size_t i = 16; i < a->state_size; i++) /* any garbage is refused */
		bad[i] = 0xee;
	assert_int_equal(b->restore(b, bad, a->state_size), ST_ECORRUPT);
	assert_int_equal(latched(b, 2), before);
	/* Reset: power-on state, 18.2 Hz on IRQ 0. */
	b->reset(b);
	assert_int_equal(status(b, 0) & 0x3f, 0x36);
	assert_int_equal(in8(b, 0x61) & 0x01, 0);
	free_pit(a);
	free_pit(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_claims_and_refusal),
		cmocka_unit_test(test_channel2_calibration),
		cmocka_unit_test(test_unlatched_reads_and_gate_pause),
		cmocka_unit_test(test_irq0_rate_mode2),
		cmocka_unit_test(test_irq0_rate_mode3_and_power_on),
		cmocka_unit_test(test_latch_and_readback),
		cmocka_unit_test(test_mode_changes),
		cmocka_unit_test(test_gate_modes_on_channel2),
		cmocka_unit_test(test_port61_and_bcd),
		cmocka_unit_test(test_save_restore_later_clock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
