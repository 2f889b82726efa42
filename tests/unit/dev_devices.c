/* dev_devices.c: unit tests of the device models' behaviour and of their
 * save/restore (hv/dev/). The platform console and vm_stop are faked:
 * transmitted bytes collect in a buffer, typed bytes come from one. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "hv/console.h"
#include "hv/dev/device.h"
#include "hv/vm.h"

static char tx[256];
static size_t tx_len;
static const char *rx_text;

void hv_guest_putc(char c)
{
	if (tx_len < sizeof tx)
		tx[tx_len++] = c;
}

int plat_console_getc(void)
{
	return rx_text && *rx_text ? (unsigned char)*rx_text++ : -1;
}

int console_input(struct vm *vm)
{
	(void)vm;
	return plat_console_getc();
}

void console_poll(struct vm *vm)
{
	(void)vm; /* the fake console has no escape key */
}

static unsigned irq4_level, irq4_changes;

void irq_set(struct vm *vm, unsigned irq, bool level)
{
	(void)vm;
	if (irq == 4)
		irq4_level = level, irq4_changes++;
}

void vm_stop(struct vm *vm, enum vm_stop why, int code, const char *fmt, ...)
{
	(void)fmt;
	if (vm->stop == VM_RUNNING)
		vm->stop = why, vm->exit_code = code;
}

/* Through the port bus of the device's VM, as an exit handler reaches
 * it; every UART here sits at 0x3f8. */
static uint8_t in8(struct device *d, unsigned reg)
{
	uint64_t v = 0xff;
	assert_true(bus_access(&d->vm->bus, BUS_PIO, 0x3f8 + reg, 1, false, &v));
	return (uint8_t)v;
}

static void out8(struct device *d, unsigned reg, uint8_t val)
{
	uint64_t v = val;
	assert_true(bus_access(&d->vm->bus, BUS_PIO, 0x3f8 + reg, 1, true, &v));
}

static struct device *new_uart(void)
{
	struct vm *vm = calloc(1, sizeof *vm);
	assert_non_null(vm);
	return uart16550_create(vm, 0x3f8);
}

static void free_dev(struct device *d)
{
	free(d->vm);
	free(d);
}

static void test_uart_transmit_and_receive(void **state)
{
	(void)state;
	struct device *u = new_uart();
	assert_non_null(u);
	tx_len = 0;
	out8(u, 0, 'h');
	out8(u, 0, 'i');
	assert_int_equal(tx_len, 2);
	assert_memory_equal(tx, "hi", 2);
	assert_int_equal(in8(u, 5) & 0x61, 0x60); /* THRE, TEMT, no data */
	rx_text = "ok";
	u->poll(u);
	assert_int_equal(in8(u, 5) & 1, 1);
	assert_int_equal(in8(u, 0), 'o');
	assert_int_equal(in8(u, 0), 'k');
	assert_int_equal(in8(u, 5) & 1, 0);
	free_dev(u);
}

static void test_uart_registers(void **state)
{
	(void)state;
	struct device *u = new_uart();
	out8(u, 7, 0x5a);
	assert_int_equal(in8(u, 7), 0x5a);
	out8(u, 3, 0x80); /* DLAB: divisor latch */
	out8(u, 0, 0x01);
	out8(u, 1, 0x00);
	assert_int_equal(in8(u, 0), 0x01);
	out8(u, 3, 0x03); /* 8N1 */
	assert_int_equal(in8(u, 3), 0x03);
	/* Loopback: a byte sent comes back; MSR mirrors MCR. */
	tx_len = 0;
	out8(u, 4, 0x10 | 0x0f);
	out8(u, 0, 0xa5);
	assert_int_equal(tx_len, 0);
	assert_int_equal(in8(u, 0), 0xa5);
	assert_int_equal(in8(u, 6) & 0xf0, 0xf0);
	/* IIR: receive data interrupt identified while data waits; IRQ 4
	 * follows it only while OUT2 is set. */
	out8(u, 4, 0x00);
	out8(u, 1, 0x01);
	rx_text = "x";
	u->poll(u);
	assert_int_equal(in8(u, 2) & 0x0f, 0x04);
	assert_int_equal(irq4_level, 0);
	out8(u, 4, 0x08);
	assert_int_equal(irq4_level, 1);
	in8(u, 0);
	assert_int_equal(in8(u, 2) & 0x0f, 0x01);
	assert_int_equal(irq4_level, 0);
	free_dev(u);
}

static void test_uart_save_restore(void **state)
{
	(void)state;
	struct device *a = new_uart();
	struct device *b = new_uart();
	uint8_t buf[256];
	assert_true(a->state_size <= sizeof buf);
	out8(a, 7, 0x42);
	out8(a, 1, 0x03);
	out8(a, 3, 0x1b);
	rx_text = "abc";
	a->poll(a);
	in8(a, 0);
	a->save(a, buf);
	assert_int_equal(b->restore(b, buf, a->state_size), ST_OK);
	for (unsigned reg = 1; reg < 8; reg++)
		if (reg != 2)
			assert_int_equal(in8(a, reg), in8(b, reg));
	assert_int_equal(in8(b, 0), 'b');
	assert_int_equal(in8(b, 0), 'c');
	/* A state of another size or version is refused, the device unchanged. */
	assert_int_equal(b->restore(b, buf, a->state_size - 1), ST_ECORRUPT);
	buf[0] ^= 0xff;
	assert_int_equal(b->restore(b, buf, a->state_size), ST_ECORRUPT);
	assert_int_equal(in8(b, 7), 0x42);
	b->reset(b);
	assert_int_equal(in8(b, 7), 0);
	free_dev(a);
	free_dev(b);
}

static void test_debugexit(void **state)
{
	(void)state;
	struct vm *vm = calloc(1, sizeof *vm);
	struct device *d = debugexit_create(vm, 0xf4);
	uint64_t v = 0xffffffffu;
	assert_non_null(d);
	assert_true(bus_access(&vm->bus, BUS_PIO, 0xf4, 4, false, &v));
	assert_int_equal(vm->stop, VM_RUNNING);
	v = 7;
	assert_true(bus_access(&vm->bus, BUS_PIO, 0xf4, 4, true, &v));
	/* The port range is the device's alone. */
	assert_int_equal(bus_claim(&vm->bus, BUS_PIO, 0xf7, 1, d, 1), ST_EEXIST);
	assert_false(bus_access(&vm->bus, BUS_PIO, 0xf8, 1, false, &v));
	assert_int_equal(vm->stop, VM_EXIT_CODE);
	assert_int_equal(vm->exit_code, 7);
	assert_int_equal(d->state_size, 0);
	assert_int_equal(d->restore(d, NULL, 0), ST_OK);
	assert_int_equal(d->restore(d, "x", 1), ST_ECORRUPT);
	free(d);
	free(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uart_transmit_and_receive),
		cmocka_unit_test(test_uart_registers),
		cmocka_unit_test(test_uart_save_restore),
		cmocka_unit_test(test_debugexit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
