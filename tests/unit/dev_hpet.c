/* dev_hpet.c: unit tests of the HPET model (hv/dev/hpet.c) on a fake
 * clock (fake_clock.h) with the real MMIO bus and timer set: capabilities,
 * the counter's rate and halting, 32- and 64-bit accesses, one-shot and
 * periodic timers, 32-bit mode, level status with write-1-to-clear,
 * legacy replacement routing, FSB messages, and save/restore. */
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

#define HZ 100000000ull
#define T0 0x100

static uint64_t rd(struct device *d, unsigned off, unsigned size)
{
	uint64_t v = ~0ull;
	assert_true(bus_access(&d->vm->bus, BUS_MMIO, HPET_BASE + off, size, false, &v));
	return v;
}

static void wr(struct device *d, unsigned off, unsigned size, uint64_t v)
{
	assert_true(bus_access(&d->vm->bus, BUS_MMIO, HPET_BASE + off, size, true, &v));
}

static struct device *new_hpet(void)
{
	struct device *d = hpet_create(new_vm());
	assert_non_null(d);
	clear_irqs();
	return d;
}

static void free_hpet(struct device *d)
{
	free(d->vm);
	free(d);
}

static void test_capabilities(void **state)
{
	(void)state;
	struct device *d = new_hpet();
	uint64_t cap = rd(d, 0, 8);
	assert_int_equal(cap & 0xff, 1);                    /* revision */
	assert_int_equal((cap >> 8) & 0x1f, 2);             /* 3 timers */
	assert_true(cap & (1u << 13));                      /* 64-bit */
	assert_true(cap & (1u << 15));                      /* legacy capable */
	assert_int_equal((cap >> 16) & 0xffff, 0x8086);
	assert_int_equal(cap >> 32, 10000000);              /* 10 ns */
	assert_int_equal(rd(d, 4, 4), 10000000);            /* upper half alone */
	for (unsigned n = 0; n < 3; n++) {
		uint64_t c = rd(d, T0 + 0x20 * n, 8);
		assert_int_equal(c >> 32, 0x00ff0104);
		assert_true(c & (1u << 4) && c & (1u << 5)); /* periodic, 64-bit */
		assert_int_equal(rd(d, T0 + 0x20 * n + 8, 8), ~0ull);
	}
	assert_int_equal(rd(d, 0xf0, 8), 0);                /* halted */
	free_hpet(d);
}

static void test_counter(void **state)
{
	(void)state;
	struct device *d = new_hpet();
	uint64_t t0 = fake_now;
	run_to(d->vm, t0 + fake_hz);
	assert_int_equal(rd(d, 0xf0, 8), 0);                /* halted: no count */
	wr(d, 0xf0, 4, 0xfffffff0);                         /* set while halted */
	wr(d, 0xf4, 4, 1);
	assert_int_equal(rd(d, 0xf0, 8), 0x1fffffff0ull);
	wr(d, 0x10, 8, 1);                                  /* ENABLE_CNF */
	uint64_t t1 = fake_now;
	run_to(d->vm, after(t1, 100, HZ));
	assert_int_equal(rd(d, 0xf0, 8), 0x1fffffff0ull + 100);
	run_to(d->vm, t1 + fake_hz / 1000);                 /* 1 ms */
	uint64_t c = rd(d, 0xf0, 8) - 0x1fffffff0ull;
	assert_true(c >= 99999 && c <= 100000);
	assert_int_equal(rd(d, 0xf0, 4), (uint32_t)rd(d, 0xf0, 8));
	assert_int_equal(rd(d, 0xf4, 4), 2);
	wr(d, 0x10, 8, 0);                                  /* halt again */
	uint64_t stopped = rd(d, 0xf0, 8);
	run_to(d->vm, fake_now + fake_hz);
	assert_int_equal(rd(d, 0xf0, 8), stopped);
	free_hpet(d);
}

static void test_one_shot_and_periodic(void **state)
{
	(void)state;
	struct device *d = new_hpet();
	/* timer 0: one-shot, edge, GSI 20, at 1000 ticks */
	wr(d, T0, 8, (20u << 9) | (1u << 2));
	wr(d, T0 + 8, 8, 1000);
	wr(d, 0x10, 8, 1);
	uint64_t t0 = fake_now;
	run_to(d->vm, after(t0, 999, HZ) - 1);
	assert_int_equal(pulses[20], 0);
	run_to(d->vm, after(t0, 1000, HZ));
	assert_int_equal(pulses[20], 1);
	run_to(d->vm, t0 + 10 * fake_hz);
	assert_int_equal(pulses[20], 1);                    /* once */
	/* timer 1: periodic every 10000 ticks (100 us), level, GSI 21 */
	wr(d, 0x10, 8, 0);
	wr(d, 0xf0, 8, 0);
	wr(d, T0 + 0x20, 8, (21u << 9) | (1u << 3) | (1u << 6) | (1u << 2) | 2);
	wr(d, T0 + 0x28, 8, 10000);                         /* VAL_SET: cmp and period */
	wr(d, T0 + 0x28, 8, 10000);                         /* period only */
	assert_int_equal(rd(d, T0 + 0x20, 8) & (1u << 6), 0);
	wr(d, 0x10, 8, 1);
	uint64_t t1 = fake_now;
	for (unsigned k = 1; k <= 5; k++) {
		run_to(d->vm, after(t1, 10000 * k, HZ));
		assert_int_equal(rises[21], k);
		assert_int_equal(rd(d, 0x20, 8), 2);        /* level status */
		assert_int_equal(rd(d, T0 + 0x28, 8), 10000 * (k + 1));
		wr(d, 0x20, 8, 2);                          /* write 1 to clear */
		assert_false(level[21]);
		assert_int_equal(rd(d, 0x20, 8), 0);
	}
	/* a late service loop folds missed periods into one interrupt */
	run_to(d->vm, after(t1, 10000 * 9 + 5000, HZ));
	assert_int_equal(rises[21], 6);
	assert_int_equal(rd(d, T0 + 0x28, 8), 100000);
	free_hpet(d);
}

