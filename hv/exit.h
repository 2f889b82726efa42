/* exit.h: the vendor-neutral exit emulators. Vendor code decodes an exit
 * and calls one of these; they read and change guest state through the
 * vcpu accessors, move RIP past the instruction when it completes, and
 * inject exceptions or stop the VM when it must not. */
#ifndef HV_EXIT_H
#define HV_EXIT_H
#include <stdbool.h>
#include <stdint.h>
#include "hv/vcpu.h"

void exit_cpuid(struct vcpu *v);
void exit_rdmsr(struct vcpu *v);
void exit_wrmsr(struct vcpu *v);
/* Port I/O; `size` 1, 2 or 4. String and REP forms are not handled. */
void exit_io(struct vcpu *v, uint16_t port, unsigned size, bool in);
/* INS and OUTS, with or without REP, through the guest's paging. */
void exit_string_io(struct vcpu *v, uint16_t port, unsigned size, bool in);
void exit_hlt(struct vcpu *v);
/* MOV to CR0 or CR4 (cr = 0 or 4), checked as the processor would. */
void exit_cr_write(struct vcpu *v, unsigned cr, uint64_t val);
void exit_xsetbv(struct vcpu *v);
/* INVD and WBINVD: guest caches are the host's; nothing to do. */
void exit_cache_flush(struct vcpu *v);
/* A guest-physical access with no RAM behind it (EPT violation / NPF). */
void exit_memory_fault(struct vcpu *v, uint64_t gpa, bool write, bool fetch);
void exit_triple_fault(struct vcpu *v);
/* VMCALL / VMMCALL: the console hypercall (hypercall.c). */
void exit_hypercall(struct vcpu *v);
/* An exit nobody handles: dump the VMCS/VMCB and stop the VM. */
void exit_unhandled(struct vcpu *v, const char *what, uint64_t code);
/* A failed VM entry. */
void exit_entry_failed(struct vcpu *v, const char *why, uint64_t code);

struct vm;
/* One port access through the dispatch table; returns what a read got. */
uint32_t io_dispatch(struct vm *vm, uint16_t port, unsigned size, bool write,
		     uint32_t val);

/* CPUID as the guest sees it (also used by tests of the policy). */
void cpuid_guest(struct vcpu *v, uint32_t leaf, uint32_t sub, uint32_t r[4]);

#endif
