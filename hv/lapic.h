/* lapic.h: the local APIC of one vCPU (Intel SDM vol. 3, chapter 11),
 * in xAPIC mode (MMIO page at the APIC base) and x2APIC mode (MSRs
 * 0x800-0x8ff), with its timer in one-shot, periodic and TSC-deadline
 * modes. Interrupt sources call lapic_accept(); the entry path asks
 * lapic_pending() for the vector to inject and acknowledges it. */
#ifndef HV_LAPIC_H
#define HV_LAPIC_H
#include <stdbool.h>
#include <stdint.h>
#include "status.h"
#include "hv/vclock.h"

struct vcpu;

/* The timer counts at this rate (divide by 1): 1 GHz, as KVM does. */
#define LAPIC_BUS_HZ 1000000000ull
#define LAPIC_DEFAULT_BASE 0xfee00000ull

enum { APIC_DM_FIXED = 0, APIC_DM_LOWEST = 1, APIC_DM_SMI = 2,
       APIC_DM_NMI = 4, APIC_DM_INIT = 5, APIC_DM_SIPI = 6,
       APIC_DM_EXTINT = 7 };

struct lapic_state {
	uint32_t version;
	uint32_t id, tpr, ldr, dfr, svr, esr, icr_lo, icr_hi;
	uint32_t lvt[7];   /* CMCI, timer, thermal, perf, LINT0, LINT1, error */
	uint32_t timer_init, timer_dcr;
	uint64_t timer_start;  /* clock when the count was loaded */
	uint64_t tsc_deadline; /* guest TSC value, 0 = disarmed */
	uint64_t apic_base;
	uint32_t isr[8], tmr[8], irr[8];
	uint32_t nmi_pending;
};

struct lapic {
	struct vcpu *vcpu;
	struct lapic_state s;
	struct vtimer timer;
};

status_t lapic_create(struct vcpu *v);
void lapic_reset(struct lapic *l);
/* A fixed interrupt arrives (level: remembered in TMR for the EOI). */
void lapic_accept(struct lapic *l, uint8_t vector, bool level);
/* An interrupt with a delivery mode (MSI, IOAPIC, IPI, LINT). */
void lapic_deliver(struct lapic *l, unsigned mode, uint8_t vector, bool level);
/* Highest vector the guest may take now (above the processor priority),
 * or -1; lapic_ack moves it from IRR to ISR. */
int lapic_pending(const struct lapic *l);
void lapic_ack(struct lapic *l, uint8_t vector);
/* True when the 8259's INTR reaches the CPU (APIC off, or LINT0 in
 * ExtINT mode and unmasked). */
bool lapic_extint_open(const struct lapic *l);
/* Does the APIC answer destination `dest` in physical or logical mode? */
bool lapic_matches(const struct lapic *l, uint32_t dest, bool logical);

/* MSRs: IA32_APIC_BASE, TSC_DEADLINE and the x2APIC range; false = #GP. */
bool lapic_rdmsr(struct lapic *l, uint32_t msr, uint64_t *val);
bool lapic_wrmsr(struct lapic *l, uint32_t msr, uint64_t val);
/* xAPIC MMIO; `offset` within the 4 KiB page. */
void lapic_mmio(struct lapic *l, uint64_t offset, unsigned size, bool write,
		uint64_t *val);
bool lapic_xapic_enabled(const struct lapic *l);

void lapic_save(const struct lapic *l, struct lapic_state *out);
status_t lapic_restore(struct lapic *l, const struct lapic_state *in);

#endif
