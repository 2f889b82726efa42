/* mmio.c: guest accesses to physical addresses with no RAM behind them.
 * The instruction is fetched through the guest's paging, decoded and
 * carried out by the emulator (decode.h) in this vCPU's environment: the
 * faulting operand goes to the device that claims the address on the
 * MMIO bus (or the local APIC), or, where none does, is open bus as on a
 * PC and in QEMU: a read returns all ones, a write is dropped. String
 * and stack operands follow the guest's segments and paging to RAM or a
 * device; XMM/YMM registers live in the vCPU's XSAVE area (fpu.c).
 * Environment: the CPU that runs the vCPU, after the exit. */
#include <string.h>
#include "hv/decode.h"
#include "hv/exit.h"
#include "hv/guest.h"
#include "hv/gwalk.h"
#include "hv/hv.h"
#include "hv/lapic.h"
#include "hv/log.h"
#include "hv/snap.h"
#include "hv/vm.h"
#include "hv/x86.h"

struct mmio_ctx {
	struct vcpu *v;
	uint64_t gpa;
	bool have_state;
	struct cpu_state cs; /* segments, read once when needed */
};

/* A device access at a guest-physical address with no RAM. */
static void device_access(struct vcpu *v, uint64_t gpa, unsigned size,
			  bool write, uint64_t *val)
{
	struct lapic *l = v->lapic;
	uint64_t apic = l ? l->s.apic_base & ~0xfffull : 0;
	if (!write)
		*val = ~0ull;
	if (l && lapic_xapic_enabled(l) && gpa - apic < 0x1000)
		lapic_mmio(l, gpa - apic, size, write, val);
	else
		bus_access(&v->vm->bus, BUS_MMIO, gpa, size, write, val);
}

static status_t operand_access(void *ctx, uint64_t offset, unsigned size,
			       bool write, uint64_t *val)
{
	struct mmio_ctx *m = ctx;
	device_access(m->v, m->gpa + offset, size, write, val);
	return ST_OK;
}

static const struct cpu_state *state(struct mmio_ctx *m)
{
	if (!m->have_state)
		vcpu_ops->get_state(m->v, &m->cs);
	m->have_state = true;
	return &m->cs;
}

/* seg:offset to RAM or a device; a failed translation injects the #PF. */
static status_t linear_access(void *ctx, int seg, uint64_t offset,
			      unsigned size, bool write, uint64_t *val)
{
	struct mmio_ctx *m = ctx;
	struct vcpu *v = m->v;
	uint64_t lin = offset, gpa;
	if (guest_mode(v) != MODE_64 || seg >= SEG_FS)
		lin += state(m)->seg[seg].base;
	if (guest_mode(v) != MODE_64)
		lin &= 0xffffffffull;
	if (guest_translate(v, lin, write ? GW_WRITE : 0, &gpa))
		return ST_EFAULT;
	if (gmem_peek(&v->vm->mem, gpa, size)) {
		if (write)
			return gmem_write(&v->vm->mem, gpa, val, size);
		*val = 0;
		return gmem_read(&v->vm->mem, gpa, val, size);
	}
	device_access(v, gpa, size, write, val);
	return ST_OK;
}

/* The XSAVE area's standard format (SDM vol. 1, 13.4-13.5): XMM0-15 at
 * 160 in the legacy region, XSTATE_BV at 512, the upper YMM halves where
 * CPUID.(EAX=0DH,ECX=2).EBX says. A component whose XSTATE_BV bit is
 * clear is in its initial state (zeros) whatever the area holds. */
#define XSAVE_XMM 160
#define XSAVE_BV 512

/* XMM registers the XSAVE area does not hold (a guest whose XCR0 lacks
 * SSE: fpu.c saved them under that mask) are still in the processor: the
 * hypervisor is built -mgeneral-regs-only and nothing ran since the exit
 * that used them. */
