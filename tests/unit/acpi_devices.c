/* acpi_devices.c: unit tests of the ACPI PM block (hv/dev/acpi_pm.c) and
 * the 8042 (hv/dev/i8042.c) through the VM's port bus, with a fake clock
 * (vclock_now/vclock_hz), recorded IRQ lines and vm_stop faked. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "hv/acpi.h"
#include "hv/dev/acpi_devices.h"
#include "hv/irq.h"
#include "hv/vm.h"

#include "tests/unit/fake_vclock.h"

static bool line[IRQ_LINES];
static unsigned pulses[IRQ_LINES];

void irq_set(struct vm *vm, unsigned irq, bool level)
{
	(void)vm;
	assert_true(irq < IRQ_LINES);
	line[irq] = level;
}

void irq_pulse(struct vm *vm, unsigned irq)
{
	(void)vm;
	assert_true(irq < IRQ_LINES);
	pulses[irq]++;
}

void vm_stop(struct vm *vm, enum vm_stop why, int code, const char *fmt, ...)
{
	(void)fmt;
	if (vm->stop == VM_RUNNING)
		vm->stop = why, vm->exit_code = code;
}

static uint64_t in(struct vm *vm, uint16_t port, unsigned size)
{
	uint64_t v = ~0ull;
	assert_true(bus_access(&vm->bus, BUS_PIO, port, size, false, &v));
	return size == 8 ? v : v & ((1ull << 8 * size) - 1);
}

static void out(struct vm *vm, uint16_t port, unsigned size, uint64_t val)
{
	assert_true(bus_access(&vm->bus, BUS_PIO, port, size, true, &val));
}

static struct vm *new_vm(void)
{
	struct vm *vm = calloc(1, sizeof *vm);
	assert_non_null(vm);
	memset(line, 0, sizeof line);
	memset(pulses, 0, sizeof pulses);
	return vm;
}

static void free_all(struct vm *vm, struct device *d)
{
	free(d);
	free(vm);
}

/* ---- ACPI PM --------------------------------------------------------- */

enum { STS = 0x600, EN = 0x602, CNT = 0x604, TMR = 0x608 };

static uint32_t expected_ticks(uint64_t clock)
{
	return (uint32_t)((unsigned __int128)clock * ACPI_PM_TMR_HZ / fake_hz);
}

static struct device *new_pm(struct vm **vmp)
{
	*vmp = new_vm();
	struct device *d = acpi_pm_create(*vmp);
	assert_non_null(d);
	return d;
}

static void test_pm_timer_rate(void **state)
{
	(void)state;
	/* The last clock is fast enough to take muldiv's long-division path. */
	static const uint64_t hzs[] = { 1000000000, 2494140007, 3579545, 1 << 20,
					10000000000000ull };
	static const uint64_t ts[] = { 0, 1, 999, 1000000000, 123456789012345,
				       1ull << 62, UINT64_MAX / 3 };
	for (unsigned h = 0; h < 5; h++) {
		fake_hz = hzs[h];
		fake_now = 0;
		struct vm *vm;
		struct device *d = new_pm(&vm);
		for (unsigned i = 0; i < 7; i++) {
			fake_now = ts[i];
			assert_int_equal(in(vm, TMR, 4), expected_ticks(ts[i]));
		}
		free_all(vm, d);
	}
	/* One second of clock is 3579545 ticks, from any start. */
	fake_hz = 2000000000;
	fake_now = 5000000000ull;
	struct vm *vm;
	struct device *d = new_pm(&vm);
	assert_int_equal(in(vm, TMR, 4), 0);
	fake_now += fake_hz;
	assert_int_equal(in(vm, TMR, 4), ACPI_PM_TMR_HZ);
	/* Byte and word reads see the same counter. */
	assert_int_equal(in(vm, TMR, 2), ACPI_PM_TMR_HZ & 0xffff);
	assert_int_equal(in(vm, TMR + 2, 1), (ACPI_PM_TMR_HZ >> 16) & 0xff);
	/* Writes to the timer are ignored. */
	out(vm, TMR, 4, 0);
	assert_int_equal(in(vm, TMR, 4), ACPI_PM_TMR_HZ);
	free_all(vm, d);
	fake_hz = 1000000000;
}

