/* cpuid.c: the CPUID the guest sees. Host values pass through where they
 * describe the processor as it is; features we do not virtualize are
 * masked; the hypervisor bit and a signature leaf at 0x40000000 are set
 * (SDM vol. 2, CPUID; AMD APM vol. 3, appendix E). */
#include <string.h>
#include "hv/cpuid_table.h"
#include "hv/exit.h"
#include "hv/hv.h"
#include "hv/lapic.h"
#include "hv/vm.h"
#include "hv/x86.h"

#define HV_SIGNATURE "SnapVisor-HV" /* 12 bytes: EBX, ECX, EDX */
#define HV_MAX_LEAF 0x40000010u

/* Set whatever the processor has: the local APIC model offers both. */
#define L1_ECX_SET ((1u << 21) | (1u << 24) | (1u << 31)) /* x2APIC, TSC-deadline, hypervisor */
#define L1_EDX_SET (1u << 9)                             /* APIC */
#define L1_ECX_OSXSAVE (1u << 27)
#define L7_ECX_PKU (1u << 3)
#define L7_ECX_OSPKE (1u << 4)

static void signature(uint32_t r[4])
{
	r[0] = HV_MAX_LEAF;
	memcpy(&r[1], HV_SIGNATURE, 4);
	memcpy(&r[2], HV_SIGNATURE + 4, 4);
	memcpy(&r[3], HV_SIGNATURE + 8, 4);
}

/* The feature flags passed cpuid_filter(); the bits that follow the
 * guest's own state (OSXSAVE, APIC enabled) are set here. */
static void leaf1(struct vcpu *v, uint32_t r[4])
{
	uint64_t cr4 = vcpu_reg(v, VR_CR4);
	r[1] = (r[1] & 0x0000ffffu) | (1u << 16) | (v->id << 24);
	r[2] = (r[2] & ~L1_ECX_OSXSAVE) | L1_ECX_SET;
	if (cr4 & CR4_OSXSAVE)
		r[2] |= L1_ECX_OSXSAVE;
	r[3] |= L1_EDX_SET;
	if (v->lapic && !(v->lapic->s.apic_base & (1u << 11)))
		r[3] &= ~(1u << 9); /* APIC globally off (SDM vol. 3, 11.4.3) */
}

/* Subleaf 0 names no further subleaves (they read 0); OSPKE follows
 * the guest's CR4.PKE where PKU is offered. */
static void leaf7(struct vcpu *v, uint32_t r[4])
{
	r[0] = 0;
	r[2] &= ~L7_ECX_OSPKE;
	if ((r[2] & L7_ECX_PKU) && (vcpu_reg(v, VR_CR4) & CR4_PKE))
		r[2] |= L7_ECX_OSPKE;
}

/* Topology (leaves 4, 0xB, 0x1F): one core, one thread. */
static void topology(struct vcpu *v, uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	if (leaf == 4) {
		r[0] &= 0x00003fffu;
		return;
	}
	r[0] = 0, r[1] = sub < 2 ? 1 : 0, r[2] = sub, r[3] = v->id;
	if (sub < 2)
		r[2] |= (sub + 1) << 8;
}

/* Bytes of an XSAVE area holding the components in `xcr0`: standard
 * form (each at its fixed offset) or compacted (XSAVEC: packed in
 * order, some aligned to 64). Legacy area and header are 576 bytes
 * (SDM vol. 1, 13.4 and 13.4.3). */
static uint32_t xsave_size(uint64_t xcr0, bool compacted)
{
	uint32_t size = 576;
	for (unsigned i = 2; i < 63; i++) {
		uint32_t c[4];
		if (!((xcr0 >> i) & 1))
			continue;
		cpuid(0xd, i, c);
		if (!compacted) {
			if (c[1] + c[0] > size)
				size = c[1] + c[0];
			continue;
		}
		if (c[2] & 2)
			size = (size + 63) & ~63u;
		size += c[0];
	}
	return size;
}

/* Leaf 0xD describes the guest's XCR0, not the host's: the sizes the
 * processor reports follow the XCR0 in force when CPUID runs, which in
 * the exit handler is the host's. */
static void xsave_leaf(struct vcpu *v, uint32_t sub, uint32_t r[4])
{
	uint64_t mask = fpu_guest_xcr0_mask();
	if (sub == 0) {
		r[0] &= (uint32_t)mask;
		r[3] &= (uint32_t)(mask >> 32);
		r[1] = xsave_size(v->xcr0 & mask, false);
		r[2] = xsave_size(mask, false);
	} else if (sub == 1) {
		/* EAX: cpuid_table.c's XSAVEOPT, XSAVEC, XGETBV1 */
		r[1] = xsave_size(v->xcr0 & mask, true);
		r[2] = r[3] = 0;
	} else if (sub < 64 && !((mask >> sub) & 1)) {
		r[0] = r[1] = r[2] = r[3] = 0;
	}
}

static uint32_t host_max(uint32_t base)
{
	uint32_t r[4];
	cpuid(base, 0, r);
	return r[0];
}

void cpuid_guest(struct vcpu *v, uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	bool basic = leaf < 0x40000000u;
	bool ext = leaf >= 0x80000000u;
	r[0] = r[1] = r[2] = r[3] = 0;
	if (leaf >= 0x40000000u && leaf <= HV_MAX_LEAF) {
		if (leaf == 0x40000000u)
			signature(r);
		/* Timing leaf as VMware and KVM define it: TSC and APIC bus in kHz. */
		if (leaf == 0x40000010u) {
			r[0] = (uint32_t)(vclock_hz(v->vm) / 1000);
			r[1] = (uint32_t)(LAPIC_BUS_HZ / 1000);
		}
		return;
	}
	if ((basic && leaf > host_max(0)) || (ext && leaf > host_max(0x80000000u)) ||
	    (!basic && !ext))
		return;
	cpuid(leaf, sub, r);
	cpuid_filter(leaf, sub, r, vcpu_ops->insn_backed);
	switch (leaf) {
	case 1: leaf1(v, r); break;
	case 4: case 0xb: case 0x1f: topology(v, leaf, sub, r); break;
	case 5: case 0x10: case 0x12: case 0x14: case 0x1b:
	case 0x8000001eu: case 0x8000001fu:
		r[0] = r[1] = r[2] = r[3] = 0;
		break;
	case 7:
		if (sub == 0)
			leaf7(v, r);
		break;
	case 0xd: xsave_leaf(v, sub, r); break;
	case 0x80000008u: r[2] = 0; break; /* ECX: one core */
	}
}

void exit_cpuid(struct vcpu *v)
{
	uint32_t r[4];
	cpuid_guest(v, (uint32_t)v->gpr[RAX], (uint32_t)v->gpr[RCX], r);
	v->gpr[RAX] = r[0], v->gpr[RBX] = r[1];
	v->gpr[RCX] = r[2], v->gpr[RDX] = r[3];
	vcpu_ops->skip_instruction(v);
}
