/* fake_vclock.h: the virtual clock (hv/vclock.h) as a device-model test
 * sets it: vclock_now() returns fake_now, vclock_hz() fake_hz. A test may
 * define FAKE_NOW_INIT / FAKE_HZ_INIT before including it. Include once
 * per test program. */
#ifndef TESTS_UNIT_FAKE_VCLOCK_H
#define TESTS_UNIT_FAKE_VCLOCK_H
#include <stdint.h>
#include "hv/vclock.h"

#ifndef FAKE_NOW_INIT
#define FAKE_NOW_INIT 0
#endif
#ifndef FAKE_HZ_INIT
#define FAKE_HZ_INIT 1000000000ull
#endif

static uint64_t fake_now = FAKE_NOW_INIT, fake_hz = FAKE_HZ_INIT;

uint64_t vclock_now(struct vm *vm)
{
	(void)vm;
	return fake_now;
}

uint64_t vclock_hz(struct vm *vm)
{
	(void)vm;
	return fake_hz;
}

#endif
