/* cr.c: MOV to CR0 and CR4 when the vendor traps it (VT-x does, for the
 * bits the hypervisor owns). The checks and the long-mode switch follow
 * SDM vol. 3, 2.5 and 10.8.5: turning paging on with EFER.LME set makes
 * EFER.LMA 1 (the vendor's accessor keeps its entry controls in step),
 * turning it off makes LMA 0. */
#include "hv/exit.h"
#include "hv/x86.h"

#define CR0_RESERVED 0xffffffff1ffaffc0ull

static bool cr0_valid(struct vcpu *v, uint64_t val)
{
	uint64_t efer = vcpu_reg(v, VR_EFER), cr4 = vcpu_reg(v, VR_CR4);
	if (val & CR0_RESERVED)
		return false;
	if ((val & CR0_PG) && !(val & CR0_PE))
		return false;
	if ((val & CR0_NW) && !(val & CR0_CD))
		return false;
	if ((val & CR0_PG) && (efer & EFER_LME) && !(cr4 & CR4_PAE))
		return false;
	return true;
}

static void guest_write_cr0(struct vcpu *v, uint64_t val)
{
	uint64_t old = vcpu_reg(v, VR_CR0), efer = vcpu_reg(v, VR_EFER);
	vcpu_set_reg(v, VR_CR0, val);
	if (!(old & CR0_PG) && (val & CR0_PG) && (efer & EFER_LME))
		vcpu_set_reg(v, VR_EFER, efer | EFER_LMA);
	else if ((old & CR0_PG) && !(val & CR0_PG))
		vcpu_set_reg(v, VR_EFER, efer & ~EFER_LMA);
}

void exit_cr_write(struct vcpu *v, unsigned cr, uint64_t val)
{
	if (cr == 0 && cr0_valid(v, val)) {
		guest_write_cr0(v, val);
	} else if (cr == 4 && !(val & CR4_VMXE) &&
		   !((vcpu_reg(v, VR_EFER) & EFER_LMA) && !(val & CR4_PAE))) {
		vcpu_set_reg(v, VR_CR4, val);
	} else {
		vcpu_ops->inject_exception(v, VEC_GP, true, 0);
		return;
	}
	vcpu_ops->skip_instruction(v);
}