static void test_pm_control_and_sleep(void **state)
{
	(void)state;
	struct vm *vm;
	struct device *d = new_pm(&vm);
	assert_int_equal(in(vm, CNT, 2), 1); /* SCI_EN: no SMM */
	out(vm, CNT, 2, 0);
	assert_int_equal(in(vm, CNT, 2) & 1, 1);
	/* S1 and S3 are not offered: the guest wakes at once (WAK_STS). */
	for (unsigned typ = 1; typ <= 7; typ++) {
		if (typ == 5)
			continue;
		out(vm, CNT, 2, 1u | typ << 10 | 1u << 13);
		assert_int_equal(vm->stop, VM_RUNNING);
		assert_int_equal(in(vm, CNT, 2), 1u | typ << 10); /* SLP_EN reads 0 */
		assert_int_equal(in(vm, STS, 2) & 0x8000, 0x8000);
		out(vm, STS, 2, 0x8000);
		assert_int_equal(in(vm, STS, 2), 0);
	}
	/* SLP_TYP without SLP_EN does nothing. */
	out(vm, CNT, 2, 5u << 10);
	assert_int_equal(vm->stop, VM_RUNNING);
	/* S5 through a byte write of the high byte. */
	out(vm, CNT + 1, 1, (5u << 2) | (1u << 5));
	assert_int_equal(vm->stop, VM_POWER_OFF);
	free_all(vm, d);
	/* QEMU's S5 value, 0, written as one word. */
	d = new_pm(&vm);
	out(vm, CNT, 2, 1u << 13);
	assert_int_equal(vm->stop, VM_POWER_OFF);
	free_all(vm, d);
	/* A dword write at 0x604 covers PM1_CNT and the gap after it. */
	d = new_pm(&vm);
	out(vm, CNT, 4, 0x3400);
	assert_int_equal(vm->stop, VM_POWER_OFF);
	free_all(vm, d);
}

static void test_pm_power_button_sci(void **state)
{
	(void)state;
	struct vm *vm;
	struct device *d = new_pm(&vm);
	acpi_pm_power_button(d);
	assert_int_equal(in(vm, STS, 2), 0x100);
	assert_false(line[ACPI_SCI_IRQ]); /* not enabled */
	out(vm, EN, 2, 0x100);
	assert_int_equal(in(vm, EN, 2), 0x100);
	assert_true(line[ACPI_SCI_IRQ]);
	/* A dword read of 0x600 gives status and enable together. */
	assert_int_equal(in(vm, STS, 4), 0x01000100);
	out(vm, STS, 2, 0x0001); /* writing 0 bits changes nothing */
	assert_true(line[ACPI_SCI_IRQ]);
	out(vm, STS, 2, 0x0100);
	assert_false(line[ACPI_SCI_IRQ]);
	assert_int_equal(in(vm, STS, 2), 0);
	/* Reserved enable bits do not stick. */
	out(vm, EN, 2, 0xffff);
	assert_int_equal(in(vm, EN, 2), 0x4721);
	free_all(vm, d);
}

