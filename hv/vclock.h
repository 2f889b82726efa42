/* vclock.h: time as device models see it. The clock is the host TSC,
 * which the guest also reads directly, at vclock_hz() ticks per second.
 * A model arms a one-shot timer at an absolute clock value; the service
 * loop calls its `fire` once that time has come, whether the vCPU runs
 * or halts (vCPU entries are bounded by the next deadline). A periodic
 * timer re-arms itself from `fire`. */
#ifndef HV_VCLOCK_H
#define HV_VCLOCK_H
#include <stdbool.h>
#include <stdint.h>

struct vm;

struct vtimer {
	uint64_t deadline;
	void (*fire)(struct vtimer *t);
	void *ctx;        /* the owner, for `fire` */
	bool armed;
};

#define VTIMER_MAX 32

struct vtimer_set {
	struct vtimer *armed[VTIMER_MAX];
	unsigned n;
};

uint64_t vclock_now(struct vm *vm);
uint64_t vclock_hz(struct vm *vm);
/* (Re)arms t at `deadline`; a timer already armed moves. */
void vtimer_arm(struct vm *vm, struct vtimer *t, uint64_t deadline);
void vtimer_cancel(struct vm *vm, struct vtimer *t);
/* Service loop: fires every timer due at `now`; returns the earliest
 * deadline still armed, or UINT64_MAX. */
uint64_t vtimer_run_due(struct vtimer_set *set, uint64_t now);

#endif
