/* exit.c: exit emulators for port I/O, HLT, XSETBV, cache flushes and
 * the exits that stop the VM (triple fault, failed entry, unhandled). */
#include "hv/exit.h"
#include "hv/hv.h"
#include "hv/log.h"
#include "hv/vm.h"
#include "hv/x86.h"

/* The port dispatch table: the device whose range holds the port.
 * Unclaimed ports read all ones and drop writes, as on a PC bus. */
uint32_t io_dispatch(struct vm *vm, uint16_t port, unsigned size, bool write,
		     uint32_t val)
{
	uint32_t mask = size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
	uint64_t v = write ? val & mask : mask;
	bus_access(&vm->bus, BUS_PIO, port, size, write, &v);
	return (uint32_t)v & mask;
}

void exit_io(struct vcpu *v, uint16_t port, unsigned size, bool in)
{
	uint32_t val = io_dispatch(v->vm, port, size, !in, (uint32_t)v->gpr[RAX]);
	if (in) {
		uint64_t mask = size == 4 ? 0xffffffffull : (1ull << (size * 8)) - 1;
		v->gpr[RAX] = size == 4 ? val : (v->gpr[RAX] & ~mask) | val;
	}
	vcpu_ops->skip_instruction(v);
}

/* With nothing able to wake it (no interrupt controller yet, IF=0), a
 * halted vCPU would sleep forever: stop the VM and say so. */
void exit_hlt(struct vcpu *v)
{
	vcpu_ops->skip_instruction(v);
	if (!(vcpu_reg(v, VR_RFLAGS) & RFLAGS_IF)) {
		vm_stop(v->vm, VM_FAULT, 0,
			"vCPU %u halted with interrupts disabled at rip 0x%llx",
			v->id, (unsigned long long)vcpu_reg(v, VR_RIP));
		return;
	}
	v->halted = true;
}

/* XSETBV (SDM vol. 2): only from CPL 0, XCR0 only, x87 always on, AVX
 * needs SSE, AVX-512 components together and with AVX. */
void exit_xsetbv(struct vcpu *v)
{
	uint64_t val = (v->gpr[RDX] << 32) | (uint32_t)v->gpr[RAX];
	uint64_t avx512 = 0xe0;
	bool ok = (uint32_t)v->gpr[RCX] == 0 && vcpu_reg(v, VR_CPL) == 0 &&
		  (val & 1) && !(val & ~fpu_guest_xcr0_mask()) &&
		  (!(val & 4) || (val & 2)) &&
		  (!(val & avx512) || ((val & avx512) == avx512 && (val & 4)));
	if (!ok) {
		vcpu_ops->inject_exception(v, VEC_GP, true, 0);
		return;
	}
	v->xcr0 = val;
	vcpu_ops->skip_instruction(v);
}

void exit_cache_flush(struct vcpu *v)
{
	vcpu_ops->skip_instruction(v);
}

void exit_triple_fault(struct vcpu *v)
{
	hv_log("vCPU %u: triple fault at rip 0x%llx", v->id,
	       (unsigned long long)vcpu_reg(v, VR_RIP));
	vcpu_ops->dump(v);
	vm_stop(v->vm, VM_FAULT, 0, "triple fault");
}

void exit_unhandled(struct vcpu *v, const char *what, uint64_t code)
{
	hv_log("vCPU %u: unhandled exit %s (0x%llx) at rip 0x%llx", v->id, what,
	       (unsigned long long)code, (unsigned long long)vcpu_reg(v, VR_RIP));
	vcpu_ops->dump(v);
	vm_stop(v->vm, VM_FAULT, 0, "unhandled exit %s (0x%llx)", what,
		(unsigned long long)code);
}

void exit_entry_failed(struct vcpu *v, const char *why, uint64_t code)
{
	hv_log("vCPU %u: VM entry failed: %s (0x%llx)", v->id, why,
	       (unsigned long long)code);
	vcpu_ops->dump(v);
	vm_stop(v->vm, VM_FAULT, 0, "VM entry failed: %s", why);
}
