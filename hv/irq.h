/* irq.h: interrupt sources as device models see them. An ISA device
 * drives its IRQ line (0-15); the line reaches the 8259 pair and the
 * IOAPIC input of the same number, as on a PC, except IRQ 0 which
 * reaches the IOAPIC as GSI 2 (announced by a MADT override). Lines
 * 16-23 are the IOAPIC's PCI inputs. Edge-triggered sources pulse.
 * PCI devices send MSIs: a 32-bit write of `data` to `addr` (0xFEExxxxx,
 * Intel SDM vol. 3, 11.11) delivered to the local APIC it names. */
#ifndef HV_IRQ_H
#define HV_IRQ_H
#include <stdbool.h>
#include <stdint.h>

struct vm;

#define IRQ_LINES 24

void irq_set(struct vm *vm, unsigned irq, bool level);
void irq_pulse(struct vm *vm, unsigned irq);
void irq_msi(struct vm *vm, uint64_t addr, uint32_t data);

#endif
