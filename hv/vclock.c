/* vclock.c: the virtual clock is the host TSC (vclock.h), which the
 * firmware's Stall() calibrated at start. */
#include "hv/platform.h"
#include "hv/vclock.h"
#include "hv/x86.h"

uint64_t vclock_now(struct vm *vm)
{
	(void)vm;
	return rdtsc();
}

uint64_t vclock_hz(struct vm *vm)
{
	(void)vm;
	return plat_tsc_hz();
}
