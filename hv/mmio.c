/* mmio.c: guest accesses to physical addresses with no RAM behind them.
 * The instruction is fetched through the guest's paging and decoded to
 * learn its length, size and register; the access goes to the device
 * that claims the address on the MMIO bus, or, where none does, is open
 * bus as on a PC and in QEMU: a read returns all ones, a write is
 * dropped. */
#include "hv/decode.h"
#include "hv/exit.h"
#include "hv/guest.h"
#include "hv/lapic.h"
#include "hv/log.h"
#include "hv/snap.h"
#include "hv/vm.h"
#include "hv/x86.h"

/* The register operand of a store, cut to the access size. */
static uint64_t store_value(struct vcpu *v, const struct insn *in)
{
	uint64_t r = in->reg == RSP ? vcpu_reg(v, VR_RSP) : v->gpr[in->reg];
	if (in->high_byte)
		r >>= 8;
	return in->mem_size == 8 ? r : r & ((1ull << (in->mem_size * 8)) - 1);
}

void exit_memory_fault(struct vcpu *v, uint64_t gpa, bool write, bool fetch_access)
{
	uint8_t code[15];
	struct insn in;
	enum cpu_mode mode = guest_mode(v);
	/* A write (or the processor's accessed/dirty update of a guest page
	 * table) hit RAM a snapshot's capture still protects: the page is
	 * copied and the instruction runs again. */
	if (snap_fault(v->vm, gpa))
		return;
	if (fetch_access) {
		vcpu_ops->dump(v);
		vm_stop(v->vm, VM_FAULT, 0,
			"vCPU %u executes at 0x%llx, where there is no RAM", v->id,
			(unsigned long long)gpa);
		return;
	}
	size_t n = guest_fetch(v, code);
	status_t st = decode_insn(code, n, mode, &in);
	if (st) {
		hv_log("vCPU %u: %s of 0x%llx (no RAM or device) by an instruction "
		       "the decoder does not know: %02x %02x %02x %02x", v->id,
		       write ? "write" : "read", (unsigned long long)gpa,
		       n > 0 ? code[0] : 0, n > 1 ? code[1] : 0, n > 2 ? code[2] : 0,
		       n > 3 ? code[3] : 0);
		vcpu_ops->dump(v);
		vm_stop(v->vm, VM_FAULT, 0, "cannot emulate access to 0x%llx",
			(unsigned long long)gpa);
		return;
	}
	uint64_t val = ~0ull;
	if (in.dir == INSN_STORE)
		val = in.reg < 0 ? in.imm : store_value(v, &in);
	struct lapic *l = v->lapic;
	uint64_t apic = l ? l->s.apic_base & ~0xfffull : 0;
	if (l && lapic_xapic_enabled(l) && gpa - apic < 0x1000)
		lapic_mmio(l, gpa - apic, in.mem_size, in.dir == INSN_STORE, &val);
	else
		bus_access(&v->vm->bus, BUS_MMIO, gpa, in.mem_size,
			   in.dir == INSN_STORE, &val);
	if (in.dir == INSN_LOAD && in.reg == RSP)
		vcpu_set_reg(v, VR_RSP, insn_merge_reg(&in, vcpu_reg(v, VR_RSP), val));
	else if (in.dir == INSN_LOAD)
		v->gpr[in.reg] = insn_merge_reg(&in, v->gpr[in.reg], val);
	vcpu_set_reg(v, VR_RIP, vcpu_reg(v, VR_RIP) + in.len);
}
