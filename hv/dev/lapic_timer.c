/* lapic_timer.c: the local APIC timer (Intel SDM vol. 3, 11.5.4):
 * one-shot and periodic countdown at LAPIC_BUS_HZ over the divide
 * configuration, and TSC-deadline mode (11.5.4.1) against the guest's
 * TSC. The count is computed from the virtual clock when read; a vtimer
 * fires the interrupt at expiry. */
#include "hv/lapic.h"
#include "hv/vm.h"

#define LVT_TIMER_REG 1
#define LVT_MASK (1u << 16)
#define TIMER_MODE(lvt) (((lvt) >> 17) & 3)
enum { MODE_ONESHOT = 0, MODE_PERIODIC = 1, MODE_DEADLINE = 2 };

/* Divide configuration (Figure 11-10): bits 0, 1 and 3. */
static uint64_t divisor(const struct lapic *l)
{
	unsigned v = ((l->s.timer_dcr & 8) >> 1) | (l->s.timer_dcr & 3);
	return v == 7 ? 1 : 2ull << v;
}

static uint64_t ticks_to_clock(struct lapic *l, uint64_t ticks)
{
	unsigned __int128 c = (unsigned __int128)ticks * divisor(l) *
			      vclock_hz(l->vcpu->vm);
	return (uint64_t)(c / LAPIC_BUS_HZ);
}

static uint64_t clock_to_ticks(const struct lapic *l, uint64_t clock)
{
	unsigned __int128 t = (unsigned __int128)clock * LAPIC_BUS_HZ;
	return (uint64_t)(t / vclock_hz(l->vcpu->vm) / divisor(l));
}

static uint32_t mode(const struct lapic *l)
{
	return TIMER_MODE(l->s.lvt[LVT_TIMER_REG]);
}

uint32_t lapic_timer_current(const struct lapic *l)
{
	if (mode(l) == MODE_DEADLINE || !l->s.timer_init)
		return 0;
	uint64_t elapsed = clock_to_ticks(l, vclock_now(l->vcpu->vm) -
						 l->s.timer_start);
	if (mode(l) == MODE_PERIODIC)
		return l->s.timer_init - (uint32_t)(elapsed % l->s.timer_init);
	return elapsed >= l->s.timer_init ? 0 : l->s.timer_init - (uint32_t)elapsed;
}

/* Arms the vtimer for the next expiry of the current mode, if any. */
void lapic_timer_update(struct lapic *l)
{
	struct vm *vm = l->vcpu->vm;
	uint64_t now = vclock_now(vm);
	if (mode(l) == MODE_DEADLINE) {
		if (!l->s.tsc_deadline) {
			vtimer_cancel(vm, &l->timer);
			return;
		}
		uint64_t host = l->s.tsc_deadline - vcpu_reg(l->vcpu, VR_TSC_OFFSET);
		/* A deadline the guest's TSC has passed fires now, also one
		 * below the TSC offset, whose host value wraps. */
		if ((int64_t)(host - now) < 0)
			host = now;
		vtimer_arm(vm, &l->timer, host);
		return;
	}
	if (!l->s.timer_init) {
		vtimer_cancel(vm, &l->timer);
		return;
	}
	uint64_t period = ticks_to_clock(l, l->s.timer_init);
	if (period == 0)
		period = 1;
	uint64_t end = l->s.timer_start + period;
	if (mode(l) == MODE_PERIODIC && end <= now)
		end += ((now - end) / period + 1) * period;
	if (mode(l) == MODE_ONESHOT && end <= now) {
		vtimer_cancel(vm, &l->timer);
		return;
	}
	vtimer_arm(vm, &l->timer, end);
}

void lapic_timer_load(struct lapic *l, uint32_t count)
{
	if (mode(l) == MODE_DEADLINE)
		return; /* the initial count is ignored in deadline mode */
	l->s.timer_init = count;
	l->s.timer_start = vclock_now(l->vcpu->vm);
	lapic_timer_update(l);
}

void lapic_timer_fire(struct vtimer *t)
{
	struct lapic *l = t->ctx;
	uint32_t lvt = l->s.lvt[LVT_TIMER_REG];
	if (!(lvt & LVT_MASK))
		lapic_accept(l, (uint8_t)lvt, false);
	if (mode(l) == MODE_DEADLINE)
		l->s.tsc_deadline = 0;
	else if (mode(l) == MODE_PERIODIC)
		lapic_timer_update(l);
}

void lapic_set_deadline(struct lapic *l, uint64_t tsc)
{
	if (mode(l) != MODE_DEADLINE)
		return;
	l->s.tsc_deadline = tsc;
	lapic_timer_update(l);
}