static void test_pm_timer_overflow_sci(void **state)
{
	(void)state;
	fake_now = 0;
	struct vm *vm;
	struct device *d = new_pm(&vm);
	out(vm, EN, 2, 1); /* TMR_EN */
	/* The first toggle of bit 31 is 2^31 ticks away. */
	uint64_t when = (uint64_t)(((unsigned __int128)1 << 31) * fake_hz /
				   ACPI_PM_TMR_HZ);
	uint64_t next = vtimer_run_due(&vm->timers, when - 2);
	assert_true(next >= when - 1 && next <= when + 2);
	assert_int_equal(in(vm, STS, 2) & 1, 0);
	assert_false(line[ACPI_SCI_IRQ]);
	fake_now = next;
	vtimer_run_due(&vm->timers, fake_now);
	assert_true(in(vm, TMR, 4) >= 0x80000000u);
	assert_int_equal(in(vm, STS, 2) & 1, 1);
	assert_true(line[ACPI_SCI_IRQ]);
	out(vm, STS, 2, 1);
	assert_false(line[ACPI_SCI_IRQ]);
	/* The next toggle (back to 0 at the wrap) is re-armed. */
	assert_int_equal(vm->timers.n, 1);
	fake_now = vm->timers.armed[0]->deadline;
	vtimer_run_due(&vm->timers, fake_now);
	assert_true(in(vm, TMR, 4) < 0x1000);
	assert_true(line[ACPI_SCI_IRQ]);
	free_all(vm, d);
	fake_now = 0;
}

static void test_pm_save_restore(void **state)
{
	(void)state;
	struct vm *va, *vb;
	fake_now = 1000;
	struct device *a = new_pm(&va);
	struct device *b = new_pm(&vb);
	uint8_t buf[64], bad[64];
	assert_true(a->state_size <= sizeof buf);
	out(va, EN, 2, 0x100);
	out(va, CNT, 2, 3u << 10);
	fake_now += 7 * fake_hz;
	uint32_t t = (uint32_t)in(va, TMR, 4);
	a->save(a, buf);
	/* Restored an hour later on another VM: the timer goes on from t. */
	fake_now += 3600 * fake_hz;
	assert_int_equal(b->restore(b, buf, a->state_size), ST_OK);
	assert_int_equal(in(vb, TMR, 4), t);
	assert_int_equal(in(vb, EN, 2), 0x100);
	assert_int_equal(in(vb, CNT, 2), 1u | 3u << 10);
	fake_now += fake_hz;
	assert_int_equal(in(vb, TMR, 4), t + ACPI_PM_TMR_HZ);
	/* Bad images are refused and change nothing. */
	assert_int_equal(b->restore(b, buf, a->state_size - 1), ST_ECORRUPT);
	memcpy(bad, buf, sizeof bad);
	bad[0] ^= 1; /* version */
	assert_int_equal(b->restore(b, bad, a->state_size), ST_ECORRUPT);
	memcpy(bad, buf, sizeof bad);
	bad[4] = 0x02; /* a reserved status bit */
	assert_int_equal(b->restore(b, bad, a->state_size), ST_ECORRUPT);
	memcpy(bad, buf, sizeof bad);
	bad[9] = 0x20; /* SLP_EN in the control register */
	assert_int_equal(b->restore(b, bad, a->state_size), ST_ECORRUPT);
	assert_int_equal(in(vb, EN, 2), 0x100);
	/* Reset: power-on values, the timer from 0. */
	b->reset(b);
	assert_int_equal(in(vb, EN, 2), 0);
	assert_int_equal(in(vb, CNT, 2), 1);
	assert_int_equal(in(vb, TMR, 4), 0);
	free_all(va, a);
	free_all(vb, b);
	fake_now = 0;
}

static void test_pm_ports_taken(void **state)
{
	(void)state;
	struct vm *vm;
	struct device *d = new_pm(&vm);
	assert_null(acpi_pm_create(vm)); /* freed, as ASan checks */
	assert_false(bus_access(&vm->bus, BUS_PIO, ACPI_PM_BASE + ACPI_PM_LEN, 1,
				false, &(uint64_t){ 0 }));
	free_all(vm, d);
}

/* ---- 8042 ------------------------------------------------------------ */

static struct device *new_kbc(struct vm **vmp)
{
	*vmp = new_vm();
	struct device *d = i8042_create(*vmp);
	assert_non_null(d);
	return d;
}

static uint8_t status(struct vm *vm)
{
	return (uint8_t)in(vm, 0x64, 1);
}

