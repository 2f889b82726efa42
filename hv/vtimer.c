/* vtimer.c: the armed-timer set of a VM (vclock.h). Portable. */
#include "hv/vclock.h"
#include "hv/vm.h"

static void drop(struct vtimer_set *s, struct vtimer *t)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->armed[i] == t) {
			s->armed[i] = s->armed[--s->n];
			return;
		}
}

void vtimer_arm(struct vm *vm, struct vtimer *t, uint64_t deadline)
{
	struct vtimer_set *s = &vm->timers;
	drop(s, t);
	t->deadline = deadline;
	t->armed = s->n < VTIMER_MAX;
	if (t->armed)
		s->armed[s->n++] = t;
}

void vtimer_cancel(struct vm *vm, struct vtimer *t)
{
	drop(&vm->timers, t);
	t->armed = false;
}

uint64_t vtimer_run_due(struct vtimer_set *s, uint64_t now)
{
	uint64_t next = UINT64_MAX;
	for (unsigned i = 0; i < s->n;) {
		struct vtimer *t = s->armed[i];
		if (t->deadline <= now) {
			s->armed[i] = s->armed[--s->n];
			t->armed = false;
			t->fire(t); /* may re-arm, appending to the set */
			i = 0;
			next = UINT64_MAX;
			continue;
		}
		if (t->deadline < next)
			next = t->deadline;
		i++;
	}
	return next;
}
