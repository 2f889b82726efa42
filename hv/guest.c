/* guest.c: guest mode, translation and instruction fetch (guest.h). */
#include "hv/gwalk.h"
#include "hv/guest.h"
#include "hv/vm.h"
#include "hv/x86.h"

enum cpu_mode guest_mode(struct vcpu *v)
{
	uint64_t attr = vcpu_reg(v, VR_CS_ATTR);
	if (!(vcpu_reg(v, VR_CR0) & CR0_PE))
		return MODE_16;
	if ((vcpu_reg(v, VR_EFER) & EFER_LMA) && (attr & (1u << 9)))
		return MODE_64;
	return (attr & (1u << 10)) ? MODE_32 : MODE_16;
}

status_t guest_walk(struct vcpu *v, uint64_t linear, unsigned access,
		    uint64_t *gpa, uint32_t *pf)
{
	struct gwalk_regs r = { vcpu_reg(v, VR_CR0), vcpu_reg(v, VR_CR3),
				vcpu_reg(v, VR_CR4), vcpu_reg(v, VR_EFER) };
	if (vcpu_reg(v, VR_CPL) == 3)
		access |= GW_USER;
	return gwalk(&v->vm->mem, &r, linear, access, gpa, pf);
}

status_t guest_translate(struct vcpu *v, uint64_t linear, unsigned access,
			 uint64_t *gpa)
{
	uint32_t pf;
	if (!guest_walk(v, linear, access, gpa, &pf))
		return ST_OK;
	if (pf == ~0u) {
		vm_stop(v->vm, VM_FAULT, 0, "guest page tables outside RAM");
		return ST_EFAULT;
	}
	vcpu_set_reg(v, VR_CR2, linear);
	vcpu_ops->inject_exception(v, VEC_PF, true, pf);
	return ST_EFAULT;
}

size_t guest_fetch(struct vcpu *v, uint8_t *buf)
{
	enum cpu_mode mode = guest_mode(v);
	uint64_t lin = vcpu_reg(v, VR_RIP) +
		       (mode == MODE_64 ? 0 : vcpu_reg(v, VR_CS_BASE));
	size_t n = 0;
	while (n < 15) {
		uint64_t gpa;
		uint32_t pf;
		if (guest_walk(v, lin + n, GW_FETCH, &gpa, &pf))
			break;
		size_t chunk = 0x1000 - ((lin + n) & 0xfff);
		if (chunk > 15 - n)
			chunk = 15 - n;
		if (gmem_read(&v->vm->mem, gpa, buf + n, chunk))
			break;
		n += chunk;
	}
	return n;
}
