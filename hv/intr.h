/* intr.h: interrupt delivery into a vCPU (intr.c). */
#ifndef HV_INTR_H
#define HV_INTR_H
#include <stdbool.h>
#include "hv/vcpu.h"

/* Injects what is deliverable, or asks for an interrupt window. */
void intr_prepare_entry(struct vcpu *v);
/* Would a pending interrupt end the vCPU's HLT now? */
bool intr_wakes_halted(struct vcpu *v);

#endif
