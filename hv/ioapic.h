/* ioapic.h: the I/O APIC (Intel 82093AA datasheet) at 0xFEC00000 with
 * 24 inputs. Interrupt lines (GSIs) come in through ioapic_set_irq; a
 * local APIC's EOI of a level-triggered vector reaches ioapic_eoi. */
#ifndef HV_IOAPIC_H
#define HV_IOAPIC_H
#include <stdbool.h>
#include <stdint.h>

struct vm;
struct device;

#define IOAPIC_BASE 0xfec00000ull
#define IOAPIC_PINS 24

struct device *ioapic_create(struct vm *vm);
void ioapic_set_irq(struct vm *vm, unsigned gsi, bool level);
void ioapic_eoi(struct vm *vm, uint8_t vector);

#endif
