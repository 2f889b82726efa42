/* irq.c: routing of interrupt lines and MSIs (irq.h). ISA lines go to
 * both the 8259 pair and the IOAPIC, as on a PC; IRQ 0 enters the IOAPIC
 * at pin 2 (the MADT says so). An MSI names its local APIC in the
 * address and carries vector and delivery mode in the data (Intel SDM
 * vol. 3, 11.11.1-11.11.2). */
#include "hv/ioapic.h"
#include "hv/irq.h"
#include "hv/lapic.h"
#include "hv/pic.h"
#include "hv/vm.h"

/* A raised 8259 INTR wakes a halted vCPU that can see it. */
static void wake_for_extint(struct vm *vm)
{
	struct vcpu *bsp = &vm->vcpu[0];
	if (vm->nvcpus && pic_intr(vm) && bsp->lapic &&
	    lapic_extint_open(bsp->lapic))
		bsp->halted = false;
}

void irq_set(struct vm *vm, unsigned irq, bool level)
{
	if (irq < 16) {
		pic_set_irq(vm, irq, level);
		wake_for_extint(vm);
	}
	if (irq < IRQ_LINES)
		ioapic_set_irq(vm, irq == 0 ? 2 : irq, level);
}

void irq_pulse(struct vm *vm, unsigned irq)
{
	irq_set(vm, irq, true);
	irq_set(vm, irq, false);
}

void irq_msi(struct vm *vm, uint64_t addr, uint32_t data)
{
	uint32_t dest = (uint32_t)(addr >> 12) & 0xff;
	bool logical = (addr >> 2) & 1;
	unsigned mode = (data >> 8) & 7;
	if ((addr >> 20) != 0xfee)
		return; /* not an interrupt message: dropped */
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		struct lapic *l = vm->vcpu[i].lapic;
		if (l && lapic_matches(l, dest, logical)) {
			lapic_deliver(l, mode, (uint8_t)data, (data >> 15) & 1);
			if (mode == APIC_DM_LOWEST)
				break;
		}
	}
}