static void test_32bit_and_routing(void **state)
{
	(void)state;
	struct device *d = new_hpet();
	/* 32-bit timer 2: comparator wraps with the low half of the counter */
	wr(d, 0xf0, 8, 0x1fffffff0ull);
	wr(d, T0 + 0x40, 8, (22u << 9) | (1u << 8) | (1u << 2));
	wr(d, T0 + 0x48, 8, 0x500000010ull);
	assert_int_equal(rd(d, T0 + 0x48, 8), 0x10);
	wr(d, 0x10, 8, 1);
	uint64_t t0 = fake_now;
	run_to(d->vm, after(t0, 0x1f, HZ) + 1);
	assert_int_equal(pulses[22], 0);
	run_to(d->vm, after(t0, 0x20, HZ));
	assert_int_equal(pulses[22], 1);
	/* a route outside the capability (GSI 5) keeps the old one */
	wr(d, T0 + 0x40, 4, (5u << 9) | (1u << 2));
	assert_int_equal((rd(d, T0 + 0x40, 4) >> 9) & 0x1f, 22);
	/* legacy replacement: timer 0 -> IRQ 0, timer 1 -> IRQ 8 */
	wr(d, 0x10, 8, 0);
	wr(d, 0xf0, 8, 0);
	wr(d, T0, 8, (20u << 9) | (1u << 2));
	wr(d, T0 + 8, 8, 50);
	wr(d, T0 + 0x20, 8, (20u << 9) | (1u << 2));
	wr(d, T0 + 0x28, 8, 60);
	wr(d, 0x10, 8, 3);
	t0 = fake_now;
	run_to(d->vm, after(t0, 100, HZ));
	assert_int_equal(pulses[0], 1);
	assert_int_equal(pulses[8], 1);
	assert_int_equal(pulses[20], 0);
	/* FSB delivery */
	wr(d, 0x10, 8, 0);
	wr(d, 0xf0, 8, 0);
	wr(d, T0 + 0x40, 8, (1u << 14) | (1u << 2));
	wr(d, T0 + 0x50, 8, (0xfee00000ull << 32) | 0x41);
	wr(d, T0 + 0x48, 8, 10);
	wr(d, 0x10, 8, 1);
	run_to(d->vm, after(fake_now, 10, HZ));
	assert_int_equal(msis, 1);
	free_hpet(d);
}

static void test_save_restore(void **state)
{
	(void)state;
	struct device *d = new_hpet(), *e = new_hpet();
	uint8_t buf[512];
	assert_true(d->state_size <= sizeof buf);
	wr(d, T0 + 0x20, 8, (21u << 9) | (1u << 3) | (1u << 6) | (1u << 2));
	wr(d, T0 + 0x28, 8, 1000);
	wr(d, T0 + 0x28, 8, 1000);
	wr(d, 0x10, 8, 1);
	uint64_t t0 = fake_now;
	run_to(d->vm, after(t0, 1000, HZ));
	run_to(d->vm, after(t0, 2500, HZ));
	assert_int_equal(pulses[21], 2);
	d->save(d, buf);
	uint64_t saved = rd(d, 0xf0, 8);
	/* restored later, at another clock rate: the counter goes on from
	 * where it was, and the periodic timer keeps its phase */
	fake_now += 77777777;
	fake_hz = 1000000000ull;
	assert_int_equal(e->restore(e, buf, d->state_size), ST_OK);
	assert_int_equal(rd(e, 0xf0, 8), saved);
	uint64_t t1 = fake_now;
	run_to(e->vm, after(t1, 3000 - saved, HZ));
	assert_int_equal(pulses[21], 3);
	assert_int_equal(rd(e, T0 + 0x28, 8), 4000);
	/* refused: wrong size or version */
	assert_int_equal(e->restore(e, buf, d->state_size - 1), ST_ECORRUPT);
	buf[0] ^= 0xff;
	assert_int_equal(e->restore(e, buf, d->state_size), ST_ECORRUPT);
	e->reset(e);
	assert_int_equal(rd(e, 0x10, 8), 0);
	assert_int_equal(rd(e, 0xf0, 8), 0);
	fake_hz = FAKE_HZ_INIT;
	free_hpet(d);
	free_hpet(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capabilities),
		cmocka_unit_test(test_counter),
		cmocka_unit_test(test_one_shot_and_periodic),
		cmocka_unit_test(test_32bit_and_routing),
		cmocka_unit_test(test_save_restore),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
