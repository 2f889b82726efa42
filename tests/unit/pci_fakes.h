/* pci_fakes.h: what the PCI and virtio unit tests fake of the VM: vm_stop,
 * the hypervisor log (the last line is kept) and the interrupt sinks
 * (irq_set levels and irq_msi messages are recorded), plus config-space
 * access through the bridge's ports. */
#ifndef TESTS_UNIT_PCI_FAKES_H
#define TESTS_UNIT_PCI_FAKES_H
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "hv/dev/pci.h"
#include "hv/irq.h"
#include "hv/lib/fmt.h"
#include "hv/vm.h"

static bool irq_level[IRQ_LINES];
static unsigned msi_count;
static uint64_t msi_addr;
static uint32_t msi_data;

void irq_set(struct vm *vm, unsigned irq, bool level)
{
	(void)vm;
	assert_true(irq < IRQ_LINES);
	irq_level[irq] = level;
}

void irq_pulse(struct vm *vm, unsigned irq)
{
	(void)vm, (void)irq;
}

void irq_msi(struct vm *vm, uint64_t addr, uint32_t data)
{
	(void)vm;
	msi_count++;
	msi_addr = addr;
	msi_data = data;
}

void vm_stop(struct vm *vm, enum vm_stop why, int code, const char *fmt, ...)
{
	(void)fmt;
	if (vm->stop == VM_RUNNING)
		vm->stop = why, vm->exit_code = code;
}

static char last_log[256];
static unsigned log_count;

void hv_log(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	hv_vsnprintf(last_log, sizeof last_log, fmt, ap);
	va_end(ap);
	log_count++;
}

static inline void fakes_reset(void)
{
	last_log[0] = 0;
	log_count = 0;
	memset(irq_level, 0, sizeof irq_level);
	msi_count = 0;
	msi_addr = 0;
	msi_data = 0;
}

static inline uint64_t pio(struct vm *vm, uint16_t port, unsigned size,
			   bool write, uint64_t v)
{
	uint64_t val = write ? v : ~0ull;
	assert_true(bus_access(&vm->bus, BUS_PIO, port, size, write, &val));
	return size == 8 ? val : val & ((1ull << (8 * size)) - 1);
}

static inline uint32_t cfg_rd(struct vm *vm, unsigned slot, unsigned off,
			      unsigned size)
{
	pio(vm, 0xcf8, 4, true, 0x80000000u | slot << 11 | (off & 0xfc));
	return (uint32_t)pio(vm, (uint16_t)(0xcfc + (off & 3)), size, false, 0);
}

static inline void cfg_wr(struct vm *vm, unsigned slot, unsigned off,
			  unsigned size, uint32_t v)
{
	pio(vm, 0xcf8, 4, true, 0x80000000u | slot << 11 | (off & 0xfc));
	pio(vm, (uint16_t)(0xcfc + (off & 3)), size, true, v);
}

/* Config offset of the first capability with this id, 0 if none. */
static inline unsigned cfg_find_cap(struct vm *vm, unsigned slot, uint8_t id)
{
	unsigned p = cfg_rd(vm, slot, PCI_CAP_PTR, 1);
	for (int n = 0; p && n < 48; n++) {
		if (cfg_rd(vm, slot, p, 1) == id)
			return p;
		p = cfg_rd(vm, slot, p + 1, 1);
	}
	return 0;
}

static inline uint64_t mmio(struct vm *vm, uint64_t addr, unsigned size,
			    bool write, uint64_t v)
{
	uint64_t val = write ? v : ~0ull;
	assert_true(bus_access(&vm->bus, BUS_MMIO, addr, size, write, &val));
	return size == 8 ? val : val & ((1ull << (8 * size)) - 1);
}

#endif
