/* intr.c: what a vCPU gets injected at its next entry (Intel SDM vol. 3,
 * 6.9 priorities): an NMI first, then the local APIC's highest vector
 * above its processor priority, then the 8259's INTR when it reaches the
 * CPU. A guest that cannot take an interrupt now (IF clear, STI or MOV SS
 * shadow, an event already being delivered) gets an interrupt-window
 * request instead, and the injection happens at the exit that follows.
 * Environment: the vCPU's CPU, just before entry. */
#include "hv/intr.h"
#include "hv/lapic.h"
#include "hv/pic.h"
#include "hv/vm.h"

void intr_prepare_entry(struct vcpu *v)
{
	struct lapic *l = v->lapic;
	struct vm *vm = v->vm;
	if (!l)
		return;
	if (vcpu_ops->event_pending(v)) {
		/* After the event in flight, come back for what waits. */
		if (l->s.nmi_pending || lapic_pending(l) >= 0 || pic_intr(vm))
			vcpu_ops->request_window(v, true, l->s.nmi_pending);
		return;
	}
	if (l->s.nmi_pending) {
		if (vcpu_ops->nmi_allowed(v)) {
			l->s.nmi_pending = 0;
			vcpu_ops->inject_nmi(v);
			return;
		}
		vcpu_ops->request_window(v, false, true);
	}
	int vec = lapic_pending(l);
	bool extint = vec < 0 && pic_intr(vm) && lapic_extint_open(l);
	if (vec < 0 && !extint)
		return;
	if (!vcpu_ops->interrupt_allowed(v)) {
		vcpu_ops->request_window(v, true, false);
		return;
	}
	if (extint) {
		vec = pic_ack(vm);
	} else {
		lapic_ack(l, (uint8_t)vec);
	}
	vcpu_ops->inject_interrupt(v, (uint8_t)vec);
}

bool intr_wakes_halted(struct vcpu *v)
{
	struct lapic *l = v->lapic;
	if (!l)
		return false;
	if (l->s.nmi_pending)
		return true;
	if (!(vcpu_reg(v, VR_RFLAGS) & (1u << 9)))
		return false;
	return lapic_pending(l) >= 0 || (pic_intr(v->vm) && lapic_extint_open(l));
}