#define XMM_CASE(n) case n:						\
	if (write) {								\
		__asm__ volatile("movdqu (%0), %%xmm" #n : : "r"(p) : "memory"); \
	} else {							\
		__asm__ volatile("movdqu %%xmm" #n ", (%0)" : : "r"(p) : "memory"); \
	}								\
	break;
static void live_xmm(unsigned reg, bool write, uint8_t *p)
{
	switch (reg) {
	XMM_CASE(0) XMM_CASE(1) XMM_CASE(2) XMM_CASE(3) XMM_CASE(4) XMM_CASE(5)
	XMM_CASE(6) XMM_CASE(7) XMM_CASE(8) XMM_CASE(9) XMM_CASE(10) XMM_CASE(11)
	XMM_CASE(12) XMM_CASE(13) XMM_CASE(14) XMM_CASE(15)
	}
}

static status_t vreg_access(void *ctx, unsigned reg, bool write, uint8_t val[32])
{
	struct mmio_ctx *m = ctx;
	struct vcpu *v = m->v;
	uint8_t *area = v->fpu_area;
	uint64_t *bv = (uint64_t *)(area + XSAVE_BV);
	uint32_t r[4];
	cpuid(1, 0, r);
	bool xsave = (r[2] >> 26) & 1; /* else fpu.c used FXSAVE */
	uint32_t hi_off = 0;
	if (reg >= 16)
		return ST_EUNSUPP;
	if (xsave && !(v->xcr0 & 2)) {
		memset(val + 16, 0, 16);
		live_xmm(reg, write, val);
		return ST_OK;
	}
	if (xsave && (v->xcr0 & 4)) {
		cpuid(0xd, 2, r);
		hi_off = r[1];
	}
	uint8_t *lo = area + XSAVE_XMM + 16 * reg, *hi = area + hi_off + 16 * reg;
	if (!write) {
		bool lo_init = xsave && !(*bv & 2), hi_init = !hi_off || !(*bv & 4);
		memset(val, 0, 32);
		if (!lo_init)
			memcpy(val, lo, 16);
		if (!hi_init)
			memcpy(val + 16, hi, 16);
		return ST_OK;
	}
	if (xsave && !(*bv & 2)) { /* leaving the initial state: all zeros */
		memset(area + XSAVE_XMM, 0, 16 * 16);
		*bv |= 2;
	}
	memcpy(lo, val, 16);
	if (hi_off) {
		if (!(*bv & 4)) {
			memset(area + hi_off, 0, 16 * 16);
			*bv |= 4;
		}
		memcpy(hi, val + 16, 16);
	}
	return ST_OK;
}

static void report_unknown(struct vcpu *v, uint64_t gpa, bool write,
			   const uint8_t *code, size_t n)
{
	hv_log("vCPU %u: %s of 0x%llx (no RAM or device) by an instruction "
	       "the decoder does not know: %02x %02x %02x %02x %02x %02x", v->id,
	       write ? "write" : "read", (unsigned long long)gpa,
	       n > 0 ? code[0] : 0, n > 1 ? code[1] : 0, n > 2 ? code[2] : 0,
	       n > 3 ? code[3] : 0, n > 4 ? code[4] : 0, n > 5 ? code[5] : 0);
	vcpu_ops->dump(v);
	vm_stop(v->vm, VM_FAULT, 0, "cannot emulate access to 0x%llx",
		(unsigned long long)gpa);
}

/* VEX instructions #UD unless the guest enabled AVX in XCR0 and CR4. */
static bool vex_allowed(struct vcpu *v, const struct insn *in)
{
	if (in->kind != K_VMOV || in->vzero_to != 32)
		return true;
	return (v->xcr0 & 6) == 6 && (vcpu_reg(v, VR_CR4) & CR4_OSXSAVE);
}

static void emulate(struct vcpu *v, const struct insn *in, uint64_t gpa)
{
	struct mmio_ctx m = { .v = v, .gpa = gpa };
	uint64_t gpr[NR_GPRS];
	memcpy(gpr, v->gpr, sizeof gpr);
	gpr[RSP] = vcpu_reg(v, VR_RSP);
	struct emu_env env = {
		.gpr = gpr, .rflags = vcpu_reg(v, VR_RFLAGS), .mode = guest_mode(v),
		.ctx = &m, .operand = operand_access, .linear = linear_access,
		.vreg = vreg_access, .stack_size = 8,
	};
	if (env.mode != MODE_64)
		env.stack_size = (state(&m)->seg[SEG_SS].attr & (1u << 10)) ? 4 : 2;
	uint64_t rflags0 = env.rflags, rsp0 = gpr[RSP];
	status_t st = insn_emulate(in, &env);
	/* Registers and flags as far as the instruction got (a REP string
	 * stopped by a #PF keeps the elements it moved). */
	memcpy(v->gpr, gpr, sizeof gpr);
	if (gpr[RSP] != rsp0)
		vcpu_set_reg(v, VR_RSP, gpr[RSP]);
	if (env.rflags != rflags0)
		vcpu_set_reg(v, VR_RFLAGS, env.rflags);
	if (st == ST_EUNSUPP) {
		vm_stop(v->vm, VM_FAULT, 0, "cannot emulate access to 0x%llx",
			(unsigned long long)gpa);
		return;
	}
	if (!st)
		vcpu_set_reg(v, VR_RIP, vcpu_reg(v, VR_RIP) + in->len);
}

void exit_memory_fault(struct vcpu *v, uint64_t gpa, bool write, bool fetch_access)
{
	uint8_t code[15];
	struct insn in;
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
	if (decode_insn(code, n, guest_mode(v), &in)) {
		report_unknown(v, gpa, write, code, n);
		return;
	}
	if (!vex_allowed(v, &in)) {
		vcpu_ops->inject_exception(v, VEC_UD, false, 0);
		return;
	}
	emulate(v, &in, gpa);
}