static uint8_t cmd_read(struct vm *vm, uint8_t cmd)
{
	out(vm, 0x64, 1, cmd);
	assert_int_equal(status(vm) & 1, 1);
	return (uint8_t)in(vm, 0x60, 1);
}

static void test_kbc_selftest_and_commands(void **state)
{
	(void)state;
	struct vm *vm;
	struct device *d = new_kbc(&vm);
	assert_int_equal(status(vm), 0x14); /* SYS, not inhibited, empty */
	assert_int_equal(cmd_read(vm, 0xaa), 0x55);
	assert_int_equal(pulses[1], 1); /* KBDINT is on at power-on */
	assert_int_equal(status(vm) & 0x0b, 0x08); /* empty, last was command */
	assert_int_equal(cmd_read(vm, 0xab), 0x00);
	assert_int_equal(cmd_read(vm, 0xa9), 0x00);
	/* Command byte. */
	uint8_t ctr = cmd_read(vm, 0x20);
	assert_int_equal(ctr, 0x45);
	out(vm, 0x64, 1, 0x60);
	out(vm, 0x60, 1, 0x74);
	assert_int_equal(status(vm) & 0x08, 0);
	assert_int_equal(cmd_read(vm, 0x20), 0x74);
	out(vm, 0x64, 1, 0xae);
	out(vm, 0x64, 1, 0xa8);
	assert_int_equal(cmd_read(vm, 0x20), 0x44);
	out(vm, 0x64, 1, 0xad);
	out(vm, 0x64, 1, 0xa7);
	assert_int_equal(cmd_read(vm, 0x20), 0x74);
	/* Output port: A20 kept; D2 puts a byte in the buffer. */
	assert_int_equal(cmd_read(vm, 0xd0), 0x03);
	out(vm, 0x64, 1, 0xd1);
	out(vm, 0x60, 1, 0x01);
	assert_int_equal(cmd_read(vm, 0xd0), 0x01);
	out(vm, 0x64, 1, 0xdf);
	assert_int_equal(cmd_read(vm, 0xd0), 0x03);
	out(vm, 0x64, 1, 0xd2);
	out(vm, 0x60, 1, 0x9c);
	assert_int_equal(status(vm) & 0x21, 0x01);
	assert_int_equal(in(vm, 0x60, 1), 0x9c);
	out(vm, 0x64, 1, 0xd3);
	out(vm, 0x60, 1, 0x5a);
	assert_int_equal(status(vm) & 0x21, 0x21);
	assert_int_equal(in(vm, 0x60, 1), 0x5a);
	assert_int_equal(vm->stop, VM_RUNNING);
	free_all(vm, d);
}

static void test_kbc_no_keyboard(void **state)
{
	(void)state;
	struct vm *vm;
	struct device *d = new_kbc(&vm);
	/* GETID to the keyboard: NAK with the time-out bit, IRQ 1. */
	out(vm, 0x60, 1, 0xf2);
	assert_int_equal(status(vm) & 0x61, 0x41);
	assert_int_equal(in(vm, 0x60, 1), 0xfe);
	assert_int_equal(status(vm) & 0x61, 0x00);
	assert_int_equal(pulses[1], 1);
	/* With the keyboard interrupt off, no IRQ. */
	out(vm, 0x64, 1, 0x60);
	out(vm, 0x60, 1, 0x44);
	out(vm, 0x60, 1, 0xed);
	assert_int_equal(in(vm, 0x60, 1), 0xfe);
	assert_int_equal(pulses[1], 1);
	/* To the mouse: NAK from the AUX side, IRQ 12 when enabled. */
	out(vm, 0x64, 1, 0x60);
	out(vm, 0x60, 1, 0x47);
	out(vm, 0x64, 1, 0xd4);
	out(vm, 0x60, 1, 0xf2);
	assert_int_equal(status(vm) & 0x61, 0x61);
	assert_int_equal(in(vm, 0x60, 1), 0xfe);
	assert_int_equal(pulses[12], 1);
	free_all(vm, d);
}

