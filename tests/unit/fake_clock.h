/* fake_clock.h: the virtual clock and interrupt lines as the PC device
 * model tests (dev_pit.c, dev_rtc.c) control them: vclock_now() returns
 * fake_now, irq_pulse/irq_set/irq_msi count what reached each line.
 * advance() moves the clock and runs due timers as the service loop
 * does. Include once per test program. */
#ifndef TESTS_UNIT_FAKE_CLOCK_H
#define TESTS_UNIT_FAKE_CLOCK_H
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include "hv/irq.h"
#include "hv/vclock.h"
#include "hv/vm.h"

/* A TSC rate that is no multiple of either chip's input clock. */
#define FAKE_NOW_INIT 1000003
#define FAKE_HZ_INIT 2394567891ull
#include "tests/unit/fake_vclock.h"

static unsigned pulses[IRQ_LINES], rises[IRQ_LINES], msis;
static bool level[IRQ_LINES];

void irq_set(struct vm *vm, unsigned irq, bool lvl)
{
	(void)vm;
	if (irq < IRQ_LINES) {
		rises[irq] += lvl && !level[irq];
		level[irq] = lvl;
	}
}

void irq_pulse(struct vm *vm, unsigned irq)
{
	(void)vm;
	if (irq < IRQ_LINES)
		pulses[irq]++;
}

void irq_msi(struct vm *vm, uint64_t addr, uint32_t data)
{
	(void)vm, (void)addr, (void)data;
	msis++;
}

static inline void clear_irqs(void)
{
	for (unsigned i = 0; i < IRQ_LINES; i++)
		pulses[i] = rises[i] = 0, level[i] = false;
	msis = 0;
}

/* The clock moves to `t` and the VM's due timers fire. */
static inline void run_to(struct vm *vm, uint64_t t)
{
	fake_now = t;
	vtimer_run_due(&vm->timers, t);
}

/* Clock value `ticks` periods of a `rate` Hz clock after `t0`, rounded
 * up (the first TSC value at which they have all passed). */
static inline uint64_t after(uint64_t t0, uint64_t ticks, uint64_t rate)
{
	unsigned __int128 x = (unsigned __int128)ticks * fake_hz;
	return t0 + (uint64_t)((x + rate - 1) / rate);
}

static inline struct vm *new_vm(void)
{
	struct vm *vm = calloc(1, sizeof *vm);
	if (!vm)
		abort();
	return vm;
}

#endif
