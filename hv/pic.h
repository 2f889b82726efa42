/* pic.h: the pair of 8259A interrupt controllers of a PC (master at
 * 0x20, slave at 0xA0 on master input 2, ELCR at 0x4D0-0x4D1). ISA IRQ
 * lines come in through pic_set_irq; the entry path asks whether INTR
 * is raised and acknowledges to get the vector. */
#ifndef HV_PIC_H
#define HV_PIC_H
#include <stdbool.h>
#include <stdint.h>

struct vm;
struct device;

struct device *pic_create(struct vm *vm);
void pic_set_irq(struct vm *vm, unsigned irq, bool level);
bool pic_intr(struct vm *vm);
/* The interrupt acknowledge cycle: the vector to deliver (IRQ 7's,
 * spurious, when nothing is pending any more). */
uint8_t pic_ack(struct vm *vm);

#endif