static void test_kbc_reset_line(void **state)
{
	(void)state;
	struct vm *vm;
	struct device *d = new_kbc(&vm);
	out(vm, 0x64, 1, 0xff); /* pulses nothing */
	out(vm, 0x64, 1, 0xf1);
	assert_int_equal(vm->stop, VM_RUNNING);
	out(vm, 0x64, 1, 0xfe);
	assert_int_equal(vm->stop, VM_RESET);
	free_all(vm, d);
	d = new_kbc(&vm);
	out(vm, 0x64, 1, 0xf0);
	assert_int_equal(vm->stop, VM_RESET);
	free_all(vm, d);
	d = new_kbc(&vm);
	out(vm, 0x64, 1, 0xd1); /* output port bit 0 low */
	out(vm, 0x60, 1, 0x02);
	assert_int_equal(vm->stop, VM_RESET);
	free_all(vm, d);
}

static void test_kbc_save_restore(void **state)
{
	(void)state;
	struct vm *va, *vb;
	struct device *a = new_kbc(&va);
	struct device *b = new_kbc(&vb);
	uint8_t buf[64], bad[64];
	assert_true(a->state_size <= sizeof buf);
	out(va, 0x64, 1, 0x60);
	out(va, 0x60, 1, 0x65);
	out(va, 0x64, 1, 0xd2);
	out(va, 0x60, 1, 0x1e);
	out(va, 0x64, 1, 0xd1); /* a command waiting for its byte */
	a->save(a, buf);
	assert_int_equal(b->restore(b, buf, a->state_size), ST_OK);
	assert_int_equal(status(vb), status(va));
	out(vb, 0x60, 1, 0x03);
	assert_int_equal(in(vb, 0x60, 1), 0x1e);
	assert_int_equal(cmd_read(vb, 0xd0), 0x03);
	assert_int_equal(cmd_read(vb, 0x20), 0x65);
	assert_int_equal(b->restore(b, buf, a->state_size + 1), ST_ECORRUPT);
	memcpy(bad, buf, sizeof bad);
	bad[1] ^= 1;
	assert_int_equal(b->restore(b, bad, a->state_size), ST_ECORRUPT);
	memcpy(bad, buf, sizeof bad);
	bad[10] = 0x99; /* no such pending command */
	assert_int_equal(b->restore(b, bad, a->state_size), ST_ECORRUPT);
	assert_int_equal(cmd_read(vb, 0x20), 0x65);
	b->reset(b);
	assert_int_equal(cmd_read(vb, 0x20), 0x45);
	assert_int_equal(cmd_read(vb, 0xd0), 0x03);
	free_all(va, a);
	free_all(vb, b);
}

static void test_kbc_ports_taken(void **state)
{
	(void)state;
	struct vm *vm = new_vm();
	struct device other = { .name = "other" };
	assert_int_equal(bus_claim(&vm->bus, BUS_PIO, 0x64, 1, &other, 0), ST_OK);
	assert_null(i8042_create(vm));
	/* 0x60 was given back. */
	assert_int_equal(bus_claim(&vm->bus, BUS_PIO, 0x60, 1, &other, 1), ST_OK);
	free(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pm_timer_rate),
		cmocka_unit_test(test_pm_control_and_sleep),
		cmocka_unit_test(test_pm_power_button_sci),
		cmocka_unit_test(test_pm_timer_overflow_sci),
		cmocka_unit_test(test_pm_save_restore),
		cmocka_unit_test(test_pm_ports_taken),
		cmocka_unit_test(test_kbc_selftest_and_commands),
		cmocka_unit_test(test_kbc_no_keyboard),
		cmocka_unit_test(test_kbc_reset_line),
		cmocka_unit_test(test_kbc_save_restore),
		cmocka_unit_test(test_kbc_ports_taken),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
